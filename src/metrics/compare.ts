import type { MetricTag } from './catalogue.js';
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

export interface CompareCell {
  value?: number;
  /** Change against the baseline in percent (undefined for the baseline or a missing value). */
  deltaPct?: number;
}

export interface CompareRow {
  label: string;
  source: Summary['source'];
  baseline: boolean;
  cells: Record<string, CompareCell>;
}

export interface Comparison {
  baseline: string;
  columns: CompareColumn[];
  rows: CompareRow[];
}

/** Pure: the comparison table of `results` against the one labelled `baseline` (default: first). */
export function compareSummaries(results: Summary[], baseline?: string): Comparison {
  if (results.length === 0) throw new Error('compare needs at least one result');
  const labels = results.map((r) => r.label);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup !== undefined) {
    throw new Error(`two results are labelled "${dup}"; name them with name=path`);
  }
  const base = baseline === undefined ? results[0] : results.find((r) => r.label === baseline);
  if (!base) throw new Error(`--baseline "${baseline}" is none of the results (${labels.join(', ')})`);
  const rows = results.map((r) => {
    const cells: Record<string, CompareCell> = {};
    for (const c of COMPARE_COLUMNS) {
      const value = stat(r, c.tag, c.stat);
      const ref = stat(base, c.tag, c.stat);
      const cell: CompareCell = { value };
      if (r !== base) cell.deltaPct = deltaPct(value, ref);
      cells[c.key] = cell;
    }
    return { label: r.label, source: r.source, baseline: r === base, cells };
  });
  return { baseline: base.label, columns: COMPARE_COLUMNS, rows };
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

function cellText(cell: CompareCell | undefined, digits: number): string {
  if (!cell || cell.value === undefined) return '-';
  const d = formatDelta(cell.deltaPct);
  return d ? `${cell.value.toFixed(digits)} (${d})` : cell.value.toFixed(digits);
}

/** The header and rows as text cells (shared by the table, markdown and CSV formats). */
function textGrid(c: Comparison): string[][] {
  const head = ['config', ...c.columns.map((col) => col.title)];
  const body = c.rows.map((r) => [
    r.baseline ? `${r.label} (baseline)` : r.label,
    ...c.columns.map((col) => cellText(r.cells[col.key], col.digits)),
  ]);
  return [head, ...body];
}

export function formatCompareTable(c: Comparison): string {
  const grid = textGrid(c);
  const widths = grid[0]!.map((_, i) => Math.max(...grid.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const [head, ...body] = grid;
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return `${[line(head!), rule, ...body.map(line)].join('\n')}\n`;
}

export function formatCompareMarkdown(c: Comparison): string {
  const [head, ...body] = textGrid(c);
  const align = head!.map((_, i) => (i === 0 ? '---' : '--:'));
  return `${[head!, align, ...body].map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`;
}

function csvQuote(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV: value and delta in separate columns, numbers unrounded, for spreadsheets. */
export function formatCompareCsv(c: Comparison): string {
  const head = ['config', 'source', 'baseline'];
  for (const col of c.columns) head.push(col.key, `${col.key}_delta_pct`);
  const rows = c.rows.map((r) => {
    const cells = [csvQuote(r.label), r.source, String(r.baseline)];
    for (const col of c.columns) {
      const cell = r.cells[col.key];
      cells.push(cell?.value === undefined ? '' : String(cell.value));
      cells.push(cell?.deltaPct === undefined ? '' : String(cell.deltaPct));
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
