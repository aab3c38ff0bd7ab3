import { type FileHandle, open, rm, rmdir, stat, statfs } from 'node:fs/promises';
import { availableParallelism, freemem, tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import pLimit from 'p-limit';
import sharp from 'sharp';
import { UserError } from '../util/errors.js';
import { makeDir } from '../util/make-dir.js';
import { imagesInFlight, planFootprint, planRefusal, type Space } from './footprint.js';
import {
  encodeImage,
  extensionOf,
  type ImageContent,
  type ImageFormat,
  type ImageSpec,
  mimeOf,
  toDataUrl,
} from './images.js';
import { buildManifest, type DatasetManifest, manifestPathFor, writeManifest } from './manifest.js';
import {
  hasImages,
  imageCount,
  isFirstUse,
  iterateRows,
  nthNewImage,
  rowCount,
  type Shape,
  validateShape,
  windowSlot,
} from './plan.js';
import { rowText, type TextMode } from './text.js';
import { describeWriteError, type OpenFile, openFileSink, openStreamSink, type RowSink } from './writer.js';

export type ImageMode = 'inline' | 'path';

export interface GenerateOptions extends Shape {
  words: number;
  width: number;
  height: number;
  format: ImageFormat;
  content: ImageContent;
  imageMode: ImageMode;
  /** Where path mode writes image files (default: `<output>_images` beside the output). */
  imageDir?: string;
  text: TextMode;
  seed: number;
  /** A file path, or '-' for stdout. */
  output: string;
  force?: boolean;
  /** Images encoded at once (default: all cores). Output bytes do not depend on it. */
  threads?: number;
  pngLevel?: number;
  jpegQuality?: number;
  writeManifest?: boolean;
  /** Aborting stops the run; a UserError given as the reason is what it throws (e.g. SIGTERM's 143). */
  signal?: AbortSignal;
  onProgress?: (p: GenerateProgress) => void;
  /** Replaces the image encoder (tests use it to inject failures). */
  encoder?: (spec: ImageSpec, id: number) => Promise<Buffer>;
  /** Replaces fs.promises.open for every file written (tests use it to simulate a full disk). */
  openFile?: OpenFile;
  /** Stream used for `-o -` (default process.stdout). */
  stdout?: NodeJS.WritableStream;
}

export interface GenerateProgress {
  rows: number;
  totalRows: number;
  bytes: number;
}

export interface GenerateResult {
  output: string;
  manifestPath?: string;
  manifest: DatasetManifest;
}

export const RECIPE_DEFAULTS = {
  users: 30,
  turns: 8,
  window: 5,
  words: 8000,
  width: 2400,
  height: 1080,
  format: 'png' as ImageFormat,
  content: 'noise' as ImageContent,
  imageMode: 'inline' as ImageMode,
  text: 'per-row' as TextMode,
  seed: 20250101,
  output: '30u_8t_5w_8000word_base64.jsonl',
  jpegQuality: 85,
};

/**
 * The default file name: the recipe's for image rows; for text-only rows one that says so, so
 * that `--images-per-row 0 --force` never replaces the recipe's 12.5 GB file.
 */
export function defaultOutput(s: {
  users: number;
  turns: number;
  words: number;
  imagesPerRow?: number;
}): string {
  return s.imagesPerRow === 0 ? `${s.users}u_${s.turns}t_${s.words}word_text.jsonl` : RECIPE_DEFAULTS.output;
}

/**
 * zlib cannot shrink noise: at level 6 (PIL's default, the recipe's) zlib-ng falls back to stored
 * blocks anyway and the file is the same size as at level 0 (7.79 MB for 2400x1080), but costs
 * ~9x the CPU (147 ms against 17 ms per image here). Compressible content keeps level 6.
 */
export function defaultPngLevel(content: ImageContent): number {
  return content === 'noise' ? 0 : 6;
}

export function defaultImageDir(output: string): string {
  return output === '-' ? resolve('mmload_images') : `${resolve(output)}_images`;
}

/** Words a row may hold: its text is built as one JS string (V8 caps those at ~512 MiB). */
const MAX_TEXT_WORDS = 20_000_000;

function interrupted(signal: AbortSignal): UserError {
  return signal.reason instanceof UserError
    ? signal.reason
    : new UserError('interrupted; no output file was written', 130);
}

/** Refuses an output path that is a directory, or that exists without --force. */
async function checkTarget(path: string, force: boolean, what: string): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) throw new UserError(`${path} is a directory; ${what} must be a file path`);
  if (!force) throw new UserError(`${path} already exists; pass --force to overwrite it`);
}

/** Free space and device of the filesystem that `path` (or its nearest existing parent) is on. */
async function spaceAt(path: string): Promise<Space> {
  let dir = path;
  for (;;) {
    const st = await stat(dir).catch(() => undefined);
    if (st?.isDirectory()) {
      const fs = await statfs(dir);
      return { path: dir, device: st.dev, freeBytes: fs.bavail * fs.bsize };
    }
    const up = dirname(dir);
    if (up === dir) throw new UserError(`${path}: no existing parent directory`);
    dir = up;
  }
}

/** Runs `fn` on every item with at most `n` at once. */
async function eachLimited<T>(
  items: Iterable<T>,
  n: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  const it = items[Symbol.iterator]();
  const worker = async () => {
    for (let r = it.next(); !r.done; r = it.next()) await fn(r.value);
  };
  await Promise.all(Array.from({ length: n }, worker));
}

/**
 * Generates the sliding-window dataset. Images are encoded in parallel, ahead of the writer by a
 * bounded number, each exactly once; rows are written strictly in file order, so the output is
 * a function of the options alone. Nothing about the plan is held in memory: rows and the
 * order of new images are computed from their index, repeated inline images are copied back
 * from their first copy in the output (or from a spill file when writing to a pipe) through a
 * table of one slot per user and window position. A plan that cannot fit the disk (or that
 * table) is refused before anything is written; on any failure or interruption everything
 * written is removed.
 */
export async function generateDataset(opts: GenerateOptions): Promise<GenerateResult> {
  validateShape(opts);
  if (!Number.isInteger(opts.words) || opts.words < 0 || opts.words > MAX_TEXT_WORDS) {
    throw new UserError(
      `--words must be an integer in 0..${MAX_TEXT_WORDS} (a row's text is built in memory), got ${opts.words}`,
    );
  }
  const withImages = hasImages(opts);
  if (!withImages && opts.words === 0) {
    throw new UserError('--words 0 with --images-per-row 0 would write rows with neither text nor image');
  }
  const threadsWanted = opts.threads ?? availableParallelism();
  if (!Number.isInteger(threadsWanted) || threadsWanted < 1) {
    throw new UserError('--threads must be a positive integer');
  }
  const spec: ImageSpec = {
    width: opts.width,
    height: opts.height,
    format: opts.format,
    content: opts.content,
    seed: opts.seed,
    pngLevel: opts.pngLevel ?? defaultPngLevel(opts.content),
    jpegQuality: opts.jpegQuality ?? RECIPE_DEFAULTS.jpegQuality,
  };
  const toStdout = opts.output === '-';
  const output = toStdout ? '-' : resolve(opts.output);
  const pathMode = withImages && opts.imageMode === 'path';
  const inline = withImages && !pathMode;
  const imageDir = pathMode ? resolve(opts.imageDir ?? defaultImageDir(opts.output)) : undefined;
  if (!toStdout) {
    await checkTarget(output, opts.force ?? false, '--output');
    // The manifest belongs to the output: it is replaced without --force, unless it is no file.
    if (opts.writeManifest !== false) await checkTarget(manifestPathFor(output), true, 'the manifest');
  }
  if (imageDir) {
    const st = await stat(imageDir).catch(() => undefined);
    if (st && !st.isDirectory()) throw new UserError(`--image-dir ${imageDir} exists and is not a directory`);
  }

  // Refuse what cannot fit before any work: first on the shape alone (text, JSON, the repeat
  // table), then with the size of one encoded image, which is also the file's first image.
  const where = {
    jsonl: toStdout ? undefined : await spaceAt(dirname(output)),
    images: imageDir ? await spaceAt(imageDir) : undefined,
    spill: inline && toStdout ? await spaceAt(tmpdir()) : undefined,
  };
  const footprintWith = (imageBytes?: number) =>
    planFootprint({
      ...opts,
      imageMode: opts.imageMode,
      toStdout,
      mime: mimeOf(spec.format),
      extension: extensionOf(spec.format),
      imageDir,
      imageBytes,
    });
  const refuse = (reason: string | undefined) => {
    if (reason) throw new UserError(`refusing to generate: ${reason}`);
  };
  refuse(planRefusal(footprintWith(), where, opts));
  const encode = opts.encoder ?? encodeImage;
  // One libvips thread per image: parallelism comes from encoding `threads` images at once.
  sharp.concurrency(1);
  let threads = threadsWanted;
  let lookahead = threads + 4;
  let sample: Buffer | undefined;
  if (withImages) {
    if (opts.signal?.aborted) throw interrupted(opts.signal);
    sample = await encode(spec, nthNewImage(opts, 0));
    // Noise is incompressible: every image has the sample's size to a few bytes.
    refuse(planRefusal(footprintWith(spec.content === 'noise' ? sample.length : undefined), where, opts));
    // An image in flight holds its pixels, its encoding and (inline) its data URL.
    const perImage = opts.width * opts.height * 3 + sample.length * (inline ? 7 / 3 : 1);
    const fit = imagesInFlight(lookahead, perImage, freemem() / 2);
    if (fit === undefined) {
      refuse(
        `one ${opts.width}x${opts.height} image needs about ${Math.round(perImage / 2 ** 20)} MiB in memory, ` +
          `more than half the ${Math.round(freemem() / 2 ** 20)} MiB available`,
      );
    }
    lookahead = fit ?? 1;
    threads = Math.min(threads, lookahead);
  }

  const totalRows = rowCount(opts);
  const limit = pLimit(threads);
  const imageFile = (id: number) =>
    join(imageDir ?? '', `image_${String(id).padStart(5, '0')}.${extensionOf(spec.format)}`);
  const openFile = opts.openFile ?? open;
  // Image files are tracked by their position in first-use order: all below `openedBelow`
  // were created, plus the few beyond it that finished out of order.
  let openedBelow = 0;
  const openedAbove = new Set<number>();
  const markOpened = (n: number) => {
    openedAbove.add(n);
    while (openedAbove.delete(openedBelow)) openedBelow++;
  };
  let aborted = false;

  const writeImageFile = async (n: number, id: number, data: Buffer) => {
    const file = imageFile(id);
    let fh: FileHandle;
    try {
      fh = await openFile(file, opts.force ? 'w' : 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new UserError(`${file} already exists; pass --force to overwrite it`);
      }
      throw describeWriteError(err, file);
    }
    markOpened(n);
    try {
      for (let done = 0; done < data.length; ) done += (await fh.write(data, done)).bytesWritten;
    } catch (err) {
      throw describeWriteError(err, file);
    } finally {
      await fh.close().catch(() => {});
    }
  };
  /** Encodes the `n`-th new image; path mode writes its file. */
  const produce = async (n: number): Promise<Buffer> => {
    const id = nthNewImage(opts, n);
    const encoded = await limit(() =>
      aborted ? Buffer.alloc(0) : n === 0 && sample ? Promise.resolve(sample) : encode(spec, id),
    );
    if (n === 0) sample = undefined;
    if (aborted) return encoded;
    if (pathMode) {
      await writeImageFile(n, id, encoded);
      return encoded;
    }
    return toDataUrl(spec.format, encoded);
  };
  const pending = new Map<number, Promise<Buffer>>();
  const newImages = imageCount(opts);
  let nextToStart = 0;
  let nextToTake = 0;
  const pump = () => {
    while (nextToStart < newImages && pending.size < lookahead) {
      const n = nextToStart++;
      const p = produce(n);
      p.catch(() => {}); // observed when the writer takes it
      pending.set(n, p);
    }
  };
  /** The next new image in first-use order (the writer meets them in that order). */
  const take = async (id: number): Promise<Buffer> => {
    const n = nextToTake++;
    if (nthNewImage(opts, n) !== id) throw new Error(`internal: image ${id} is not new image ${n}`);
    pump();
    const p = pending.get(n);
    if (!p) throw new Error(`internal: image ${id} was not scheduled`);
    const buf = await p;
    pending.delete(n);
    pump();
    return buf;
  };

  const createdDir = imageDir ? await makeDir(imageDir) : undefined;
  let sink: RowSink & { tempPath?: string };
  try {
    sink = toStdout
      ? openStreamSink((opts.stdout ?? process.stdout) as unknown as import('node:stream').Writable)
      : await openFileSink(output, openFile);
  } catch (err) {
    await removeCreatedDirs(imageDir, createdDir);
    throw err;
  }
  let spill: (RowSink & { tempPath: string }) | undefined;
  // Where each image still to be repeated stands in the output (or spill) file.
  const slots = inline ? opts.users * opts.window : 0;
  const slotOffset = new Float64Array(slots);
  const slotLength = new Float64Array(slots);
  // Read-back buffers, in turn: while one is read into, the others' writes are still going.
  const scratch = Array.from({ length: inline ? 3 : 0 }, () => ({
    buf: Buffer.allocUnsafe(4 << 20),
    end: 0,
  }));
  let nextScratch = 0;
  const copyBack = async (fh: FileHandle, offset: number, length: number) => {
    for (let done = 0; done < length; ) {
      const s = scratch[nextScratch]!;
      nextScratch = (nextScratch + 1) % scratch.length;
      const n = Math.min(s.buf.length, length - done);
      // A stream keeps a reference to what it is given: it gets a fresh buffer, a file the scratch
      // once the scratch's last write is in the file.
      let buf: Buffer;
      if (sink.readable) {
        await sink.writtenUpTo(s.end);
        buf = s.buf;
      } else buf = Buffer.allocUnsafe(n);
      const { bytesRead } = await fh.read(buf, 0, n, offset + done);
      if (bytesRead !== n) throw new Error('internal: short read while copying an image back');
      s.end = (await sink.handOver(buf.subarray(0, n))) + n;
      done += n;
    }
  };

  const QUOTE = Buffer.from('"');
  const COMMA = Buffer.from(',');
  const COMMA_QUOTE = Buffer.from(',"');
  const CLOSE_IMAGES = Buffer.from(']}\n');
  const CLOSE_ROW = Buffer.from('}\n');
  let manifestPath: string | undefined;
  let manifestWritten = false;
  let manifest: DatasetManifest;
  try {
    if (inline && toStdout) {
      spill = await openFileSink(join(tmpdir(), `mmload-spill-${process.pid}`), openFile);
    }
    const repeatFrom = sink.readable ?? spill?.readable;
    pump();
    for (const row of iterateRows(opts)) {
      if (opts.signal?.aborted) throw interrupted(opts.signal);
      const text = JSON.stringify(rowText(opts.seed, opts.text, opts.words, row));
      await sink.write(
        Buffer.from(
          `{"session_id":${JSON.stringify(row.sessionId)},"text":${text}${withImages ? ',"images":[' : ''}`,
        ),
      );
      for (let k = 0; k < row.imageIds.length; k++) {
        const id = row.imageIds[k]!;
        const first = isFirstUse(opts, row.turn, k);
        if (pathMode) {
          if (first) await take(id);
          const ref = Buffer.from(JSON.stringify(imageFile(id)));
          await sink.write(k === 0 ? ref : Buffer.concat([COMMA, ref]));
          continue;
        }
        await sink.write(k === 0 ? QUOTE : COMMA_QUOTE);
        const slot = windowSlot(opts, id);
        if (first) {
          const url = await take(id);
          // The data URL is this image's own buffer: the sink may keep it until it is written.
          const at = await sink.handOver(url);
          slotOffset[slot] = sink.readable ? at : await spill!.handOver(url);
          slotLength[slot] = url.length;
        } else {
          await (spill ?? sink).writtenUpTo(slotOffset[slot]! + slotLength[slot]!);
          await copyBack(repeatFrom!, slotOffset[slot]!, slotLength[slot]!);
        }
        await sink.write(QUOTE);
      }
      await sink.write(withImages ? CLOSE_IMAGES : CLOSE_ROW);
      opts.onProgress?.({ rows: row.index + 1, totalRows, bytes: sink.bytes });
    }
    if (opts.signal?.aborted) throw interrupted(opts.signal);

    manifest = buildManifest({
      file: toStdout ? '-' : basename(output),
      parameters: {
        users: opts.users,
        turns: opts.turns,
        window: opts.window,
        words: opts.words,
        imagesPerRow: withImages ? opts.window : 0,
        ...(withImages
          ? {
              imageSize: `${spec.width}x${spec.height}`,
              imageFormat: spec.format,
              imageContent: spec.content,
              imageMode: opts.imageMode,
              ...(imageDir ? { imageDir } : {}),
            }
          : {}),
        text: opts.text,
        ...(!withImages
          ? {}
          : spec.format === 'png'
            ? { pngLevel: spec.pngLevel }
            : { jpegQuality: spec.jpegQuality }),
      },
      seed: opts.seed,
      rows: totalRows,
      distinctImages: newImages,
      bytes: sink.bytes,
      sha256: sink.sha256(),
    });
    // The manifest goes first: if the rename of the data then fails, no manifest describes a
    // file that is not there (or cites its hash for the file it would have replaced).
    if (!toStdout && opts.writeManifest !== false) {
      manifestPath = manifestPathFor(output);
      await writeManifest(manifestPath, manifest).catch((err) => {
        throw describeWriteError(err, manifestPath!);
      });
      manifestWritten = true;
    }
    await sink.commit();
  } catch (err) {
    aborted = true;
    await sink.abort();
    // Let in-flight encodes and writes settle before removing their files.
    await Promise.allSettled(pending.values());
    if (manifestWritten) await rm(manifestPath!, { force: true });
    if (imageDir) {
      const created = (function* () {
        for (let n = 0; n < openedBelow; n++) yield nthNewImage(opts, n);
        for (const n of openedAbove) yield nthNewImage(opts, n);
      })();
      await eachLimited(created, 16, (id) => rm(imageFile(id), { force: true }));
      await removeCreatedDirs(imageDir, createdDir);
    }
    throw err;
  } finally {
    await spill?.abort();
  }
  return { output, manifestPath, manifest };
}

/** Removes the directories mkdir created for the images (`created` is the topmost), if empty. */
async function removeCreatedDirs(imageDir: string | undefined, created: string | undefined): Promise<void> {
  if (!imageDir || !created) return;
  for (let dir = imageDir; ; dir = dirname(dir)) {
    const ok = await rmdir(dir).then(
      () => true,
      () => false,
    );
    if (!ok || dir === created || relative(created, dir).startsWith('..')) return;
  }
}
