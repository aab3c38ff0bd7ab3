/**
 * `mmload inspect` throughput (whole process) on a full inline dataset. Goal: > 500 MB/s.
 *   node --import tsx bench/inspect-throughput.ts FILE [--runs 3]
 * Generate FILE first with `mmload generate -o FILE` (about 12.5 GB).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { saveResult, table, timed } from './util.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: node --import tsx bench/inspect-throughput.ts FILE [--runs N]');
  process.exit(2);
}
const i = process.argv.indexOf('--runs');
const runs = i >= 0 ? Number(process.argv[i + 1]) : 3;
const bytes = statSync(file).size;
const bin = resolve(import.meta.dirname, '../bin/mmload');
const rows: (string | number)[][] = [['run', 'wall s', 'MB/s', 'peak RSS MB']];
const rates: number[] = [];
for (let r = 1; r <= runs; r++) {
  const t = timed(process.execPath, [bin, 'inspect', file, '--json']);
  if (t.code !== 0) throw new Error(t.stderr);
  const rate = bytes / 1e6 / t.seconds;
  rates.push(rate);
  rows.push([r, t.seconds.toFixed(2), rate.toFixed(0), t.maxRssMB.toFixed(0)]);
}
const median = [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)]!;
console.log(table(rows));
console.log(`\n${(bytes / 1e9).toFixed(2)} GB; median ${median.toFixed(0)} MB/s (goal > 500)`);
console.log(`saved ${saveResult('inspect-throughput', { file, bytes, rates, median })}`);
