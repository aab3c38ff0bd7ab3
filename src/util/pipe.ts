import { UserError } from './errors.js';

/**
 * `mmload ... | head`: when the reader of stdout goes away, a C program dies of SIGPIPE and the
 * shell reports 128 + 13. Node ignores SIGPIPE and turns it into an EPIPE 'error' event that,
 * unhandled, crashes with a stack trace. mmload instead stops writing there, lets the command
 * finish (so artifacts are still written), says nothing, and exits with the shell's 141, so that
 * `set -o pipefail` scripts see the truncation as they would with any other tool.
 */
export const CLOSED_PIPE_EXIT = 141;

/** A write to a pipe whose reader has gone; main() ends quietly with CLOSED_PIPE_EXIT. */
export class ClosedPipeError extends UserError {
  constructor(target: string) {
    super(`output pipe closed while writing ${target}`, CLOSED_PIPE_EXIT);
    this.name = 'ClosedPipeError';
  }
}

const closed = { stdout: false, stderr: false };
let failure: NodeJS.ErrnoException | undefined;

/** True once stdout's reader has gone (set by watchClosedPipes). */
export function stdoutClosed(): boolean {
  return closed.stdout;
}

/** True once stdout or stderr's reader has gone. */
export function anyPipeClosed(): boolean {
  return closed.stdout || closed.stderr;
}

/** A write error on stdout other than a gone reader (e.g. ENOSPC with `> file`), if any. */
export function stdoutFailure(): NodeJS.ErrnoException | undefined {
  return failure;
}

/** An error that only says the reader went away (EPIPE, or a write after that). */
export function isClosedPipe(err: unknown): boolean {
  if (err instanceof ClosedPipeError) return true;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || (code === 'ERR_STREAM_DESTROYED' && anyPipeClosed());
}

let watching = false;

/**
 * Handles 'error' on process.stdout and process.stderr once per process, instead of the crash an
 * unhandled 'error' event is: EPIPE marks the stream closed and later write errors on it are
 * dropped. Any other stdout error (a full disk under `> file`) is kept for main() to report; a
 * broken stderr has nowhere left to report to.
 */
export function watchClosedPipes(): void {
  if (watching) return;
  watching = true;
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || (err.code === 'ERR_STREAM_DESTROYED' && closed[name])) closed[name] = true;
      else if (name === 'stdout') failure ??= err;
    });
  }
}
