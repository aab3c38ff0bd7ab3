import { constants } from 'node:fs';
import { type FileHandle, open, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { UserError } from '../util/errors.js';
import { type ImageHeader, readImageHeader } from './headers.js';

/**
 * Local image files named by dataset rows, read safely. A dataset is input from anywhere and
 * its images are uploaded to the endpoint, so a row naming `/home/me/.ssh/id_ed25519` (or a
 * symlink called `cat.png` pointing there) must not be read and sent. Two guards:
 *
 * - confinement: the file, after resolving every symlink, must lie under the image root
 *   (default: the dataset file's own directory; `/` allows any file);
 * - content: the file must start like a PNG, JPEG, WebP or GIF image, whatever its name.
 *
 * The path is checked and then opened without following a symlink at its last component, so
 * swapping the file for a symlink between the two is refused too.
 */

export type ImageFileFormat = 'png' | 'jpeg' | 'webp' | 'gif';
export const SUPPORTED_IMAGE_FORMATS: readonly ImageFileFormat[] = ['png', 'jpeg', 'webp', 'gif'];

/** Larger files are refused rather than read into memory: no server takes such an image. */
export const MAX_IMAGE_FILE_BYTES = 1 << 30;
const HEAD_BYTES = 64 * 1024;

/** Why a local image was refused, without the row's file and line (the caller adds them). */
export class ImageFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageFileError';
  }
}

export interface LocalImage {
  data: Buffer;
  format: ImageFileFormat;
  header: ImageHeader;
  /** The file actually read (symlinks resolved). */
  realPath: string;
}

/** A checked local image, still open (LocalImageReader.open). */
export interface OpenImage {
  handle: FileHandle;
  size: number;
  format: ImageFileFormat;
  realPath: string;
  /** The path as the row wrote it, with its real path when that differs: for messages. */
  shown: string;
}

export interface ImageRootOptions {
  /** Directory local images must lie under; default: the directory of the dataset file. */
  root?: string;
}

/** The image format a file's first bytes announce, or undefined if not one mmload sends. */
export function sniffImageFormat(head: Buffer): ImageFileFormat | undefined {
  const f = readImageHeader(head).format;
  return f === 'unknown' ? undefined : f;
}

/**
 * The real path of an image root; a root that is not a directory is a flag error (exit 2).
 * Commands call it at start so that a mistyped `--image-root` fails before any work.
 */
export async function imageRootRealPath(root: string): Promise<string> {
  const abs = resolve(root);
  const st = await stat(abs).catch(() => undefined);
  if (!st?.isDirectory()) throw new UserError(`--image-root ${abs}: no such directory`);
  return realpath(abs);
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

export class LocalImageReader {
  private readonly roots = new Map<string, Promise<string>>();

  constructor(private readonly opts: ImageRootOptions = {}) {}

  /** The root's real path (the CLI passes `--image-root`; a bad one is a flag error). */
  private realRoot(datasetFile: string): Promise<string> {
    const root = resolve(this.opts.root ?? dirname(resolve(datasetFile)));
    let p = this.roots.get(root);
    if (!p) {
      p = imageRootRealPath(root);
      this.roots.set(root, p);
    }
    return p;
  }

  /**
   * Reads the image at `resolvedPath`, which a row of `datasetFile` names as `written`. Rejects
   * with an ImageFileError saying why it was refused (naming the file), or a UserError for a
   * bad image root.
   */
  async read(resolvedPath: string, datasetFile: string, written = resolvedPath): Promise<LocalImage> {
    const f = await this.open(resolvedPath, datasetFile, written);
    try {
      const data = await f.handle.readFile();
      return {
        data,
        format: f.format,
        header: readImageHeader(data.subarray(0, HEAD_BYTES)),
        realPath: f.realPath,
      };
    } catch (err) {
      throw new ImageFileError(`cannot read image file ${f.shown}: ${(err as Error).message}`);
    } finally {
      await f.handle.close().catch(() => {});
    }
  }

  /**
   * Checks the image at `resolvedPath` as read() does (root, regular file, size, content) and
   * leaves it open: what is later read through the handle is the file that was checked, even if
   * the path is swapped meanwhile. The caller closes the handle.
   */
  async open(resolvedPath: string, datasetFile: string, written = resolvedPath): Promise<OpenImage> {
    const root = await this.realRoot(datasetFile);
    let real: string;
    try {
      real = await realpath(resolvedPath);
    } catch {
      throw new ImageFileError(
        written === resolvedPath
          ? `${written}: image file not found`
          : `${written}: image file not found at ${resolvedPath} (relative paths start from the working directory, as in AIPerf)`,
      );
    }
    const shown = real === resolvedPath ? written : `${written} (-> ${real})`;
    if (root !== real && !within(root, real)) {
      throw new ImageFileError(
        `${shown} is outside the image root ${root}; pass --image-root to allow another directory (--image-root / allows any)`,
      );
    }
    let fh: FileHandle;
    try {
      // O_NONBLOCK: a FIFO must not hang the open (it is refused below as not a regular file).
      fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Not the file's fault: a run holds one file open per large image in flight.
      const hint =
        code === 'EMFILE' || code === 'ENFILE'
          ? ' (too many open files: a run holds one per large image in flight, about the concurrency times the images per row; raise `ulimit -n`)'
          : '';
      throw new ImageFileError(
        code === 'ELOOP'
          ? `${shown} changed into a symlink while it was checked`
          : `cannot open image file ${shown}: ${code ?? (err as Error).message}${hint}`,
      );
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new ImageFileError(`${shown} is not a regular file`);
      if (st.size > MAX_IMAGE_FILE_BYTES) {
        throw new ImageFileError(`${shown} is ${st.size} bytes, more than the 1 GiB an image may have`);
      }
      const head = Buffer.alloc(Math.min(HEAD_BYTES, st.size));
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      const format = sniffImageFormat(head.subarray(0, bytesRead));
      if (!format) {
        throw new ImageFileError(
          `${shown} is not a PNG, JPEG, WebP or GIF image (judged by its content, not its name)`,
        );
      }
      return { handle: fh, size: st.size, format, realPath: real, shown };
    } catch (err) {
      await fh.close().catch(() => {});
      if (err instanceof ImageFileError) throw err;
      throw new ImageFileError(`cannot read image file ${shown}: ${(err as Error).message}`);
    }
  }
}
