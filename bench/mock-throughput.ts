// Streamed requests/s of 16 tokens at zero latency. The mock runs in its own process; this process
// is a bare undici loop. Reports wall req/s and req per CPU-second of the mock (= one core's rate,
// independent of what else shares the machine). Goal: >= 10,000 req per mock CPU-second.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Pool } from 'undici';
import { median, spawnMock } from './mock-child.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 3);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);

const body = JSON.stringify({
  model: 'mmload-mock',
  stream: true,
  stream_options: { include_usage: true },
  max_tokens: 16,
  ignore_eos: true,
  messages: [{ role: 'user', content: 'how fast can the mock stream sixteen tokens' }],
});

const mock = await spawnMock([]);
const pool = new Pool(mock.url, { connections: CONCURRENCY, pipelining: 1 });
const rows: { round: number; wallRps: number; cpuRps: number; mockCpu: number }[] = [];
try {
  const one = async (): Promise<void> => {
    const r = await pool.request({
      path: '/v1/chat/completions',
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    const t = await r.body.text();
    if (r.statusCode !== 200 || !t.endsWith('data: [DONE]\n\n'))
      throw new Error(`bad response ${r.statusCode}`);
  };
  const runFor = async (ms: number): Promise<number> => {
    const end = performance.now() + ms;
    let n = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < end) {
          await one();
          n++;
        }
      }),
    );
    return n;
  };
  await runFor(1000); // warm-up: connections, JIT
  for (let round = 0; round < ROUNDS; round++) {
    const cpu0 = mock.cpuSeconds();
    const t0 = performance.now();
    const n = await runFor(SECONDS * 1000);
    const wall = (performance.now() - t0) / 1000;
    const mockCpu = mock.cpuSeconds() - cpu0;
    rows.push({ round, wallRps: n / wall, cpuRps: n / mockCpu, mockCpu: mockCpu / wall });
  }
} finally {
  await pool.close();
  await mock.stop();
}
console.log('mock throughput: streamed chat completions, 16 tokens, zero latency, usage chunk on');
console.log('round  wall req/s  req per mock CPU-s  mock CPU share');
for (const r of rows) {
  console.log(
    `${String(r.round).padStart(5)}  ${r.wallRps.toFixed(0).padStart(10)}  ${r.cpuRps.toFixed(0).padStart(18)}  ${(r.mockCpu * 100).toFixed(0).padStart(13)}%`,
  );
}
const result = {
  wallRpsMedian: median(rows.map((r) => r.wallRps)),
  cpuRpsMedian: median(rows.map((r) => r.cpuRps)),
  goal: 10_000,
};
console.log(
  `median: ${result.wallRpsMedian.toFixed(0)} req/s wall, ${result.cpuRpsMedian.toFixed(0)} req per mock CPU-second (goal >= 10,000)`,
);
mkdirSync(new URL('results', import.meta.url), { recursive: true });
writeFileSync(
  new URL('results/mock-throughput.json', import.meta.url),
  JSON.stringify({ rows, ...result }, null, 2),
);
