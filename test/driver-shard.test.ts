import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createShardFilter, parseShard, shardFromEnv } from '../src/driver/shard.js';
import { parseStartAt } from '../src/driver/start-at.js';
import { UserError } from '../src/util/errors.js';

/** Session ids of the recipe's file order: turn-interleaved rows of `users` users. */
function fileOrder(users: number, turns: number): string[] {
  const ids: string[] = [];
  for (let t = 0; t < turns; t++) for (let u = 0; u < users; u++) ids.push(`user_${u}`);
  return ids;
}

test('shards partition whole sessions, balanced within one session', () => {
  for (const [users, count] of [
    [30, 4],
    [7, 3],
    [2, 5],
  ] as const) {
    const rows = fileOrder(users, 3);
    const owner = new Map<string, number>();
    const rowsPerShard: number[] = [];
    for (let index = 0; index < count; index++) {
      const keep = createShardFilter({ index, count });
      const mine = rows.filter(keep);
      rowsPerShard.push(mine.length);
      for (const s of mine) {
        const prev = owner.get(s);
        assert.ok(prev === undefined || prev === index, `${s} in shards ${prev} and ${index}`);
        owner.set(s, index);
      }
    }
    assert.equal(owner.size, users, 'every session lands in some shard');
    assert.equal(
      rowsPerShard.reduce((a, b) => a + b, 0),
      rows.length,
    );
    const sessions = Array.from(
      { length: count },
      (_, i) => [...owner.values()].filter((o) => o === i).length,
    );
    assert.ok(Math.max(...sessions) - Math.min(...sessions) <= 1, `unbalanced: ${sessions}`);
  }
});

test('parseShard and the Indexed Job environment', () => {
  assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
  for (const bad of ['3/3', '1', 'a/b', '0/0', '-1/2']) assert.throws(() => parseShard(bad), UserError, bad);
  assert.equal(shardFromEnv({}), undefined);
  assert.deepEqual(shardFromEnv({ JOB_COMPLETION_INDEX: '1', MMLOAD_SHARD_COUNT: '4' }), {
    index: 1,
    count: 4,
  });
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '1' }), /MMLOAD_SHARD_COUNT/);
});

test('parseStartAt accepts ISO, epoch seconds and +seconds', () => {
  assert.equal(parseStartAt('2026-11-24T15:00:00Z', 0), Date.UTC(2026, 10, 24, 15));
  assert.equal(parseStartAt('1700000000', 0), 1_700_000_000_000);
  assert.equal(parseStartAt('+2.5', 1000), 3500);
  assert.throws(() => parseStartAt('soon', 0), /--start-at/);
});
