import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `mkdir -p` that always ends; returns the first directory it created (as `mkdir` with
 * `recursive` does), or undefined when the path was already there. Node's `mkdir(path, { recursive: true })` loops forever when the
 * kernel answers ENOENT for a directory whose parent exists (procfs, some FUSE mounts: seen with
 * /proc/self/x on Node 20), which hung a run before its first request. Here each missing level is
 * made on its own, so every error surfaces once, with its code.
 */
export async function makeDir(path: string): Promise<string | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (st) {
    if (st.isDirectory()) return undefined;
    throw Object.assign(new Error(`${path}: not a directory`), { code: 'ENOTDIR', path });
  }
  const parent = dirname(path);
  const first = parent !== path ? await makeDir(parent) : undefined;
  try {
    await mkdir(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return first;
  }
  return first ?? path;
}
