import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { BodyError, BodyIngest, ImageFingerprint, ingestBody, ingestBodyByParse } from '../src/mock/body.js';
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

test('fed in pieces as they arrive, any split gives what the whole body gives (escapes and split markers included)', () => {
  // An escaped quote inside a URL, an escaped "data: in text, a backslash pair before a quote.
  const odd = 'data:image/png;base64,AAA\\"BBB\\\\';
  const text = 'he said \\"data:x\\" then nothing';
  const raw = `{"messages":[{"role":"user","content":[{"type":"text","text":"${text}"},{"type":"image_url","image_url":{"url":"${noiseDataUrl(3000)}"}},{"type":"image_url","image_url":{"url":"${odd}"}},{"type":"image_url","image_url":{"url":"${noiseDataUrl(70)}"}}]}],"max_tokens":3}`;
  const body = Buffer.from(raw);
  const whole = ingestBody(body);
  assert.equal(whole.imageHashes.length, 3);
  const parsed = ingestBodyByParse(body);
  assert.deepEqual(whole.json, JSON.parse(JSON.stringify(whole.json)));
  assert.equal((parsed.json as { max_tokens: number }).max_tokens, 3);
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let trial = 0; trial < 200; trial++) {
    const b = new BodyIngest();
    for (let pos = 0; pos < body.length; ) {
      // Mostly tiny pieces, so that every marker and escape is split somewhere.
      const n = 1 + Math.floor(rnd() ** 3 * 200);
      b.feed(body.subarray(pos, pos + n));
      pos += n;
    }
    assert.deepEqual(b.end(), whole, `trial ${trial}`);
  }
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

test('uploads arriving together are paced a few reads per turn, each still read whole: 8 x 12 MB at once', async () => {
  const m = await startMock({ imageTokens: 10 });
  try {
    const images = Array.from({ length: 8 }, () => noiseDataUrl(9_000_000));
    // Each body names its own image and one image all of them share.
    const bodies = images.map((img, i) =>
      JSON.stringify(chatBody(`upload ${i}`, { max_tokens: 2, ignore_eos: true }, [img, images[0]!])),
    );
    const rs = await Promise.all(bodies.map((b) => post(m.url, b)));
    for (const r of rs) {
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.chunks.map((c) => c.text).join('')).usage.prompt_tokens, 2 + 20);
    }
    const recs = m.records();
    assert.equal(recs.length, 8);
    // 8 distinct images seen: every body was scanned to its end, none cut by a pause.
    assert.equal(m.stats().imageMisses + m.stats().imageHits, 16);
    assert.ok(m.stats().imageMisses >= 8 && m.stats().imageMisses <= 9, JSON.stringify(m.stats()));
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

test('image identity from the ends: two PNGs that differ in one pixel in the middle differ; the same image does not', async () => {
  const { default: sharp } = await import('sharp');
  const w = 800;
  const h = 600;
  const pixels = randomBytes(w * h * 3);
  const png = (p: Buffer) =>
    sharp(p, { raw: { width: w, height: h, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
  const a = await png(pixels);
  const changed = Buffer.from(pixels);
  const mid = (h / 2) * w * 3 + (w / 2) * 3;
  changed[mid] = changed[mid]! ^ 0xff;
  const b = await png(changed);
  assert.ok(a.length > 1 << 20, 'larger than both ends together');
  const url = (x: Buffer) => Buffer.from(`data:image/png;base64,${x.toString('base64')}`);
  const fa = new ImageFingerprint().update(url(a)).digest();
  assert.equal(new ImageFingerprint().update(url(a)).digest(), fa);
  assert.notEqual(new ImageFingerprint().update(url(b)).digest(), fa);
  // Fed in pieces, the same identity.
  const f = new ImageFingerprint();
  const u = url(a);
  for (let i = 0; i < u.length; i += 70_001) f.update(u.subarray(i, i + 70_001));
  assert.equal(f.digest(), fa);
});
