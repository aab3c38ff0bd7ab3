import { readSweep, type SweepResult } from '../plan/read-sweep.js';
import type { SweepParam } from '../plan/sweep.js';
import { UserError } from '../util/errors.js';
import {
  type CompareFormat,
  type Comparison,
  compareSummaries,
  formatCompareCsv,
  formatCompareMarkdown,
  formatCompareTable,
  RESAMPLED_TAGS,
} from './compare.js';
import { readResult, readSamplesOf } from './readers.js';
import type { Summary } from './summary.js';

/**
 * Two (or more) sweeps side by side, point by point: at each load that every sweep ran, the same
 * comparison as `mmload compare` of those points (each change with its interval and whether it
 * is significant: Welch's over trials, else the bootstrap over the points' records). Loads that
 * only some sweeps ran are listed, not compared.
 */

export interface SweepComparison {
  param: SweepParam;
  baseline: string;
  /** One comparison per load every sweep has, by load. */
  points: Array<{ load: number; comparison: Comparison }>;
  /** Loads some sweep has and another lacks. */
  unmatched: Array<{ label: string; loads: number[] }>;
}

export interface SweepCompareOptions {
  baseline?: string;
  level?: number;
  resamples?: number;
  seed?: number;
  /** Each summary's per-request values (cli/compare.ts reads them next to the summaries). */
  samplesOf?: (
    summaries: Summary[],
  ) => Promise<NonNullable<Parameters<typeof compareSummaries>[2]>['samples']>;
}

function loadName(param: SweepParam, load: number): string {
  return param === 'concurrency' ? `concurrency ${load}` : `request rate ${load}/s`;
}

/** Reads the sweeps and compares them at every load they share. */
export async function compareSweeps(
  specs: string[],
  opts: SweepCompareOptions = {},
): Promise<SweepComparison> {
  const sweeps: SweepResult[] = [];
  for (const s of specs) sweeps.push(await readSweep(s));
  const labels = sweeps.map((s) => s.label);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup !== undefined) throw new UserError(`two sweeps are labelled "${dup}"; name them with name=path`);
  const param = sweeps[0]!.param;
  const other = sweeps.find((s) => s.param !== param);
  if (other)
    throw new UserError(
      `${sweeps[0]!.label} sweeps ${param}, ${other.label} sweeps ${other.param}: there are no points to match`,
    );
  const baseline = opts.baseline ?? labels[0]!;
  if (!labels.includes(baseline))
    throw new UserError(`--baseline "${baseline}" is none of the sweeps (${labels.join(', ')})`);
  const shared = sweeps[0]!.points
    .map((p) => p.load)
    .filter((load) => sweeps.every((s) => s.points.some((p) => p.load === load && p.dir)));
  const points: SweepComparison['points'] = [];
  for (const load of shared) {
    const summaries: Summary[] = [];
    for (const s of sweeps)
      summaries.push(await readResult(s.points.find((p) => p.load === load)!.dir!, s.label));
    const comparison = compareSummaries(summaries, baseline, {
      samples: await readSamplesOf(summaries, RESAMPLED_TAGS),
      level: opts.level,
      resamples: opts.resamples,
      seed: opts.seed,
    });
    points.push({ load, comparison });
  }
  const unmatched = sweeps
    .map((s) => ({ label: s.label, loads: s.points.map((p) => p.load).filter((l) => !shared.includes(l)) }))
    .filter((u) => u.loads.length > 0);
  if (points.length === 0)
    throw new UserError(`the sweeps share no load with results to compare (${labels.join(', ')})`);
  return { param, baseline, points, unmatched };
}

/** The comparison at each load in compare's formats; CSV rows carry the load in a first column. */
export function formatSweepComparison(c: SweepComparison, format: CompareFormat): string {
  const tail =
    c.unmatched.length > 0
      ? `Not compared (not in every sweep): ${c.unmatched.map((u) => `${u.label}: ${c.param} ${u.loads.join(', ')}`).join('; ')}\n`
      : '';
  switch (format) {
    case 'table':
      return `${c.points.map((p) => `${loadName(c.param, p.load)}\n${formatCompareTable(p.comparison)}`).join('\n')}${tail ? `\n${tail}` : ''}`;
    case 'md':
      return `${c.points.map((p) => `### ${loadName(c.param, p.load)}\n\n${formatCompareMarkdown(p.comparison)}`).join('\n')}${tail ? `\n${tail}` : ''}`;
    case 'csv': {
      const lines: string[] = [];
      c.points.forEach((p, i) => {
        const [head, ...rows] = formatCompareCsv(p.comparison).trimEnd().split('\n');
        if (i === 0) lines.push(`${c.param},${head}`);
        for (const r of rows) lines.push(`${p.load},${r}`);
      });
      return `${lines.join('\n')}\n`;
    }
    case 'json':
      return `${JSON.stringify({ param: c.param, baseline: c.baseline, points: c.points, unmatched: c.unmatched }, null, 2)}\n`;
  }
}
