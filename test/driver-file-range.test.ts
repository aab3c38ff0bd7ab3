import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readDataset } from '../src/dataset/reader.js';
import { dispatchBody } from '../src/driver/client.js';
import { buildBody, ImagePathCache } from '../src/driver/request.js';
import { SessionRowSource } from '../src/driver/row-source.js';

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
  const big = `data:image/png;base64,${Buffer.alloc(3 * 1024 * 1024 + 7, 7).toString('base64')}`;
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
    else for await (const c of d as AsyncIterable<Buffer>) chunks.push(c);
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
