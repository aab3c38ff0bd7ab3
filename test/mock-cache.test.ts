import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ImageCache } from '../src/mock/image-cache.js';
import { mulberry32 } from '../src/mock/rng.js';
import { startMock } from '../src/mock/server.js';
import { chatBody, post } from './mock-helpers.js';

const USERS = 4;
const TURNS = 3;
const WINDOW = 2;
const PER_USER = WINDOW + TURNS - 1;

/** A small sliding-window dataset in the recipe's interleaved file order (line = turn * USERS + user). */
function rows(): { user: number; turn: number; body: Record<string, unknown> }[] {
  const out = [];
  for (let turn = 0; turn < TURNS; turn++) {
    for (let user = 0; user < USERS; user++) {
      const images = Array.from(
        { length: WINDOW },
        (_, k) => `data:image/png;base64,img${user * PER_USER + turn + k}`,
      );
      out.push({ user, turn, body: chatBody(`user_${user} turn ${turn}`, { max_tokens: 1 }, images) });
    }
  }
  return out;
}

async function replay(order: ReturnType<typeof rows>): Promise<{ hits: number[]; total: number }> {
  // Capacity = the live windows of all users: enough for session order, as a real cache sized for the load.
  const m = await startMock({ cacheCapacity: USERS * WINDOW });
  try {
    for (const r of order) {
      const res = await post(m.url, r.body, { 'x-session-id': `user_${r.user}` });
      assert.equal(res.status, 200);
    }
    const recs = m.records();
    assert.equal(recs.length, order.length);
    assert.equal(recs[0]!.sessionId, `user_${order[0]!.user}`);
    return { hits: recs.map((r) => r.imageHits), total: m.stats().imageHits };
  } finally {
    await m.close();
  }
}

test('session-ordered replay: window-1 hits per turn after the first, none on the first', async () => {
  const data = rows();
  const { hits, total } = await replay(data);
  data.forEach((r, i) => {
    assert.equal(hits[i], r.turn === 0 ? 0 : WINDOW - 1, `user ${r.user} turn ${r.turn}`);
  });
  assert.equal(total, USERS * (TURNS - 1) * (WINDOW - 1));
});

test('a shuffled replay shows fewer hits', async () => {
  const data = rows();
  const rand = mulberry32(7);
  for (let i = data.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [data[i], data[j]] = [data[j]!, data[i]!];
  }
  const { total } = await replay(data);
  assert.ok(total < USERS * (TURNS - 1) * (WINDOW - 1), `shuffled hits ${total}`);
});

test('LRU evicts the least recently used image; capacity 0 disables the cache', () => {
  const c = new ImageCache(2);
  assert.equal(c.touch('a'), false);
  assert.equal(c.touch('b'), false);
  assert.equal(c.touch('a'), true); // a is now most recent
  assert.equal(c.touch('c'), false); // evicts b
  assert.equal(c.touch('a'), true);
  assert.equal(c.touch('b'), false);
  assert.equal(c.size, 2);
  const off = new ImageCache(0);
  off.touch('a');
  assert.equal(off.touch('a'), false);
  assert.equal(off.misses, 2);
});
