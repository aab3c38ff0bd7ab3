import { type MetricTag, TABLE_ROWS } from './catalogue.js';
import { formatErrors } from './errors.js';
import { describeObjective, objectivesOf } from './goodput.js';
import { type StatName, type Summary, stat } from './summary.js';

const COLS: StatName[] = ['avg', 'min', 'max', 'p50', 'p90', 'p99', 'std'];
/** Distinct error messages listed under the table; the rest are counted in one line. */
export const TABLE_ERROR_MESSAGES = 5;
const LABEL_WIDTH = 25;

function num(v: number | undefined): string {
  if (v === undefined) return '-';
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : v.toFixed(2);
}

/** The console results table of one run: per-request statistics, then run-level figures. */
export function formatRunTable(s: Summary): string {
  const grid: string[][] = [['Metric', ...COLS]];
  // Per-request metrics in AIPerf's console order (the catalogue's tableRow).
  for (const d of TABLE_ROWS) {
    const m = s.metrics[d.tag];
    if (!m) continue;
    grid.push([`${d.header} (${m.unit})`, ...COLS.map((c) => num(stat(s, d.tag, c)))]);
  }
  const widths = grid[0]!.map((_, i) => Math.max(...grid.map((r) => r[i]!.length)));
  const lines = grid.map((r) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const scalar = (tag: MetricTag, digits: number, unit: string) => {
    const v = stat(s, tag, 'avg');
    return v === undefined ? '-' : `${v.toFixed(digits)} ${unit}`;
  };
  lines.push('');
  lines.push(`Request throughput:      ${scalar('request_throughput', 3, 'requests/sec')}`);
  const goodput = goodputLine(s);
  if (goodput) lines.push(goodput);
  lines.push(
    `Output token throughput: ${scalar('output_token_throughput', 1, 'tokens/sec')}${
      s.outputTokenSource ? ` (tokens from ${s.outputTokenSource})` : ''
    }`,
  );
  lines.push(`Benchmark duration:      ${scalar('benchmark_duration', 3, 'sec')}`);
  const kinds = Object.entries(s.errorsByKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  lines.push(
    `Requests:                ${s.requestCount} ok, ${s.errorCount} failed${kinds ? ` (${kinds})` : ''}`,
  );
  formatErrors(s.errorDetails, TABLE_ERROR_MESSAGES).forEach((l, i) => {
    lines.push(`${(i === 0 ? 'Errors:' : '').padEnd(LABEL_WIDTH)}${l}`);
  });
  for (const w of s.client?.warnings ?? []) lines.push(`Warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

/** With --goodput: good requests per second, how many met every objective, and the objectives. */
function goodputLine(s: Summary): string | undefined {
  const rate = stat(s, 'goodput', 'avg');
  const good = stat(s, 'good_request_count', 'avg');
  if (rate === undefined && good === undefined) return undefined;
  const fraction = stat(s, 'good_request_fraction', 'avg');
  const objectives = objectivesOf(s);
  const parts = [rate === undefined ? '-' : `${rate.toFixed(3)} requests/sec`];
  if (good !== undefined) {
    const of = s.requestCount + s.errorCount;
    parts.push(
      `${good} good of ${of} requests${fraction === undefined ? '' : ` (${(fraction * 100).toFixed(1)}%)`}`,
    );
  }
  const slo = objectives ? `: ${objectives.map(describeObjective).join(', ')}` : '';
  return `Goodput:                 ${parts.join(', ')}${slo}`;
}
