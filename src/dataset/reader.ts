import { createReadStream } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../util/errors.js';
import { readRange, readRangeInto } from '../util/read-range.js';
import type { DatasetRow, ImageRef } from './types.js';

/**
 * Streams the rows of an AIPerf `single_turn` JSONL file in bounded memory (one line at a time,
 * plus the rows the consumer still holds).
 *
 * Lines are parsed by a small byte scanner rather than JSON.parse of the whole line: a row of the
 * default dataset is ~52 MB, almost all of it five base64 images. The scanner finds each image
 * string's bounds with Buffer.indexOf (memchr speed) and hands out a subarray of the line, so a
 * data URL is never decoded, copied into a JS string or re-encoded. Only the small fields (text,
 * session_id, ...) go through JSON.parse.
 *
 * Local image paths are resolved against the current working directory, as AIPerf does (it
 * passes the string to PIL's Image.open, i.e. relative to the process cwd, not to the file).
 */
export async function* readDataset(
  path: string,
  opts: {
    signal?: AbortSignal;
    onInvalid?: (err: InputError) => void;
    /** Called when the file starts with a UTF-8 byte order mark (which is skipped). */
    onBom?: () => void;
    /**
     * Rows that hold nothing of the reader's buffers, so that the reader reads into the same
     * buffers again and again instead of allocating one per read: the data-URL images of a line
     * of at least DETACH_MIN_BYTES stay in the file (file ranges, read while a request is
     * uploaded), smaller ones are copied. The run's row source reads this way: on the full
     * dataset a fresh buffer per read was 2x the file's 12.5 GB of allocations, and the garbage
     * collections they caused stalled the event loop that stamps token arrivals.
     */
    detached?: boolean;
  } = {},
): AsyncIterable<DatasetRow> {
  const detached = opts.detached === true;
  const cwd = process.cwd();
  // With onInvalid, a bad line is reported and skipped (`run --skip-invalid`); without, it ends the read.
  const parse = (line: Buffer, n: number, offset: number): DatasetRow | undefined => {
    let row: DatasetRow | undefined;
    if (!opts.onInvalid) row = parseRow(line, path, n, offset, cwd);
    else {
      try {
        row = parseRow(line, path, n, offset, cwd);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        opts.onInvalid(err);
        return undefined;
      }
    }
    return row && detached ? ownRow(row) : row;
  };
  // A line split across reads is joined from its pieces while it is small. A long one (the full
  // dataset's rows are 52 MB) is only measured as the reads pass, then read again in one piece at
  // its offset: the copy happens in libuv's thread pool, where Buffer.concat would block the
  // event loop ~30 ms per row, and that loop stamps the run's token arrivals.
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let lineNo = 0;
  let lineStart = 0; // byte offset of the line being accumulated
  let fh: FileHandle | undefined;
  let lineBuf: Buffer | undefined;
  const readLine = async (length: number): Promise<Buffer> => {
    fh ??= await open(path, 'r');
    let buf: Buffer;
    if (detached) {
      // One buffer for every long line, grown to the longest: rows hold nothing of it.
      if (!lineBuf || lineBuf.length < length) lineBuf = Buffer.allocUnsafeSlow(length);
      const got = await readRangeInto(fh, lineBuf, lineStart, length);
      buf = lineBuf.subarray(0, got);
    } else buf = await readRange(fh, lineStart, length);
    if (buf.length !== length)
      throw new InputError(path, lineNo + 1, undefined, 'the file changed while it was read');
    return buf;
  };
  // Detached, pieces of a short line kept across reads are copied: the read buffer is reused.
  const keep = (piece: Buffer) => (detached ? Buffer.from(piece) : piece);
  const chunks = detached ? reusedReads(path, opts.signal) : freshReads(path, opts.signal);
  try {
    let first = true;
    for await (const chunk of chunks) {
      let from = 0;
      // Editors on Windows write a BOM; it is no part of the first row (AIPerf's loader
      // would choke on it: inspect says so).
      if (first && chunk.length >= UTF8_BOM.length && chunk.subarray(0, UTF8_BOM.length).equals(UTF8_BOM)) {
        from = lineStart = UTF8_BOM.length;
        opts.onBom?.();
      }
      first = false;
      for (;;) {
        const nl = chunk.indexOf(0x0a, from);
        if (nl < 0) break;
        const length = pendingLength + nl - from;
        let line: Buffer;
        if (pendingLength === 0) line = chunk.subarray(from, nl);
        else if (length < REREAD_MIN_BYTES) {
          pending.push(chunk.subarray(from, nl));
          line = Buffer.concat(pending, length);
        } else line = await readLine(length);
        pending = [];
        pendingLength = 0;
        lineNo++;
        const row = parse(line, lineNo, lineStart);
        if (row) yield row;
        lineStart += length + 1;
        from = nl + 1;
      }
      if (from < chunk.length) {
        pendingLength += chunk.length - from;
        if (pendingLength < REREAD_MIN_BYTES) pending.push(keep(chunk.subarray(from)));
        else pending = [];
      }
    }
    if (pendingLength > 0) {
      lineNo++;
      const last =
        pendingLength < REREAD_MIN_BYTES
          ? Buffer.concat(pending, pendingLength)
          : await readLine(pendingLength);
      const row = parse(last, lineNo, lineStart);
      if (row) yield row;
    }
  } catch (err) {
    throw fileError(err, path);
  } finally {
    await chunks.return?.(undefined);
    await fh?.close();
  }
}

const READ_CHUNK = 8 * 1024 * 1024;

/** The file in chunks, each in a fresh buffer (rows may keep slices of them). */
async function* freshReads(path: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK, signal });
  try {
    yield* stream as AsyncIterable<Buffer>;
  } finally {
    stream.destroy();
  }
}

/** The file in chunks, all read into one buffer: a chunk is valid until the next is asked for. */
async function* reusedReads(path: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  const buf = Buffer.allocUnsafeSlow(READ_CHUNK);
  try {
    for (let pos = 0; ; ) {
      signal?.throwIfAborted();
      const got = await readRangeInto(fh, buf, pos, READ_CHUNK);
      if (got === 0) return;
      pos += got;
      yield buf.subarray(0, got);
      if (got < READ_CHUNK) return;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Reads every row once and throws an InputError naming the first bad line. A loop of its own:
 * an async function resumed once per row counts as hot to V8, and a run's engine that held this
 * loop was compiled whole (~30-120 ms of a helper thread's CPU) on every run.
 */
export async function validateDataset(path: string): Promise<void> {
  for await (const _ of readDataset(path)) {
    // readDataset throws on the first bad line
  }
}

/** Lines at least this long leave their data-URL images in the file when read detached. */
export const DETACH_MIN_BYTES = 1 << 20;

/**
 * A row that holds nothing of the buffer it was parsed from: a large row's data-URL images
 * become the byte ranges where they stand in the file (a request body reads them while it is
 * uploaded, so rows in flight do not hold 52 MB each); a small row's images are copied. Escaped
 * URLs (no file range) are copied too.
 */
export function ownRow(row: DatasetRow): DatasetRow {
  const large = row.byteLength >= DETACH_MIN_BYTES;
  let changed = false;
  const images = row.images.map((ref): ImageRef => {
    if (ref.kind !== 'data-url') return ref;
    changed = true;
    if (large && ref.fileOffset !== undefined)
      return {
        kind: 'file-range',
        file: row.file,
        offset: ref.fileOffset,
        length: ref.url.length,
        mime: ref.mime,
      };
    return { ...ref, url: Buffer.from(ref.url) };
  });
  return changed ? { ...row, images } : row;
}

export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The errors of opening a dataset file that the user can fix, as InputErrors naming it. */
export function fileError(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const detail =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'is a directory, not a dataset file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : undefined;
  return detail ? new InputError(path, 0, undefined, detail) : err;
}

/** The size of a dataset file; a missing file, a directory or any non-file is an InputError. */
export async function datasetFileSize(path: string): Promise<number> {
  const st = await stat(path).catch((err) => {
    throw fileError(err, path);
  });
  if (st.isDirectory()) throw new InputError(path, 0, undefined, 'is a directory, not a dataset file');
  if (!st.isFile()) throw new InputError(path, 0, undefined, 'is not a regular file');
  return st.size;
}

/** Lines split across reads and at least this long are read again whole (see readDataset). */
const REREAD_MIN_BYTES = 1 << 20;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWs(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

class Scanner {
  i = 0;
  constructor(
    readonly buf: Buffer,
    readonly file: string,
    readonly line: number,
  ) {}

  fail(field: string | undefined, detail: string): never {
    throw new InputError(this.file, this.line, field, detail);
  }

  ws(): void {
    const b = this.buf;
    while (this.i < b.length && isWs(b[this.i])) this.i++;
  }

  expect(c: number, field: string | undefined, what: string): void {
    this.ws();
    if (this.buf[this.i] !== c) this.fail(field, `bad JSON: expected ${what} at column ${this.i + 1}`);
    this.i++;
  }

  /** At an opening quote: returns the content bounds and whether it holds escapes; moves past it. */
  string(field: string | undefined): { start: number; end: number; escaped: boolean } {
    const b = this.buf;
    if (b[this.i] !== QUOTE) this.fail(field, `bad JSON: expected a string at column ${this.i + 1}`);
    const start = this.i + 1;
    let j = start;
    for (;;) {
      const q = b.indexOf(QUOTE, j);
      if (q < 0) this.fail(field, 'bad JSON: unterminated string');
      let k = q - 1;
      while (k >= start && b[k] === BACKSLASH) k--;
      if ((q - 1 - k) % 2 === 0) {
        this.i = q + 1;
        return { start, end: q, escaped: b.subarray(start, q).indexOf(BACKSLASH) >= 0 };
      }
      j = q + 1;
    }
  }

  /** Skips any JSON value and returns its bounds (validation is left to JSON.parse of the slice). */
  value(field: string): { start: number; end: number } {
    this.ws();
    const b = this.buf;
    const start = this.i;
    const c = b[this.i];
    if (c === QUOTE) {
      this.string(field);
      return { start, end: this.i };
    }
    if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      while (this.i < b.length) {
        const d = b[this.i];
        if (d === QUOTE) {
          this.string(field);
          continue;
        }
        if (d === 0x7b || d === 0x5b) depth++;
        else if (d === 0x7d || d === 0x5d) {
          depth--;
          if (depth === 0) {
            this.i++;
            return { start, end: this.i };
          }
        }
        this.i++;
      }
      this.fail(field, 'bad JSON: unterminated object or array');
    }
    while (this.i < b.length) {
      const d = b[this.i];
      if (d === 0x2c || d === 0x7d || d === 0x5d || isWs(d)) break;
      this.i++;
    }
    if (this.i === start) this.fail(field, `bad JSON: expected a value at column ${start + 1}`);
    return { start, end: this.i };
  }

  parse(field: string, bounds: { start: number; end: number }): unknown {
    try {
      return JSON.parse(this.buf.toString('utf8', bounds.start, bounds.end));
    } catch (err) {
      this.fail(field, `bad JSON: ${(err as Error).message}`);
    }
  }
}

const KNOWN_FIELDS = new Set([
  'session_id',
  'text',
  'texts',
  'image',
  'images',
  'extra',
  'output_length',
  'delay',
  'timestamp',
  'role',
]);
const UNSUPPORTED_FIELDS = new Set(['audio', 'audios', 'video', 'videos']);

const DATA_PREFIX = Buffer.from('data:');
const BASE64_MARK = Buffer.from(';base64,');

/** Parses one line; returns undefined for a blank line (AIPerf skips those too). */
export function parseRow(
  buf: Buffer,
  file: string,
  line: number,
  byteOffset: number,
  cwd = process.cwd(),
): DatasetRow | undefined {
  const s = new Scanner(buf, file, line);
  s.ws();
  if (s.i >= buf.length) return undefined;
  if (buf.subarray(s.i, s.i + UTF8_BOM.length).equals(UTF8_BOM)) {
    s.fail(
      undefined,
      'a UTF-8 byte order mark (BOM) inside the file (files joined together?); only the first line may start with one',
    );
  }
  const row: DatasetRow = {
    file,
    line,
    byteOffset,
    byteLength: buf.length,
    sessionId: undefined,
    texts: [],
    images: [],
  };
  const seen = new Set<string>();
  s.expect(0x7b, undefined, '"{" (each line must be one JSON object)');
  s.ws();
  if (buf[s.i] === 0x7d) s.i++;
  else {
    for (;;) {
      s.ws();
      const kb = s.string(undefined);
      const key = s.parse('', { start: kb.start - 1, end: kb.end + 1 }) as string;
      if (seen.has(key)) s.fail(key, 'appears twice');
      seen.add(key);
      if (UNSUPPORTED_FIELDS.has(key)) s.fail(key, 'audio and video inputs are not supported by mmload');
      if (!KNOWN_FIELDS.has(key)) {
        s.fail(key, `unknown field (single_turn fields: ${[...KNOWN_FIELDS].join(', ')})`);
      }
      s.expect(0x3a, key, '":"');
      s.ws();
      if (key === 'image' || key === 'images') readImages(s, key, row, cwd);
      else assignField(s, key, s.parse(key, s.value(key)), row);
      s.ws();
      if (buf[s.i] === 0x2c) {
        s.i++;
        continue;
      }
      s.expect(0x7d, key, '"," or "}"');
      break;
    }
  }
  s.ws();
  if (s.i < buf.length) s.fail(undefined, `bad JSON: unexpected data after the object at column ${s.i + 1}`);
  if (seen.has('text') && seen.has('texts')) s.fail('texts', 'give either "text" or "texts", not both');
  if (seen.has('image') && seen.has('images')) s.fail('images', 'give either "image" or "images", not both');
  if (row.texts.length === 0 && row.images.length === 0) s.fail(undefined, 'empty row: no text and no image');
  return row;
}

function assignField(s: Scanner, key: string, v: unknown, row: DatasetRow): void {
  const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  switch (key) {
    case 'session_id':
      if (typeof v !== 'string' || v === '') s.fail(key, 'must be a non-empty string');
      row.sessionId = v;
      return;
    case 'text':
      if (typeof v !== 'string') s.fail(key, 'must be a string');
      row.texts = [v];
      return;
    case 'texts':
      row.texts = flattenTexts(s, key, v);
      return;
    case 'extra':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) s.fail(key, 'must be an object');
      row.extra = v as Record<string, unknown>;
      return;
    case 'output_length':
      if (!Number.isInteger(v) || (v as number) < 1) s.fail(key, 'must be a positive integer');
      row.outputLength = v as number;
      return;
    case 'delay':
      if (!isNumber(v) || v < 0) s.fail(key, 'must be a non-negative number of milliseconds');
      row.delayMs = v;
      return;
    case 'timestamp':
      if (!isNumber(v) || v < 0) s.fail(key, 'must be a non-negative number of milliseconds');
      row.timestampMs = v;
      return;
    case 'role':
      if (typeof v !== 'string') s.fail(key, 'must be a string');
      row.role = v;
      return;
  }
}

/** `texts` is a list of strings, or AIPerf's named form `[{"name":..., "contents":[...]}]`. */
function flattenTexts(s: Scanner, key: string, v: unknown): string[] {
  if (!Array.isArray(v)) s.fail(key, 'must be a list of strings');
  const out: string[] = [];
  for (const t of v) {
    if (typeof t === 'string') out.push(t);
    else if (t && typeof t === 'object' && Array.isArray((t as { contents?: unknown }).contents)) {
      for (const c of (t as { contents: unknown[] }).contents) {
        if (typeof c !== 'string') s.fail(key, 'contents must be strings');
        out.push(c);
      }
    } else s.fail(key, 'must be a list of strings');
  }
  return out;
}

function readImages(s: Scanner, key: string, row: DatasetRow, cwd: string): void {
  const b = s.buf;
  if (key === 'image') {
    if (b[s.i] !== QUOTE) s.fail(key, 'must be a string (a data URL, an http(s) URL or a file path)');
    row.images = [readImage(s, key, cwd, row.byteOffset)];
    return;
  }
  if (b[s.i] !== 0x5b) s.fail(key, 'must be a list of strings');
  s.i++;
  s.ws();
  if (b[s.i] === 0x5d) {
    s.i++;
    return;
  }
  for (;;) {
    s.ws();
    if (b[s.i] !== QUOTE) {
      s.fail(
        key,
        `item ${row.images.length + 1} must be a string (a data URL, an http(s) URL or a file path)`,
      );
    }
    row.images.push(readImage(s, key, cwd, row.byteOffset));
    s.ws();
    if (b[s.i] === 0x2c) {
      s.i++;
      continue;
    }
    s.expect(0x5d, key, '"," or "]"');
    return;
  }
}

function readImage(s: Scanner, key: string, cwd: string, lineOffset: number): ImageRef {
  const { start, end, escaped } = s.string(key);
  // Escaped strings (e.g. "\/" for "/") are rare; decode them so the ref holds the URL itself.
  const bytes = escaped
    ? Buffer.from(s.parse(key, { start: start - 1, end: end + 1 }) as string, 'utf8')
    : s.buf.subarray(start, end);
  if (bytes.length === 0) s.fail(key, 'empty image reference');
  if (bytes.subarray(0, DATA_PREFIX.length).equals(DATA_PREFIX)) {
    const head = bytes.subarray(0, 256);
    const comma = head.indexOf(0x2c);
    const mark = head.indexOf(BASE64_MARK);
    if (comma < 0 || mark < 0 || mark + BASE64_MARK.length - 1 !== comma) {
      s.fail(key, 'data URL must look like data:image/<type>;base64,<data>');
    }
    const mime = head.toString('latin1', DATA_PREFIX.length, mark);
    if (!/^image\/[a-z0-9.+-]+$/i.test(mime))
      s.fail(key, `data URL has media type "${mime}", expected image/...`);
    if (comma + 1 === bytes.length) s.fail(key, 'data URL has no data');
    return escaped
      ? { kind: 'data-url', url: bytes, mime }
      : { kind: 'data-url', url: bytes, mime, fileOffset: lineOffset + start };
  }
  const str = bytes.toString('utf8', 0, Math.min(bytes.length, 4096));
  if (/^https?:\/\//i.test(str)) return { kind: 'http', url: bytes.toString('utf8') };
  if (looksLikeBareBase64(str, bytes.length)) {
    s.fail(key, 'bare base64 image data; AIPerf needs a data URL: prefix it with "data:image/png;base64,"');
  }
  const path = bytes.toString('utf8');
  return { kind: 'path', path, resolved: resolve(cwd, path) };
}

/** Long runs of base64 alphabet with no dot are image data, not a file name. */
function looksLikeBareBase64(head: string, length: number): boolean {
  return length >= 256 && /^[A-Za-z0-9+/]+={0,2}$/.test(head.slice(0, 4096)) && !head.includes('.');
}
