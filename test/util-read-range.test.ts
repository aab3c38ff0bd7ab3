import assert from 'node:assert/strict';
import { type FileHandle, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readFdRangeInto, readFdRangeIntoSync, readRange } from '../src/util/read-range.js';

/** Runs `fn` on a 3 MiB file of known bytes, open for reading. */
async function withFile(fn: (fh: FileHandle, bytes: Buffer) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-range-'));
  const path = join(dir, 'f');
  const bytes = Buffer.from(Array.from({ length: 3 << 20 }, (_, i) => i % 251));
  await writeFile(path, bytes);
  const fh = await open(path, 'r');
  try {
    await fn(fh, bytes);
  } finally {
    await fh.close();
    await rm(dir, { recursive: true });
  }
}

test('readRange: the exact bytes at a position; fewer only when the file ends first', () =>
  withFile(async (fh, bytes) => {
    assert.ok((await readRange(fh, 12_345, 2 << 20)).equals(bytes.subarray(12_345, 12_345 + (2 << 20))));
    assert.equal((await readRange(fh, 0, 0)).length, 0);
    const tail = await readRange(fh, bytes.length - 10, 100);
    assert.ok(tail.equals(bytes.subarray(bytes.length - 10)), 'short at the end of the file');
  }));

test('readFdRangeInto and its sync twin: the bytes at a position into a reused buffer; fewer only at the end of the file', () =>
  withFile(async (fh, bytes) => {
    const buf = Buffer.alloc(2 << 20);
    for (const read of [readFdRangeInto, readFdRangeIntoSync]) {
      buf.fill(0);
      assert.equal(await read(fh.fd, buf, 12_345, 2 << 20), 2 << 20);
      assert.ok(buf.equals(bytes.subarray(12_345, 12_345 + (2 << 20))), read.name);
      assert.equal(await read(fh.fd, buf, bytes.length - 10, 100), 10, `${read.name}: short at the end`);
      assert.ok(buf.subarray(0, 10).equals(bytes.subarray(bytes.length - 10)));
    }
  }));
