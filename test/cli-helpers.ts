// Shared helpers for the CLI tests (not a test file): run the built CLI as a user would.
import { spawn } from 'node:child_process';

/** bin/mmload runs dist/ (npm test builds it first). */
export const BIN = new URL('../bin/mmload', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** performance.now() when the process exited. */
  exitedAt: number;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with the child's pid as soon as it is spawned (to signal it). */
  onStart?: (pid: number) => void;
  /** Killed after this long (default 120 s): a hung child fails its test, it does not outlive it. */
  timeoutMs?: number;
}

/** Runs `mmload <args>` to the end and collects its output. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    opts.onStart?.(child.pid!);
    const limit = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      stderr += `\n[test] mmload ${args.join(' ')} killed after ${limit} ms\n`;
      child.kill('SIGKILL');
    }, limit);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, exitedAt: performance.now() });
    });
  });
}

export const mmload = runCli;

/** Polls `cond` every 20 ms until it holds (or throws after `timeoutMs`). */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
