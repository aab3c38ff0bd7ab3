import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `mkdir -p` that always ends. Node's `mkdir(path, { recursive: true })` loops forever when the
 * kernel answers ENOENT for a directory whose parent exists (procfs, some FUSE mounts: seen with
 * /proc/self/x on Node 20), which hung a run before its first request. Here each missing level is
 * made on its own, so every error surfaces once, with its code.
 */
export async function makeDir(path: string): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (st) {
    if (st.isDirectory()) return;
    throw Object.assign(new Error(`${path}: not a directory`), { code: 'ENOTDIR', path });
  }
  const parent = dirname(path);
  if (parent !== path) await makeDir(parent);
  try {
    await mkdir(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
