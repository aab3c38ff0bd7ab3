import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { readDataset } from '../src/dataset/reader.js';
import type { DatasetRow } from '../src/dataset/types.js';
import { InputError } from '../src/util/errors.js';

async function collect(path: string): Promise<DatasetRow[]> {
  const rows: DatasetRow[] = [];
  for await (const r of readDataset(path)) rows.push(r);
  return rows;
}

async function tempFile(content: string | Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-reader-'));
  const path = join(dir, 'in.jsonl');
  await writeFile(path, content);
  return path;
}

test('data URLs come out as the exact bytes of the file, across read chunk boundaries', async () => {
  // 9 MB of base64 per image forces lines to span several 8 MB read chunks.
  const big = Buffer.alloc(9 * 1024 * 1024, 'A').toString('latin1');
  const urlA = `data:image/png;base64,${big}QQ==`;
  const urlB = 'data:image/jpeg;base64,/9j/4AAQSkZJRg==';
  const lines = [
    JSON.stringify({ session_id: 'user_0', text: 'hello "world"', images: [urlA, urlB] }),
    JSON.stringify({ session_id: 'user_1', texts: ['a', 'b'], image: 'https://example.com/x.png' }),
    JSON.stringify({
      text: 'no session',
      images: ['rel/pic.png', '/abs/pic.jpg'],
      output_length: 7,
      delay: 5,
    }),
  ];
  const content = `${lines.join('\n')}\n`;
  const path = await tempFile(content);
  const rows = await collect(path);
  assert.equal(rows.length, 3);
  const [r0, r1, r2] = rows as [DatasetRow, DatasetRow, DatasetRow];
  assert.equal(r0.line, 1);
  assert.equal(r0.byteOffset, 0);
  assert.equal(r0.byteLength, Buffer.byteLength(lines[0]!));
  assert.equal(r0.sessionId, 'user_0');
  assert.deepEqual(r0.texts, ['hello "world"']);
  assert.equal(r0.images.length, 2);
  const i0 = r0.images[0]!;
  assert.equal(i0.kind, 'data-url');
  if (i0.kind === 'data-url') {
    assert.equal(i0.mime, 'image/png');
    assert.ok(i0.url.equals(Buffer.from(urlA)));
  }
  const i1 = r0.images[1]!;
  assert.ok(i1.kind === 'data-url' && i1.mime === 'image/jpeg' && i1.url.toString() === urlB);
  assert.equal(r1.line, 2);
  assert.equal(r1.byteOffset, Buffer.byteLength(lines[0]!) + 1);
  assert.deepEqual(r1.texts, ['a', 'b']);
  assert.deepEqual(r1.images, [{ kind: 'http', url: 'https://example.com/x.png' }]);
  assert.equal(r2.sessionId, undefined);
  assert.equal(r2.outputLength, 7);
  assert.equal(r2.delayMs, 5);
  assert.deepEqual(r2.images, [
    { kind: 'path', path: 'rel/pic.png', resolved: resolve(process.cwd(), 'rel/pic.png') },
    { kind: 'path', path: '/abs/pic.jpg', resolved: '/abs/pic.jpg' },
  ]);
});

test('long lines at any offset, and a long last line without newline, come out whole', async () => {
  // 3.5 MB lines straddle the 8 MB reads at different offsets; the last has no newline.
  const url = (c: string, n: number) => `data:image/png;base64,${c.repeat(n)}`;
  const lines = ['A', 'B', 'C', 'D', 'E'].map((c, i) =>
    JSON.stringify({ session_id: `user_${i}`, text: `t${i}`, images: [url(c, 3_500_000 + i * 7)] }),
  );
  const path = await tempFile(lines.join('\n'));
  const rows = await collect(path);
  assert.equal(rows.length, 5);
  let offset = 0;
  rows.forEach((r, i) => {
    assert.equal(r.byteOffset, offset, `row ${i} offset`);
    assert.equal(r.byteLength, Buffer.byteLength(lines[i]!));
    const img = r.images[0]!;
    assert.ok(img.kind === 'data-url' && img.url.equals(Buffer.from(url('ABCDE'[i]!, 3_500_000 + i * 7))));
    offset += r.byteLength + 1;
  });
});

test('escaped slashes in a data URL are decoded; a last line without newline is read; blank lines skipped', async () => {
  const path = await tempFile(
    '{"text":"x","images":["data:image/png;base64,ab\\/cd=="]}\n\n  \n{"text":"y","extra":{"temperature":0}}',
  );
  const rows = await collect(path);
  assert.equal(rows.length, 2);
  const img = rows[0]!.images[0]!;
  assert.ok(img.kind === 'data-url' && img.url.toString() === 'data:image/png;base64,ab/cd==');
  assert.equal(rows[1]!.line, 4);
  assert.deepEqual(rows[1]!.extra, { temperature: 0 });
});

async function rejection(path: string): Promise<InputError> {
  try {
    await collect(path);
  } catch (err) {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

test('malformed fixtures fail with file, line and field', async () => {
  const f = (name: string) => join('fixtures/dataset', name);
  let e = await rejection(f('bad-json.jsonl'));
  assert.equal(e.line, 2);
  assert.match(e.message, /bad-json\.jsonl:2.*bad JSON/);
  e = await rejection(f('unknown-field.jsonl'));
  assert.equal(e.field, 'imagez');
  assert.match(e.message, /unknown-field\.jsonl:1 field "imagez": unknown field/);
  e = await rejection(f('bare-base64.jsonl'));
  assert.equal(e.line, 2);
  assert.match(e.message, /bare base64/);
  e = await rejection(f('empty-row.jsonl'));
  assert.equal(e.line, 3);
  assert.match(e.message, /empty row/);
  e = await rejection(f('wrong-type.jsonl'));
  assert.equal(e.field, 'text');
  assert.match(e.message, /must be a string/);
});

test('other bad rows', async () => {
  const cases: [string, RegExp][] = [
    ['[1,2]', /each line must be one JSON object/],
    ['{"text":"a"} x', /unexpected data after the object/],
    ['{"text":"a","text":"b"}', /appears twice/],
    ['{"text":"a","images":"data:image/png;base64,AA=="}', /must be a list/],
    ['{"text":"a","images":["data:text/plain;base64,AA=="]}', /expected image/],
    ['{"text":"a","images":["data:image/png,AA=="]}', /data:image\/<type>;base64/],
    ['{"text":"a","output_length":1.5}', /positive integer/],
    ['{"text":"a","audio":"x.wav"}', /not supported/],
    ['{"text":"a","images":[3]}', /must be a string/],
    ['{"session_id":"","text":"a"}', /non-empty string/],
  ];
  for (const [line, re] of cases) {
    const e = await rejection(await tempFile(`${line}\n`));
    assert.match(e.message, re, line);
  }
});

test('a missing file is a clear error', async () => {
  await assert.rejects(collect('/nonexistent/x.jsonl'), /\/nonexistent\/x\.jsonl.*no such file/);
});

test('a UTF-8 BOM at the start is skipped (and reported); offsets still point at the rows', async () => {
  const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
  // The first line is long enough to be read again whole at its offset (past the BOM).
  const big = `data:image/png;base64,${'A'.repeat(9 * 1024 * 1024)}`;
  const lines = [JSON.stringify({ session_id: 's', text: 'é first', images: [big] }), '{"text":"second"}'];
  const content = Buffer.concat([BOM, Buffer.from(`${lines.join('\n')}\n`)]);
  const path = await tempFile(content);
  let boms = 0;
  const rows: DatasetRow[] = [];
  for await (const r of readDataset(path, { onBom: () => boms++ })) rows.push(r);
  assert.equal(boms, 1);
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[0]!.texts, ['é first']);
  assert.equal(rows[0]!.byteOffset, 3);
  assert.equal(rows[1]!.byteOffset, 3 + Buffer.byteLength(lines[0]!) + 1);
  for (const [i, r] of rows.entries()) {
    assert.equal(content.toString('utf8', r.byteOffset, r.byteOffset + r.byteLength), lines[i]);
  }
  const img = rows[0]!.images[0]!;
  assert.ok(img.kind === 'data-url' && img.fileOffset !== undefined);
  if (img.kind === 'data-url') {
    assert.ok(content.subarray(img.fileOffset!, img.fileOffset! + img.url.length).equals(img.url));
  }
  // Without the BOM nothing is reported.
  boms = 0;
  for await (const _ of readDataset(await tempFile('{"text":"x"}\n'), { onBom: () => boms++ })) {
  }
  assert.equal(boms, 0);
});

test('a BOM anywhere but the start is named (files joined together)', async () => {
  const e = await rejection(await tempFile('{"text":"a"}\n\ufeff{"text":"b"}\n'));
  assert.equal(e.line, 2);
  assert.match(e.message, /in\.jsonl:2: a UTF-8 byte order mark \(BOM\) inside the file/);
});

test('a directory is not a dataset file', async () => {
  const e = await rejection(tmpdir());
  assert.equal(e.exitCode, 2);
  assert.match(e.message, /: is a directory, not a dataset file$/);
});
