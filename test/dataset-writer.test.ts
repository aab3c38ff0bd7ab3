import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type OpenFile, openFileSink } from '../src/dataset/writer.js';

test('file sink: small and large chunks, written behind the caller, land in order; read-back after writtenUpTo', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-sink-'));
  const path = join(dir, 'out.jsonl');
  const sink = await openFileSink(path);
  const chunks = [
    randomBytes(10),
    randomBytes(3 << 20),
    randomBytes(700_000),
    randomBytes(5),
    randomBytes(2 << 20),
  ];
  const offsets: number[] = [];
  for (const [i, c] of chunks.entries()) offsets.push(await (i % 2 ? sink.handOver(c) : sink.write(c)));
  const all = Buffer.concat(chunks);
  assert.deepEqual(offsets, [0, 10, 10 + (3 << 20), 10 + (3 << 20) + 700_000, 15 + (3 << 20) + 700_000]);
  // A range is readable from the file once writtenUpTo has passed its end, staged bytes included.
  await sink.writtenUpTo(offsets[3]! + 5);
  const back = Buffer.alloc(700_005);
  await sink.readable!.read(back, 0, back.length, offsets[2]!);
  assert.ok(back.equals(all.subarray(offsets[2]!, offsets[3]! + 5)));
  assert.equal(sink.sha256(), createHash('sha256').update(all).digest('hex'));
  await sink.commit();
  assert.ok((await readFile(path)).equals(all));
});

test('file sink: a write that fails behind the caller is thrown by a later call, and nothing is left under the name', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-sink-'));
  const path = join(dir, 'out.jsonl');
  let written = 0;
  // A disk that fills up after 4 MiB.
  const full: OpenFile = async (p, flags) => {
    const fh = await open(p, flags);
    const write = fh.write.bind(fh) as (...a: unknown[]) => Promise<{ bytesWritten: number }>;
    (fh as unknown as { write: unknown }).write = async (...a: unknown[]) => {
      if (written >= 4 << 20) throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
      const r = await write(...a);
      written += r.bytesWritten;
      return r;
    };
    return fh;
  };
  const sink = await openFileSink(path, full);
  await assert.rejects(
    (async () => {
      for (let i = 0; i < 8; i++) await sink.handOver(randomBytes(2 << 20));
      await sink.commit();
    })(),
    /disk full while writing .*out\.jsonl/,
  );
  await sink.abort();
  assert.equal(existsSync(path), false);
  assert.equal(existsSync(sink.tempPath), false);
});
