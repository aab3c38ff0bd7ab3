import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  firstUseOrder,
  imageCount,
  isFirstUse,
  lastUse,
  nthNewImage,
  planRows,
  rowAt,
  validateShape,
  windowSlot,
} from '../src/dataset/plan.js';
import { UserError } from '../src/util/errors.js';

test('recipe shape: 240 rows interleaved by turn, 12 images per user, 360 in all', () => {
  const s = { users: 30, turns: 8, window: 5 };
  const rows = planRows(s);
  assert.equal(rows.length, 240);
  assert.equal(imageCount(s), 360);
  rows.forEach((r, i) => {
    assert.equal(r.index, i);
    assert.equal(i, r.turn * 30 + r.user);
    assert.equal(r.sessionId, `user_${r.user}`);
  });
  assert.deepEqual(rows[3 * 30 + 7]!.imageIds, [87, 88, 89, 90, 91]); // user 7 turn 3: 7*12+3 ..
  assert.deepEqual(rows[239]!.imageIds, [355, 356, 357, 358, 359]);
});

for (const s of [
  { users: 30, turns: 8, window: 5 },
  { users: 1, turns: 1, window: 1 },
  { users: 3, turns: 4, window: 1 },
  { users: 2, turns: 5, window: 3 },
  { users: 4, turns: 3, window: 2 },
]) {
  test(`shape ${s.users}u ${s.turns}t ${s.window}w: window-1 reuse, disjoint users, every image used`, () => {
    const rows = planRows(s);
    assert.equal(rows.length, s.users * s.turns);
    const perUser = new Map<number, number[][]>();
    for (const r of rows) {
      assert.equal(r.imageIds.length, s.window);
      assert.equal(new Set(r.imageIds).size, s.window);
      const list = perUser.get(r.user) ?? [];
      list.push(r.imageIds);
      perUser.set(r.user, list);
    }
    const owners = new Map<number, number>();
    for (const [user, turns] of perUser) {
      assert.equal(turns.length, s.turns);
      for (let t = 1; t < turns.length; t++) {
        const prev = new Set(turns[t - 1]);
        const shared = turns[t]!.filter((id) => prev.has(id)).length;
        assert.equal(shared, s.window - 1, `user ${user} turn ${t} shares ${shared}`);
      }
      for (const ids of turns) for (const id of ids) assert.equal(owners.get(id) ?? user, user);
      for (const ids of turns) for (const id of ids) owners.set(id, user);
    }
    const order = firstUseOrder(rows);
    assert.equal(order.length, imageCount(s));
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      Array.from({ length: imageCount(s) }, (_, i) => i),
    );
    const last = lastUse(rows);
    assert.equal(last.size, imageCount(s));
  });

  test(`shape ${s.users}u ${s.turns}t ${s.window}w: the streamed plan is the listed one`, () => {
    const rows = planRows(s);
    const order = firstUseOrder(rows);
    // The n-th new image, computed alone, is the n-th of the list.
    assert.deepEqual(
      order.map((_, n) => nthNewImage(s, n)),
      order,
    );
    const seen = new Set<number>();
    // Which slot each live image sits in: an image is never overwritten before its last use.
    const slotHolder = new Map<number, number>();
    const last = lastUse(rows);
    for (const r of rows) {
      assert.deepEqual(rowAt(s, r.index), r);
      for (const [k, id] of r.imageIds.entries()) {
        assert.equal(isFirstUse(s, r.turn, k), !seen.has(id), `row ${r.index} image ${k}`);
        seen.add(id);
        const slot = windowSlot(s, id);
        assert.ok(slot >= 0 && slot < s.users * s.window);
        const holder = slotHolder.get(slot);
        if (holder !== undefined && holder !== id) {
          assert.ok(last.get(holder)! < r.index, `image ${id} overwrites ${holder} still in use`);
        }
        slotHolder.set(slot, id);
      }
    }
  });
}

test('text-only plan: same rows and sessions, no images', () => {
  const s = { users: 3, turns: 2, window: 4, imagesPerRow: 0 };
  const rows = planRows(s);
  assert.equal(rows.length, 6);
  assert.equal(imageCount(s), 0);
  for (const r of rows) assert.deepEqual(r.imageIds, []);
  assert.deepEqual(
    rows.map((r) => r.sessionId),
    planRows({ users: 3, turns: 2, window: 4 }).map((r) => r.sessionId),
  );
  assert.throws(
    () => validateShape({ ...s, imagesPerRow: 2 }),
    /must be 0 \(text-only rows\) or the window \(4\)/,
  );
  validateShape({ ...s, imagesPerRow: 4 });
});

test('a plan past 2^53 image ids is refused, not numbered wrongly', () => {
  assert.throws(
    () => validateShape({ users: 2 ** 40, turns: 2 ** 20, window: 1 }),
    /too many rows to number/,
  );
});

test('bad shapes are user errors', () => {
  for (const s of [
    { users: 0, turns: 1, window: 1 },
    { users: 1, turns: 1.5, window: 1 },
    { users: 1, turns: 1, window: Number.NaN },
  ]) {
    assert.throws(() => validateShape(s), UserError);
  }
});
