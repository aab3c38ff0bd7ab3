import { webcrypto } from 'node:crypto';
import { InputError } from '../util/errors.js';
import { dataUrlHead, type ImageHeader, readImageHeader } from './headers.js';
import { ImageFileError, imageRootRealPath, type LocalImage, LocalImageReader } from './image-files.js';
import { datasetFileSize, readDataset } from './reader.js';
import type { DatasetRow, ImageRef } from './types.js';

export interface Distribution {
  min: number;
  max: number;
  mean: number;
}

export interface InspectSummary {
  file: string;
  bytes: number;
  rows: number;
  sessions: number;
  turnsPerSession: Distribution;
  imagesPerRow: Distribution;
  images: number;
  distinctImages: number;
  imageKinds: Record<string, number>;
  /** How many images each row shares with its session's previous row: count of rows per value. */
  sharedWithPreviousTurn: Record<string, number>;
  /** `format widthxheight` -> number of distinct images. */
  imageFormats: Record<string, number>;
  wordsPerRow: Distribution;
  layout: 'interleaved-by-turn' | 'grouped-by-session' | 'one-row-per-session' | 'other';
  orderProblems: string[];
  /** The file starts with a UTF-8 byte order mark (mmload skips it; AIPerf's loader does not). */
  bom: boolean;
  seconds: number;
  mbPerSecond: number;
}

class Dist {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  sum = 0;
  n = 0;
  add(v: number) {
    this.min = Math.min(this.min, v);
    this.max = Math.max(this.max, v);
    this.sum += v;
    this.n++;
  }
  get(): Distribution {
    return this.n === 0
      ? { min: 0, max: 0, mean: 0 }
      : { min: this.min, max: this.max, mean: this.sum / this.n };
  }
}

function countWords(texts: string[]): number {
  let n = 0;
  for (const t of texts) {
    const m = t.match(/\S+/g);
    n += m ? m.length : 0;
  }
  return n;
}

interface AnalysedImage {
  key: string;
  header?: ImageHeader;
}

/**
 * Validates and summarises a single_turn JSONL file in one streaming pass. Content hashes run on
 * libuv's threadpool (WebCrypto), overlapping with the reading of the next rows, so inspect
 * runs at close to the reader's speed.
 */
export async function inspectDataset(
  file: string,
  opts: {
    signal?: AbortSignal;
    /** Local images must lie under it (default: the dataset file's directory). */
    imageRoot?: string;
  } = {},
): Promise<InspectSummary> {
  const start = performance.now();
  const size = await datasetFileSize(file);
  if (opts.imageRoot !== undefined) await imageRootRealPath(opts.imageRoot);
  const localImages = new LocalImageReader({ root: opts.imageRoot });
  let bom = false;
  const pathCache = new Map<string, Promise<AnalysedImage>>();
  const formats = new Map<string, string>(); // content key -> format label
  const kinds: Record<string, number> = {};
  const sessions = new Map<string, { rows: number; lastKeys: string[] | undefined; lastTs?: number }>();
  const shared: Record<string, number> = {};
  const imagesPerRow = new Dist();
  const words = new Dist();
  const layout = new LayoutTracker();
  const problems: string[] = [];
  let images = 0;
  let rows = 0;

  const analysePath = (row: DatasetRow, img: Extract<ImageRef, { kind: 'path' }>) => {
    let p = pathCache.get(img.resolved);
    if (!p) {
      p = (async () => {
        let image: LocalImage;
        try {
          image = await localImages.read(img.resolved, row.file, img.path);
        } catch (err) {
          if (err instanceof ImageFileError) throw new InputError(row.file, row.line, 'images', err.message);
          throw err;
        }
        const digest = Buffer.from(await webcrypto.subtle.digest('SHA-256', image.data)).toString('hex');
        return { key: digest, header: image.header };
      })();
      pathCache.set(img.resolved, p);
    }
    return p;
  };
  const analyse = async (row: DatasetRow, img: ImageRef): Promise<AnalysedImage> => {
    if (img.kind === 'http') return { key: `url:${img.url}` };
    if (img.kind === 'path') return analysePath(row, img);
    // readDataset never yields these (only the driver's row source makes them).
    if (img.kind === 'file-range') throw new Error('inspect: unexpected file-range image');
    const digest = Buffer.from(await webcrypto.subtle.digest('SHA-256', img.url)).toString('hex');
    let head = dataUrlHead(img.url, 33);
    let header = readImageHeader(head);
    if (header.format === 'jpeg' && header.width === undefined) {
      head = dataUrlHead(img.url, 256 * 1024);
      header = readImageHeader(head);
    }
    if (header.format === 'unknown') {
      throw new InputError(
        row.file,
        row.line,
        'images',
        `data URL (${img.mime}) does not hold a PNG, JPEG, GIF or WebP image`,
      );
    }
    return { key: digest, header };
  };

  const finishRow = (row: DatasetRow, analysed: AnalysedImage[]) => {
    const sid = row.sessionId ?? `(line ${row.line})`;
    const keys = analysed.map((a) => a.key);
    for (const a of analysed) {
      if (!formats.has(a.key)) {
        const h = a.header;
        formats.set(a.key, h ? `${h.format} ${h.width ?? '?'}x${h.height ?? '?'}` : 'url (not fetched)');
      }
    }
    let s = sessions.get(sid);
    if (!s) {
      s = { rows: 0, lastKeys: undefined };
      sessions.set(sid, s);
    } else if (s.lastKeys) {
      const prev = new Set(s.lastKeys);
      const n = keys.filter((k) => prev.has(k)).length;
      shared[n] = (shared[n] ?? 0) + 1;
    }
    if (row.timestampMs !== undefined) {
      if (s.lastTs !== undefined && row.timestampMs < s.lastTs && problems.length < 20) {
        problems.push(`line ${row.line}: timestamp goes back in time within session ${sid}`);
      }
      s.lastTs = row.timestampMs;
    }
    s.rows++;
    s.lastKeys = keys;
  };

  // Rows are analysed asynchronously, at most `depth` behind the reader, and finished in order.
  const depth = 3;
  const inflight: { row: DatasetRow; done: Promise<AnalysedImage[]> }[] = [];
  const drainOne = async () => {
    const head = inflight.shift()!;
    finishRow(head.row, await head.done);
  };
  try {
    const onBom = () => {
      bom = true;
    };
    for await (const row of readDataset(file, { signal: opts.signal, onBom })) {
      rows++;
      layout.add(row.sessionId ?? `(line ${row.line})`);
      imagesPerRow.add(row.images.length);
      words.add(countWords(row.texts));
      images += row.images.length;
      for (const img of row.images) kinds[img.kind] = (kinds[img.kind] ?? 0) + 1;
      const done = Promise.all(row.images.map((img) => analyse(row, img)));
      done.catch(() => {});
      inflight.push({ row, done });
      if (inflight.length >= depth) await drainOne();
    }
    while (inflight.length > 0) await drainOne();
  } finally {
    await Promise.allSettled(inflight.map((i) => i.done));
  }

  const formatCounts: Record<string, number> = {};
  for (const label of formats.values()) formatCounts[label] = (formatCounts[label] ?? 0) + 1;
  const turns = new Dist();
  for (const s of sessions.values()) turns.add(s.rows);
  const seconds = (performance.now() - start) / 1000;
  return {
    file,
    bytes: size,
    rows,
    sessions: sessions.size,
    turnsPerSession: turns.get(),
    imagesPerRow: imagesPerRow.get(),
    images,
    distinctImages: formats.size,
    imageKinds: kinds,
    sharedWithPreviousTurn: shared,
    imageFormats: formatCounts,
    wordsPerRow: words.get(),
    layout: layout.layout,
    orderProblems: problems,
    bom,
    seconds,
    mbPerSecond: size / 1e6 / Math.max(seconds, 1e-9),
  };
}

/**
 * Classifies the order of session ids as rows stream past, in memory proportional to the
 * number of sessions (not rows): grouped if no session comes back after another one started;
 * interleaved if the file is its first block of distinct sessions repeated (possibly ragged at
 * the end).
 */
export class LayoutTracker {
  private readonly seen = new Set<string>();
  private readonly closed = new Set<string>();
  private readonly block: string[] = [];
  private blockDone = false;
  private prev: string | undefined;
  private rows = 0;
  private grouped = true;
  private interleaved = true;

  add(session: string): void {
    const isNew = !this.seen.has(session);
    if (this.prev !== undefined && this.prev !== session) {
      this.closed.add(this.prev);
      if (this.closed.has(session)) this.grouped = false;
    }
    if (!this.blockDone) {
      if (isNew) this.block.push(session);
      else this.blockDone = true;
    }
    if (this.blockDone && (isNew || this.block[this.rows % this.block.length] !== session)) {
      this.interleaved = false;
    }
    this.seen.add(session);
    this.prev = session;
    this.rows++;
  }

  get layout(): InspectSummary['layout'] {
    if (this.seen.size === this.rows) return 'one-row-per-session';
    if (this.grouped) return 'grouped-by-session';
    return this.interleaved ? 'interleaved-by-turn' : 'other';
  }
}

/** Classifies a whole list of session ids (see LayoutTracker). */
export function layoutOf(order: string[]): InspectSummary['layout'] {
  const t = new LayoutTracker();
  for (const s of order) t.add(s);
  return t.layout;
}

export function formatSummary(s: InspectSummary): string {
  const d = (x: Distribution, digits = 1) =>
    x.min === x.max ? String(x.min) : `${x.min}..${x.max} (mean ${x.mean.toFixed(digits)})`;
  const kv = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || '-';
  const textOnly = s.images === 0;
  const lines = [
    `file                 ${s.file} (${(s.bytes / 1e6).toFixed(1)} MB)`,
    `rows                 ${s.rows}`,
    `sessions             ${s.sessions}, turns per session ${d(s.turnsPerSession)}`,
    `layout               ${s.layout}`,
    ...(textOnly
      ? ['images               none (text-only rows)']
      : [
          `images per row       ${d(s.imagesPerRow)}`,
          `images               ${s.images} references, ${s.distinctImages} distinct by content (${kv(s.imageKinds)})`,
          `shared with previous turn of the session: ${kv(s.sharedWithPreviousTurn)}  (images shared: rows)`,
          `image formats        ${kv(s.imageFormats)}  (distinct images)`,
        ]),
    `words per row        ${d(s.wordsPerRow)}`,
    `order problems       ${s.orderProblems.length === 0 ? 'none' : s.orderProblems.join('; ')}`,
    ...(s.bom
      ? [
          "byte order mark      the file starts with a UTF-8 BOM: mmload skips it, AIPerf's single_turn loader rejects the file (remove it: sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)",
        ]
      : []),
    `read in              ${s.seconds.toFixed(2)} s (${s.mbPerSecond.toFixed(0)} MB/s)`,
  ];
  return `${lines.join('\n')}\n`;
}
