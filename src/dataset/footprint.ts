import { base64Length } from '../util/data-url.js';
import { formatBytes } from '../util/format.js';
import { hasImages, imageCount, rowCount, type Shape } from './plan.js';
import { loadVocabulary } from './text.js';

/**
 * What a generate plan needs before it starts: disk for each thing it writes and memory for
 * what it keeps. Everything that grows with the plan is here; the generator itself holds one
 * row and a bounded number of images at a time (see generate.ts).
 */
export interface Footprint {
  rows: number;
  /** Expected size of the JSONL (images counted only when their size is predictable). */
  jsonlBytes: number;
  /** Path mode: the image files. */
  imageFileBytes: number;
  /** Inline mode to a pipe: each distinct data URL is kept in a temporary spill file. */
  spillBytes: number;
  /** Inline mode: offset and length of each image still to be repeated, per user and window slot. */
  tableBytes: number;
}

export interface FootprintInput extends Shape {
  words: number;
  imageMode: 'inline' | 'path';
  toStdout: boolean;
  mime: string;
  /** Directory written into the JSONL in path mode, and the image files' extension. */
  imageDir?: string;
  extension: string;
  /**
   * Encoded size of one image, when every image of the plan has about that size (noise is
   * incompressible, so its size hardly varies); undefined when it cannot be predicted.
   */
  imageBytes?: number;
}

/** Above this the repeat table is refused: it is the one structure that grows with users x window. */
export const TABLE_LIMIT_BYTES = 2 ** 31;

/** Sum of the decimal lengths of 0 .. n-1. */
export function digitsUpTo(n: number): number {
  let total = 0;
  for (let lo = 0, width = 1, hi = 10; lo < n; lo = hi, hi *= 10, width++) {
    total += (Math.min(n, hi) - lo) * width;
  }
  return total;
}

/** Mean bytes a word adds to a row's text (the word and its separating space). */
export function meanWordBytes(vocab = loadVocabulary()): number {
  let sum = 0;
  for (const w of vocab) sum += Buffer.byteLength(w) + 1;
  return sum / vocab.length;
}

/**
 * Text is uniform draws from the vocabulary, so its total length is the mean times the number
 * of words to well under 0.1% for any plan big enough to matter; image bytes are exact for noise.
 */
export function planFootprint(p: FootprintInput): Footprint {
  const rows = rowCount(p);
  const images = hasImages(p);
  const textBytes = p.words === 0 ? 0 : p.words * meanWordBytes() - 1;
  // {"session_id":"user_<u>","text":"<text>"}\n, each user's id once per turn
  let jsonl =
    rows * (Buffer.byteLength('{"session_id":"user_","text":""}\n') + textBytes) +
    p.turns * digitsUpTo(p.users);
  let imageFileBytes = 0;
  let spillBytes = 0;
  if (images) {
    const refs = rows * p.window;
    jsonl += rows * Buffer.byteLength(',"images":[]') + refs - rows; // brackets and commas
    const known = p.imageBytes ?? 0;
    if (p.imageMode === 'inline') {
      const urlBytes = Buffer.byteLength(`data:${p.mime};base64,`) + base64Length(known);
      jsonl += refs * (urlBytes + 2);
      if (p.toStdout) spillBytes = imageCount(p) * urlBytes;
    } else {
      // "<dir>/image_00000.png": ids have at least five digits
      const pathBytes = Buffer.byteLength(JSON.stringify(`${p.imageDir ?? ''}/image_00000.${p.extension}`));
      jsonl += refs * pathBytes;
      imageFileBytes = imageCount(p) * known;
    }
  }
  const tableBytes = images && p.imageMode === 'inline' ? p.users * p.window * 16 : 0;
  return {
    rows,
    jsonlBytes: p.toStdout ? 0 : jsonl,
    imageFileBytes,
    spillBytes,
    tableBytes,
  };
}

/** Free space where each output goes; outputs on one filesystem (same `device`) share it. */
export interface Space {
  path: string;
  device: number;
  freeBytes: number;
}

/**
 * Why the plan cannot fit, or undefined. Disk: what each filesystem would receive against what
 * it has free. Memory: the repeat table against TABLE_LIMIT_BYTES.
 */
export function planRefusal(
  f: Footprint,
  where: { jsonl?: Space; images?: Space; spill?: Space },
  shape: { users: number; turns: number; window: number; words: number },
): string | undefined {
  const plan = `${f.rows.toLocaleString('en-US')} rows (--users ${shape.users} x --turns ${shape.turns}, --words ${shape.words})`;
  if (f.tableBytes > TABLE_LIMIT_BYTES) {
    return (
      `${plan} with --window ${shape.window} needs a ${formatBytes(f.tableBytes)} table to repeat ` +
      `images (16 bytes per user and window slot), more than the ${formatBytes(TABLE_LIMIT_BYTES)} allowed; ` +
      'lower --users or use --image-mode path'
    );
  }
  const needs = new Map<number, { space: Space; bytes: number; what: string[] }>();
  const add = (space: Space | undefined, bytes: number, what: string) => {
    if (!space || bytes <= 0) return;
    const e = needs.get(space.device) ?? { space, bytes: 0, what: [] };
    e.bytes += bytes;
    e.what.push(`${what} ${formatBytes(bytes)}`);
    needs.set(space.device, e);
  };
  add(where.jsonl, f.jsonlBytes, 'the JSONL');
  add(where.images, f.imageFileBytes, 'the image files');
  add(where.spill, f.spillBytes, 'the spill file of images to repeat on the pipe');
  for (const { space, bytes, what } of needs.values()) {
    if (bytes > space.freeBytes) {
      return (
        `${plan} need about ${formatBytes(bytes)}${what.length > 1 ? ` (${what.join(', ')})` : ''} on the filesystem of ` +
        `${space.path}, which has ${formatBytes(space.freeBytes)} free; lower --users, --turns or --words`
      );
    }
  }
  return undefined;
}

/**
 * How many images may be in flight (being encoded, or encoded and waiting for the writer) so
 * that their buffers fit in `budgetBytes`; undefined if not even one fits.
 */
export function imagesInFlight(
  wanted: number,
  perImageBytes: number,
  budgetBytes: number,
): number | undefined {
  const fit = Math.floor(budgetBytes / Math.max(1, perImageBytes));
  return fit < 1 ? undefined : Math.min(wanted, fit);
}
