import { UserError } from './errors.js';

/** What a file-system error code means to the person who gave the path. */
const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

/** Out of the user's path and into the machine's state: not bad input, but not a bug either. */
const ENVIRONMENT = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE']);

/** "permission denied", or the code itself when it is not one a user can act on. */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return (code && REASONS[code]) ?? code ?? (err instanceof Error ? err.message : String(err));
}

/**
 * A Node file-system error (it carries `code` and `path`) that no command turned into a message:
 * it is about a path the user gave or the machine's state, not a bug, so it gets a message
 * naming the path and exit 2 (bad path) or 1 (full disk, I/O error) rather than a stack and 70.
 */
export function fsErrorToUserError(err: unknown): UserError | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  if (!(e instanceof Error) || typeof e.code !== 'string' || typeof e.path !== 'string') return undefined;
  if (!(e.code in REASONS)) return undefined;
  return new UserError(`${e.path}: ${REASONS[e.code]}`, ENVIRONMENT.has(e.code) ? 1 : 2);
}
