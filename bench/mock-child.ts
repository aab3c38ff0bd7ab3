// Shared by the mock benchmarks: runs the built CLI (`npm run build` first) in its own process and
// reports its URL and its CPU time, read from /proc so a busy shared machine does not skew req/CPU-s.
import { type ChildProcess, spawn } from 'node:child_process';
import { statCpuSeconds } from './proc-tree.js';

const BIN = new URL('../bin/mmload', import.meta.url).pathname;

export interface MockProcess {
  url: string;
  child: ChildProcess;
  /** User + system CPU seconds of the mock process so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export async function spawnMock(args: string[]): Promise<MockProcess> {
  const child = spawn(process.execPath, [BIN, 'mock', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/[^\s]+)\/v1/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`mock exited ${code}: ${out}`)));
  });
  return {
    url,
    child,
    cpuSeconds: () => statCpuSeconds(`/proc/${child.pid}/stat`),
    stop: () =>
      new Promise<void>((resolve) => {
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
