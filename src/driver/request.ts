import { ImageFileError, type ImageRootOptions, LocalImageReader } from '../dataset/image-files.js';
import type { DatasetRow, ImageRef } from '../dataset/types.js';
import type { ClientHealth } from '../metrics/summary.js';
import { InputError, UserError } from '../util/errors.js';
import { encodeDataUrl } from './image-encoder.js';

/**
 * A request body in AIPerf's shape, built once per request as a list of Buffers: the data-URL
 * images of the dataset row are spliced in as they stand in the file (never decoded, copied into
 * strings or re-encoded), so a 52 MB body costs a few small allocations.
 */
export interface RequestBody {
  /** Buffers, and image bytes left in the dataset file (read while the body is uploaded). */
  parts: Array<Buffer | FileRange>;
  length: number;
}

/** `length` bytes at `offset` of `file`. */
export interface FileRange {
  file: string;
  offset: number;
  length: number;
}

export interface BodySettings {
  model: string;
  /** Output-token limit, as max_tokens or (useMaxCompletionTokens) max_completion_tokens. */
  maxTokens?: number;
  useMaxCompletionTokens: boolean;
  /** stream_options.include_usage: the server's completion_tokens count the output. */
  includeUsage: boolean;
  /** `--extra-inputs`, merged into every body after the limits (AIPerf's order). */
  extraInputs: Record<string, unknown>;
}

/** AIPerf's coerce_value: true/false, none/null, integers without a leading zero, one-dot decimals. */
export function coerceValue(v: string): unknown {
  const low = v.toLowerCase();
  if (low === 'true' || low === 'false') return low === 'true';
  if (low === 'none' || low === 'null') return null;
  if (/^-?\d+$/.test(v) && !/^-?0\d/.test(v)) return Number.parseInt(v, 10);
  if (/^-?[\d.]+$/.test(v) && v.split('.').length === 2 && /\d/.test(v)) return Number.parseFloat(v);
  return v;
}

/**
 * `--extra-inputs` with AIPerf's syntax (parse_str_or_dict_as_tuple_list): each item is a JSON
 * object (starts with `{`) or comma-separated `key:value` pairs split at the first colon, values
 * coerced as AIPerf does (`ignore_eos:true` -> true, `min_tokens:1024` -> 1024).
 */
export function parseExtraInputs(items: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of items) {
    const t = item.trim();
    if (t.startsWith('{')) {
      let obj: unknown;
      try {
        obj = JSON.parse(t);
      } catch {
        throw new UserError(`--extra-inputs ${item}: not valid JSON`);
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        throw new UserError(`--extra-inputs ${item}: must be a JSON object`);
      }
      Object.assign(out, obj);
      continue;
    }
    for (const pair of t.split(',')) {
      const i = pair.indexOf(':');
      if (i <= 0)
        throw new UserError(
          `--extra-inputs ${item}: expected key:value (e.g. min_tokens:1024, ignore_eos:true)`,
        );
      out[pair.slice(0, i).trim()] = coerceValue(pair.slice(i + 1).trim());
    }
  }
  return out;
}

/** How the local-image cache of a run fared (path datasets). */
export type ImageCacheStats = NonNullable<ClientHealth['localImages']>;

/** The default budget of encoded local images: the recipe's working set at concurrency 30 (~1.6 GB) fits. */
export const DEFAULT_IMAGE_CACHE_MB = 2048;

/**
 * Local image files read and encoded into data URLs, kept for the rows that use them again (a
 * sliding-window dataset names each image in several turns) within a byte budget, the least
 * recently used let go first: the recipe's path-mode dataset names 3.7 GB of encoded images, which
 * a pod's memory limit need not hold. Each file is confined to the image root and must hold a PNG,
 * JPEG, WebP or GIF image by its content (dataset/image-files.ts); a refused file is an InputError
 * naming the row that names it.
 */
export class ImagePathCache {
  private readonly files: LocalImageReader;
  /** In use order, least recent first (a Map keeps insertion order; a hit re-inserts). */
  private readonly cache = new Map<string, { p: Promise<Buffer | ImageFileError>; bytes: number }>();
  private readonly evicted = new Set<string>();
  private bytes = 0;
  readonly stats: ImageCacheStats;

  /** `root`: the directory local images must lie under (default: each dataset file's own). */
  constructor(opts: ImageRootOptions & { maxBytes?: number } = {}) {
    this.files = new LocalImageReader(opts);
    this.stats = {
      reads: 0,
      rereads: 0,
      hits: 0,
      maxBytes: opts.maxBytes ?? DEFAULT_IMAGE_CACHE_MB * 2 ** 20,
    };
  }

  async get(ref: Extract<ImageRef, { kind: 'path' }>, row: DatasetRow): Promise<Buffer> {
    const key = `${row.file}\0${ref.resolved}`;
    let entry = this.cache.get(key);
    if (entry) {
      this.stats.hits++;
      this.cache.delete(key);
      this.cache.set(key, entry);
    } else {
      this.stats.reads++;
      if (this.evicted.delete(key)) this.stats.rereads++;
      const fresh = { bytes: 0, p: undefined as unknown as Promise<Buffer | ImageFileError> };
      fresh.p = this.files.read(ref.resolved, row.file, ref.path).then(
        async ({ data, format }) => {
          const url = await encodeDataUrl(format, data, true);
          if (this.cache.get(key) === fresh) {
            fresh.bytes = url.length;
            this.bytes += url.length;
            this.evict(key);
          }
          return url;
        },
        (err: unknown) => {
          if (err instanceof ImageFileError) return err;
          throw err;
        },
      );
      entry = fresh;
      this.cache.set(key, entry);
    }
    const r = await entry.p;
    // Every row naming a refused file is refused with its own line.
    if (r instanceof ImageFileError) throw new InputError(row.file, row.line, 'images', r.message);
    return r;
  }

  /** Lets the least recently used images go until the budget holds (never `keep`, just read). */
  private evict(keep: string): void {
    for (const [key, e] of this.cache) {
      if (this.bytes <= this.stats.maxBytes) return;
      // Still being read (bytes 0) or the image just read: kept.
      if (key === keep || e.bytes === 0) continue;
      this.cache.delete(key);
      this.evicted.add(key);
      this.bytes -= e.bytes;
    }
  }
}

const P = (s: string) => Buffer.from(s);
const OPEN_USER_PARTS = P('{"messages":[{"role":"user","content":[');
const OPEN_USER_STRING = P('{"messages":[{"role":"user","content":');
const TEXT_OPEN = P('{"type":"text","text":');
const CLOSE_OBJ = P('}');
const COMMA = P(',');
const IMAGE_OPEN = P('{"type":"image_url","image_url":{"url":"');
const IMAGE_CLOSE = P('"}}');
const CLOSE_PARTS = P(']}],');
const CLOSE_STRING = P('}],');

/**
 * The body's fields after the prompt, in AIPerf's order: model, stream, usage, the token limit,
 * then --extra-inputs and the row's own `extra` (the same for every endpoint).
 */
export function bodyTail(row: DatasetRow, s: BodySettings): Record<string, unknown> {
  const tail: Record<string, unknown> = { model: s.model, stream: true };
  if (s.includeUsage) tail.stream_options = { include_usage: true };
  const limit = row.outputLength ?? s.maxTokens;
  if (limit !== undefined) tail[s.useMaxCompletionTokens ? 'max_completion_tokens' : 'max_tokens'] = limit;
  Object.assign(tail, s.extraInputs, row.extra);
  return tail;
}

/** Builds the chat completions body of one row. Pure but for reading local image paths (cached). */
export async function buildBody(
  row: DatasetRow,
  s: BodySettings,
  images: ImagePathCache,
): Promise<RequestBody> {
  const parts: Array<Buffer | FileRange> = [];
  const urls: Array<Buffer | FileRange> = [];
  for (const ref of row.images) {
    if (ref.kind === 'data-url') urls.push(ref.url);
    else if (ref.kind === 'file-range') urls.push({ file: ref.file, offset: ref.offset, length: ref.length });
    else if (ref.kind === 'http') urls.push(Buffer.from(ref.url));
    else urls.push(await images.get(ref, row));
  }
  const role = row.role && row.role !== 'user' ? row.role : undefined;
  if (urls.length === 0 && row.texts.length === 1) {
    // AIPerf: one text and no media -> content is a plain string.
    parts.push(role ? P(`{"messages":[{"role":${JSON.stringify(role)},"content":`) : OPEN_USER_STRING);
    parts.push(P(JSON.stringify(row.texts[0])), CLOSE_STRING);
  } else {
    parts.push(role ? P(`{"messages":[{"role":${JSON.stringify(role)},"content":[`) : OPEN_USER_PARTS);
    let first = true;
    for (const text of row.texts) {
      if (!first) parts.push(COMMA);
      first = false;
      parts.push(TEXT_OPEN, P(JSON.stringify(text)), CLOSE_OBJ);
    }
    for (const url of urls) {
      if (!first) parts.push(COMMA);
      first = false;
      // Data URLs are base64 (no character needs escaping); http URLs are checked below.
      parts.push(IMAGE_OPEN, url, IMAGE_CLOSE);
    }
    parts.push(CLOSE_PARTS);
  }
  const tail = bodyTail(row, s);
  // `{"model":...}` without its opening brace continues the object opened by "messages".
  parts.push(P(JSON.stringify(tail).slice(1)));
  for (const ref of row.images) {
    if (ref.kind === 'http' && /["\\\u0000-\u001f]/.test(ref.url)) {
      throw new InputError(
        row.file,
        row.line,
        'images',
        `image URL needs JSON escaping, which mmload does not do: ${ref.url.slice(0, 80)}`,
      );
    }
  }
  let length = 0;
  for (const b of parts) length += b.length;
  return { parts, length };
}
