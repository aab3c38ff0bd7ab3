import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TimedRun {
  seconds: number;
  maxRssMB: number;
  code: number | null;
  stderr: string;
}

/** Runs a whole process under /usr/bin/time -v: wall time and peak RSS as the kernel saw them. */
export function timed(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): TimedRun {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - t0) / 1000;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  return { seconds, maxRssMB: rss ? Number(rss[1]) / 1024 : Number.NaN, code: r.status, stderr: r.stderr };
}

export function saveResult(name: string, data: unknown): string {
  const dir = join(import.meta.dirname ?? 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

export function table(rows: (string | number)[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(w[i]!)).join('  ')).join('\n');
}

/**
 * A text-only dataset in a fresh temp dir: `sessions` sessions of `turns` rows, interleaved by turn
 * as the recipe's files are. Returns the dir (for the caller to remove) and the file.
 */
export async function textSessionsDataset(
  prefix: string,
  sessions: number,
  turns: number,
): Promise<{ dir: string; path: string; rows: number }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const path = join(dir, 'd.jsonl');
  const lines: string[] = [];
  for (let t = 0; t < turns; t++)
    for (let u = 0; u < sessions; u++)
      lines.push(JSON.stringify({ session_id: `user_${u}`, text: `hello ${u} ${t}` }));
  await writeFile(path, `${lines.join('\n')}\n`);
  return { dir, path, rows: lines.length };
}
