// The run engine's phases, state and finish step with fakes: no socket, no disk.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXIT, exitCode } from '../src/driver/finish.js';
import { armGraceDeadline, InFlight, runProfiling, runWarmup } from '../src/driver/phases.js';
import { RunState } from '../src/driver/run-state.js';
import type { Summary } from '../src/metrics/summary.js';
import { UserError } from '../src/util/errors.js';
import { FakeClock, FakeSender, FakeSource, row, settle } from './engine-fakes.js';

test('run state: the first stop reason is kept and the stop signal fires once', () => {
  const s = new RunState();
  let fired = 0;
  s.stopSignal.addEventListener('abort', () => fired++);
  assert.equal(s.stopping, false);
  s.stop('--duration 2 s reached');
  s.stop('stopped by SIGINT');
  assert.equal(s.stopReason, '--duration 2 s reached');
  assert.equal(fired, 1);
});

test('grace deadline: armed by the first stop, cancels what is still in flight after the grace, never before', async () => {
  const clock = new FakeClock();
  const state = new RunState();
  const cancelled: number[] = [];
  armGraceDeadline(state, 1000, clock, (n) => cancelled.push(n));
  await clock.advance(5000);
  assert.deepEqual(cancelled, [], 'no stop, no deadline');
  state.inFlight = 3;
  state.stop('stopped by SIGTERM');
  await clock.advance(999);
  assert.deepEqual(cancelled, []);
  await clock.advance(1);
  assert.deepEqual(cancelled, [3]);
});

test('grace deadline: disarmed at the normal end, it never fires', async () => {
  const clock = new FakeClock();
  const state = new RunState();
  const cancelled: number[] = [];
  const disarm = armGraceDeadline(state, 1000, clock, (n) => cancelled.push(n));
  state.stop('stopped by SIGINT');
  await clock.advance(500);
  disarm();
  await clock.advance(1000);
  assert.deepEqual(cancelled, []);
});

test('warm-up: the rows go with the given concurrency and stop with the run', async () => {
  const clock = new FakeClock();
  const sender = new FakeSender(clock, 10);
  const state = new RunState();
  const rows = [row('a', 0), row('b', 0), row('c', 0), row('d', 0)];
  const session = { id: 'w', ordinal: 0 };
  const p = runWarmup(rows, 2, state, (r) => sender.send({ row: r, session, turn: 0 }));
  await settle();
  await clock.advance(5);
  state.stop('stopped by SIGINT');
  await clock.advance(20);
  await p;
  assert.equal(sender.sent.length, 2, 'the second pair never left');
  assert.equal(sender.maxInFlight, 2);
});

test('profiling: a schedule that fails stops the run, lets in-flight requests settle, then rethrows', async () => {
  const clock = new FakeClock();
  const sender = new FakeSender(clock, 50);
  const state = new RunState();
  const inFlight = new InFlight();
  const bad = new UserError('fake.jsonl:7 field "images": not an image', 2);
  let settled = false;
  const p = runProfiling(
    {
      async run(ctx) {
        void inFlight.track(ctx.send({ row: row('a', 0), session: { id: 'a', ordinal: 0 }, turn: 0 }));
        throw bad;
      },
    },
    { source: new FakeSource([], 0), send: sender.send, clock },
    state,
    inFlight,
    undefined,
  ).then(
    () => assert.fail('should reject'),
    (err) => {
      settled = true;
      return err;
    },
  );
  await settle();
  assert.equal(state.stopReason, bad.message);
  assert.equal(settled, false, 'waits for the request in flight');
  await clock.advance(50);
  assert.equal(await p, bad);
  assert.equal(state.phase, 'drain');
});

function summary(ok: number, errors: Record<string, number>): Summary {
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  return { source: 'mmload', label: 'x', metrics: {}, requestCount: ok, errorCount, errorsByKind: errors };
}

test('exit codes: signals, failures, cancelled at the deadline, no success, unwritten results, bad input', () => {
  const base = { maxErrorRate: 0, unwritten: 0 };
  assert.equal(exitCode({ ...base, summary: summary(10, {}) }), EXIT.ok);
  assert.equal(exitCode({ ...base, summary: summary(9, { http: 1 }) }), EXIT.failed);
  assert.equal(exitCode({ ...base, maxErrorRate: 0.2, summary: summary(9, { http: 1 }) }), EXIT.ok);
  // Cancelled by the run's own deadline: counted, not held against the server.
  assert.equal(exitCode({ ...base, summary: summary(9, { cancelled: 2 }) }), EXIT.ok);
  assert.equal(
    exitCode({ ...base, summary: summary(0, { cancelled: 2 }) }),
    EXIT.failed,
    'nothing succeeded',
  );
  assert.equal(exitCode({ ...base, summary: summary(10, {}), signal: 'SIGTERM' }), 143);
  assert.equal(exitCode({ ...base, summary: summary(10, {}), signal: 'SIGINT' }), 130);
  assert.equal(exitCode({ ...base, summary: summary(10, {}), unwritten: 1 }), EXIT.ioError);
  assert.equal(exitCode({ ...base, summary: summary(9, { http: 1 }), unwritten: 1 }), EXIT.ioError);
  assert.equal(exitCode({ ...base, summary: summary(0, {}), fatal: new UserError('bad line', 2) }), 2);
});
