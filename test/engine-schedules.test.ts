// The schedules of the run engine, driven by a fake clock and a fake sender: no socket, no disk.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concurrencySchedule } from '../src/driver/schedules/concurrency.js';
import { fixedSchedule } from '../src/driver/schedules/fixed.js';
import { rateSchedule } from '../src/driver/schedules/rate.js';
import type { Schedule, ScheduleContext } from '../src/driver/schedules/schedule.js';
import { FakeClock, FakeSender, FakeSource, row, settle } from './engine-fakes.js';

function context(
  clock: FakeClock,
  sender: FakeSender,
  source: FakeSource,
  stop = new AbortController(),
  budget = Number.POSITIVE_INFINITY,
): ScheduleContext {
  return {
    source,
    send: sender.send,
    mayStart: () => !stop.signal.aborted && sender.sent.length < budget,
    inFlight: () => sender.inFlight,
    clock,
    stopped: stop.signal,
    startNs: clock.nowNs(),
  };
}

/** Runs a schedule to its end, advancing fake time 1 ms at a time. */
async function runToEnd(
  schedule: Schedule,
  ctx: ScheduleContext,
  clock: FakeClock,
  limitMs = 10_000,
): Promise<void> {
  let done = false;
  const p = schedule.run(ctx).then(() => {
    done = true;
  });
  await settle();
  for (let t = 0; !done && t < limitMs; t++) await clock.advance(1);
  await p;
}

const ms = (ns: number) => ns / 1e6;

test('concurrency: at most C sessions in flight, each turn after the previous completed, sessions in file order', async () => {
  const clock = new FakeClock();
  const sender = new FakeSender(clock, 10);
  const sessions = ['user_0', 'user_1', 'user_2', 'user_3', 'user_4'];
  await runToEnd(concurrencySchedule(2), context(clock, sender, new FakeSource(sessions, 3)), clock);
  assert.equal(sender.sent.length, 15);
  assert.equal(sender.maxInFlight, 2);
  // Sessions start in file order.
  const firstSend = sessions.map((s) => sender.sent.findIndex((r) => r.session.id === s));
  assert.deepEqual(
    [...firstSend].sort((a, b) => a - b),
    firstSend,
  );
  for (const s of sessions) {
    const turns = sender.sent.filter((r) => r.session.id === s);
    assert.deepEqual(
      turns.map((r) => r.turn),
      [0, 1, 2],
    );
    // Fake latency 10 ms: each turn leaves exactly when the previous one completed.
    for (let i = 1; i < turns.length; i++) assert.equal(ms(turns[i]!.atNs - turns[i - 1]!.atNs), 10);
  }
  // Two slots, whole sessions of 3 x 10 ms, no gap: a,b then c,d then e alone.
  assert.equal(ms(Math.max(...sender.completedAt)), 90);
});

test('concurrency: the request budget (--request-count) cuts sessions short', async () => {
  const clock = new FakeClock();
  const sender = new FakeSender(clock, 5);
  await runToEnd(
    concurrencySchedule(2),
    context(clock, sender, new FakeSource(['a', 'b', 'c'], 3), new AbortController(), 4),
    clock,
  );
  assert.equal(sender.sent.length, 4);
});

test('rate: sends follow the plan; a session that is still waiting makes the send late, not early', async () => {
  const clock = new FakeClock();
  const sender = new FakeSender(clock, 40);
  const plan = [0, 25e6, 50e6, 75e6];
  // One session of 4 turns: turn 1 is planned at 25 ms but turn 0 completes at 40 ms.
  await runToEnd(
    rateSchedule(plan, Number.POSITIVE_INFINITY),
    context(clock, sender, new FakeSource(['a'], 4)),
    clock,
  );
  assert.deepEqual(
    sender.sent.map((r) => ms(r.intendedNs!)),
    [0, 25, 50, 75],
  );
  assert.deepEqual(
    sender.sent.map((r) => ms(r.atNs)),
    [0, 40, 80, 120],
  );
});

test('rate: independent sessions leave exactly on the plan; the in-flight cap delays sends', async () => {
  const clock = new FakeClock();
  const sender = new FakeSender(clock, 30);
  const plan = [0, 10e6, 20e6, 30e6, 40e6];
  await runToEnd(
    rateSchedule(plan, 2),
    context(clock, sender, new FakeSource(['a', 'b', 'c', 'd', 'e'], 1)),
    clock,
  );
  assert.equal(sender.maxInFlight, 2);
  // 0 and 10 leave on time; 20 waits for the first completion (30), 30 for the second (40), 40 for the third (60).
  assert.deepEqual(
    sender.sent.map((r) => ms(r.atNs)),
    [0, 10, 30, 40, 60],
  );
});

test('rate: a stop wakes the schedule while it sleeps until the next planned send', async () => {
  const clock = new FakeClock();
  const sender = new FakeSender(clock, 1);
  const stop = new AbortController();
  let done = false;
  const p = rateSchedule([0, 60_000e6], 10)
    .run(context(clock, sender, new FakeSource(['a', 'b'], 1), stop))
    .then(() => {
      done = true;
    });
  await settle();
  await clock.advance(5);
  assert.equal(sender.sent.length, 1);
  assert.equal(done, false, 'sleeping until 60 s');
  stop.abort();
  await settle();
  await p;
  assert.equal(done, true);
  assert.equal(sender.sent.length, 1, 'nothing sent after the stop');
});

test('fixed schedule: first turns at their timestamps from the auto-offset zero, later turns at theirs or after their delay', async () => {
  const clock = new FakeClock();
  const sender = new FakeSender(clock, 30);
  // Two sessions: b starts at trace time 1000 (zero), a at 1100. a's turn 1 is stamped 1120
  // (before its turn 0 completes at 1130: late); b's turn 1 has a 50 ms delay, b's turn 2 none.
  const rows = (s: string) =>
    s === 'a'
      ? [row('a', 0, { timestampMs: 1100 }), row('a', 1, { timestampMs: 1120 })]
      : [row('b', 0, { timestampMs: 1000 }), row('b', 1, { delayMs: 50 }), row('b', 2)];
  await runToEnd(
    fixedSchedule({
      firstTimestampMs: new Map([
        ['a', 1100],
        ['b', 1000],
      ]),
      autoOffset: true,
      maxInFlight: Number.POSITIVE_INFINITY,
    }),
    context(clock, sender, new FakeSource(['a', 'b'], rows)),
    clock,
  );
  const at = (s: string) =>
    sender.sent.filter((r) => r.session.id === s).map((r) => [ms(r.atNs), ms(r.intendedNs!)]);
  // [sent, planned]
  assert.deepEqual(at('b'), [
    [0, 0],
    [80, 80],
    [110, 110],
  ]);
  assert.deepEqual(at('a'), [
    [100, 100],
    [130, 120],
  ]);
});

test('fixed schedule: start and end offsets keep a window of the trace; zero is the start offset', async () => {
  const clock = new FakeClock();
  const sender = new FakeSender(clock, 5);
  const rows = (s: string) => {
    const t0 = { a: 0, b: 500, c: 900 }[s]!;
    return [row(s, 0, { timestampMs: t0 }), row(s, 1, { timestampMs: t0 + 200 })];
  };
  await runToEnd(
    fixedSchedule({
      firstTimestampMs: new Map([
        ['a', 0],
        ['b', 500],
        ['c', 900],
      ]),
      autoOffset: false,
      startOffsetMs: 400,
      endOffsetMs: 1000,
      maxInFlight: Number.POSITIVE_INFINITY,
    }),
    context(clock, sender, new FakeSource(['a', 'b', 'c'], rows)),
    clock,
  );
  // a starts before the window; c's second turn (1100) is after it.
  assert.deepEqual(
    sender.sent.map((r) => `${r.session.id}${r.turn}@${ms(r.atNs)}`),
    ['b0@100', 'b1@300', 'c0@500'],
  );
});
