import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import sharp from 'sharp';
import { type GenerateOptions, generateDataset, RECIPE_DEFAULTS } from '../src/dataset/generate.js';
import { encodeImage } from '../src/dataset/images.js';
import { planRows } from '../src/dataset/plan.js';
import { readDataset } from '../src/dataset/reader.js';
import type { DatasetRow } from '../src/dataset/types.js';

const small = (output: string, extra: Partial<GenerateOptions> = {}): GenerateOptions => ({
  ...RECIPE_DEFAULTS,
  users: 3,
  turns: 3,
  window: 2,
  words: 12,
  width: 40,
  height: 24,
  output,
  ...extra,
});

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'mmload-gen-'));
}

async function rowsOf(path: string): Promise<DatasetRow[]> {
  const out: DatasetRow[] = [];
  for await (const r of readDataset(path)) out.push(r);
  return out;
}

test('same seed: byte-identical output with 1 and 4 threads; the manifest matches the file', async () => {
  const dir = await tempDir();
  const a = await generateDataset(small(join(dir, 'a.jsonl'), { threads: 1 }));
  const b = await generateDataset(small(join(dir, 'b.jsonl'), { threads: 4 }));
  const fa = await readFile(a.output);
  assert.ok(fa.equals(await readFile(b.output)));
  assert.equal(a.manifest.sha256, b.manifest.sha256);
  const { createHash } = await import('node:crypto');
  assert.equal(a.manifest.sha256, createHash('sha256').update(fa).digest('hex'));
  assert.equal(a.manifest.bytes, fa.length);
  const m = JSON.parse(await readFile(a.manifestPath!, 'utf8'));
  assert.equal(m.sha256, a.manifest.sha256);
  assert.equal(m.rows, 9);
  const c = await generateDataset(small(join(dir, 'c.jsonl'), { seed: 7 }));
  assert.notEqual(c.manifest.sha256, a.manifest.sha256);
});

for (const format of ['png', 'jpeg'] as const) {
  for (const content of ['noise', 'screenshot'] as const) {
    test(`inline ${format}/${content}: rows follow the plan, data URLs decode to the asked size and format`, async () => {
      const dir = await tempDir();
      const r = await generateDataset(
        small(join(dir, 'o.jsonl'), { format, content, width: 50, height: 30 }),
      );
      const rows = await rowsOf(r.output);
      const plan = planRows(r.manifest.parameters as never as { users: 3; turns: 3; window: 2 });
      assert.equal(rows.length, plan.length);
      const byId = new Map<number, string>();
      for (const [i, row] of rows.entries()) {
        const p = plan[i]!;
        assert.equal(row.sessionId, p.sessionId);
        assert.equal(row.texts[0]!.split(' ').length, 12);
        for (const [k, img] of row.images.entries()) {
          assert.equal(img.kind, 'data-url');
          if (img.kind !== 'data-url') continue;
          assert.equal(img.mime, `image/${format}`);
          const url = img.url.toString('latin1');
          const prev = byId.get(p.imageIds[k]!);
          if (prev !== undefined) assert.equal(url, prev, 'a repeated image is byte-identical');
          byId.set(p.imageIds[k]!, url);
        }
      }
      assert.equal(new Set(byId.values()).size, byId.size, 'distinct images differ');
      const first = byId.get(0)!;
      const meta = await sharp(Buffer.from(first.slice(first.indexOf(',') + 1), 'base64')).metadata();
      assert.equal(meta.format, format);
      assert.equal(meta.width, 50);
      assert.equal(meta.height, 30);
    });
  }
}

test("per-user text repeats across a user's turns; per-row does not", async () => {
  const dir = await tempDir();
  const u = await rowsOf((await generateDataset(small(join(dir, 'u.jsonl'), { text: 'per-user' }))).output);
  assert.equal(u[0]!.texts[0], u[3]!.texts[0]);
  assert.notEqual(u[0]!.texts[0], u[1]!.texts[0]);
  const r = await rowsOf((await generateDataset(small(join(dir, 'r.jsonl')))).output);
  assert.notEqual(r[0]!.texts[0], r[3]!.texts[0]);
});

test('path mode is equivalent to inline mode: same rows, files hold the inline bytes', async () => {
  const dir = await tempDir();
  const inline = await rowsOf((await generateDataset(small(join(dir, 'i.jsonl')))).output);
  const imageDir = join(dir, 'imgs');
  const path = await rowsOf(
    (await generateDataset(small(join(dir, 'p.jsonl'), { imageMode: 'path', imageDir }))).output,
  );
  assert.equal((await readdir(imageDir)).length, 12);
  assert.equal(path.length, inline.length);
  for (const [i, row] of path.entries()) {
    assert.deepEqual(row.texts, inline[i]!.texts);
    assert.equal(row.sessionId, inline[i]!.sessionId);
    for (const [k, img] of row.images.entries()) {
      assert.equal(img.kind, 'path');
      const ref = inline[i]!.images[k]!;
      if (img.kind !== 'path' || ref.kind !== 'data-url') continue;
      assert.ok(img.path.startsWith(imageDir));
      const file = await readFile(img.path);
      assert.equal(`data:image/png;base64,${file.toString('base64')}`, ref.url.toString('latin1'));
    }
  }
});

test('a failing image encode leaves no output, no temp file and no image files', async () => {
  const dir = await tempDir();
  let calls = 0;
  const encoder = async (spec: Parameters<typeof encodeImage>[0], id: number) => {
    if (++calls === 7) throw new Error('encoder exploded');
    return encodeImage(spec, id);
  };
  await assert.rejects(
    generateDataset(small(join(dir, 'f.jsonl'), { encoder, threads: 2 })),
    /encoder exploded/,
  );
  assert.deepEqual(await readdir(dir), []);
  calls = 0;
  const imageDir = join(dir, 'imgs', 'deeper');
  await assert.rejects(
    generateDataset(small(join(dir, 'g.jsonl'), { encoder, imageMode: 'path', imageDir })),
    /encoder exploded/,
  );
  assert.deepEqual(await readdir(dir), [], 'the image directories it created are gone too');
  // A directory that was there before stays, with what it held.
  await mkdir(imageDir, { recursive: true });
  await writeFile(join(imageDir, 'mine.txt'), 'keep me');
  calls = 0;
  await assert.rejects(
    generateDataset(small(join(dir, 'h.jsonl'), { encoder, imageMode: 'path', imageDir })),
    /encoder exploded/,
  );
  assert.deepEqual(await readdir(imageDir), ['mine.txt']);
  assert.deepEqual(await readdir(dir), ['imgs']);
});

test('an abort signal stops the run without leaving a file', async () => {
  const dir = await tempDir();
  const controller = new AbortController();
  await assert.rejects(
    generateDataset(
      small(join(dir, 'x.jsonl'), {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.rows === 2) controller.abort();
        },
      }),
    ),
    /interrupted/,
  );
  assert.deepEqual(await readdir(dir), []);
});

test('stdout mode writes the same bytes as file mode; a closed stream is a clear error', async () => {
  const dir = await tempDir();
  const file = await generateDataset(small(join(dir, 'f.jsonl')));
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const piped = await generateDataset(small('-', { stdout: sink }));
  assert.ok(Buffer.concat(chunks).equals(await readFile(file.output)));
  assert.equal(piped.manifest.sha256, file.manifest.sha256);
  const closed = new PassThrough();
  closed.destroy();
  await assert.rejects(generateDataset(small('-', { stdout: closed })), /output pipe closed/);
});

test('refuses to overwrite without force', async () => {
  const dir = await tempDir();
  await generateDataset(small(join(dir, 'o.jsonl')));
  await assert.rejects(generateDataset(small(join(dir, 'o.jsonl'))), /already exists; pass --force/);
  await generateDataset(small(join(dir, 'o.jsonl'), { force: true }));
});

test('text-only rows (--images-per-row 0): no images key, the same text and sessions as with images', async () => {
  const dir = await tempDir();
  const withImages = await generateDataset(small(join(dir, 'i.jsonl')));
  const textOnly = await generateDataset(small(join(dir, 't.jsonl'), { imagesPerRow: 0 }));
  const lines = (await readFile(textOnly.output, 'utf8')).trimEnd().split('\n');
  const imageLines = (await readFile(withImages.output, 'utf8')).trimEnd().split('\n');
  assert.equal(lines.length, 9);
  for (const [i, line] of lines.entries()) {
    const row = JSON.parse(line);
    assert.deepEqual(
      Object.keys(row),
      ['session_id', 'text'],
      'AIPerf single_turn: text only, no images key',
    );
    const imageRow = JSON.parse(imageLines[i]!);
    assert.equal(row.session_id, imageRow.session_id);
    assert.equal(row.text, imageRow.text);
  }
  const m = textOnly.manifest;
  assert.equal(m.distinctImages, 0);
  assert.equal(m.rows, 9);
  assert.deepEqual(m.parameters, {
    users: 3,
    turns: 3,
    window: 2,
    words: 12,
    imagesPerRow: 0,
    text: 'per-row',
  });
  assert.equal(withImages.manifest.parameters.imagesPerRow, 2);
  // The reader (run, inspect) takes them as text rows.
  const rows = await rowsOf(textOnly.output);
  assert.deepEqual(rows[4]!.images, []);
  assert.equal(rows[4]!.texts[0], JSON.parse(imageLines[4]!).text);
  // Path mode has nothing to write: no image directory appears.
  await generateDataset(
    small(join(dir, 'p.jsonl'), { imagesPerRow: 0, imageMode: 'path', imageDir: join(dir, 'img') }),
  );
  assert.ok(!(await readdir(dir)).includes('img'));
});

test('--images-per-row other than 0 or the window, and text-only rows without words, are refused', async () => {
  const dir = await tempDir();
  await assert.rejects(
    generateDataset(small(join(dir, 'x.jsonl'), { imagesPerRow: 1 })),
    /--images-per-row must be 0 \(text-only rows\) or the window \(2\)/,
  );
  await assert.rejects(
    generateDataset(small(join(dir, 'x.jsonl'), { imagesPerRow: 0, words: 0 })),
    /neither text nor image/,
  );
  assert.deepEqual(await readdir(dir), []);
});

test('nothing is held per row: 200,000 rows generate in a 20 MB heap', async () => {
  const { spawnSync } = await import('node:child_process');
  const dir = await tempDir();
  // The plan used to be an array of row objects: 27 MB for these rows alone (45 MB with images).
  const r = spawnSync(
    process.execPath,
    [
      '--max-old-space-size=20',
      'bin/mmload',
      'generate',
      '-o',
      join(dir, 't.jsonl'),
      '--users',
      '100000',
      '--turns',
      '2',
      '--images-per-row',
      '0',
      '--words',
      '1',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /200000 rows, 0 images/);
});
