import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ENCODE_HERE_BYTES, encodeDataUrl } from '../src/driver/image-encoder.js';
import { dataUrlBytes } from '../src/util/data-url.js';

const expected = (format: string, data: Buffer) => `data:image/${format};base64,${data.toString('base64')}`;

test('data URLs: small images encoded in place, large ones on the encoder thread, byte for byte the same', async () => {
  const small = randomBytes(1000);
  const large = randomBytes(ENCODE_HERE_BYTES * 4 + 1);
  assert.equal(dataUrlBytes('data:image/png;base64,', small).toString('latin1'), expected('png', small));
  assert.equal((await encodeDataUrl('jpeg', small)).toString('latin1'), expected('jpeg', small));
  // Several at once, answered by id whatever the order.
  const many = Array.from({ length: 5 }, () => randomBytes(ENCODE_HERE_BYTES + 7));
  const urls = await Promise.all([large, ...many].map((d) => encodeDataUrl('png', d)));
  assert.equal(urls[0]!.toString('latin1'), expected('png', large));
  for (const [i, d] of many.entries()) assert.equal(urls[i + 1]!.toString('latin1'), expected('png', d));
  assert.equal(large.length, ENCODE_HERE_BYTES * 4 + 1, 'without handOver the caller keeps its buffer');
});

test('data URLs: a buffer handed over is moved to the thread, not copied (a pool slice is copied)', async () => {
  const own = Buffer.from(randomBytes(ENCODE_HERE_BYTES * 2));
  const want = expected('webp', own);
  const url = await encodeDataUrl('webp', own, true);
  assert.equal(url.toString('latin1'), want);
  assert.equal(own.length, 0, 'moved: the caller gave it away');
  const backing = randomBytes(ENCODE_HERE_BYTES * 3);
  const view = backing.subarray(10, ENCODE_HERE_BYTES * 2);
  assert.equal((await encodeDataUrl('png', view, true)).toString('latin1'), expected('png', view));
  assert.equal(backing.length, ENCODE_HERE_BYTES * 3, 'a view of a larger buffer is left alone');
});
