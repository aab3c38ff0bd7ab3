// mmload run's request rate (runLoad) against a bare undici loop doing the same requests (16-token
// streams, zero-latency mock in its own process, concurrency 30), alternating in one process.
// Also the client's CPU per request (this process, all threads: user + system), the goal's own
// measure: the rate ratio also moves with how the mock shares the cores. Goal: mmload's CPU per
// request <= 1.3x the bare loop's. Needs `npm run build` (the mock runs from dist/).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { resolveRunOptions } from '../src/driver/options.js';
import { runLoad } from '../src/driver/run.js';
import { spawnMock } from './mock-child.js';
import { textSessionsDataset } from './util.js';

const C = 30;
const TURNS = Number(process.env.TURNS ?? 60);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const { dir, path: ds, rows: total } = await textSessionsDataset('mmload-ovh-', C, TURNS);
const mock = await spawnMock(['--default-max-tokens', '16']);
const body = Buffer.from(
  JSON.stringify({
    messages: [{ role: 'user', content: 'hello 1 1' }],
    model: 'm',
    stream: true,
    max_tokens: 16,
    stream_options: { include_usage: true },
    ignore_eos: true,
  }),
);

/** CPU microseconds of this process (every thread) since `from`. */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return d.user + d.system;
};

async function bare(): Promise<{ rps: number; cpuUs: number }> {
  const agent = new Agent({ connections: C, pipelining: 1 });
  let left = total;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (left-- > 0) {
        const r = await request(`${mock.url}/v1/chat/completions`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
          dispatcher: agent,
        });
        await r.body.text();
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const cpuUs = cpuSince(cpu0) / total;
  await agent.close();
  return { rps: total / s, cpuUs };
}

let runNo = 0;
async function mmload(): Promise<{ rps: number; wholeRps: number; cpuUs: number }> {
  const out = join(dir, `run-${runNo++}`);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await runLoad(
    resolveRunOptions({
      dataset: ds,
      url: mock.url,
      model: 'm',
      concurrency: C,
      maxTokens: 16,
      extraInputs: { ignore_eos: true },
      timeoutS: 30,
      graceS: 1,
      artifactDir: out,
    }),
  );
  const s = (performance.now() - t0) / 1000;
  // The whole job's CPU: setup, the run, the artifacts.
  const cpuUs = cpuSince(cpu0) / total;
  if (r.summary.errorCount > 0 || r.summary.requestCount !== total)
    throw new Error(`bad run: ${JSON.stringify(r.summary.errorsByKind)} ${r.summary.requestCount}/${total}`);
  await rm(out, { recursive: true });
  // The run's own RPS (first start .. last chunk) and the whole job's (incl. setup and artifacts).
  const rps = r.summary.metrics.request_throughput?.avg as number;
  return { rps, wholeRps: total / s, cpuUs };
}

await bare(); // warm both paths
await mmload();
const b: number[] = [];
const m: number[] = [];
const w: number[] = [];
const bCpu: number[] = [];
const mCpu: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const x = await bare();
  b.push(x.rps);
  bCpu.push(x.cpuUs);
  const r = await mmload();
  m.push(r.rps);
  w.push(r.wholeRps);
  mCpu.push(r.cpuUs);
}
await mock.stop();
await rm(dir, { recursive: true });
const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)] as number;
console.table(
  m.map((x, i) => ({
    round: i + 1,
    'bare req/s': b[i]!.toFixed(0),
    'mmload req/s (run)': x.toFixed(0),
    'mmload req/s (whole job)': w[i]!.toFixed(0),
    ratio: (x / b[i]!).toFixed(2),
    'bare CPU us/req': bCpu[i]!.toFixed(1),
    'mmload CPU us/req': mCpu[i]!.toFixed(1),
    'CPU ratio': (mCpu[i]! / bCpu[i]!).toFixed(2),
  })),
);
console.log(
  `requests per run ${total}, concurrency ${C}; median bare ${med(b).toFixed(0)} req/s, mmload ${med(m).toFixed(0)} req/s (whole job ${med(w).toFixed(0)}), ratio of medians ${(med(m) / med(b)).toFixed(2)} (whole job ${(med(w) / med(b)).toFixed(2)})`,
);
console.log(
  `CPU per request (this process, all threads): median bare ${med(bCpu).toFixed(1)} us, mmload ${med(mCpu).toFixed(1)} us, ratio of medians ${(med(mCpu) / med(bCpu)).toFixed(2)} (goal <= 1.3)`,
);
