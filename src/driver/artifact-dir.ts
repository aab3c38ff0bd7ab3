import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FILES } from '../metrics/exporters.js';
import { exists } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { makeDir } from '../util/make-dir.js';
import { describeWriteError } from './finish.js';

/**
 * Checks, before the first request, that the results can be written: the directory can be made,
 * is a directory, holds no earlier result, and accepts a file. A run of hours must not end with
 * "cannot write" when the mistake was there from the start.
 */
export async function prepareArtifactDir(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (st && !st.isDirectory()) throw new UserError(`--artifact-dir ${dir}: is a file, not a directory`);
  try {
    await makeDir(dir);
  } catch (err) {
    throw new UserError(`--artifact-dir ${dir}: cannot create it (${describeWriteError(err)})`);
  }
  if (await exists(join(dir, FILES.json)))
    throw new UserError(`--artifact-dir ${dir}: already holds a result; choose another directory`);
  const probe = join(dir, `.mmload-write-check-${process.pid}`);
  try {
    await writeFile(probe, 'mmload checks that results can be written here\n');
  } catch (err) {
    throw new UserError(`--artifact-dir ${dir}: cannot write in it (${describeWriteError(err)})`);
  } finally {
    await rm(probe, { force: true });
  }
}
