// Trace replay (--fixed-schedule) end to end: mmload and the real AIPerf replay the same trace
// against the same kind of server, and the server's arrival times follow the trace for both.
// Not skipped when AIPerf is missing: a missing tool is a failure.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildAiperfCommand } from '../src/aiperf/command.js';
import { locateAiperf, PROJECT_TOKENIZER_DIR } from '../src/aiperf/locate.js';
import { runAiperf } from '../src/aiperf/run.js';
import { runCli } from './cli-helpers.js';
import { type FaultServer, startFaultServer } from './fault-server.js';

// Trace times (ms). user_0's second turn waits 150 ms after its first completes; user_1's is
// stamped; user_2's has neither and follows its first turn at once.
const TRACE = [
  { session_id: 'user_0', text: 'row u0t0 the be to', timestamp: 1000 },
  { session_id: 'user_1', text: 'row u1t0 of and a', timestamp: 1300 },
  { session_id: 'user_2', text: 'row u2t0 in that have', timestamp: 1600 },
  { session_id: 'user_0', text: 'row u0t1 it for not', delay: 150 },
  { session_id: 'user_1', text: 'row u1t1 on with he', timestamp: 1700 },
  { session_id: 'user_2', text: 'row u2t1 as you do' },
];

/** Arrival of each row at the server, ms after the first arrival, and the end of each response. */
function arrivals(srv: FaultServer): Map<string, number> {
  const first = Math.min(...srv.requests.map((r) => r.arrivedMs));
  const out = new Map<string, number>();
  for (const r of srv.requests) {
    const tag = /row (u\dt\d)/.exec(r.body)?.[1];
    if (tag) out.set(tag, r.arrivedMs - first);
  }
  return out;
}

test('fixed schedule: mmload and AIPerf send a trace at its timestamps and delays', {
  timeout: 300_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-trace-'));
  const path = join(dir, 'trace.jsonl');
  await writeFile(path, `${TRACE.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const aiperf = locateAiperf();
  const server = () => startFaultServer({ behaviour: 'ok', tokens: 4, itlMs: 10 });

  const mmSrv = await server();
  let mm: Map<string, number>;
  try {
    // A process of its own, as a user runs it: the server's arrival stamps share no event loop with it.
    const out = join(dir, 'mmload');
    const r = await runCli([
      'run',
      path,
      '--url',
      mmSrv.url,
      '--fixed-schedule',
      '--fixed-schedule-auto-offset',
      '--max-tokens',
      '8',
      '--artifact-dir',
      out,
      '--quiet',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(await readFile(join(out, 'profile_export_mmload.json'), 'utf8'));
    assert.equal(s.request_count.avg, 6);
    assert.ok(s.mmload_corrected_time_to_first_token, 'latencies from the planned time');
    mm = arrivals(mmSrv);
  } finally {
    await mmSrv.close();
  }

  const aiSrv = await server();
  let ai: Map<string, number>;
  try {
    const artifactDir = join(dir, 'aiperf');
    const r = await runAiperf({
      executable: aiperf.path,
      command: buildAiperfCommand({
        url: aiSrv.url,
        model: 'fault-model',
        datasetPath: path,
        fixedSchedule: { autoOffset: true },
        tokenizer: PROJECT_TOKENIZER_DIR,
        artifactDir,
        datasetTimeoutS: 300,
      }),
      artifactDir,
      timeoutMs: 240_000,
    });
    assert.ok(r.summaryPath, `AIPerf wrote no summary; see ${r.logPath}`);
    ai = arrivals(aiSrv);
  } finally {
    await aiSrv.close();
  }

  // Stamped rows leave at their trace time: measured from u1t0 (trace 1300 ms), so that neither
  // tool's first request, which opens a connection and warms its HTTP client, shifts the others.
  const from = (m: Map<string, number>, tag: string, base: string) => m.get(tag)! - m.get(base)!;
  const shown = `mmload ${JSON.stringify(Object.fromEntries(mm))}, AIPerf ${JSON.stringify(Object.fromEntries(ai))}`;
  // u0t0 is each tool's first request of the process: a looser bound.
  assert.ok(Math.abs(from(mm, 'u0t0', 'u1t0') + 300) < 60, `mmload u0t0: ${shown}`);
  for (const [tag, planned] of [
    ['u2t0', 300],
    ['u1t1', 400],
  ] as const) {
    assert.ok(
      Math.abs(from(mm, tag, 'u1t0') - planned) < 15,
      `mmload ${tag}, planned ${planned} from u1t0: ${shown}`,
    );
    assert.ok(
      Math.abs(from(ai, tag, 'u1t0') - planned) < 50,
      `AIPerf ${tag}, planned ${planned} from u1t0: ${shown}`,
    );
  }
  // Relative rows follow their previous turn's completion (4 tokens at 10 ms: 40 ms at least),
  // and the two tools agree on when they left.
  for (const [tag, after, gap] of [
    ['u0t1', 'u0t0', 150],
    ['u2t1', 'u2t0', 0],
  ] as const) {
    const m = from(mm, tag, after);
    assert.ok(m > gap + 40 && m < gap + 150, `mmload ${tag} after ${after}: ${shown}`);
    assert.ok(Math.abs(m - from(ai, tag, after)) < 50, `${tag} after ${after}: ${shown}`);
  }
});
