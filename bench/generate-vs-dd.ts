/**
 * Whole-process `mmload generate` (full default inline dataset, ~12.5 GB) against `dd` writing
 * the same number of bytes to the same disk in the same run. Goal: wall time within 1.3x of dd,
 * peak RSS <= 1 GB. Outputs are deleted afterwards.
 *   node --import tsx bench/generate-vs-dd.ts [--dir $TMPDIR/mmload-bench] [--users 30] [--turns 8]
 */
import { execSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { saveResult, table, timed } from './util.js';

/** Seconds for `sync` to flush what the previous run left dirty in the page cache. */
function syncSeconds(): number {
  const t = performance.now();
  execSync('sync');
  return (performance.now() - t) / 1000;
}

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const dir = resolve(arg('dir', join(tmpdir(), 'mmload-bench')));
const users = arg('users', '30');
const turns = arg('turns', '8');
mkdirSync(dir, { recursive: true });
const bin = resolve(import.meta.dirname, '../bin/mmload');
const out = join(dir, 'generate.jsonl');
const ddOut = join(dir, 'dd.bin');

try {
  execSync('sync');
  const gen = timed(process.execPath, [
    bin,
    'generate',
    '-o',
    out,
    '--quiet',
    '--force',
    '--users',
    users,
    '--turns',
    turns,
  ]);
  if (gen.code !== 0) throw new Error(`mmload generate failed:\n${gen.stderr}`);
  const genSync = syncSeconds();
  const bytes = statSync(out).size;
  rmSync(out, { force: true });
  rmSync(`${out}.manifest.json`, { force: true });
  execSync('sync');
  const mib = 1024 * 1024;
  const dd = timed('dd', [
    'if=/dev/zero',
    `of=${ddOut}`,
    `bs=${mib}`,
    `count=${Math.ceil(bytes / mib)}`,
    'status=none',
  ]);
  const ddSync = syncSeconds();
  rmSync(ddOut, { force: true });
  execSync('sync');
  const ratio = gen.seconds / dd.seconds;
  const ratioSynced = (gen.seconds + genSync) / (dd.seconds + ddSync);
  console.log(
    table([
      ['run', 'bytes', 'wall s', 'MB/s', 'wall + sync s', 'peak RSS MB'],
      [
        'mmload generate',
        bytes,
        gen.seconds.toFixed(1),
        (bytes / 1e6 / gen.seconds).toFixed(0),
        (gen.seconds + genSync).toFixed(1),
        gen.maxRssMB.toFixed(0),
      ],
      [
        'dd (same bytes)',
        bytes,
        dd.seconds.toFixed(1),
        (bytes / 1e6 / dd.seconds).toFixed(0),
        (dd.seconds + ddSync).toFixed(1),
        dd.maxRssMB.toFixed(0),
      ],
    ]),
  );
  console.log(
    `\nratio mmload/dd = ${ratio.toFixed(2)} into the page cache, ${ratioSynced.toFixed(2)} including the sync to disk (goal <= 1.3); peak RSS ${gen.maxRssMB.toFixed(0)} MB (goal <= 1024)`,
  );
  console.log(
    `saved ${saveResult('generate-vs-dd', { bytes, users, turns, generate: gen.seconds, dd: dd.seconds, genSync, ddSync, ratio, ratioSynced, peakRssMB: gen.maxRssMB })}`,
  );
} finally {
  rmSync(out, { force: true });
  rmSync(ddOut, { force: true });
}
