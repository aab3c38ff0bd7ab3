import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { type FileHandle, mkdir, mkdtemp, open, readdir, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { type GenerateOptions, generateDataset, RECIPE_DEFAULTS } from '../src/dataset/generate.js';
import type { OpenFile } from '../src/dataset/writer.js';
import { UserError } from '../src/util/errors.js';

const BIN = resolve('bin/mmload');

const opts = (dir: string, extra: Partial<GenerateOptions> = {}): GenerateOptions => ({
  ...RECIPE_DEFAULTS,
  users: 4,
  turns: 4,
  window: 2,
  words: 50,
  width: 200,
  height: 200,
  output: join(dir, 'o.jsonl'),
  imageDir: join(dir, 'img'),
  threads: 2,
  ...extra,
});

/**
 * A disk that holds `capacity` bytes across every file opened through it: the write that
 * reaches the limit is cut short, the next fails with ENOSPC, as a real full disk does.
 * Remembers the files it cut, to prove that partial files existed before the clean-up.
 */
function fullDisk(capacity: number): { openFile: OpenFile; cut: string[] } {
  let used = 0;
  const cut: string[] = [];
  const openFile: OpenFile = async (path, flags) => {
    const fh = await open(path, flags);
    const write = fh.write.bind(fh) as (
      b: Buffer,
      o: number,
      l: number,
      p?: number | null,
    ) => Promise<{ bytesWritten: number; buffer: Buffer }>;
    (fh as unknown as { write: unknown }).write = async (
      buf: Buffer,
      offset = 0,
      length = buf.length - offset,
      position: number | null = null,
    ) => {
      const room = capacity - used;
      if (room <= 0) {
        throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC' });
      }
      if (room < length) cut.push(path);
      // Reserved before the write: images are written concurrently.
      const n = Math.min(length, room);
      used += n;
      const r = await write(buf, offset, n, position);
      used -= n - r.bytesWritten;
      return r;
    };
    return fh as FileHandle;
  };
  return { openFile, cut };
}

for (const imageMode of ['inline', 'path'] as const) {
  test(`${imageMode} mode on a full disk (injected): exit 1 naming the disk, every file it wrote removed`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mmload-full-'));
    // 200x200 noise PNG: 120 kB a file; the disk fills on the third image (path) or row (inline).
    const disk = fullDisk(300_000);
    const err = await generateDataset(opts(dir, { imageMode, openFile: disk.openFile })).then(
      () => assert.fail('the disk is full'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UserError, String(err));
    assert.equal(err.exitCode, 1);
    assert.match(err.message, /^disk full while writing /);
    assert.ok(disk.cut.length > 0, 'a file was cut short');
    if (imageMode === 'path')
      assert.ok(
        disk.cut.some((f) => f.endsWith('.png')),
        'a partial PNG existed',
      );
    assert.deepEqual(await readdir(dir), [], 'no JSONL, temp file, manifest, image or image directory');
  });
}

test('a failing manifest write removes the data and the images (the manifest is written first)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-full-'));
  const o = opts(dir, { imageMode: 'path', users: 2, turns: 2, width: 16, height: 16 });
  const manifest = `${o.output}.manifest.json`;
  await assert.rejects(
    generateDataset({
      ...o,
      // A directory appears where the manifest goes after the checks at start.
      onProgress: (p) => {
        if (p.rows === p.totalRows) mkdirSync(manifest);
      },
    }),
    /cannot write .*manifest\.json: it is a directory/,
  );
  assert.deepEqual(await readdir(dir), ['o.jsonl.manifest.json']);
  await rmdir(manifest);
});

test('path mode: an interruption removes the image files written so far', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-full-'));
  const controller = new AbortController();
  await assert.rejects(
    generateDataset(
      opts(dir, {
        imageMode: 'path',
        signal: controller.signal,
        onProgress: (p) => {
          if (p.rows === 6) controller.abort();
        },
      }),
    ),
    (e: unknown) => e instanceof UserError && e.exitCode === 130 && /interrupted/.test(e.message),
  );
  assert.deepEqual(await readdir(dir), []);
});

test('an output or manifest path that is a directory is refused at start, exit 2', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-full-'));
  await mkdir(join(dir, 'd.jsonl'));
  await assert.rejects(
    generateDataset(opts(dir, { output: join(dir, 'd.jsonl'), force: true })),
    (e: unknown) => e instanceof UserError && e.exitCode === 2 && /d\.jsonl is a directory/.test(e.message),
  );
  await mkdir(join(dir, 'e.jsonl.manifest.json'));
  await assert.rejects(
    generateDataset(opts(dir, { output: join(dir, 'e.jsonl') })),
    (e: unknown) =>
      e instanceof UserError && e.exitCode === 2 && /manifest\.json is a directory/.test(e.message),
  );
  assert.deepEqual((await readdir(dir)).sort(), ['d.jsonl', 'e.jsonl.manifest.json']);
});

test('SIGTERM during path-mode generate: exit 143 naming SIGTERM, nothing left', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-full-'));
  const child = spawn(
    process.execPath,
    [
      BIN,
      'generate',
      '-o',
      'big.jsonl',
      '--image-mode',
      'path',
      '--users',
      '30',
      '--turns',
      '8',
      '--image-size',
      '400x300',
      '--threads',
      '1',
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const images = join(dir, 'big.jsonl_images');
  for (let i = 0; i < 400; i++) {
    if ((await readdir(images).catch(() => [])).length >= 3) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok((await readdir(images)).length >= 3, 'image files were being written');
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 143, stderr);
  assert.match(stderr, /interrupted \(SIGTERM\)/);
  assert.deepEqual(await readdir(dir), []);
});

/** A tmpfs of `size` mounted for the test, or undefined when the suite cannot mount (not root). */
function mountTmpfs(dir: string, size: string): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

for (const imageMode of ['inline', 'path'] as const) {
  test(`${imageMode} mode on a real full disk (a 1 MiB tmpfs): refused up front if predictable, else cleaned up`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'mmload-tmpfs-'));
    if (!mountTmpfs(dir, '1m')) {
      t.skip('needs root and mount -t tmpfs (the injected full disk above covers the same path)');
      await rmdir(dir);
      return;
    }
    try {
      // Noise has a known size: a plan too big for the disk is refused before anything is written.
      const refused = await generateDataset(opts(dir, { imageMode })).then(
        () => assert.fail('should be refused'),
        (e: unknown) => e,
      );
      assert.ok(refused instanceof UserError && refused.exitCode === 2, String(refused));
      assert.match(refused.message, /refusing to generate: 16 rows .* need about .* which has 1\.0 MiB free/);
      assert.deepEqual(await readdir(dir), []);
      // Screenshot-like images compress unpredictably, so they are not counted ahead: the disk
      // really fills up mid-write (level-0 PNGs of 120 kB each).
      const err = await generateDataset(
        opts(dir, { imageMode, content: 'screenshot', pngLevel: 0, users: 6 }),
      ).then(
        () => assert.fail('the disk is full'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof UserError, String(err));
      assert.match(err.message, /^disk full while writing /);
      assert.deepEqual(await readdir(dir), []);
      assert.equal((await stat(dir)).isDirectory(), true);
    } finally {
      execFileSync('umount', [dir]);
      await rmdir(dir);
    }
  });
}
