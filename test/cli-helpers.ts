// Runs the built CLI as a user would (node bin/mmload ...). Not a test file.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', 'bin', 'mmload');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** performance.now() when the process exited. */
  exitedAt: number;
}

export function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; onStart?: (pid: number) => void; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    opts.onStart?.(p.pid!);
    // A hung child must fail its test, not outlive it.
    const killer = setTimeout(() => {
      stderr += `\n[test] killed after ${opts.timeoutMs ?? 120_000} ms\n`;
      p.kill('SIGKILL');
    }, opts.timeoutMs ?? 120_000);
    p.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, exitedAt: performance.now() });
    });
  });
}

/** Polls `cond` every 20 ms until it holds (or throws after `timeoutMs`). */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
