import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { BodyError, ingestBody, ingestBodyByParse } from '../src/mock/body.js';
import { startMock } from '../src/mock/server.js';
import { chatBody, post } from './mock-helpers.js';

function noiseDataUrl(bytes: number): string {
  return `data:image/png;base64,${randomBytes(bytes).toString('base64')}`;
}

test('the byte scan finds the same images and fields as a whole-body JSON.parse', () => {
  const images = [noiseDataUrl(40_000), noiseDataUrl(50_000), noiseDataUrl(10)];
  const text = 'quote \\"data:not-an-image\\" and "data: inside text';
  const body = Buffer.from(JSON.stringify(chatBody(text, { max_tokens: 3 }, images)));
  assert.ok(body.length > 64 * 1024, 'large enough to take the scan path');
  const scanned = ingestBody(body);
  const parsed = ingestBodyByParse(body);
  assert.deepEqual(scanned.imageHashes, parsed.imageHashes);
  assert.equal(scanned.imageHashes.length, 3);
  const j = scanned.json as { messages: { content: { text?: string }[] }[]; max_tokens: number };
  assert.equal(j.messages[0]!.content[0]!.text, text);
  assert.equal(j.max_tokens, 3);
});

test('a large body that is not valid JSON outside the images is still rejected', () => {
  const body = Buffer.from(`{"messages":[{"content":"${noiseDataUrl(100_000)}"}],,}`);
  assert.throws(() => ingestBody(body), BodyError);
});

test('a 60 MB request (five 12 MB images) is answered, and repeated images hit the cache', async () => {
  const m = await startMock({ imageTokens: 10 });
  try {
    const images = Array.from({ length: 5 }, () => noiseDataUrl(9_000_000));
    const body = JSON.stringify(chatBody('big body', { max_tokens: 2, ignore_eos: true }, images));
    assert.ok(body.length >= 60_000_000);
    const r1 = await post(m.url, body);
    assert.equal(r1.status, 200);
    const j = JSON.parse(r1.chunks.map((c) => c.text).join(''));
    assert.equal(j.usage.prompt_tokens, 2 + 50);
    const r2 = await post(m.url, body);
    assert.equal(r2.status, 200);
    const [a, b] = m.records();
    assert.deepEqual([a!.imageHits, a!.imageMisses, b!.imageHits, b!.imageMisses], [0, 5, 5, 0]);
  } finally {
    await m.close();
  }
});

test('bodies over maxBodyBytes are answered 413 and the server keeps serving', async () => {
  const m = await startMock({ maxBodyBytes: 1000 });
  try {
    try {
      const r = await post(m.url, JSON.stringify(chatBody('x'.repeat(5000))));
      assert.equal(r.status, 413);
    } catch (err) {
      // The server may close before the client has sent everything: still a refusal.
      assert.match(String((err as Error).message), /other side closed|ECONNRESET|EPIPE|socket/i);
    }
    assert.equal(m.stats().badRequests, 1);
    assert.equal((await post(m.url, chatBody('small', { max_tokens: 1 }))).status, 200);
  } finally {
    await m.close();
  }
});
