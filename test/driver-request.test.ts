import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DatasetRow } from '../src/dataset/types.js';
import { ImagePathCache } from '../src/driver/local-images.js';
import { buildBody, parseExtraInputs } from '../src/driver/request.js';

const settings = {
  model: 'Qwen/Qwen3.6',
  maxTokens: 1024,
  useMaxCompletionTokens: false,
  includeUsage: true,
  extraInputs: {},
};
const row = (over: Partial<DatasetRow>): DatasetRow => ({
  file: 'f.jsonl',
  line: 3,
  byteOffset: 0,
  byteLength: 0,
  sessionId: 'user_0',
  texts: [],
  images: [],
  ...over,
});
const json = async (r: DatasetRow, s = settings, cache = new ImagePathCache()) =>
  JSON.parse(Buffer.concat((await buildBody(r, s, cache)).parts as Buffer[]).toString());

test("AIPerf's body: text part first, then image_url parts; limits and extra inputs after", async () => {
  const url = Buffer.from('data:image/png;base64,iVBORw0KGgo=');
  const body = await json(
    row({
      texts: ['hello "world"\n'],
      images: [
        { kind: 'data-url', url, mime: 'image/png' },
        { kind: 'http', url: 'https://x/y.png' },
      ],
      extra: { top_p: 0.5 },
    }),
    { ...settings, extraInputs: { min_tokens: 1024, ignore_eos: true } },
  );
  assert.deepEqual(body, {
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'hello "world"\n' },
          { type: 'image_url', image_url: { url: url.toString() } },
          { type: 'image_url', image_url: { url: 'https://x/y.png' } },
        ],
      },
    ],
    model: 'Qwen/Qwen3.6',
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 1024,
    min_tokens: 1024,
    ignore_eos: true,
    top_p: 0.5,
  });
});

test('text only: content is a plain string; max_completion_tokens; no usage', async () => {
  const body = await json(row({ texts: ['just text'] }), {
    ...settings,
    useMaxCompletionTokens: true,
    includeUsage: false,
  });
  assert.equal(body.messages[0].content, 'just text');
  assert.equal(body.max_completion_tokens, 1024);
  assert.equal(body.max_tokens, undefined);
  assert.equal(body.stream_options, undefined);
});

test('large bodies stay byte-valid JSON and splice the image bytes unchanged', async () => {
  const big = Buffer.concat([Buffer.from('data:image/png;base64,'), Buffer.alloc(8 << 20, 'A')]);
  const images = Array.from({ length: 5 }, () => ({
    kind: 'data-url' as const,
    url: big,
    mime: 'image/png',
  }));
  const text = Array.from({ length: 8000 }, (_, i) => `w${i}`).join(' ');
  const b = await buildBody(row({ texts: [text], images }), settings, new ImagePathCache());
  assert.ok(b.parts.filter((p) => p === big).length === 5, 'the dataset Buffers themselves, not copies');
  const parsed = JSON.parse(Buffer.concat(b.parts as Buffer[]).toString());
  assert.equal(parsed.messages[0].content.length, 6);
  assert.equal(b.length, Buffer.concat(b.parts as Buffer[]).length);
});

test('local image paths: read once each, data URL with the right mime type', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-req-'));
  const p = join(dir, 'a.jpg');
  await writeFile(p, Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
  const cache = new ImagePathCache({ root: dir });
  const ref = { kind: 'path' as const, path: 'a.jpg', resolved: p };
  const b1 = await json(row({ images: [ref] }), settings, cache);
  assert.equal(b1.messages[0].content[0].image_url.url, 'data:image/jpeg;base64,/9j/4A==');
  const again = await cache.get(ref, row({}));
  assert.equal(again.parts[0], (await cache.get(ref, row({}))).parts[0], 'one encoding per path');
  await assert.rejects(
    json(
      row({ images: [{ kind: 'path', path: 'missing.png', resolved: join(dir, 'missing.png') }] }),
      settings,
      cache,
    ),
    /f\.jsonl:3 field "images": missing\.png/,
  );
});

test('local image paths: held within --image-cache-mb, in flight or kept, least recently used let go first, the rest streamed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-req-'));
  // Three 3 KiB JPEGs (4,119 bytes as data URLs) in a 10 KiB budget: two fit.
  const ref = (name: string) => ({ kind: 'path' as const, path: name, resolved: join(dir, name) });
  for (const [i, name] of ['a.jpg', 'b.jpg', 'c.jpg'].entries())
    await writeFile(
      join(dir, name),
      Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(3068, i)]),
    );
  const budget = 10 * 1024;
  const cache = new ImagePathCache({ root: dir, maxBytes: budget });
  /** A request's use of an image: its URL, once the request is over. */
  const use = async (name: string) => {
    const image = await cache.get(ref(name), row({}));
    image.release();
    return image.parts;
  };
  const [a] = await use('a.jpg');
  await use('b.jpg');
  assert.equal((await use('a.jpg'))[0], a, 'a hit: the same encoding');
  await use('c.jpg'); // lets b go (a was used after it)
  assert.equal((await use('a.jpg'))[0], a, 'a stayed');
  assert.deepEqual(cache.stats, {
    reads: 3,
    rereads: 0,
    hits: 2,
    streamed: 0,
    noRoom: 0,

    maxBytes: budget,
  });
  const [b] = await use('b.jpg');
  assert.equal(
    b!.toString(),
    (await new ImagePathCache({ root: dir }).get(ref('b.jpg'), row({}))).parts[0]!.toString(),
  );
  assert.deepEqual(cache.stats, {
    reads: 4,
    rereads: 1,
    hits: 2,
    streamed: 0,
    noRoom: 0,

    maxBytes: budget,
  });
  // Two requests in flight hold a and b: c has no room, and is streamed rather than held.
  const inFlight = [await cache.get(ref('a.jpg'), row({})), await cache.get(ref('b.jpg'), row({}))];
  const c = await cache.get(ref('c.jpg'), row({}));
  assert.equal(c.parts.length, 2, 'the data: prefix, then the streamed image');
  assert.equal(c.parts[0]!.toString(), 'data:image/jpeg;base64,');
  assert.equal(c.parts[1]!.length, 4096, 'the base64 length of 3,072 bytes');
  assert.equal(cache.stats.streamed, 1);
  assert.equal(cache.stats.noRoom, 1);
  assert.ok(cache.heldBytes <= budget, `held ${cache.heldBytes}`);
  c.release();
  // Once a's request is over, c takes its room.
  inFlight[0]!.release();
  const c2 = await cache.get(ref('c.jpg'), row({}));
  assert.equal(c2.parts.length, 1, 'cached whole');
  c2.release();
  inFlight[1]!.release();
  assert.ok(cache.heldBytes <= budget);
  // An image larger than the whole budget is always streamed, as is one of a MiB or more.
  const tiny = new ImagePathCache({ root: dir, maxBytes: 1024 });
  for (let i = 0; i < 2; i++) {
    const big = await tiny.get(ref('a.jpg'), row({}));
    assert.equal(big.parts.length, 2);
    big.release();
  }
  assert.deepEqual(tiny.stats, {
    reads: 0,
    rereads: 0,
    hits: 0,
    streamed: 2,
    noRoom: 2,

    maxBytes: 1024,
  });
  assert.equal(tiny.heldBytes, 0);
});

test('--extra-inputs as AIPerf reads them: typed values, JSON objects', () => {
  assert.deepEqual(parseExtraInputs(['min_tokens:1024', 'ignore_eos:true', 'stop:</s>', '{"a":{"b":1}}']), {
    min_tokens: 1024,
    ignore_eos: true,
    stop: '</s>',
    a: { b: 1 },
  });
  // AIPerf's coerce_value: none -> null, a leading zero stays a string, one-dot decimals, commas.
  assert.deepEqual(parseExtraInputs(['seed:none,code:007,top_p:0.5,v:1.2.3,n:-3,url:http://x:1']), {
    seed: null,
    code: '007',
    top_p: 0.5,
    v: '1.2.3',
    n: -3,
    url: 'http://x:1',
  });
  assert.throws(() => parseExtraInputs(['novalue']), /key:value/);
});
