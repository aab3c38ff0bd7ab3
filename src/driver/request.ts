import type { DatasetRow } from '../dataset/types.js';
import { InputError, UserError } from '../util/errors.js';
import type { ImagePathCache, StreamedImage } from './local-images.js';

/**
 * A request body in AIPerf's shape, built once per request as a list of Buffers: the data-URL
 * images of the dataset row are spliced in as they stand in the file (never decoded, copied into
 * strings or re-encoded), so a 52 MB body costs a few small allocations.
 */
export interface RequestBody {
  /**
   * Buffers, image bytes left in the dataset file and local images streamed from theirs (both read
   * while the body is uploaded).
   */
  parts: BodyPart[];
  length: number;
  /** Lets go of the local images the body holds; called once its request is over. */
  release?: () => void;
}

export type BodyPart = Buffer | FileRange | StreamedImage;

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
  const parts: BodyPart[] = [];
  const urls: BodyPart[][] = [];
  const releases: Array<() => void> = [];
  const release = () => {
    for (const r of releases) r();
  };
  try {
    for (const ref of row.images) {
      if (ref.kind === 'data-url') urls.push([ref.url]);
      else if (ref.kind === 'file-range')
        urls.push([{ file: ref.file, offset: ref.offset, length: ref.length }]);
      else if (ref.kind === 'http') urls.push([Buffer.from(ref.url)]);
      else {
        const image = await images.get(ref, row);
        releases.push(image.release);
        urls.push(image.parts);
      }
    }
  } catch (err) {
    release();
    throw err;
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
      parts.push(IMAGE_OPEN, ...url, IMAGE_CLOSE);
    }
    parts.push(CLOSE_PARTS);
  }
  const tail = bodyTail(row, s);
  // `{"model":...}` without its opening brace continues the object opened by "messages".
  parts.push(P(JSON.stringify(tail).slice(1)));
  for (const ref of row.images) {
    if (ref.kind === 'http' && /["\\\u0000-\u001f]/.test(ref.url)) {
      release();
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
  return releases.length > 0 ? { parts, length, release } : { parts, length };
}
