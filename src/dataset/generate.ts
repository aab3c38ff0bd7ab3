import type { FileHandle } from 'node:fs/promises';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import pLimit from 'p-limit';
import sharp from 'sharp';
import { assertWritable } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import {
  encodeImage,
  extensionOf,
  type ImageContent,
  type ImageFormat,
  type ImageSpec,
  toDataUrl,
} from './images.js';
import { buildManifest, type DatasetManifest, manifestPathFor, writeManifest } from './manifest.js';
import { firstUseOrder, imageCount, planRows, type Shape, validateShape } from './plan.js';
import { rowText, type TextMode } from './text.js';
import { describeWriteError, openFileSink, openStreamSink, type RowSink } from './writer.js';

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
  signal?: AbortSignal;
  onProgress?: (p: GenerateProgress) => void;
  /** Replaces the image encoder (tests use it to inject failures). */
  encoder?: (spec: ImageSpec, id: number) => Promise<Buffer>;
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

/**
 * Generates the sliding-window dataset. Images are encoded in parallel, ahead of the writer by a
 * bounded number, each exactly once; rows are written strictly in file order, so the output is
 * a function of the options alone. Repeated inline images are copied back from their first copy
 * in the output (or from a spill file when writing to a pipe), so memory stays bounded whatever
 * the dataset size.
 */
export async function generateDataset(opts: GenerateOptions): Promise<GenerateResult> {
  validateShape(opts);
  if (!Number.isInteger(opts.words) || opts.words < 0) throw new UserError(`--words must be an integer >= 0`);
  const threads = opts.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new UserError('--threads must be a positive integer');
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
  const imageDir =
    opts.imageMode === 'path' ? resolve(opts.imageDir ?? defaultImageDir(opts.output)) : undefined;
  if (!toStdout) await assertWritable(output, opts.force ?? false);

  const rows = planRows(opts);
  const order = firstUseOrder(rows);
  const encode = opts.encoder ?? encodeImage;
  // One libvips thread per image: parallelism comes from encoding `threads` images at once.
  sharp.concurrency(1);
  const limit = pLimit(threads);
  const lookahead = threads + 4;
  const pending = new Map<number, Promise<Buffer>>();
  let nextToStart = 0;
  const writtenImages: string[] = [];
  let aborted = false;

  const produce = async (id: number): Promise<Buffer> => {
    const encoded = await limit(() => (aborted ? Promise.resolve(Buffer.alloc(0)) : encode(spec, id)));
    if (aborted) return encoded;
    if (imageDir) {
      const file = join(imageDir, `image_${String(id).padStart(5, '0')}.${extensionOf(spec.format)}`);
      try {
        await writeFile(file, encoded, { flag: opts.force ? 'w' : 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new UserError(`${file} already exists; pass --force to overwrite it`);
        }
        throw describeWriteError(err, file);
      }
      writtenImages.push(file);
      return Buffer.from(JSON.stringify(file));
    }
    return toDataUrl(spec.format, encoded);
  };
  const pump = () => {
    while (nextToStart < order.length && pending.size < lookahead) {
      const id = order[nextToStart++]!;
      const p = produce(id);
      p.catch(() => {}); // observed when the writer awaits it
      pending.set(id, p);
    }
  };
  const take = async (id: number): Promise<Buffer> => {
    pump();
    const p = pending.get(id);
    if (!p) throw new Error(`internal: image ${id} was not scheduled`);
    const buf = await p;
    pending.delete(id);
    pump();
    return buf;
  };

  if (imageDir) await mkdir(imageDir, { recursive: true });
  const sink: RowSink & { tempPath?: string } = toStdout
    ? openStreamSink((opts.stdout ?? process.stdout) as unknown as import('node:stream').Writable)
    : await openFileSink(output);
  let spill: (RowSink & { tempPath: string }) | undefined;
  const located = new Map<number, { fh: FileHandle; offset: number; length: number }>();
  const scratch = Buffer.allocUnsafe(opts.imageMode === 'inline' ? 8 * 1024 * 1024 : 0);
  const copyBack = async (loc: { fh: FileHandle; offset: number; length: number }) => {
    for (let done = 0; done < loc.length; ) {
      const n = Math.min(scratch.length, loc.length - done);
      // A stream keeps a reference to what it is given: it gets a fresh buffer, a file the scratch.
      const buf = sink.readable ? scratch : Buffer.allocUnsafe(n);
      const { bytesRead } = await loc.fh.read(buf, 0, n, loc.offset + done);
      if (bytesRead !== n) throw new Error('internal: short read while copying an image back');
      await sink.write(buf.subarray(0, n));
      done += n;
    }
  };

  const pathRefs = new Map<number, Buffer>();
  const QUOTE = Buffer.from('"');
  const COMMA_QUOTE = Buffer.from(',"');
  const QUOTE_ONLY = QUOTE;
  const CLOSE = Buffer.from(']}\n');
  try {
    if (toStdout && opts.imageMode === 'inline') {
      spill = await openFileSink(join(tmpdir(), `mmload-spill-${process.pid}`));
    }
    pump();
    for (const row of rows) {
      if (opts.signal?.aborted) throw new UserError('interrupted; no output file was written', 130);
      const head = `{"session_id":${JSON.stringify(row.sessionId)},"text":${JSON.stringify(
        rowText(opts.seed, opts.text, opts.words, row),
      )},"images":[`;
      await sink.write(Buffer.from(head));
      for (let k = 0; k < row.imageIds.length; k++) {
        const id = row.imageIds[k]!;
        if (opts.imageMode === 'path') {
          let ref = pathRefs.get(id);
          if (!ref) {
            ref = await take(id);
            pathRefs.set(id, ref);
          }
          await sink.write(k === 0 ? ref : Buffer.concat([Buffer.from(','), ref]));
          continue;
        }
        await sink.write(k === 0 ? QUOTE_ONLY : COMMA_QUOTE);
        const loc = located.get(id);
        if (loc) await copyBack(loc);
        else {
          const url = await take(id);
          const at = await sink.write(url);
          if (sink.readable) located.set(id, { fh: sink.readable, offset: at, length: url.length });
          else if (spill?.readable) {
            const sat = await spill.write(url);
            located.set(id, { fh: spill.readable, offset: sat, length: url.length });
          }
        }
        await sink.write(QUOTE);
      }
      await sink.write(CLOSE);
      opts.onProgress?.({ rows: row.index + 1, totalRows: rows.length, bytes: sink.bytes });
    }
    await sink.commit();
  } catch (err) {
    aborted = true;
    await sink.abort();
    // Let in-flight encodes settle before removing their files.
    await Promise.allSettled(pending.values());
    await Promise.all(writtenImages.map((f) => rm(f, { force: true })));
    throw err;
  } finally {
    await spill?.abort();
  }

  const manifest = buildManifest({
    file: toStdout ? '-' : basename(output),
    parameters: {
      users: opts.users,
      turns: opts.turns,
      window: opts.window,
      words: opts.words,
      imageSize: `${spec.width}x${spec.height}`,
      imageFormat: spec.format,
      imageContent: spec.content,
      imageMode: opts.imageMode,
      ...(imageDir ? { imageDir } : {}),
      text: opts.text,
      ...(spec.format === 'png' ? { pngLevel: spec.pngLevel } : { jpegQuality: spec.jpegQuality }),
    },
    seed: opts.seed,
    rows: rows.length,
    distinctImages: imageCount(opts),
    bytes: sink.bytes,
    sha256: sink.sha256(),
  });
  let manifestPath: string | undefined;
  if (!toStdout && opts.writeManifest !== false) {
    manifestPath = manifestPathFor(output);
    await writeManifest(manifestPath, manifest);
  }
  return { output, manifestPath, manifest };
}
