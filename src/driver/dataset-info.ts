import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { manifestPathFor } from '../dataset/manifest.js';
import { datasetFileSize } from '../dataset/reader.js';

/**
 * What a result records of its dataset, so that it can be cited and shards of one run checked
 * against each other: the generator's manifest when it matches the file (its sha256 covers every
 * byte), else a sha256 computed here for files up to FULL_HASH_LIMIT, else a fingerprint of the
 * size and the first and last 4 MiB (a 12.5 GB hash would delay the first request by a minute).
 */
const FULL_HASH_LIMIT = 1 << 30;
const EDGE = 4 << 20;

export interface DatasetInfo {
  path: string;
  bytes: number;
  sha256?: string;
  fingerprint?: string;
  rows?: number;
  manifest?: Record<string, unknown>;
}

export async function datasetInfo(path: string): Promise<DatasetInfo> {
  const size = await datasetFileSize(path);
  const info: DatasetInfo = { path, bytes: size };
  try {
    const m = JSON.parse(await readFile(manifestPathFor(path), 'utf8')) as Record<string, unknown>;
    if (m.bytes === size && typeof m.sha256 === 'string') {
      info.sha256 = m.sha256;
      if (typeof m.rows === 'number') info.rows = m.rows;
      info.manifest = m;
      return info;
    }
  } catch {
    // no manifest, or not ours: hash below
  }
  if (size <= FULL_HASH_LIMIT) {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
    info.sha256 = h.digest('hex');
    return info;
  }
  const fh = await open(path, 'r');
  try {
    const h = createHash('sha256').update(`size:${size}`);
    const buf = Buffer.allocUnsafe(EDGE);
    for (const pos of [0, Math.max(0, size - EDGE)]) {
      const { bytesRead } = await fh.read(buf, 0, EDGE, pos);
      h.update(buf.subarray(0, bytesRead));
    }
    info.fingerprint = h.digest('hex');
  } finally {
    await fh.close();
  }
  return info;
}
