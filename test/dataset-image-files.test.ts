import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { ImageFileError, LocalImageReader, sniffImageFormat } from '../src/dataset/image-files.js';
import { inspectDataset } from '../src/dataset/inspect.js';
import type { DatasetRow } from '../src/dataset/types.js';
import { ImagePathCache } from '../src/driver/local-images.js';
import { buildBody } from '../src/driver/request.js';
import { InputError, UserError } from '../src/util/errors.js';

const raw = { raw: { width: 6, height: 4, channels: 3 as const } };
const pixels = Buffer.alloc(6 * 4 * 3, 90);
const encoded = {
  png: () => sharp(pixels, raw).png().toBuffer(),
  jpeg: () => sharp(pixels, raw).jpeg().toBuffer(),
  webp: () => sharp(pixels, raw).webp().toBuffer(),
  gif: () => sharp(pixels, raw).gif().toBuffer(),
};

/** A dataset directory with one image, a secret outside it, and the usual ways to reach the secret. */
async function layout() {
  const base = await mkdtemp(join(tmpdir(), 'mmload-imgfiles-'));
  const data = join(base, 'data');
  const outside = join(base, 'outside');
  await mkdir(join(data, 'img'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(data, 'img', 'ok.png'), await encoded.png());
  await writeFile(join(outside, 'secret.txt'), 'password=hunter2\n');
  await writeFile(join(outside, 'private.png'), await encoded.png());
  await writeFile(join(data, 'notes.png'), 'not an image, but named like one\n');
  await symlink(join(outside, 'secret.txt'), join(data, 'cat.png'));
  await symlink(join(outside, 'private.png'), join(data, 'linked.png'));
  await symlink(join(data, 'img', 'ok.png'), join(data, 'inside-link.png'));
  return { base, data, outside, dataset: join(data, 'd.jsonl') };
}

const row = (file: string, line: number): DatasetRow => ({
  file,
  line,
  byteOffset: 0,
  byteLength: 0,
  sessionId: 's',
  texts: ['t'],
  images: [],
});
const pathRef = (p: string) => ({ kind: 'path' as const, path: p, resolved: resolve(p) });

test('formats are told by content: PNG, JPEG, WebP and GIF, nothing else', async () => {
  for (const [format, make] of Object.entries(encoded)) {
    assert.equal(sniffImageFormat(await make()), format);
  }
  for (const junk of [
    Buffer.from('hello'),
    Buffer.from('GIF8 but not a gif'),
    Buffer.from('RIFF\0\0\0\0WAVEfmt '),
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), // ELF
    Buffer.from('%PDF-1.7\n'),
    Buffer.alloc(0),
  ]) {
    assert.equal(sniffImageFormat(junk), undefined, junk.toString('latin1'));
  }
});

test('local images: read when inside the root and images by content; refused otherwise, with why', async () => {
  const { data, outside, dataset } = await layout();
  const reader = new LocalImageReader();
  const ok = await reader.read(join(data, 'img', 'ok.png'), dataset);
  assert.equal(ok.format, 'png');
  assert.deepEqual(ok.header, { format: 'png', width: 6, height: 4 });
  assert.equal((await reader.read(join(data, 'inside-link.png'), dataset)).format, 'png');
  const refusals: [string, RegExp][] = [
    [
      join(data, 'cat.png'),
      /cat\.png \(-> .*outside\/secret\.txt\) is outside the image root .*data; pass --image-root/,
    ],
    [join(data, 'linked.png'), /linked\.png \(-> .*private\.png\) is outside the image root/],
    [join(data, '..', 'outside', 'private.png'), /private\.png is outside the image root/],
    [join(data, 'notes.png'), /notes\.png is not a PNG, JPEG, WebP or GIF image \(judged by its content/],
    [join(data, 'img'), /img is not a regular file/],
    [join(data, 'missing.png'), /image file not found/],
  ];
  for (const [path, re] of refusals) {
    await assert.rejects(
      reader.read(path, dataset),
      (e: unknown) => e instanceof ImageFileError && re.test(e.message),
      path,
    );
  }
  // --image-root / lets any file in, but only if it is an image.
  const open = new LocalImageReader({ root: '/' });
  assert.equal((await open.read(join(data, 'linked.png'), dataset)).format, 'png');
  await assert.rejects(
    open.read(join(data, 'cat.png'), dataset),
    /secret\.txt\) is not a PNG, JPEG, WebP or GIF image/,
  );
  await assert.rejects(open.read(join(outside, 'secret.txt'), dataset), /is not a PNG/);
  // A root that is no directory is a flag error.
  await assert.rejects(
    new LocalImageReader({ root: join(data, 'nowhere') }).read(join(data, 'img', 'ok.png'), dataset),
    (e: unknown) =>
      e instanceof UserError &&
      !(e instanceof InputError) &&
      /--image-root .*nowhere: no such directory/.test(e.message),
  );
});

test('a FIFO named like an image is refused without hanging', async (t) => {
  const { data, dataset } = await layout();
  const fifo = join(data, 'pipe.png');
  if (spawnSync('mkfifo', [fifo]).status !== 0) {
    t.skip('mkfifo is not available');
    return;
  }
  await assert.rejects(new LocalImageReader().read(fifo, dataset), /pipe\.png is not a regular file/);
});

test('ImagePathCache: data URL typed by content; each row naming a refused file fails with its own line', async () => {
  const { data, dataset } = await layout();
  await writeFile(join(data, 'really-png.jpg'), await encoded.png());
  const cache = new ImagePathCache();
  const { parts } = await cache.get(pathRef(join(data, 'really-png.jpg')), row(dataset, 1));
  assert.match((parts[0] as Buffer).toString('latin1', 0, 40), /^data:image\/png;base64,iVBORw0KGgo/);
  for (const line of [3, 7]) {
    await assert.rejects(
      cache.get(pathRef(join(data, 'cat.png')), row(dataset, line)),
      (e: unknown) =>
        e instanceof InputError &&
        e.line === line &&
        e.field === 'images' &&
        e.exitCode === 2 &&
        e.message.startsWith(`${dataset}:${line} field "images": `),
    );
  }
  // The default root is each dataset's own directory; the driver passes --image-root.
  const other = join(await mkdtemp(join(tmpdir(), 'mmload-imgfiles-')), 'other.jsonl');
  await assert.rejects(
    cache.get(pathRef(join(data, 'img', 'ok.png')), row(other, 1)),
    /outside the image root/,
  );
  const rooted = new ImagePathCache({ root: data });
  await rooted.get(pathRef(join(data, 'img', 'ok.png')), row(other, 1));
  // buildBody refuses the row before any byte could be sent.
  await assert.rejects(
    buildBody(
      { ...row(dataset, 9), images: [pathRef(join(data, 'notes.png'))] },
      { model: 'm', useMaxCompletionTokens: false, includeUsage: true, extraInputs: {} },
      cache,
    ),
    /d\.jsonl:9 field "images": .*notes\.png is not a PNG/,
  );
});

test('inspect reports rows naming a symlinked or disguised non-image, or a file outside the root', async () => {
  const { data, dataset } = await layout();
  const write = (images: string[]) =>
    writeFile(
      dataset,
      `${[
        JSON.stringify({ session_id: 'a', text: 'x', images: [join(data, 'img', 'ok.png')] }),
        JSON.stringify({ session_id: 'a', text: 'y', images }),
      ].join('\n')}\n`,
    );
  for (const [images, re] of [
    [[join(data, 'cat.png')], /is outside the image root/],
    [[join(data, 'notes.png')], /is not a PNG, JPEG, WebP or GIF image/],
    [[join(data, 'linked.png')], /is outside the image root/],
  ] as [string[], RegExp][]) {
    await write(images);
    const err = await inspectDataset(dataset).then(
      () => assert.fail(`${images} should be refused`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof InputError);
    assert.equal(err.line, 2);
    assert.equal(err.field, 'images');
    assert.match(err.message, re);
  }
  await write([join(data, 'linked.png')]);
  const s = await inspectDataset(dataset, { imageRoot: '/' });
  assert.equal(s.images, 2);
  assert.deepEqual(s.imageFormats, { 'png 6x4': 1 }, 'the same picture twice');
  // Through the CLI: exit 2 with file, line and field; --image-root / lets the image in.
  await write([join(data, 'cat.png')]);
  const bin = resolve('bin/mmload');
  let r = spawnSync(process.execPath, [bin, 'inspect', dataset], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /d\.jsonl:2 field "images": .*cat\.png .* is outside the image root/);
  await write([join(data, 'linked.png')]);
  r = spawnSync(process.execPath, [bin, 'inspect', dataset, '--image-root', '/'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
