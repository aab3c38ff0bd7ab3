// Latency-injection accuracy under 30 concurrent streams: the mock (own process) runs TTFT 20 ms,
// ITL 5 ms, 200 tokens; each token's client arrival is compared with its deadline on the shared
// monotonic clock (deadline = the mock's recorded body-received time + TTFT + i * ITL).
// Error = arrival - deadline: it includes the client's own delay, so it bounds the mock's error.
// Goal: p99 <= 1 ms.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { median, quantile, spawnMock } from './mock-child.js';

const STREAMS = Number(process.env.STREAMS ?? 30);
const TOKENS = Number(process.env.TOKENS ?? 200);
const TTFT = 20;
const ITL = 5;
const ROUNDS = Number(process.env.ROUNDS ?? 3);

const dir = mkdtempSync(join(tmpdir(), 'mmload-bench-'));
const rows: { round: number; p50: number; p99: number; max: number; ttftP99: number; sendP99: number }[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const record = join(dir, `rec-${round}.jsonl`);
    const mock = await spawnMock(['--ttft-ms', String(TTFT), '--itl-ms', String(ITL), '--record', record]);
    const pool = new Pool(mock.url, { connections: STREAMS });
    const arrivals = new Map<string, number[]>();
    const body = JSON.stringify({
      model: 'mmload-mock',
      stream: true,
      max_tokens: TOKENS,
      ignore_eos: true,
      messages: [{ role: 'user', content: 'latency accuracy' }],
    });
    const stream = async (sid: string): Promise<void> => {
      const r = await pool.request({
        path: '/v1/chat/completions',
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-session-id': sid },
      });
      const times: number[] = [];
      let buf = '';
      for await (const c of r.body) {
        const at = Number(process.hrtime.bigint());
        buf += (c as Buffer).toString();
        let k = buf.indexOf('\n\n');
        while (k >= 0) {
          const ev = buf.slice(0, k);
          buf = buf.slice(k + 2);
          if (ev.includes('"content":"') && !ev.includes('"role"')) times.push(at);
          else if (ev.includes('"role"') && ev.includes('"content":"",')) {
            /* role chunk */
          }
          k = buf.indexOf('\n\n');
        }
      }
      arrivals.set(sid, times);
    };
    // Warm-up at full concurrency: a fresh process's first streams pay JIT compilation.
    await Promise.all(Array.from({ length: STREAMS }, () => stream('warm-up')));
    await Promise.all(Array.from({ length: STREAMS }, (_, i) => stream(`s${round}-${i}`)));
    await pool.close();
    await mock.stop();
    const recs = readFileSync(record, 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { sessionId: string; bodyNs: number; firstTokenNs: number; lastTokenNs: number },
      );
    const errs: number[] = [];
    const ttftErrs: number[] = [];
    // The mock's own worst lateness per stream (every token write against its deadline): its part alone.
    const sendErrs: number[] = [];
    for (const r of recs) {
      if (r.sessionId === 'warm-up') continue;
      const times = arrivals.get(r.sessionId)!;
      if (!times) continue;
      sendErrs.push(
        (r.firstTokenNs - r.bodyNs) / 1e6 - TTFT,
        (r.lastTokenNs - r.bodyNs) / 1e6 - TTFT - (TOKENS - 1) * ITL,
      );
      if (times.length !== TOKENS) throw new Error(`${r.sessionId}: ${times.length} tokens`);
      times.forEach((t, i) => {
        const e = (t - (r.bodyNs + (TTFT + i * ITL) * 1e6)) / 1e6;
        errs.push(e);
        if (i === 0) ttftErrs.push(e);
      });
    }
    rows.push({
      round,
      p50: quantile(errs, 0.5),
      p99: quantile(errs, 0.99),
      max: Math.max(...errs),
      ttftP99: quantile(ttftErrs, 0.99),
      sendP99: quantile(sendErrs, 0.99),
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `latency injection: ${STREAMS} concurrent streams x ${TOKENS} tokens, TTFT ${TTFT} ms, ITL ${ITL} ms`,
);
console.log(
  'round  token lateness p50 ms  p99 ms  max ms  TTFT p99 ms  p99 of per-stream max mock lateness ms',
);
for (const r of rows) {
  console.log(
    `${String(r.round).padStart(5)}  ${r.p50.toFixed(3).padStart(20)}  ${r.p99.toFixed(3).padStart(6)}  ${r.max.toFixed(2).padStart(6)}  ${r.ttftP99.toFixed(3).padStart(11)}  ${r.sendP99.toFixed(3).padStart(37)}`,
  );
}
const p99 = median(rows.map((r) => r.p99));
const sendP99 = median(rows.map((r) => r.sendP99));
console.log(
  `median p99 lateness ${p99.toFixed(3)} ms at the client, ${sendP99.toFixed(3)} ms for the mock's worst token per stream (goal <= 1 ms)`,
);
mkdirSync(new URL('results', import.meta.url), { recursive: true });
writeFileSync(
  new URL('results/mock-latency.json', import.meta.url),
  JSON.stringify({ rows, p99Median: p99, sendP99Median: sendP99 }, null, 2),
);
