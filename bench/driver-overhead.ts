// mmload run's request rate (runLoad) against a bare undici loop doing the same requests (16-token
// streams, zero-latency mock in its own process, concurrency 30), alternating in one process.
// Also the client's CPU per request (this process, all threads: user + system), the goal's own
// measure: the rate ratio also moves with how the mock shares the cores. Goal: mmload's CPU per
// request <= 1.3x the bare loop's. Needs `npm run build` (the mock runs from dist/).
// Two more splits explain the figure: the main (stamping) thread's share, the rest being V8's
// helpers (compilation, garbage collection) and libuv's pool; and the steady state, the CPU
// between 20 % and 80 % of the requests done, without each run's setup, first compilations and
// artifacts (sampled at mmload's 250 ms progress ticks: TURNS=1000 gives it enough of them; NaN
// when a run was too short).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { resolveRunOptions } from '../src/driver/options.js';
import { runLoad } from '../src/driver/run.js';
import { median, spawnMock } from './mock-child.js';
import { statCpuSeconds } from './proc-tree.js';
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
const cpuNow = () => cpuSince({ user: 0, system: 0 });

/** CPU microseconds of the main thread so far (Linux /proc, 10 ms ticks), or NaN elsewhere. */
function mainThreadCpu(): number {
  try {
    return statCpuSeconds(`/proc/self/task/${process.pid}/stat`) * 1e6;
  } catch {
    return Number.NaN;
  }
}

/** CPU per request between 20 % and 80 % of the requests done, from samples taken as they complete. */
function steadyCpu(samples: Array<{ cpu: number; done: number }>): number {
  const a = samples.find((x) => x.done >= 0.2 * total);
  const b = samples.filter((x) => x.done <= 0.8 * total).pop();
  return a && b && b.done > a.done ? (b.cpu - a.cpu) / (b.done - a.done) : Number.NaN;
}

interface Measured {
  rps: number;
  cpuUs: number;
  mainUs: number;
  steadyUs: number;
}

async function bare(): Promise<Measured> {
  const agent = new Agent({ connections: C, pipelining: 1 });
  let left = total;
  let done = 0;
  const samples: Array<{ cpu: number; done: number }> = [];
  const sampler = setInterval(() => samples.push({ cpu: cpuNow(), done }), 50);
  const main0 = mainThreadCpu();
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
        done++;
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const cpuUs = cpuSince(cpu0) / total;
  const mainUs = (mainThreadCpu() - main0) / total;
  clearInterval(sampler);
  await agent.close();
  return { rps: total / s, cpuUs, mainUs, steadyUs: steadyCpu(samples) };
}

let runNo = 0;
async function mmload(): Promise<Measured & { wholeRps: number }> {
  const out = join(dir, `run-${runNo++}`);
  const samples: Array<{ cpu: number; done: number }> = [];
  const main0 = mainThreadCpu();
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
    { onProgress: (p) => samples.push({ cpu: cpuNow(), done: p.done }) },
  );
  const s = (performance.now() - t0) / 1000;
  // The whole job's CPU: setup, the run, the artifacts.
  const cpuUs = cpuSince(cpu0) / total;
  const mainUs = (mainThreadCpu() - main0) / total;
  if (r.summary.errorCount > 0 || r.summary.requestCount !== total)
    throw new Error(`bad run: ${JSON.stringify(r.summary.errorsByKind)} ${r.summary.requestCount}/${total}`);
  await rm(out, { recursive: true });
  // The run's own RPS (first start .. last chunk) and the whole job's (incl. setup and artifacts).
  const rps = r.summary.metrics.request_throughput?.avg as number;
  return { rps, wholeRps: total / s, cpuUs, mainUs, steadyUs: steadyCpu(samples) };
}

await bare(); // warm both paths
await mmload();
const bs: Measured[] = [];
const ms: Array<Measured & { wholeRps: number }> = [];
for (let i = 0; i < ROUNDS; i++) {
  bs.push(await bare());
  ms.push(await mmload());
}
await mock.stop();
await rm(dir, { recursive: true });
const medOf = <T>(rows: T[], f: (r: T) => number) => median(rows.map(f));
console.table(
  ms.map((x, i) => {
    const y = bs[i]!;
    return {
      round: i + 1,
      'bare req/s': y.rps.toFixed(0),
      'mmload req/s (run)': x.rps.toFixed(0),
      'mmload req/s (whole job)': x.wholeRps.toFixed(0),
      ratio: (x.rps / y.rps).toFixed(2),
      'bare CPU us/req': y.cpuUs.toFixed(1),
      'mmload CPU us/req': x.cpuUs.toFixed(1),
      'CPU ratio': (x.cpuUs / y.cpuUs).toFixed(2),
      'main thread bare / mmload': `${y.mainUs.toFixed(0)} / ${x.mainUs.toFixed(0)}`,
      'steady bare / mmload': `${y.steadyUs.toFixed(0)} / ${x.steadyUs.toFixed(0)}`,
    };
  }),
);
const rps = (r: Measured) => r.rps;
console.log(
  `requests per run ${total}, concurrency ${C}; median bare ${medOf(bs, rps).toFixed(0)} req/s, mmload ${medOf(ms, rps).toFixed(0)} req/s (whole job ${medOf(ms, (r) => r.wholeRps).toFixed(0)}), ratio of medians ${(medOf(ms, rps) / medOf(bs, rps)).toFixed(2)} (whole job ${(medOf(ms, (r) => r.wholeRps) / medOf(bs, rps)).toFixed(2)})`,
);
const ratioLine = (what: string, f: (r: Measured) => number) =>
  `${what}: median bare ${medOf(bs, f).toFixed(1)} us, mmload ${medOf(ms, f).toFixed(1)} us, ratio of medians ${(medOf(ms, f) / medOf(bs, f)).toFixed(2)}`;
console.log(`${ratioLine('CPU per request (this process, all threads)', (r) => r.cpuUs)} (goal <= 1.3)`);
console.log(ratioLine('  of which the main thread', (r) => r.mainUs));
console.log(ratioLine('  steady state (20-80 % of the requests, all threads)', (r) => r.steadyUs));
