import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent } from 'undici';
import { readDataset } from '../src/dataset/reader.js';
import { sendChatRequest } from '../src/driver/client.js';
import { buildBody, ImagePathCache } from '../src/driver/request.js';
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
  const got = new Map<string, string>();
  const server = createServer((req, res) => {
    const h = createHash('sha256');
    let text = '';
    req.on('data', (d: Buffer) => {
      h.update(d);
      if (text.length < 200) text += d.toString('latin1', 0, 200);
    });
    req.on('end', () => {
      got.set(/row \d+/.exec(text)![0], h.digest('hex'));
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
        assert.equal(row.images[0]!.kind, 'file-range');
        const body = await buildBody(row, settings, new ImagePathCache());
        return sendChatRequest(
          agent,
          { index: i, sessionId: row.sessionId!, turn: 0, line: row.line, warmup: false },
          { origin, path: '/v1/chat/completions', headers: ['content-type', 'application/json'], body },
        );
      }),
    );
    for (const r of recs) assert.equal(r.error, undefined, r.error?.message);
    assert.equal(got.size, 24);
    for (const [k, v] of expected) assert.equal(got.get(k), v, `${k}: the server received other bytes`);
  } finally {
    await agent.close();
    server.close();
  }
});

test('an upload stopped early or failing on a shrunk file closes its files', async (t) => {
  if (process.platform !== 'linux') return t.skip('counts /proc/self/fd');
  const dir = await mkdtemp(join(tmpdir(), 'mmload-fr-'));
  const path = join(dir, 'd.jsonl');
  const img = `data:image/png;base64,${randomBytes(2 * 1024 * 1024).toString('base64')}`;
  await writeFile(path, `${JSON.stringify({ session_id: 's', text: 't', images: [img, img] })}\n`);
  const src = new SessionRowSource(path, { budgetBytes: 1 });
  const row = (await src.nextRow((await src.nextSession())!))!;
  await src.close();
  const fds = async () => {
    await new Promise((r) => setTimeout(r, 50)); // closes are asynchronous
    return readdirSync('/proc/self/fd').length;
  };
  const before = await fds();
  // A consumer that stops after one slice (for-await calls return(), as undici's does on a socket error).
  for await (const _ of dispatchBody(
    await buildBody(row, settings, new ImagePathCache()),
  ) as AsyncIterable<Buffer>)
    break;
  assert.equal(await fds(), before, 'return() closed the file');
  // The file shrinks under a started upload: the read comes up short, which is an error.
  const upload = dispatchBody(await buildBody(row, settings, new ImagePathCache())) as AsyncIterable<Buffer>;
  const it = upload[Symbol.asyncIterator]();
  await it.next();
  await truncate(path, 1000);
  await assert.rejects(async () => {
    for (let r = await it.next(); !r.done; r = await it.next());
  }, /the file changed while the run was reading it/);
  assert.equal(await fds(), before, 'the failed upload closed the file');
});
