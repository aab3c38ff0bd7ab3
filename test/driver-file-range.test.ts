import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent } from 'undici';
import { readDataset } from '../src/dataset/reader.js';
import type { DatasetRow } from '../src/dataset/types.js';
import { sendChatRequest } from '../src/driver/client.js';
import { ImagePathCache } from '../src/driver/local-images.js';
import { buildBody, type RequestBody } from '../src/driver/request.js';
import { SessionRowSource } from '../src/driver/row-source.js';
import { dispatchBody } from '../src/driver/upload.js';

const settings = {
  model: 'm',
  maxTokens: 4,
  useMaxCompletionTokens: false,
  includeUsage: true,
  extraInputs: {},
};

test('large rows leave their images in the file; the streamed body equals the in-memory one byte for byte', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-fr-'));
  const path = join(dir, 'd.jsonl');
  // Varied bytes: a slice read into the wrong place, or a reused buffer read too early, shows.
  const big = `data:image/png;base64,${randomBytes(3 * 1024 * 1024 + 7).toString('base64')}`;
  const small = 'data:image/png;base64,iVBORw0KGgo=';
  const lines = [
    JSON.stringify({ session_id: 's0', text: 'small', image: small }),
    JSON.stringify({ session_id: 's1', text: 'big "one"', images: [big, small, big] }),
  ];
  await writeFile(path, `${lines.join('\n')}\n`);
  const src = new SessionRowSource(path, { budgetBytes: 1 });
  const got = [];
  for (let s = await src.nextSession(); s; s = await src.nextSession()) got.push(await src.nextRow(s));
  await src.close();
  assert.equal(got[0]!.images[0]!.kind, 'data-url', 'small rows keep their bytes');
  assert.deepEqual(
    got[1]!.images.map((i) => i.kind),
    ['file-range', 'file-range', 'file-range'],
  );
  const expected: Buffer[] = [];
  for await (const row of readDataset(path)) {
    const b = await buildBody(row, settings, new ImagePathCache());
    expected.push(Buffer.concat(b.parts as Buffer[]));
  }
  for (let i = 0; i < 2; i++) {
    const body = await buildBody(got[i]!, settings, new ImagePathCache());
    const d = dispatchBody(body);
    const chunks: Buffer[] = [];
    if (Buffer.isBuffer(d)) chunks.push(d);
    // Each slice is consumed before the next is asked for, as the socket does (slices share one buffer).
    else for await (const c of d as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
    if (i === 1)
      assert.ok(
        chunks.every((c) => c.length <= 1 << 20),
        'read in slices of at most 1 MiB',
      );
    const bytes = Buffer.concat(chunks);
    assert.equal(bytes.length, body.length);
    assert.ok(bytes.equals(expected[i]!), `row ${i}: streamed body differs`);
    if (i === 1)
      assert.equal(JSON.parse(bytes.toString()).messages[0].content[1].image_url.url.length, big.length);
  }
});

test('file-range bodies through undici to a server: every byte arrives, 24 uploads at once sharing pooled slice buffers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-fr-'));
  const path = join(dir, 'd.jsonl');
  const lines = Array.from({ length: 24 }, (_, i) =>
    JSON.stringify({
      session_id: `s${i}`,
      text: `row ${i}`,
      images: [`data:image/png;base64,${randomBytes(2 * 1024 * 1024 + i * 1001).toString('base64')}`],
    }),
  );
  await writeFile(path, `${lines.join('\n')}\n`);
  const expected = new Map<string, string>();
  const rows = [];
  const src = new SessionRowSource(path, { budgetBytes: 1 });
  for (let s = await src.nextSession(); s; s = await src.nextSession()) rows.push((await src.nextRow(s))!);
  await src.close();
  for await (const row of readDataset(path)) {
    const b = await buildBody(row, settings, new ImagePathCache());
    expected.set(
      `row ${row.line - 1}`,
      createHash('sha256')
        .update(Buffer.concat(b.parts as Buffer[]))
        .digest('hex'),
    );
  }
  for (const row of rows) assert.equal(row.images[0]!.kind, 'file-range');
  const got = await uploadAll(rows, (row) => buildBody(row, settings, new ImagePathCache()));
  assert.equal(got.size, 24);
  for (const [k, v] of expected) assert.deepEqual(got.get(k), [v], `${k}: the server received other bytes`);
});

/**
 * Sends every row's body at once through undici (8 connections) to a server that hashes what it
 * receives, and returns the hashes by the "row N" text each body holds; every request must succeed.
 * `bodyOf` builds a body; it is released once its request is over.
 */
async function uploadAll(
  rows: DatasetRow[],
  bodyOf: (row: DatasetRow) => Promise<RequestBody>,
): Promise<Map<string, string[]>> {
  const got = new Map<string, string[]>();
  const server = createServer((req, res) => {
    const h = createHash('sha256');
    let text = '';
    req.on('data', (d: Buffer) => {
      h.update(d);
      if (text.length < 200) text += d.toString('latin1', 0, 200);
    });
    req.on('end', () => {
      const key = /row \d+/.exec(text)![0];
      got.set(key, [...(got.get(key) ?? []), h.digest('hex')]);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"choices":[{"delta":{"content":"x"}}]}\n\ndata: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const agent = new Agent({ connections: 8 });
  try {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const recs = await Promise.all(
      rows.map(async (row, i) => {
        const body = await bodyOf(row);
        try {
          return await sendChatRequest(
            agent,
            { index: i, sessionId: row.sessionId!, turn: 0, line: row.line, warmup: false },
            { origin, path: '/v1/chat/completions', headers: ['content-type', 'application/json'], body },
          );
        } finally {
          body.release?.();
        }
      }),
    );
    for (const r of recs) assert.equal(r.error, undefined, r.error?.message);
    return got;
  } finally {
    await agent.close();
    server.close();
  }
}

/** Open file descriptors of this process, once pending closes have run. */
async function openFds(): Promise<number> {
  await new Promise((r) => setTimeout(r, 50));
  return readdirSync('/proc/self/fd').length;
}

/** Reads an upload to its end: it must fail because its file shrank under it (`prefix`: the file named). */
async function failsOnShrunkFile(it: AsyncIterator<Buffer>, prefix = ''): Promise<void> {
  await assert.rejects(
    async () => {
      for (let r = await it.next(); !r.done; r = await it.next());
    },
    new RegExp(`${prefix}the file changed while the run was reading it`),
  );
}

test('an upload stopped early or failing on a shrunk file closes its files', async (t) => {
  if (process.platform !== 'linux') return t.skip('counts /proc/self/fd');
  const dir = await mkdtemp(join(tmpdir(), 'mmload-fr-'));
  const path = join(dir, 'd.jsonl');
  const img = `data:image/png;base64,${randomBytes(2 * 1024 * 1024).toString('base64')}`;
  await writeFile(path, `${JSON.stringify({ session_id: 's', text: 't', images: [img, img] })}\n`);
  const src = new SessionRowSource(path, { budgetBytes: 1 });
  const row = (await src.nextRow((await src.nextSession())!))!;
  await src.close();
  const before = await openFds();
  // A consumer that stops after one slice (for-await calls return(), as undici's does on a socket error).
  for await (const _ of dispatchBody(
    await buildBody(row, settings, new ImagePathCache()),
  ) as AsyncIterable<Buffer>)
    break;
  assert.equal(await openFds(), before, 'return() closed the file');
  // The file shrinks under a started upload: the read comes up short, which is an error.
  const upload = dispatchBody(await buildBody(row, settings, new ImagePathCache())) as AsyncIterable<Buffer>;
  const it = upload[Symbol.asyncIterator]();
  await it.next();
  await truncate(path, 1000);
  await failsOnShrunkFile(it);
  assert.equal(await openFds(), before, 'the failed upload closed the file');
});

/** A file that starts like a JPEG (the content check) and then holds `bytes` random bytes in all. */
async function jpegLike(path: string, bytes: number): Promise<void> {
  const magic = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
  await writeFile(path, Buffer.concat([magic, randomBytes(bytes - magic.length)]));
}

test('local images streamed: the body is byte for byte the one with the URL in memory, through undici too', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-stream-'));
  // Sizes across the 786,432-byte raw chunks: one short, exact, one over, three and a bit; none a multiple of 3 but one.
  const sizes = [1001, 786_432, 786_433, 3 * 786_432 + 77];
  const rows: DatasetRow[] = [];
  for (const [i, size] of sizes.entries()) {
    await jpegLike(join(dir, `${i}.jpg`), size);
    rows.push({
      sessionId: `s${i}`,
      texts: [`row ${i}`],
      images: [0, i].map((k) => ({
        kind: 'path' as const,
        path: `${k}.jpg`,
        resolved: join(dir, `${k}.jpg`),
      })),
      file: join(dir, 'd.jsonl'),
      line: i + 1,
      byteOffset: 0,
      byteLength: 0,
    });
  }
  const none = new ImagePathCache({ root: dir, maxBytes: 0 });
  const expected = new Map<string, Buffer>();
  for (const row of rows) {
    // The reference: the same row with its images as data URLs in memory, encoded here.
    const inMemory: DatasetRow = {
      ...row,
      images: row.images.map((ref) => {
        const data = readFileSync((ref as { resolved: string }).resolved);
        return {
          kind: 'data-url',
          url: Buffer.from(`data:image/jpeg;base64,${data.toString('base64')}`),
          mime: 'image/jpeg',
        };
      }),
    };
    const b = await buildBody(inMemory, settings, none);
    assert.ok(b.parts.every((p) => Buffer.isBuffer(p)));
    expected.set(`row ${row.line - 1}`, Buffer.concat(b.parts as Buffer[]));
    const s = await buildBody(row, settings, none);
    assert.equal(s.length, b.length);
    const d = dispatchBody(s) as AsyncIterable<Buffer>;
    const chunks: Buffer[] = [];
    for await (const c of d) chunks.push(Buffer.from(c));
    s.release?.();
    assert.ok(
      Buffer.concat(chunks).equals(expected.get(`row ${row.line - 1}`)!),
      `row ${row.line}: streamed body differs`,
    );
  }
  assert.equal(none.stats.streamed, 8);
  assert.equal(none.heldBytes, 0);
  // Through undici, all rows at once, twice each: the streamed chunks and their buffers are shared.
  const got = await uploadAll([...rows, ...rows], (row) => buildBody(row, settings, none));
  for (const [k, v] of expected) {
    const hash = createHash('sha256').update(v).digest('hex');
    assert.deepEqual(got.get(k), [hash, hash], `${k}: the server received other bytes`);
  }
});

test('a streamed local image: its file closes when the request is over, and a file that shrank fails the upload', async (t) => {
  if (process.platform !== 'linux') return t.skip('counts /proc/self/fd');
  const dir = await mkdtemp(join(tmpdir(), 'mmload-stream-'));
  const path = join(dir, 'a.jpg');
  await jpegLike(path, 3 * 786_432);
  const row: DatasetRow = {
    sessionId: 's',
    texts: ['t'],
    images: [{ kind: 'path', path: 'a.jpg', resolved: path }],
    file: join(dir, 'd.jsonl'),
    line: 1,
    byteOffset: 0,
    byteLength: 0,
  };
  const none = new ImagePathCache({ root: dir, maxBytes: 0 });
  const before = await openFds();
  const body = await buildBody(row, settings, none);
  assert.equal(await openFds(), before + 1, 'held open from the check to the upload');
  body.release?.();
  assert.equal(await openFds(), before, 'closed once the request is over');
  const b2 = await buildBody(row, settings, none);
  const it = (dispatchBody(b2) as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  await it.next();
  await truncate(path, 1000);
  await failsOnShrunkFile(it, String.raw`a\.jpg: `);
  b2.release?.();
  assert.equal(await openFds(), before, 'closed after the failed upload');
});
