import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { generateDataset, RECIPE_DEFAULTS } from '../src/dataset/generate.js';
import { readImageHeader } from '../src/dataset/headers.js';
import { formatSummary, inspectDataset, layoutOf } from '../src/dataset/inspect.js';
import { InputError } from '../src/util/errors.js';

test('inspect summarises a generated dataset: sessions, 4-of-5 reuse, formats from headers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-inspect-'));
  const r = await generateDataset({
    ...RECIPE_DEFAULTS,
    users: 3,
    turns: 4,
    window: 5,
    words: 30,
    width: 48,
    height: 20,
    output: join(dir, 'd.jsonl'),
  });
  const s = await inspectDataset(r.output);
  assert.equal(s.rows, 12);
  assert.equal(s.sessions, 3);
  assert.deepEqual(s.turnsPerSession, { min: 4, max: 4, mean: 4 });
  assert.deepEqual(s.imagesPerRow, { min: 5, max: 5, mean: 5 });
  assert.equal(s.images, 60);
  assert.equal(s.distinctImages, 3 * 8);
  assert.deepEqual(s.sharedWithPreviousTurn, { 4: 9 });
  assert.deepEqual(s.imageFormats, { 'png 48x20': 24 });
  assert.equal(s.wordsPerRow.mean, 30);
  assert.equal(s.layout, 'interleaved-by-turn');
  assert.equal(s.bytes, r.manifest.bytes);
});

test('inspect reads path-mode files and JPEG headers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-inspect-'));
  const r = await generateDataset({
    ...RECIPE_DEFAULTS,
    users: 2,
    turns: 2,
    window: 2,
    words: 3,
    width: 33,
    height: 17,
    format: 'jpeg',
    imageMode: 'path',
    imageDir: join(dir, 'img'),
    output: join(dir, 'p.jsonl'),
  });
  const s = await inspectDataset(r.output);
  assert.deepEqual(s.imageKinds, { path: 8 });
  assert.deepEqual(s.imageFormats, { 'jpeg 33x17': 6 });
  assert.deepEqual(s.sharedWithPreviousTurn, { 1: 2 });
});

test('image headers: PNG and JPEG dimensions without decoding', async () => {
  const raw = { raw: { width: 7, height: 5, channels: 3 as const } };
  const px = Buffer.alloc(7 * 5 * 3, 100);
  assert.deepEqual(readImageHeader(await sharp(px, raw).png().toBuffer()), {
    format: 'png',
    width: 7,
    height: 5,
  });
  assert.deepEqual(readImageHeader(await sharp(px, raw).jpeg().toBuffer()), {
    format: 'jpeg',
    width: 7,
    height: 5,
  });
  assert.deepEqual(readImageHeader(Buffer.from('hello world')), { format: 'unknown' });
});

test('layouts', () => {
  assert.equal(layoutOf(['a', 'b', 'a', 'b', 'a']), 'interleaved-by-turn');
  assert.equal(layoutOf(['a', 'a', 'b', 'b']), 'grouped-by-session');
  assert.equal(layoutOf(['a', 'b', 'c']), 'one-row-per-session');
  assert.equal(layoutOf(['a', 'b', 'b', 'a']), 'other');
});

test('inspect on malformed fixtures: line numbers and fields', async () => {
  const cases: [string, number, RegExp][] = [
    ['bad-json.jsonl', 2, /bad JSON/],
    ['unknown-field.jsonl', 1, /unknown field/],
    ['bare-base64.jsonl', 2, /bare base64/],
    ['empty-row.jsonl', 3, /empty row/],
    ['wrong-type.jsonl', 1, /must be a string/],
    ['missing-image.jsonl', 1, /image file not found/],
  ];
  for (const [name, line, re] of cases) {
    const err = await inspectDataset(join('fixtures/dataset', name)).then(
      () => assert.fail(`${name} should fail`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof InputError, name);
    assert.equal(err.line, line, name);
    assert.match(err.message, re);
  }
});

test('a data URL that does not hold an image is rejected', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-inspect-'));
  const f = join(dir, 'x.jsonl');
  await writeFile(
    f,
    `{"text":"a","images":["data:image/png;base64,${Buffer.from('not an image at all, really').toString('base64')}"]}\n`,
  );
  await assert.rejects(inspectDataset(f), /does not hold a PNG/);
});

test('a BOM at the start: the rows are read, and the summary warns that AIPerf would refuse the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-inspect-'));
  const f = join(dir, 'bom.jsonl');
  await writeFile(f, '\ufeff{"session_id":"a","text":"one two"}\n{"session_id":"a","text":"three"}\n');
  const s = await inspectDataset(f);
  assert.equal(s.rows, 2);
  assert.equal(s.bom, true);
  assert.match(
    formatSummary(s),
    /^byte order mark +the file starts with a UTF-8 BOM: mmload skips it, AIPerf's single_turn loader rejects the file/m,
  );
  const plain = join(dir, 'plain.jsonl');
  await writeFile(plain, '{"text":"x"}\n');
  const p = await inspectDataset(plain);
  assert.equal(p.bom, false);
  assert.doesNotMatch(formatSummary(p), /byte order mark/);
});

test('text-only rows: summarised as such', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-inspect-'));
  const r = await generateDataset({
    ...RECIPE_DEFAULTS,
    users: 2,
    turns: 3,
    words: 9,
    imagesPerRow: 0,
    output: join(dir, 't.jsonl'),
  });
  const s = await inspectDataset(r.output);
  assert.equal(s.rows, 6);
  assert.equal(s.images, 0);
  assert.equal(s.layout, 'interleaved-by-turn');
  assert.deepEqual(s.wordsPerRow, { min: 9, max: 9, mean: 9 });
  const text = formatSummary(s);
  assert.match(text, /^images +none \(text-only rows\)$/m);
  assert.doesNotMatch(text, /image formats|shared with previous turn/);
});

test('layouts, streamed: ragged interleaving, a late new session, a session coming back', () => {
  assert.equal(layoutOf(['a', 'b', 'c', 'a', 'b']), 'interleaved-by-turn');
  assert.equal(layoutOf(['a', 'b', 'a', 'b', 'c']), 'other');
  assert.equal(layoutOf(['a', 'b', 'a', 'c', 'b']), 'other');
  assert.equal(layoutOf(['a', 'a', 'b', 'c', 'c']), 'grouped-by-session');
  assert.equal(layoutOf(['a', 'a', 'b', 'a']), 'other');
  assert.equal(layoutOf(['a']), 'one-row-per-session');
  assert.equal(layoutOf(['a', 'a']), 'grouped-by-session');
});
