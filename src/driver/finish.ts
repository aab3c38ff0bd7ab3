import { join } from 'node:path';
import { type RunArtifacts, runArtifactFiles } from '../metrics/exporters.js';
import type { Summary } from '../metrics/summary.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';

/**
 * The end of a run: write what was measured, and say how the run went in an exit code. Nothing
 * measured is lost to a write error: each artifact is written on its own, the ones that could not
 * be are named, and the caller still prints the whole summary.
 */

/** Exit codes (the README's table). */
export const EXIT = {
  ok: 0,
  /** Failed requests above --max-error-rate, or no request succeeded. */
  failed: 1,
  /** Bad flags or bad input. */
  usage: 2,
  /** The run finished but some of its results could not be written (disk full, permissions). */
  ioError: 74,
  sigint: 130,
  sigterm: 143,
} as const;

export interface UnwrittenFile {
  path: string;
  error: string;
}

export interface WriteOutcome {
  written: string[];
  failed: UnwrittenFile[];
}

/** Writes each summary artifact atomically; a failure is recorded and the next file is still tried. */
export async function writeArtifactsResilient(dir: string, a: RunArtifacts): Promise<WriteOutcome> {
  const out: WriteOutcome = { written: [], failed: [] };
  for (const f of runArtifactFiles(a)) {
    const path = join(dir, f.name);
    try {
      await writeFileAtomic(path, f.render());
      out.written.push(path);
    } catch (err) {
      out.failed.push({ path, error: describeWriteError(err) });
    }
  }
  return out;
}

export function describeWriteError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOTDIR: 'a part of the path is a file',
    EISDIR: 'is a directory',
    ENOENT: 'no such file or directory',
  };
  return (e?.code && why[e.code]) ?? e?.message ?? String(err);
}

export interface ExitInputs {
  summary: Summary;
  maxErrorRate: number;
  /** The signal that stopped the run, if one did. */
  signal?: 'SIGINT' | 'SIGTERM';
  /** A fatal error that ended the run (a bad input line...). */
  fatal?: unknown;
  unwritten: number;
}

/**
 * How the run went, as a process exit code. Requests the run itself cancelled at its grace
 * deadline (--duration, a stop) are counted and shown, but are not failures of the server: they
 * do not count against --max-error-rate. A run with no successful request always fails.
 */
export function exitCode(e: ExitInputs): number {
  if (e.fatal !== undefined) return e.fatal instanceof UserError ? e.fatal.exitCode : EXIT.failed;
  if (e.signal === 'SIGTERM') return EXIT.sigterm;
  if (e.signal === 'SIGINT') return EXIT.sigint;
  // Results that could not be saved matter more than how the server did: the run must be redone.
  if (e.unwritten > 0) return EXIT.ioError;
  const s = e.summary;
  const cancelled = s.errorsByKind.cancelled ?? 0;
  const failures = s.errorCount - cancelled;
  const judged = s.requestCount + failures;
  if (s.requestCount === 0) return EXIT.failed;
  if (judged > 0 && failures / judged > e.maxErrorRate) return EXIT.failed;
  return EXIT.ok;
}
