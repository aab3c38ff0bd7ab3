import type { FileHandle } from 'node:fs/promises';
import {
  ImageFileError,
  type ImageRootOptions,
  LocalImageReader,
  type OpenImage,
} from '../dataset/image-files.js';
import type { DatasetRow, ImageRef } from '../dataset/types.js';
import type { ClientHealth } from '../metrics/summary.js';
import { base64Length } from '../util/data-url.js';
import { InputError } from '../util/errors.js';
import { encodeDataUrl, encodeFileChunk, STREAM_RAW_CHUNK } from './image-encoder.js';

/** How the local images of a run fared (path datasets). */
export type ImageCacheStats = Required<NonNullable<ClientHealth['localImages']>>;

/** The default budget for the data URLs of local images under STREAM_FROM_BYTES. */
export const DEFAULT_IMAGE_CACHE_MB = 256;

/**
 * Images whose data URL is this large or larger are always streamed. Kept whole, the recipe's
 * path dataset (10.4 MB URLs) held 2.4 GB at concurrency 30 (150 images in flight), and its
 * client's event loop stalled more (p99 12-16 ms against 6-10 ms streamed: 10 MB buffers crossing
 * threads, and garbage collections for their external memory); its uploads took no longer
 * streamed, at ~0.3 more cores for encoding each image again per row (bench/driver-path-images.ts).
 * A smaller image is one chunk: kept, it saves a thread round trip per use.
 */
export const STREAM_FROM_BYTES = 2 ** 20;

/**
 * A local image sent without its data URL in memory: its file, checked and held open, is read and
 * base64-encoded chunk by chunk on the encoder's thread as the upload asks (upload.ts), so an
 * upload in flight holds a chunk or two of it, not the 10 MB URL. The file closes once the request
 * is over (release) and no chunk is being read.
 */
export class StreamedImage {
  /** Encoded bytes (the base64, without the `data:` prefix, which is a part of its own). */
  readonly length: number;
  private reading = 0;
  private released = false;
  private closed = false;

  constructor(
    private readonly handle: FileHandle,
    readonly rawLength: number,
    readonly name: string,
  ) {
    this.length = base64Length(rawLength);
  }

  /**
   * The base64 of the chunk of raw bytes from `position` (a multiple of STREAM_RAW_CHUNK) to the
   * next chunk or the file's end (see encodeFileChunk); recycle it after use.
   */
  async chunk(position: number): Promise<Buffer> {
    if (this.closed) throw new Error(`${this.name}: read after its request ended`);
    this.reading++;
    try {
      const length = Math.min(STREAM_RAW_CHUNK, this.rawLength - position);
      return await encodeFileChunk(this.handle.fd, position, length);
    } catch (err) {
      throw new Error(`${this.name}: ${(err as Error).message}`);
    } finally {
      this.reading--;
      this.closeIfDone();
    }
  }

  release(): void {
    this.released = true;
    this.closeIfDone();
  }

  private closeIfDone(): void {
    if (!this.released || this.reading > 0 || this.closed) return;
    this.closed = true;
    this.handle.close().catch(() => {});
  }
}

/** An image's place in a request body, and what to do when the request is over. */
export interface LocalImagePart {
  /** The data URL, whole or as its prefix and a StreamedImage. */
  parts: Array<Buffer | StreamedImage>;
  release(): void;
}

interface Entry {
  /** The data URL, once read and encoded. */
  url: Promise<Buffer>;
  /** Its size, counted against the budget from the moment the read starts. */
  bytes: number;
  /** Requests in flight that hold it. */
  pins: number;
}

/**
 * The local image files of a path dataset, as data URLs in request bodies. An image of a MiB or
 * more (STREAM_FROM_BYTES) is streamed (StreamedImage): read and encoded again on each use, as it
 * uploads. Smaller ones are kept for the rows that use them again (a sliding-window dataset names
 * each image in several turns) within a memory budget (`--image-cache-mb`) that counts every URL
 * held, by the cache or by requests in flight: the least recently used one not in flight is let
 * go first when a new one needs the room, and an image with no room left is streamed too.
 *
 * Each file is confined to the image root and must hold a PNG, JPEG, WebP or GIF image by its
 * content (dataset/image-files.ts); a refused file is an InputError naming the row that names it.
 */
export class ImagePathCache {
  private readonly files: LocalImageReader;
  /** In use order, least recent first (a Map keeps insertion order; a hit re-inserts). */
  private readonly cache = new Map<string, Entry>();
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
      streamed: 0,
      noRoom: 0,
      maxBytes: opts.maxBytes ?? DEFAULT_IMAGE_CACHE_MB * 2 ** 20,
    };
  }

  /** Memory the URLs take now (cached or in flight), in bytes. */
  get heldBytes(): number {
    return this.bytes;
  }

  async get(ref: Extract<ImageRef, { kind: 'path' }>, row: DatasetRow): Promise<LocalImagePart> {
    const key = `${row.file}\0${ref.resolved}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.stats.hits++;
      this.cache.delete(key);
      this.cache.set(key, hit);
      return this.pinned(key, hit);
    }
    let image: OpenImage;
    try {
      image = await this.files.open(ref.resolved, row.file, ref.path);
    } catch (err) {
      // Every row naming a refused file is refused with its own line.
      if (err instanceof ImageFileError) throw new InputError(row.file, row.line, 'images', err.message);
      throw err;
    }
    const prefix = `data:image/${image.format};base64,`;
    // Another request may have read it while this one opened it.
    const raced = this.cache.get(key);
    if (raced) {
      await image.handle.close().catch(() => {});
      this.stats.hits++;
      return this.pinned(key, raced);
    }
    const bytes = prefix.length + base64Length(image.size);
    const large = bytes >= STREAM_FROM_BYTES;
    if (large || !this.makeRoom(bytes)) {
      this.stats.streamed++;
      if (!large) this.stats.noRoom++;
      const s = new StreamedImage(image.handle, image.size, image.shown);
      return { parts: [Buffer.from(prefix), s], release: () => s.release() };
    }
    this.stats.reads++;
    if (this.evicted.delete(key)) this.stats.rereads++;
    const url = image.handle
      .readFile()
      .then((data) => encodeDataUrl(image.format, data, true))
      .catch((err: Error) => {
        throw new InputError(
          row.file,
          row.line,
          'images',
          `cannot read image file ${image.shown}: ${err.message}`,
        );
      })
      .finally(() => image.handle.close().catch(() => {}));
    const entry: Entry = { url, bytes, pins: 0 };
    this.cache.set(key, entry);
    this.bytes += bytes;
    // A failed read keeps no room: the next row naming the file tries again (and fails with its line).
    url.catch(() => {
      if (this.cache.get(key) === entry) this.drop(key, entry);
    });
    return this.pinned(key, entry);
  }

  private async pinned(key: string, e: Entry): Promise<LocalImagePart> {
    e.pins++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      e.pins--;
      // Let go while pinned (it could not be then): its room is free now.
      if (e.pins === 0 && this.cache.get(key) !== e) this.bytes -= e.bytes;
    };
    try {
      return { parts: [await e.url], release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Lets the least recently used images not in flight go until `bytes` more fit; false if they cannot. */
  private makeRoom(bytes: number): boolean {
    if (this.bytes + bytes <= this.stats.maxBytes) return true;
    let free = 0;
    for (const e of this.cache.values()) if (e.pins === 0) free += e.bytes;
    if (this.bytes - free + bytes > this.stats.maxBytes) return false;
    for (const [key, e] of this.cache) {
      if (this.bytes + bytes <= this.stats.maxBytes) break;
      if (e.pins > 0) continue;
      this.drop(key, e);
      this.evicted.add(key);
    }
    return true;
  }

  private drop(key: string, e: Entry): void {
    this.cache.delete(key);
    // A URL still in flight keeps its room until its last request is over (see pinned).
    if (e.pins === 0) this.bytes -= e.bytes;
  }
}
