import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readDataset } from '../src/dataset/reader.js';
import type { DatasetRow, ImageRef } from '../src/dataset/types.js';
import { SessionRowSource } from '../src/driver/row-source.js';
import { InputError } from '../src/util/errors.js';

/** Users x turns rows interleaved by turn (the recipe's order), every image distinct. */
async function interleaved(users: number, turns: number, imageBytes: number) {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-rs-'));
  const path = join(dir, 'd.jsonl');
  const lines: string[] = [];
  for (let t = 0; t < turns; t++)
    for (let u = 0; u < users; u++)
      lines.push(
        JSON.stringify({
          session_id: `user_${u}`,
          text: `u${u} t${t}`,
          images: [`data:image/png;base64,${randomBytes(imageBytes).toString('base64')}`],
        }),
      );
  await writeFile(path, `${lines.join('\n')}\n`);
  return { path, lines };
}

async function imageBytes(ref: ImageRef): Promise<string> {
  if (ref.kind === 'data-url') return ref.url.toString('latin1');
  if (ref.kind === 'file-range')
    return (await readFile(ref.file)).subarray(ref.offset, ref.offset + ref.length).toString('latin1');
  throw new Error(ref.kind);
}

test('detached reading: rows hold none of the reused read buffers (large rows as file ranges, small ones copied)', async () => {
  // 3 MB rows (file ranges) and 3 KB rows (copies), so both kinds cross the 8 MiB read chunks.
  for (const size of [3 * 1024 * 1024, 3 * 1024]) {
    const { path, lines } = await interleaved(4, 3, size);
    const rows: DatasetRow[] = [];
    for await (const row of readDataset(path, { detached: true })) rows.push(row);
    assert.equal(rows.length, lines.length);
    // Every row is checked after the whole file was read: a row aliasing a reused buffer would
    // now show another row's bytes.
    for (const row of rows) {
      const want = (JSON.parse(lines[row.line - 1]!) as { images: string[] }).images[0];
      assert.equal(row.images[0]!.kind, size > 1 << 20 ? 'file-range' : 'data-url');
      assert.equal(await imageBytes(row.images[0]!), want, `line ${row.line}`);
    }
  }
});

for (const readerThread of [false, true]) {
  test(`row source (${readerThread ? 'reader thread' : 'in-thread reader'}): large detached rows read ahead are kept (their text only), not read twice`, async () => {
    const { path } = await interleaved(6, 3, 1_200_000);
    // 4 MB of read-ahead: a consumer that takes one whole session at a time makes the scanner run
    // 15 rows (18 MB) ahead; their texts fit the memory budget, so none is read again.
    const src = new SessionRowSource(path, { budgetBytes: 4 * 1024 * 1024, readerThread });
    const seen: string[] = [];
    for (let s = await src.nextSession(); s; s = await src.nextSession())
      for (let r = await src.nextRow(s); r; r = await src.nextRow(s)) {
        seen.push(r.texts[0]!);
        assert.equal(r.images[0]!.kind, 'file-range');
      }
    await src.close();
    assert.equal(seen.length, 18);
    assert.deepEqual(seen.slice(0, 3), ['u0 t0', 'u0 t1', 'u0 t2']);
    assert.equal(src.rereads, 0);
  });

  test(`row source (${readerThread ? 'reader thread' : 'in-thread reader'}): a bad line is an InputError naming file and line, or skipped and reported`, async () => {
    const { path, lines } = await interleaved(2, 2, 3000);
    lines.splice(2, 0, '{"session_id":"user_9","text":7}');
    await writeFile(path, `${lines.join('\n')}\n`);
    const drain = async (src: SessionRowSource) => {
      const got: string[] = [];
      for (let s = await src.nextSession(); s; s = await src.nextSession())
        for (let r = await src.nextRow(s); r; r = await src.nextRow(s)) got.push(r.texts[0]!);
      await src.close();
      return got;
    };
    await assert.rejects(drain(new SessionRowSource(path, { readerThread })), (err: unknown) => {
      assert.ok(err instanceof InputError, String(err));
      assert.equal(err.line, 3);
      assert.match(err.message, /d\.jsonl:3 field "text"/);
      return true;
    });
    const skipped: InputError[] = [];
    const got = await drain(new SessionRowSource(path, { readerThread, onInvalid: (e) => skipped.push(e) }));
    assert.equal(got.length, 4);
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0]!.line, 3);
  });
}

for (const readerThread of [false, true]) {
  test(`row source (${readerThread ? 'reader thread' : 'in-thread reader'}): small rows are read ahead up to rowsAhead while none waits; a consumer further on still gets every row`, async () => {
    const { path } = await interleaved(30, 100, 10);
    const src = new SessionRowSource(path, { rowsAhead: 50, readerThread });
    const first = await src.nextSession();
    assert.equal((await src.nextRow(first!))!.texts[0], 'u0 t0');
    await new Promise((r) => setTimeout(r, 200));
    // The byte budget (256 MiB) would have let it read all 3,000 rows; the reader thread sends
    // rows a few at a time, so it may stop a batch past the limit.
    assert.ok(src.ahead.rows >= 50 && src.ahead.rows <= 54, `rows ahead: ${src.ahead.rows}`);
    // One whole session at a time over a file interleaved by turn: each next row is 30 rows on.
    const seen = ['u0 t0'];
    for (let s: typeof first = first; s; s = await src.nextSession())
      for (let r = await src.nextRow(s); r; r = await src.nextRow(s)) seen.push(r.texts[0]!);
    await src.close();
    assert.equal(seen.length, 3000);
    assert.deepEqual(seen.slice(0, 3), ['u0 t0', 'u0 t1', 'u0 t2']);
    assert.equal(seen[100], 'u1 t0');
    assert.equal(src.rereads, 0);
  });
}
