// Measurement accuracy: mmload's per-request TTFT and ITL (runLoad) against the mock's own record of
// when it received the request and wrote the tokens (mock in its own process via mock-child.ts,
// TTFT 50 ms, ITL 10 ms, 30 sessions, small bodies; both stamp CLOCK_MONOTONIC via process.hrtime).
// Goals: |TTFT error| p99 <= 1 ms; ITL avg within 1%. Needs `npm run build`.
// SERVER_METRICS=<interval s> scrapes the mock's /metrics during the run (as `mmload run` does by
// default), to show that scraping moves neither the errors nor the client's event-loop delay.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveRunOptions } from '../src/driver/options.js';
import { runLoad } from '../src/driver/run.js';
import type { RequestRecord } from '../src/metrics/record.js';
import type { MockRecord } from '../src/mock/types.js';
import { ServerMetricsObserver } from '../src/server-metrics/observer.js';
import { idleLoopbackRtt } from './host-probes.js';
import { spawnMock } from './mock-child.js';
import { saveResult, textSessionsDataset } from './util.js';

const C = 30;
const TURNS = Number(process.env.TURNS ?? 20);
const TOKENS = 32;
// One warm-up request per connection by default: both processes' request paths are compiled
// before the measured turns (a cold mock reads the first burst ~25 ms late). WARMUP=0 shows it.
const WARMUP = Number(process.env.WARMUP ?? C);
// The host's floor, taken in the same minute: a TTFT error holds one request leg and one response
// leg over loopback, so it cannot be less than an idle round trip between two processes.
const floor = await idleLoopbackRtt(3);
const { dir, path: ds } = await textSessionsDataset('mmload-acc-', C, TURNS);
const recordPath = join(dir, 'mock.jsonl');
const mock = await spawnMock([
  '--ttft-ms',
  '50',
  '--itl-ms',
  '10',
  '--record',
  recordPath,
  ...(process.env.JITTER_MS ? ['--jitter-ms', process.env.JITTER_MS] : []),
]);
const out = join(dir, 'run');
const scrapeS = process.env.SERVER_METRICS ? Number(process.env.SERVER_METRICS) : undefined;
const observers =
  scrapeS === undefined
    ? []
    : [
        new ServerMetricsObserver({
          endpoints: [`${mock.url}/metrics`],
          intervalS: scrapeS,
          formats: ['json'],
        }),
      ];
const r = await runLoad(
  resolveRunOptions({
    dataset: ds,
    url: mock.url,
    model: 'm',
    concurrency: C,
    maxTokens: TOKENS,
    extraInputs: { ignore_eos: true },
    timeoutS: 30,
    graceS: 1,
    warmupRequests: WARMUP,
    artifactDir: out,
  }),
  { observers },
);
await mock.stop();
const mine = (await readFile(join(out, 'records.jsonl'), 'utf8'))
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as { mmload: RequestRecord }).mmload)
  .sort((a, b) => (a.dispatchNs ?? a.startNs) - (b.dispatchNs ?? b.startNs));
const theirs = (await readFile(recordPath, 'utf8'))
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as MockRecord);
// Each request's X-Request-ID is in both records: the join is exact.
const mockBy = new Map(theirs.map((m) => [m.requestId, m]));
const ttftErr: number[] = [];
const queue: number[] = [];
const startToSent: number[] = [];
const sentToArrival: number[] = [];
const arrivalToBody: number[] = [];
const tokToClient: number[] = [];
const byTurn = new Map<number, number[]>();
/** Per turn, the two stages inside the TTFT error: start -> mock arrival, mock first token -> client stamp. */
const stagesByTurn = new Map<
  number,
  { toMock: number[]; toClient: number[]; starts: number[]; arrivals: number[]; queue: number[] }
>();
const itlMine: number[] = [];
const itlMock: number[] = [];
for (const rec of mine) {
  if (rec.warmup) continue;
  const m = mockBy.get(rec.requestId);
  if (!m || rec.error || m.firstTokenNs === undefined || m.lastTokenNs === undefined) continue;
  const ttftMine = (rec.firstChunkNs! - rec.startNs) / 1e6;
  const ttftMock = (m.firstTokenNs - m.arrivalNs) / 1e6;
  ttftErr.push(ttftMine - ttftMock);
  byTurn.set(rec.turn, [...(byTurn.get(rec.turn) ?? []), ttftMine - ttftMock]);
  // The error = (arrival - start) + (client stamp - mock first token); split into its stages.
  startToSent.push((rec.sentNs! - rec.startNs) / 1e6);
  queue.push((rec.startNs - rec.dispatchNs!) / 1e6);
  sentToArrival.push((m.arrivalNs - rec.sentNs!) / 1e6);
  arrivalToBody.push((m.bodyNs - m.arrivalNs) / 1e6);
  tokToClient.push((rec.firstChunkNs! - m.firstTokenNs) / 1e6);
  const st = stagesByTurn.get(rec.turn) ?? {
    toMock: [],
    toClient: [],
    starts: [],
    arrivals: [],
    queue: [],
  };
  st.starts.push(rec.startNs);
  st.queue.push((rec.startNs - rec.dispatchNs!) / 1e6);
  st.arrivals.push(m.arrivalNs);
  st.toMock.push((m.arrivalNs - rec.startNs) / 1e6);
  st.toClient.push((rec.firstChunkNs! - m.firstTokenNs) / 1e6);
  stagesByTurn.set(rec.turn, st);
  const n = rec.outputTokens ?? 0;
  if (n > 1) {
    itlMine.push((rec.lastChunkNs! - rec.firstChunkNs!) / 1e6 / (n - 1));
    itlMock.push((m.lastTokenNs - m.firstTokenNs) / 1e6 / (m.outputTokens - 1));
  }
}
await rm(dir, { recursive: true });
const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
/** Max - min of stamps in ns, as ms. */
const span = (ns: number[]) => ((Math.max(...ns) - Math.min(...ns)) / 1e6).toFixed(2);
const q = (v: number[], p: number) =>
  sorted(v)[Math.min(v.length - 1, Math.floor(p * (v.length - 1)))] as number;
const abs = ttftErr.map(Math.abs);
const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const itlErrPct = (100 * (avg(itlMine) - avg(itlMock))) / avg(itlMock);
const result = {
  requests: mine.length,
  warmup: WARMUP,
  matched: ttftErr.length,
  errors: r.summary.errorCount,
  ttftErrP50Ms: q(ttftErr, 0.5),
  ttftAbsErrP99Ms: q(abs, 0.99),
  ttftAbsErrMaxMs: Math.max(...abs),
  itlAvgMineMs: avg(itlMine),
  itlAvgMockMs: avg(itlMock),
  itlAvgErrPct: itlErrPct,
  clientQueueP50Ms: q(queue, 0.5),
  startToSentP99Ms: q(startToSent, 0.99),
  sentToMockArrivalP99Ms: q(sentToArrival, 0.99),
  mockTokenToClientP99Ms: q(tokToClient, 0.99),
  idleLoopbackRttP50Ms: floor.p50,
  idleLoopbackRttP99Ms: floor.p99,
  serverMetricsIntervalS: scrapeS ?? null,
  eventLoopDelayP99Ms: r.summary.client?.eventLoopDelayMs?.p99,
  eventLoopDelayMaxMs: r.summary.client?.eventLoopDelayMs?.max,
};
console.table([
  {
    requests: result.requests,
    warmup: result.warmup,
    matched: result.matched,
    errors: result.errors,
    'TTFT err p50 ms': result.ttftErrP50Ms.toFixed(3),
    '|TTFT err| p99 ms': result.ttftAbsErrP99Ms.toFixed(3),
    '|TTFT err| max ms': result.ttftAbsErrMaxMs.toFixed(3),
    'ITL avg mmload ms': result.itlAvgMineMs.toFixed(4),
    'ITL avg mock ms': result.itlAvgMockMs.toFixed(4),
    'ITL avg err %': itlErrPct.toFixed(3),
    scrape: scrapeS === undefined ? 'off' : `${scrapeS} s`,
    'loop delay p99 ms': result.eventLoopDelayP99Ms?.toFixed(2),
  },
]);
const stage = (name: string, v: number[]) => ({
  stage: name,
  'p50 ms': q(v, 0.5).toFixed(3),
  'p99 ms': q(v, 0.99).toFixed(3),
  'max ms': Math.max(...v).toFixed(3),
});
console.table([
  stage('client queue: dispatch -> start (not in TTFT)', queue),
  stage('start -> sent (client)', startToSent),
  stage("sent -> mock arrival (mock's event loop)", sentToArrival),
  stage('mock arrival -> body (inside TTFT on both sides)', arrivalToBody),
  stage('mock first token -> client stamp', tokToClient),
]);
for (const [t, v] of [...byTurn].sort((a, b) => a[0] - b[0]))
  console.log(
    `turn ${t}: TTFT err p50 ${q(v, 0.5).toFixed(3)} ms, |err| max ${Math.max(...v.map(Math.abs)).toFixed(3)} ms` +
      ` (start -> mock arrival p50 ${q(stagesByTurn.get(t)!.toMock, 0.5).toFixed(3)} ms,` +
      ` mock first token -> client stamp p50 ${q(stagesByTurn.get(t)!.toClient, 0.5).toFixed(3)} ms;` +
      ` the turn's client starts span ${span(stagesByTurn.get(t)!.starts)} ms, the mock's arrivals ${span(stagesByTurn.get(t)!.arrivals)} ms;` +
      ` client queue p50 ${q(stagesByTurn.get(t)!.queue, 0.5).toFixed(2)} ms, not in TTFT)`,
  );
const steady = [...byTurn].filter(([t]) => t >= 3).flatMap(([, v]) => v.map(Math.abs));
if (steady.length > 0)
  console.log(
    `from turn 3 on (${steady.length} requests): |TTFT err| p99 ${q(steady, 0.99).toFixed(3)} ms, max ${Math.max(...steady).toFixed(3)} ms`,
  );
console.log(
  `host floor, same minute: an idle loopback round trip between two processes took p50 ${floor.p50.toFixed(3)} ms, p99 ${floor.p99.toFixed(3)} ms, max ${floor.max.toFixed(3)} ms`,
);
console.log(`client warnings: ${r.summary.client?.warnings.join(' | ') || 'none'}`);
saveResult('driver-accuracy', result);
