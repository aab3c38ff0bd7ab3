// Per-chunk accuracy on the real workload: `mmload run` (a whole process, as a user runs it) on the
// full inline dataset at concurrency 30 against `mmload mock` in its own process, which records
// when it wrote every token (--record-tokens). Both stamp CLOCK_MONOTONIC, so each chunk's
// client stamp minus the mock's write time is the stamping error (plus loopback delivery).
//
//   DATASET=/path/full.jsonl ITL_MS=1 node --import tsx bench/driver-chunk-accuracy.ts
//
// Env: DATASET (required: `node bin/mmload generate -o /path/full.jsonl`, 12.5 GB), ITL_MS (1),
// TTFT_MS (50), TOKENS (128), REQUESTS (60: two turns of the 30 users), CONCURRENCY (30),
// CLIENT_WRAP (a command the client runs under, e.g. `taskset -c 0` or `chrt -f 10`) and MOCK_PID_CMD
// (a command given the running mock's pid, e.g. `taskset -a -p -c 1` or `chrt -a -f -p 10`): to
// tell a process's own stalls from the scheduler's, when client and mock share too few cores.
// Goals (issue 15): client event-loop delay p99 <= 2 ms; |TTFT error| and |chunk error| p99 <= 2 ms
// over all requests; with ITL_MS=20 the client's inter-chunk latency p50 is 20 ms; the mock's
// token lateness p99 <= 1 ms; peak RSS <= 1 GB; first request < 1 s after start. Needs `npm run build`.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestRecord } from '../src/metrics/record.js';
import type { MockRecord } from '../src/mock/types.js';
import { quantile, spawnMock } from './mock-child.js';
import { saveResult, timed } from './util.js';

const DATASET = process.env.DATASET;
if (!DATASET) {
  console.error(
    'DATASET=/path/to/full.jsonl is required (make it with: node bin/mmload generate -o /path/full.jsonl)',
  );
  process.exit(2);
}
const ITL = Number(process.env.ITL_MS ?? 1);
const TTFT = Number(process.env.TTFT_MS ?? 50);
const TOKENS = Number(process.env.TOKENS ?? 128);
const REQUESTS = Number(process.env.REQUESTS ?? 60);
const C = Number(process.env.CONCURRENCY ?? 30);
const BIN = new URL('../bin/mmload', import.meta.url).pathname;

const dir = await mkdtemp(join(tmpdir(), 'mmload-chunks-'));
const recordPath = join(dir, 'mock.jsonl');
const mock = await spawnMock([
  '--ttft-ms',
  String(TTFT),
  '--itl-ms',
  String(ITL),
  '--record',
  recordPath,
  '--record-tokens',
]);
const { CLIENT_WRAP, MOCK_PID_CMD } = process.env;
if (MOCK_PID_CMD) {
  const [cmd, ...args] = MOCK_PID_CMD.split(' ').filter(Boolean);
  execFileSync(cmd!, [...args, String(mock.child.pid)], { stdio: 'ignore' });
}
const out = join(dir, 'run');
const pin = [...(CLIENT_WRAP?.split(' ').filter(Boolean) ?? []), process.execPath];
const run = timed(pin[0]!, [
  ...pin.slice(1),
  BIN,
  'run',
  DATASET,
  '--url',
  mock.url,
  '--concurrency',
  String(C),
  '--request-count',
  String(REQUESTS),
  '--max-tokens',
  String(TOKENS),
  '--extra-inputs',
  `min_tokens:${TOKENS}`,
  'ignore_eos:true',
  '--artifact-dir',
  out,
  '--quiet',
]);
await mock.stop();
if (run.code !== 0) {
  console.error(run.stderr);
  process.exit(1);
}
const lines = (text: string) => text.trim().split('\n').filter(Boolean);
const mine = lines(await readFile(join(out, 'records.jsonl'), 'utf8')).map(
  (l) => (JSON.parse(l) as { mmload: RequestRecord }).mmload,
);
const theirs = new Map(
  lines(await readFile(recordPath, 'utf8'))
    .map((l) => JSON.parse(l) as MockRecord)
    .map((m) => [m.requestId, m]),
);
const summary = JSON.parse(await readFile(join(out, 'profile_export_mmload.json'), 'utf8'));

const ttftErr: number[] = [];
const chunkErr: number[] = [];
const gapsMine: number[] = [];
const gapsMock: number[] = [];
const late: number[] = [];
let unmatched = 0;
for (const rec of mine) {
  const m = theirs.get(rec.requestId);
  if (!m?.tokenNs || rec.error || m.firstTokenNs === undefined) {
    unmatched++;
    continue;
  }
  ttftErr.push((rec.firstChunkNs! - rec.startNs - (m.firstTokenNs - m.arrivalNs)) / 1e6);
  // The mock writes its role chunk with the first token: chunk k of the client is token k.
  const n = Math.min(rec.chunkNs.length, m.tokenNs.length);
  for (let k = 0; k < n; k++) chunkErr.push((rec.chunkNs[k]! - m.tokenNs[k]!) / 1e6);
  for (let k = 1; k < rec.chunkNs.length; k++) gapsMine.push((rec.chunkNs[k]! - rec.chunkNs[k - 1]!) / 1e6);
  for (let k = 1; k < m.tokenNs.length; k++) gapsMock.push((m.tokenNs[k]! - m.tokenNs[k - 1]!) / 1e6);
  for (const l of m.tokenLateNs ?? []) late.push(l / 1e6);
}
await rm(dir, { recursive: true, force: true });
const abs = (v: number[]) => v.map(Math.abs);
const loop = summary.mmload.client.eventLoopDelayMs ?? {};
const result = {
  itlMs: ITL,
  clientWrap: CLIENT_WRAP || 'none',
  mockPidCmd: MOCK_PID_CMD || 'none',
  tokens: TOKENS,
  requests: mine.length,
  unmatched,
  wallS: run.seconds,
  peakRssMB: run.maxRssMB,
  firstRequestMs: summary.mmload.client.timeToFirstRequestMs,
  // The upload of each 52 MB body (start -> last byte taken by the socket): what pacing the
  // upload for the stamps' sake costs.
  uploadP50Ms: summary.mmload_upload_time?.p50,
  loopDelayP99Ms: loop.p99,
  loopDelayMaxMs: loop.max,
  ttftAbsErrP99Ms: quantile(abs(ttftErr), 0.99),
  // Below zero, a stamp came before the mock wrote the chunk: never, if the stamps are upper bounds.
  chunkErrMinMs: Math.min(...chunkErr),
  chunkErrP50Ms: quantile(chunkErr, 0.5),
  chunkAbsErrP99Ms: quantile(abs(chunkErr), 0.99),
  chunkAbsErrMaxMs: Math.max(...abs(chunkErr)),
  interChunkP50MineMs: quantile(gapsMine, 0.5),
  interChunkP50MockMs: quantile(gapsMock, 0.5),
  mockLateP99Ms: quantile(late, 0.99),
  mockLateMaxMs: Math.max(...late),
};
console.table(
  Object.fromEntries(
    Object.entries(result).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(3)) : v]),
  ),
);
saveResult(`driver-chunk-accuracy-itl${ITL}`, result);
