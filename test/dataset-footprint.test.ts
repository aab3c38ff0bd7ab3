import assert from 'node:assert/strict';
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  digitsUpTo,
  imagesInFlight,
  planFootprint,
  planRefusal,
  TABLE_LIMIT_BYTES,
} from '../src/dataset/footprint.js';
import { type GenerateOptions, generateDataset, RECIPE_DEFAULTS } from '../src/dataset/generate.js';
import { encodeImage } from '../src/dataset/images.js';
import { UserError } from '../src/util/errors.js';

test('digitsUpTo sums decimal lengths', () => {
  assert.equal(digitsUpTo(0), 0);
  assert.equal(digitsUpTo(1), 1);
  assert.equal(digitsUpTo(10), 10);
  assert.equal(digitsUpTo(11), 12);
  assert.equal(digitsUpTo(1000), 10 + 90 * 2 + 900 * 3);
  let sum = 0;
  for (let i = 0; i < 12345; i++) sum += String(i).length;
  assert.equal(digitsUpTo(12345), sum);
});

// The estimate is what refuses plans: it must match what generate really writes.
for (const [name, extra] of [
  ['inline noise png', {}],
  ['path noise png', { imageMode: 'path' }],
  ['inline noise jpeg', { format: 'jpeg' }],
  ['text-only', { imagesPerRow: 0 }],
] as [string, Partial<GenerateOptions>][]) {
  test(`footprint of ${name} matches the file generate writes (within 1%)`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mmload-fp-'));
    const opts: GenerateOptions = {
      ...RECIPE_DEFAULTS,
      users: 3,
      turns: 4,
      window: 2,
      words: 2000,
      width: 120,
      height: 80,
      output: join(dir, 'o.jsonl'),
      imageDir: join(dir, 'img'),
      ...extra,
    };
    const r = await generateDataset(opts);
    const sample =
      opts.imagesPerRow === 0
        ? undefined
        : await encodeImage({ ...opts, seed: opts.seed, pngLevel: 0, jpegQuality: 85 }, 0);
    const f = planFootprint({
      ...opts,
      toStdout: false,
      mime: opts.format === 'png' ? 'image/png' : 'image/jpeg',
      extension: opts.format === 'png' ? 'png' : 'jpg',
      imageDir: join(dir, 'img'),
      imageBytes: sample?.length,
    });
    assert.equal(f.rows, 12);
    const bytes = (await stat(r.output)).size;
    assert.ok(
      Math.abs(f.jsonlBytes - bytes) / bytes < 0.01,
      `JSONL estimated ${f.jsonlBytes}, wrote ${bytes}`,
    );
    if (opts.imageMode === 'path') {
      let images = 0;
      for (const name of await readdir(join(dir, 'img'))) images += (await stat(join(dir, 'img', name))).size;
      assert.ok(
        Math.abs(f.imageFileBytes - images) / images < 0.01,
        `images ${f.imageFileBytes} vs ${images}`,
      );
      assert.equal(f.tableBytes, 0);
    } else assert.equal(f.imageFileBytes, 0);
    if (opts.imagesPerRow !== 0 && opts.imageMode !== 'path') assert.equal(f.tableBytes, 3 * 2 * 16);
  });
}

test('refusals name the plan, what it needs and where; outputs on one filesystem add up', () => {
  const shape = { users: 1000, turns: 10, window: 5, words: 8000 };
  const f = { rows: 10000, jsonlBytes: 6e9, imageFileBytes: 5e9, spillBytes: 0, tableBytes: 0 };
  const disk = (freeBytes: number, device = 1) => ({ path: '/data', device, freeBytes });
  assert.equal(planRefusal(f, { jsonl: disk(7e9), images: disk(6e9, 2) }, shape), undefined);
  const both = planRefusal(f, { jsonl: disk(10e9), images: disk(10e9) }, shape);
  assert.match(
    both ?? '',
    /^10,000 rows \(--users 1000 x --turns 10, --words 8000\) need about 10\.2 GiB \(the JSONL 5\.6 GiB, the image files 4\.7 GiB\) on the filesystem of \/data, which has 9\.3 GiB free/,
  );
  assert.match(planRefusal(f, { jsonl: disk(1e9) }, shape) ?? '', /need about 5\.6 GiB on the filesystem/);
  const table = planRefusal({ ...f, tableBytes: TABLE_LIMIT_BYTES + 16 }, {}, shape);
  assert.match(table ?? '', /table to repeat images .* more than the 2\.0 GiB allowed/);
});

test('images in flight shrink to what memory holds; none fitting is a refusal', () => {
  assert.equal(imagesInFlight(6, 100, 10_000), 6);
  assert.equal(imagesInFlight(6, 100, 250), 2);
  assert.equal(imagesInFlight(6, 100, 99), undefined);
});

test('the plan of the issue (1,000,000 users x 1000 turns) is refused at once, before any file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-fp-'));
  const t0 = performance.now();
  const err = await generateDataset({
    ...RECIPE_DEFAULTS,
    users: 1_000_000,
    turns: 1000,
    output: join(dir, 'huge.jsonl'),
  }).then(
    () => assert.fail('should be refused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof UserError);
  assert.equal(err.exitCode, 2);
  assert.match(err.message, /^refusing to generate: 1,000,000,000 rows .* need about [\d.]+ TiB .* free/);
  assert.ok(performance.now() - t0 < 2000, 'refused at once');
  assert.deepEqual(await readdir(dir), []);
});
