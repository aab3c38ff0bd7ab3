/** Running AIPerf as a child process: its output goes to a log file in the artifact dir. */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeDir } from '../util/make-dir.js';
import type { AiperfCommand } from './command.js';

/** AIPerf's summary file inside --artifact-dir (AIPerf 0.13.0). */
export const AIPERF_SUMMARY_FILE = 'profile_export_aiperf.json';
/** Where run() writes AIPerf's stdout and stderr (AIPerf keeps its own logs/aiperf.log too). */
export const AIPERF_CONSOLE_LOG = 'aiperf-console.log';

export interface RunAiperfOptions {
  executable: string;
  command: AiperfCommand;
  artifactDir: string;
  /** Kill AIPerf (its whole process group) after this long. */
  timeoutMs?: number;
  /** Also copy AIPerf's output to this stream (e.g. process.stderr for --verbose). */
  echo?: NodeJS.WritableStream;
  /** Forward SIGINT/SIGTERM of this process to AIPerf (default true). */
  forwardSignals?: boolean;
}

export interface AiperfRunResult {
  /** AIPerf's exit code; null when it was ended by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  interrupted: boolean;
  durationMs: number;
  logPath: string;
  /** profile_export_aiperf.json when AIPerf wrote one (it writes none when every request failed early). */
  summaryPath: string | undefined;
}

/** Grace between SIGINT and SIGKILL: AIPerf shuts its worker processes down on SIGINT. */
const KILL_GRACE_MS = 10_000;

export async function runAiperf(opts: RunAiperfOptions): Promise<AiperfRunResult> {
  await makeDir(opts.artifactDir);
  const logPath = join(opts.artifactDir, AIPERF_CONSOLE_LOG);
  const log = createWriteStream(logPath);
  const started = performance.now();
  // Its own process group, so that a timeout or Ctrl-C reaches AIPerf's worker processes as well.
  const child = spawn(opts.executable, opts.command.args, {
    env: { ...process.env, ...opts.command.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      log.write(chunk);
      opts.echo?.write(chunk);
    });
  }

  let timedOut = false;
  let interrupted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const killGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // Already gone.
    }
  };
  const signalGroup = (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) killGroup(sig);
  };
  // Whatever AIPerf leaves behind in its group when it exits (workers that ignored SIGINT) is an
  // orphan: end it, so that no stray process keeps ports or pipes open.
  child.once('exit', () => killGroup('SIGKILL'));
  const stop = () => {
    signalGroup('SIGINT');
    killTimer ??= setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
  };
  const timeout =
    opts.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, opts.timeoutMs)
      : undefined;
  const onSignal = () => {
    interrupted = true;
    stop();
  };
  const forward = opts.forwardSignals ?? true;
  if (forward) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  try {
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.once('error', reject);
        child.once('close', (code, sig) => resolve([code, sig]));
      },
    );
    const summary = join(opts.artifactDir, AIPERF_SUMMARY_FILE);
    return {
      exitCode,
      signal,
      timedOut,
      interrupted,
      durationMs: performance.now() - started,
      logPath,
      summaryPath: existsSync(summary) ? summary : undefined,
    };
  } finally {
    if (timeout) clearTimeout(timeout);
    if (killTimer) clearTimeout(killTimer);
    if (forward) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    await new Promise<void>((resolve) => log.end(resolve));
  }
}
