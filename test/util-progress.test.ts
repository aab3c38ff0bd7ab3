import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProgress, plainIntervalFromEnv } from '../src/util/progress.js';
import { mmload } from './cli-helpers.js';
import { smallDataset } from './driver-helpers.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 40, write: (s: string) => writes.push(s) } };
}

test('without a terminal: from the first update, a plain line per period, no \\r, the final figures at done', async () => {
  const { writes, stream } = fakeStream(false);
  let n = 0;
  const p = createProgress(() => `step ${n}`, { enabled: true, plainIntervalMs: 40, stream });
  await sleep(100);
  assert.equal(writes.length, 0, 'nothing before the first figures');
  n = 1;
  p.update();
  // No more update() calls: a stalled job still prints.
  await sleep(150);
  const before = writes.length;
  assert.ok(before >= 2 && before <= 4, `${before} lines in 150 ms at 40 ms`);
  assert.ok(writes.every((w) => w === 'step 1\n'));
  n = 2;
  p.done('summary');
  p.done('again');
  await sleep(100);
  assert.deepEqual(writes.slice(before), ['step 2\n', 'summary\n']);
  assert.ok(writes.every((w) => !w.includes('\r') && w.endsWith('\n')));
});

test('without a terminal: a job shorter than one period prints only its summary', () => {
  const { writes, stream } = fakeStream(false);
  const p = createProgress(() => 'x', { enabled: true, plainIntervalMs: 10_000, stream });
  p.update();
  p.done('wrote it');
  assert.deepEqual(writes, ['wrote it\n']);
});

test('--quiet (enabled: false) prints nothing, terminal or not', async () => {
  for (const tty of [false, true]) {
    const { writes, stream } = fakeStream(tty);
    const p = createProgress(() => 'x', { enabled: false, plainIntervalMs: 10, stream });
    p.update();
    await sleep(40);
    p.done('summary');
    assert.deepEqual(writes, []);
  }
});

test('on a terminal: one line redrawn with \\r, throttled, padded to the width', () => {
  const { writes, stream } = fakeStream(true);
  const p = createProgress(() => 'abc', { enabled: true, intervalMs: 60_000, stream });
  p.update();
  p.update();
  assert.deepEqual(writes, [`\r${'abc'.padEnd(39)}`]);
  p.done('end');
  assert.deepEqual(writes.slice(1), [`\r${'abc'.padEnd(39)}`, '\n', 'end\n']);
});

test('MMLOAD_PROGRESS_INTERVAL_MS sets the period; 5 s otherwise', () => {
  assert.equal(plainIntervalFromEnv({ MMLOAD_PROGRESS_INTERVAL_MS: '250' }), 250);
  assert.equal(plainIntervalFromEnv({ MMLOAD_PROGRESS_INTERVAL_MS: 'soon' }), 5000);
  assert.equal(plainIntervalFromEnv({}), 5000);
});

const FAST = { MMLOAD_PROGRESS_INTERVAL_MS: '50' };

test('generate and run without a terminal print plain progress lines on stderr; --quiet only the final line', async () => {
  const { dir, path } = await smallDataset(3, 4);
  try {
    const gen = ['generate', '-o', join(dir, 'g.jsonl'), '--users', '3', '--turns', '4', '--window', '3'];
    const size = ['--image-size', '800x600', '--threads', '1', '--force'];
    let r = await mmload([...gen, ...size], { env: FAST });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stderr.includes('\r'));
    const g = r.stderr.trimEnd().split('\n');
    assert.ok(g.length >= 2, r.stderr);
    assert.ok(
      g.slice(0, -1).every((l) => /^generate: rows [1-9]\d*\/12 /.test(l)),
      r.stderr,
    );
    assert.match(g.at(-1)!, /^wrote .*g\.jsonl: 12 rows/);
    r = await mmload([...gen, ...size, '--quiet'], { env: FAST });
    assert.equal(r.code, 0);
    // --quiet: errors and the final summary line only.
    assert.match(r.stderr, /^wrote .*g\.jsonl: 12 rows[^\n]*\n$/);

    const run = ['run', path, '--max-tokens', '8', '--mock-itl-ms', '25', '--concurrency', '3'];
    r = await mmload([...run, '--artifact-dir', join(dir, 'r1')], { env: FAST });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stderr.includes('\r'));
    const lines = r.stderr.split('\n').filter((l) => / done, \d+ in flight, \d+ failed/.test(l));
    assert.ok(lines.length >= 2, r.stderr);
    assert.ok(
      lines.every((l) => /^\w+ \d+\/12 done, \d+ in flight, 0 failed \| [\d.]+ req\/s \| TTFT p50 /.test(l)),
      r.stderr,
    );
    r = await mmload([...run, '--artifact-dir', join(dir, 'r2'), '--quiet'], { env: FAST });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, / in flight/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
