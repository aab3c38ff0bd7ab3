import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UserError } from './errors.js';
import { fsReason } from './fs-errors.js';

/**
 * Checks an output path before any work is done, so that a bad -o is refused at once (exit 2)
 * rather than after minutes of work, or as a stack trace from the final write.
 */

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`${path}: ${fsReason(err)}`);
  }
}

/** The directory that will hold `path` must exist and be writable. */
async function checkParent(path: string, what: string): Promise<void> {
  const dir = dirname(resolve(path));
  const st = await statOrUndefined(dir);
  if (!st) throw new UserError(`${what} ${path}: directory ${dirname(path)} does not exist`);
  if (!st.isDirectory()) throw new UserError(`${what} ${path}: ${dirname(path)} is not a directory`);
  await access(dir, constants.W_OK).catch((err) => {
    throw new UserError(`${what} ${path}: cannot write in ${dirname(path)}: ${fsReason(err)}`);
  });
}

/** A file to be (over)written: not a directory, not an existing file unless `force`. */
export async function checkOutputFile(path: string, force: boolean): Promise<void> {
  const st = await statOrUndefined(path);
  if (st?.isDirectory()) throw new UserError(`${path} is a directory; give the name of the file to write`);
  if (st && !force) throw new UserError(`${path} already exists; pass --force to overwrite it`);
  await checkParent(path, 'cannot write');
}

/** A directory to write into: an existing directory, or a path whose nearest existing ancestor is one. */
export async function checkOutputDir(path: string): Promise<void> {
  const st = await statOrUndefined(path);
  if (st && !st.isDirectory())
    throw new UserError(`${path} is not a directory; give a directory for the result`);
  if (st) {
    await access(path, constants.W_OK).catch((err) => {
      throw new UserError(`cannot write in ${path}: ${fsReason(err)}`);
    });
    return;
  }
  // mkdir -p will create the missing part: what exists above it must be a writable directory.
  let above = dirname(resolve(path));
  for (;;) {
    const s = await statOrUndefined(above);
    if (s) {
      if (!s.isDirectory()) throw new UserError(`cannot create ${path}: ${above} is not a directory`);
      await access(above, constants.W_OK).catch((err) => {
        throw new UserError(`cannot create ${path}: ${above}: ${fsReason(err)}`);
      });
      return;
    }
    const up = dirname(above);
    if (up === above) return;
    above = up;
  }
}
