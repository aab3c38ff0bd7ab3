import { createHash } from 'node:crypto';

/**
 * Ingestion of a chat-completions body as its bytes arrive. Bodies carry ~10 MB base64 images:
 * JSON.parse of a 60 MB string costs ~0.4 s (bench/mock-body.ts), and concatenating and hashing
 * a whole 52 MB body at its end held the mock's event loop for 100+ ms, during which its token
 * timers for other streams waited (tokens written up to 105 ms late). So each data URL is
 * fingerprinted as its bytes come in and never kept; everything else (the JSON structure and the
 * text, a few hundred KB at most) is kept and parsed once, with each data URL replaced by a
 * placeholder.
 */
export interface IngestedBody {
  /** The parsed request, with every data URL replaced by "data:#<i>". */
  json: unknown;
  /** The fingerprint (ImageFingerprint) of each data URL's bytes as sent, in body order. */
  imageHashes: string[];
}

/** Bytes hashed at each end of an image (see ImageFingerprint). */
const EDGE = 64 * 1024;

/**
 * An image's identity for the simulated embedding cache: sha256 of its first and last 64 KiB and
 * its length, not of all its bytes. Hashing whole 10 MB images cost the mock ~50 ms of CPU per
 * 52 MB request (1 GB/s), which on a shared machine was the difference between keeping token
 * deadlines and not. The ends identify an image: a PNG ends with the CRC-32 of its last data
 * chunk and the zlib Adler-32 of every pixel, so two images that differ anywhere differ in their
 * last bytes (JPEG's entropy-coded data shifts after any change too). Fed in pieces as they come.
 */
export class ImageFingerprint {
  private readonly head = createHash('sha256');
  private headLeft = EDGE;
  private tail: Buffer[] = [];
  private tailLength = 0;
  private length = 0;

  update(b: Buffer): this {
    this.length += b.length;
    if (this.headLeft > 0) {
      const take = Math.min(this.headLeft, b.length);
      this.head.update(b.subarray(0, take));
      this.headLeft -= take;
    }
    this.tail.push(b);
    this.tailLength += b.length;
    // Keep only the pieces that still hold the last EDGE bytes.
    while (this.tail.length > 1 && this.tailLength - this.tail[0]!.length >= EDGE)
      this.tailLength -= this.tail.shift()!.length;
    return this;
  }

  digest(): string {
    const tail = Buffer.concat(this.tail);
    return this.head
      .update(tail.subarray(Math.max(0, tail.length - EDGE)))
      .update(String(this.length))
      .digest('hex');
  }
}

const DATA = Buffer.from('"data:');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class BodyError extends Error {}

/**
 * Feed the body's chunks in order, then call end(). A `"data:` that is not preceded by a
 * backslash starts a data URL (inside a JSON text string every quote is escaped); the URL ends at
 * the next quote not escaped by a backslash. The hash covers the URL's bytes as sent: the same
 * image sent the same way always has the same identity, which is all the image cache needs.
 */
export class BodyIngest {
  private readonly kept: Buffer[] = [];
  private readonly hashes: string[] = [];
  /** The data URL being fingerprinted, if inside one. */
  private hash: ImageFingerprint | undefined;
  /** Inside a data URL: the previous byte was an escaping backslash. */
  private escaped = false;
  /** Outside: how many bytes of `"data:` the previous chunk ended with (a match split in two). */
  private partial = 0;
  /** Outside: the byte before the current chunk (for the backslash check). */
  private lastByte = -1;

  feed(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.hash) pos = this.inUrl(chunk, pos);
      else pos = this.outside(chunk, pos);
    }
  }

  end(): IngestedBody {
    if (this.hash) throw new BodyError('invalid JSON body: unterminated string');
    if (this.partial > 0) this.kept.push(DATA.subarray(0, this.partial));
    const text = Buffer.concat(this.kept).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new BodyError(`invalid JSON body: ${(err as Error).message}`);
    }
    return { json, imageHashes: this.hashes };
  }

  /** Copies bytes up to the next data URL into the kept part; returns where it stopped. */
  private outside(chunk: Buffer, pos: number): number {
    if (this.partial > 0) {
      // The previous chunk ended with the start of `"data:`: does this one complete it?
      const need = DATA.length - this.partial;
      const rest = chunk.subarray(pos, pos + need);
      if (rest.equals(DATA.subarray(this.partial, this.partial + rest.length))) {
        if (rest.length < need) {
          this.partial += rest.length;
          return pos + rest.length;
        }
        const before = this.partialBefore;
        this.partial = 0;
        if (before !== BACKSLASH) {
          this.kept.push(DATA.subarray(0, 1), PLACEHOLDER(this.hashes.length));
          this.startUrl(DATA.subarray(1));
          return pos + need;
        }
        this.kept.push(DATA);
        return pos + need;
      }
      this.kept.push(DATA.subarray(0, this.partial));
      this.partial = 0;
    }
    const at = chunk.indexOf(DATA, pos);
    if (at < 0) {
      // Keep all but a possible start of `"data:` at the very end.
      let keepTo = chunk.length;
      for (let k = Math.min(DATA.length - 1, chunk.length - pos); k > 0; k--) {
        if (chunk.subarray(chunk.length - k).equals(DATA.subarray(0, k))) {
          keepTo = chunk.length - k;
          this.partial = k;
          this.partialBefore = keepTo > 0 ? chunk[keepTo - 1]! : this.lastByte;
          break;
        }
      }
      this.kept.push(chunk.subarray(pos, keepTo));
      this.lastByte = chunk[chunk.length - 1]!;
      return chunk.length;
    }
    const before = at > 0 ? chunk[at - 1]! : this.lastByte;
    if (before === BACKSLASH) {
      // An escaped quote inside a text string: not a data URL.
      this.kept.push(chunk.subarray(pos, at + 1));
      this.lastByte = QUOTE;
      return at + 1;
    }
    this.kept.push(chunk.subarray(pos, at + 1), PLACEHOLDER(this.hashes.length));
    this.startUrl(chunk.subarray(at + 1, at + DATA.length));
    return at + DATA.length;
  }

  private partialBefore = -1;

  private startUrl(prefix: Buffer): void {
    this.hash = new ImageFingerprint().update(prefix);
    this.escaped = false;
  }

  /** Hashes URL bytes up to its closing quote; returns where it stopped. */
  private inUrl(chunk: Buffer, pos: number): number {
    const h = this.hash!;
    for (let i = pos; ; ) {
      const q = chunk.indexOf(QUOTE, i);
      const end = q < 0 ? chunk.length : q;
      // `escaped`: the previous byte was an escaping backslash. Base64 has none: look for one first.
      const bs = chunk.indexOf(BACKSLASH, i);
      if (bs >= 0 && bs < end) {
        for (let k = i; k < end; k++) this.escaped = chunk[k] === BACKSLASH ? !this.escaped : false;
      } else if (end > i) this.escaped = false;
      if (q < 0) {
        h.update(chunk.subarray(pos));
        return chunk.length;
      }
      if (this.escaped) {
        // An escaped quote belongs to the URL.
        this.escaped = false;
        i = q + 1;
        continue;
      }
      h.update(chunk.subarray(pos, q));
      this.hashes.push(h.digest());
      this.hash = undefined;
      this.lastByte = QUOTE;
      // The closing quote is kept: the placeholder stands for the URL's content.
      return q;
    }
  }
}

const PLACEHOLDER = (i: number) => Buffer.from(`data:#${i}`);

/** A whole body at once (tests and benches): the same code path as the streamed one. */
export function ingestBody(body: Buffer): IngestedBody {
  const b = new BodyIngest();
  b.feed(body);
  return b.end();
}

/** The reference path the scan is measured against: whole-body JSON.parse, then hash each URL. */
export function ingestBodyByParse(body: Buffer): IngestedBody {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new BodyError(`invalid JSON body: ${(err as Error).message}`);
  }
  const imageHashes: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.startsWith('data:')) imageHashes.push(new ImageFingerprint().update(Buffer.from(v)).digest());
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(json);
  return { json, imageHashes };
}
