import { type MetricTag, metricDef } from './catalogue.js';
import type { RecordSamples } from './readers.js';
import {
  type BootStat,
  bootstrapDelta,
  bootstrapDistribution,
  DEFAULT_LEVEL,
  DEFAULT_RESAMPLES,
  type DeltaInterval,
  MIN_BOOTSTRAP_SAMPLES,
  percentileInterval,
  prng,
  seedOf,
  tInterval,
  welch,
} from './significance.js';
import { type StatName, type Summary, stat } from './summary.js';

/** The recipe's columns: what changes between serving configurations. */
export interface CompareColumn {
  key: string;
  title: string;
  tag: MetricTag;
  stat: StatName;
  digits: number;
}

export const COMPARE_COLUMNS: CompareColumn[] = [
  { key: 'rps', title: 'RPS', tag: 'request_throughput', stat: 'avg', digits: 3 },
  { key: 'itl_avg', title: 'ITL avg ms', tag: 'inter_token_latency', stat: 'avg', digits: 2 },
  { key: 'ttft_avg', title: 'TTFT avg ms', tag: 'time_to_first_token', stat: 'avg', digits: 2 },
  { key: 'ttft_p50', title: 'TTFT p50', tag: 'time_to_first_token', stat: 'p50', digits: 2 },
  { key: 'ttft_p90', title: 'TTFT p90', tag: 'time_to_first_token', stat: 'p90', digits: 2 },
  { key: 'ttft_p99', title: 'TTFT p99', tag: 'time_to_first_token', stat: 'p99', digits: 2 },
  { key: 'output_tps', title: 'Output tok/s', tag: 'output_token_throughput', stat: 'avg', digits: 1 },
];
/** Shown only when a result was measured with --goodput objectives. */
export const GOODPUT_COLUMN: CompareColumn = {
  key: 'goodput',
  title: 'Goodput',
  tag: 'goodput',
  stat: 'avg',
  digits: 3,
};

/** The per-request metrics whose values compare resamples: what its columns need from records. */
export const RESAMPLED_TAGS: readonly MetricTag[] = [
  ...new Set(COMPARE_COLUMNS.filter((c) => isResampled(c)).map((c) => c.tag)),
];

function isResampled(c: CompareColumn): boolean {
  return metricDef(c.tag)?.kind === 'record' && (c.stat === 'avg' || /^p\d+$/.test(c.stat));
}

export interface CompareCell {
  value?: number;
  /** Change against the baseline in percent (undefined for the baseline or a missing value). */
  deltaPct?: number;
  /** The interval of the change against the baseline, and whether it is significant. */
  delta?: DeltaInterval;
  /** This result's own interval of the value (trials: the t interval; records: the bootstrap's). */
  range?: [number, number];
  /** Why the change has no interval ("no records in vllm-serve", "run-level: needs trials"...). */
  note?: string;
}

export interface CompareRow {
  label: string;
  source: Summary['source'];
  baseline: boolean;
  /** Trials behind the values (an aggregate), when more than one. */
  trials?: number;
  /** Per-request values read for the bootstrap (successful measured requests), when there were records. */
  records?: number;
  cells: Record<string, CompareCell>;
}

export interface Comparison {
  baseline: string;
  columns: CompareColumn[];
  rows: CompareRow[];
  /** How the intervals were made. */
  intervals: { level: number; resamples: number; seed: number };
}

export interface CompareOptions {
  /** Per-request values of each result, by label (records.jsonl, profile_export.jsonl). */
  samples?: ReadonlyMap<string, RecordSamples>;
  /** Confidence level of the intervals (default 0.95). */
  level?: number;
  /** Bootstrap resamples (default DEFAULT_RESAMPLES). */
  resamples?: number;
  /** Bootstrap seed (default 0): the same inputs give the same intervals. */
  seed?: number;
}

/**
 * A bootstrap percentile needs values beyond it: with fewer than this many past p99 (n < 500),
 * every resample's p99 is one of the same few largest values and the interval is too narrow.
 */
export const MIN_TAIL_VALUES = 5;

/** Whether n values hold enough beyond the percentile (either tail) for the bootstrap. */
function tailOk(stat: StatName, n: number): boolean {
  const m = /^p(\d+)$/.exec(stat);
  if (!m) return true;
  const q = Number(m[1]) / 100;
  return n * Math.min(q, 1 - q) >= MIN_TAIL_VALUES;
}

/** Why a change has no interval. */
export const NOTES = {
  runLevel: 'a run-level figure: needs trials on both sides',
  noRecords: 'no per-request records',
  fewRecords: `fewer than ${MIN_BOOTSTRAP_SAMPLES} per-request values`,
  tail: `fewer than ${MIN_TAIL_VALUES} values beyond the percentile`,
  oneSided: 'trials on one side only',
  fewTrials: 'fewer than 2 trials',
} as const;

/** Bootstrap distributions per result and metric, drawn once for every statistic of that metric. */
class Resampler {
  private readonly cache = new Map<string, Record<string, Float64Array>>();
  constructor(
    private readonly samples: ReadonlyMap<string, RecordSamples>,
    private readonly stats: Map<MetricTag, BootStat[]>,
    private readonly resamples: number,
    private readonly seed: number,
  ) {}

  values(label: string, tag: MetricTag): Float64Array | undefined {
    return this.samples.get(label)?.values[tag];
  }

  dist(label: string, tag: MetricTag): Record<string, Float64Array> {
    const key = `${label}\u0000${tag}`;
    let d = this.cache.get(key);
    if (!d) {
      const v = this.values(label, tag) ?? new Float64Array(0);
      const random = prng(seedOf(this.seed, label, tag));
      d = bootstrapDistribution(v, this.stats.get(tag) ?? [], this.resamples, random);
      this.cache.set(key, d);
    }
    return d;
  }
}

/** The trials' figures of one statistic, when the result is an aggregate of two trials or more. */
function trialStat(s: Summary, c: CompareColumn) {
  const t = s.trials?.metrics[c.tag]?.[c.stat];
  return t && t.n >= 2 ? t : undefined;
}

/**
 * Pure: the comparison table of `results` against the one labelled `baseline` (default: first),
 * with, beside each change, its interval: Welch's over trials when both results are aggregates
 * of trials, else a seeded bootstrap over both results' per-request values (`opts.samples`) for
 * the per-request columns; a note says why a change has none.
 */
export function compareSummaries(
  results: Summary[],
  baseline?: string,
  opts: CompareOptions = {},
): Comparison {
  if (results.length === 0) throw new Error('compare needs at least one result');
  const labels = results.map((r) => r.label);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup !== undefined) {
    throw new Error(`two results are labelled "${dup}"; name them with name=path`);
  }
  const base = baseline === undefined ? results[0] : results.find((r) => r.label === baseline);
  if (!base) throw new Error(`--baseline "${baseline}" is none of the results (${labels.join(', ')})`);
  const level = opts.level ?? DEFAULT_LEVEL;
  const resamples = opts.resamples ?? DEFAULT_RESAMPLES;
  const seed = opts.seed ?? 0;
  const columns = results.some((r) => stat(r, 'goodput', 'avg') !== undefined)
    ? [...COMPARE_COLUMNS, GOODPUT_COLUMN]
    : COMPARE_COLUMNS;
  const bootStats = new Map<MetricTag, BootStat[]>();
  for (const c of columns.filter(isResampled))
    bootStats.set(c.tag, [...(bootStats.get(c.tag) ?? []), c.stat as BootStat]);
  const boot = new Resampler(opts.samples ?? new Map(), bootStats, resamples, seed);

  const rows = results.map((r) => {
    const cells: Record<string, CompareCell> = {};
    for (const c of columns) {
      const value = stat(r, c.tag, c.stat);
      const ref = stat(base, c.tag, c.stat);
      const cell: CompareCell = { value };
      if (value !== undefined) intervalOf(cell, r, c);
      if (r !== base) {
        cell.deltaPct = deltaPct(value, ref);
        if (value !== undefined && ref !== undefined) deltaOf(cell, base, r, c);
      }
      cells[c.key] = cell;
    }
    const row: CompareRow = { label: r.label, source: r.source, baseline: r === base, cells };
    if (r.trials && r.trials.runs > 1) row.trials = r.trials.runs;
    const recs = opts.samples?.get(r.label);
    if (recs && !r.trials) row.records = Math.max(0, ...Object.values(recs.values).map((v) => v.length));
    return row;
  });
  return { baseline: base.label, columns, rows, intervals: { level, resamples, seed } };

  function enoughRecords(s: Summary, c: CompareColumn): boolean {
    const n = boot.values(s.label, c.tag)?.length ?? 0;
    return n >= MIN_BOOTSTRAP_SAMPLES && tailOk(c.stat, n);
  }

  /** The result's own interval of its value: error bars. */
  function intervalOf(cell: CompareCell, s: Summary, c: CompareColumn): void {
    const t = trialStat(s, c);
    if (t) {
      cell.range =
        t.ciLow !== undefined && t.ciHigh !== undefined && s.trials?.level === level
          ? [t.ciLow, t.ciHigh]
          : tInterval(t, level);
      return;
    }
    if (!s.trials && isResampled(c) && enoughRecords(s, c)) {
      cell.range = percentileInterval(boot.dist(s.label, c.tag)[c.stat]!, level);
    }
  }

  function deltaOf(cell: CompareCell, a: Summary, b: Summary, c: CompareColumn): void {
    const ta = trialStat(a, c);
    const tb = trialStat(b, c);
    if (ta && tb) {
      cell.delta = welch(ta, tb, level);
      return;
    }
    if (a.trials || b.trials) {
      cell.note = a.trials && b.trials ? NOTES.fewTrials : NOTES.oneSided;
      return;
    }
    if (!isResampled(c)) {
      cell.note = NOTES.runLevel;
      return;
    }
    for (const s of [a, b]) {
      const n = boot.values(s.label, c.tag)?.length ?? 0;
      if (!opts.samples?.has(s.label)) {
        cell.note = NOTES.noRecords;
        return;
      }
      if (n < MIN_BOOTSTRAP_SAMPLES) {
        cell.note = NOTES.fewRecords;
        return;
      }
      if (!tailOk(c.stat, n)) {
        cell.note = NOTES.tail;
        return;
      }
    }
    const side = (s: Summary) => ({
      value: stat(s, c.tag, c.stat) as number,
      dist: boot.dist(s.label, c.tag)[c.stat]!,
      n: boot.values(s.label, c.tag)!.length,
    });
    cell.delta = bootstrapDelta(side(a), side(b), level);
  }
}

/** Change of `value` against `ref` in %, or undefined when either is missing or ref is 0. */
export function deltaPct(value: number | undefined, ref: number | undefined): number | undefined {
  return value === undefined || ref === undefined || ref === 0 ? undefined : ((value - ref) / ref) * 100;
}

export function formatDelta(pct: number | undefined): string {
  if (pct === undefined) return '';
  const r = Math.round(pct * 10) / 10;
  const s = r.toFixed(1);
  return `${r > 0 ? '+' : r === 0 ? '±' : ''}${s === '-0.0' ? '0.0' : s}%`;
}

function signedPct(v: number): string {
  const r = Math.round(v * 10) / 10;
  const t = r.toFixed(1);
  return t === '-0.0' || t === '0.0' ? '0.0' : `${r > 0 ? '+' : ''}${t}`;
}

/** `[-62.0, -58.8]*`: the change's interval in %, starred when significant. */
export function formatInterval(d: DeltaInterval | undefined): string {
  if (!d || d.lowPct === undefined || d.highPct === undefined) return '';
  return `[${signedPct(d.lowPct)}, ${signedPct(d.highPct)}]${d.significant ? '*' : ''}`;
}

function cellText(cell: CompareCell | undefined, digits: number): string {
  if (!cell || cell.value === undefined) return '-';
  const d = formatDelta(cell.deltaPct);
  const ci = formatInterval(cell.delta);
  return d ? `${cell.value.toFixed(digits)} (${d}${ci ? ` ${ci}` : ''})` : cell.value.toFixed(digits);
}

/** The header and rows as text cells (shared by the table, markdown and CSV formats). */
function textGrid(c: Comparison): string[][] {
  const head = ['config', ...c.columns.map((col) => col.title)];
  const body = c.rows.map((r) => [
    `${r.label}${r.trials ? ` (${r.trials} trials)` : ''}${r.baseline ? ' (baseline)' : ''}`,
    ...c.columns.map((col) => cellText(r.cells[col.key], col.digits)),
  ]);
  return [head, ...body];
}

/**
 * Under the table: what the brackets are, how they were made, and why some changes have none
 * (grouped by reason). Nothing for a single result.
 */
export function formatIntervalNotes(c: Comparison): string {
  if (c.rows.length < 2) return '';
  const cells = c.rows.flatMap((r) =>
    r.baseline ? [] : c.columns.map((col) => ({ r, col, cell: r.cells[col.key] })),
  );
  const methods = new Set(cells.flatMap(({ cell }) => (cell?.delta ? [cell.delta.method] : [])));
  const lines: string[] = [];
  const pct = `${Math.round(c.intervals.level * 1000) / 10}%`;
  if (methods.size > 0) {
    const how = [
      methods.has('welch') ? "Welch's t over the trials" : '',
      methods.has('bootstrap')
        ? `bootstrap over per-request records (${c.intervals.resamples} resamples, seed ${c.intervals.seed})`
        : '',
    ].filter(Boolean);
    lines.push(
      `[low, high]: ${pct} interval of the change in %, ${how.join('; ')}; * = significant (the interval leaves out 0).`,
    );
  }
  const others = c.rows.filter((r) => !r.baseline);
  const byNote = new Map<string, { cols: string[]; rows: string[] }>();
  for (const { r, col, cell } of cells) {
    if (!cell?.note || cell.value === undefined) continue;
    const g = byNote.get(cell.note) ?? { cols: [], rows: [] };
    if (!g.cols.includes(col.title)) g.cols.push(col.title);
    if (!g.rows.includes(r.label)) g.rows.push(r.label);
    byNote.set(cell.note, g);
  }
  for (const [note, g] of byNote) {
    const which = g.rows.length < others.length ? ` (${g.rows.join(', ')})` : '';
    const none =
      note === NOTES.noRecords
        ? ` in ${c.rows
            .filter((r) => r.records === undefined && r.trials === undefined)
            .map((r) => r.label)
            .join(', ')}`
        : '';
    lines.push(`No interval for ${g.cols.join(', ')}${which}: ${note}${none}.`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function formatCompareTable(c: Comparison): string {
  const grid = textGrid(c);
  const widths = grid[0]!.map((_, i) => Math.max(...grid.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const [head, ...body] = grid;
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return `${[line(head!), rule, ...body.map(line)].join('\n')}\n${formatIntervalNotes(c)}`;
}

export function formatCompareMarkdown(c: Comparison): string {
  const [head, ...body] = textGrid(c);
  const align = head!.map((_, i) => (i === 0 ? '---' : '--:'));
  const notes = formatIntervalNotes(c);
  return `${[head!, align, ...body].map((r) => `| ${r.join(' | ')} |`).join('\n')}\n${notes ? `\n${notes}` : ''}`;
}

function csvQuote(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV: per column the value, the change in %, its interval in % (low, high), whether it is
 * significant, the method (welch or bootstrap) and, without an interval, why; numbers unrounded.
 */
export function formatCompareCsv(c: Comparison): string {
  const head = ['config', 'source', 'baseline', 'trials'];
  for (const col of c.columns) {
    const k = col.key;
    head.push(
      k,
      `${k}_delta_pct`,
      `${k}_ci_low_pct`,
      `${k}_ci_high_pct`,
      `${k}_significant`,
      `${k}_method`,
      `${k}_note`,
    );
  }
  const num = (v: number | undefined) => (v === undefined ? '' : String(v));
  const rows = c.rows.map((r) => {
    const cells = [csvQuote(r.label), r.source, String(r.baseline), num(r.trials)];
    for (const col of c.columns) {
      const cell = r.cells[col.key];
      const d = cell?.delta;
      cells.push(
        num(cell?.value),
        num(cell?.deltaPct),
        num(d?.lowPct),
        num(d?.highPct),
        d ? String(d.significant) : '',
        d?.method ?? '',
        csvQuote(cell?.note ?? ''),
      );
    }
    return cells.join(',');
  });
  return `${[head.join(','), ...rows].join('\n')}\n`;
}

export function formatCompareJson(c: Comparison): string {
  return `${JSON.stringify(c, null, 2)}\n`;
}

export type CompareFormat = 'table' | 'md' | 'csv' | 'json';

export function formatComparison(c: Comparison, format: CompareFormat): string {
  switch (format) {
    case 'table':
      return formatCompareTable(c);
    case 'md':
      return formatCompareMarkdown(c);
    case 'csv':
      return formatCompareCsv(c);
    case 'json':
      return formatCompareJson(c);
  }
}
