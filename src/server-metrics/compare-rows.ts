import type { CompareFormat } from '../metrics/compare.js';
import type { Summary } from '../metrics/summary.js';
import { type CommonView, commonView, type ViewKey, viewValue } from './common-view.js';
import { ttftSplit } from './console.js';
import { serverExportOf } from './read.js';

/**
 * `compare`'s rows of the common view: one row per server quantity, one column per result
 * (e.g. the multimodal-cache hit rate of each configuration), from each result's
 * server_metrics_export.json (mmload's or AIPerf's). Absent when no result has one.
 */
export interface ServerCompareRow {
  key: string;
  title: string;
  /** One value per result, in the results' order; undefined where that server does not export it. */
  values: Array<number | undefined>;
  digits: number;
}

export interface ServerComparison {
  labels: string[];
  rows: ServerCompareRow[];
}

const ROWS: Array<{
  key: string;
  title: string;
  view: ViewKey;
  pick: string;
  scale?: number;
  digits: number;
}> = [
  { key: 'running_avg', title: 'Requests running avg', view: 'requests_running', pick: 'avg', digits: 1 },
  { key: 'waiting_avg', title: 'Requests waiting avg', view: 'requests_waiting', pick: 'avg', digits: 1 },
  {
    key: 'kv_usage_avg_pct',
    title: 'KV-cache usage avg %',
    view: 'kv_cache_usage',
    pick: 'avg',
    scale: 100,
    digits: 1,
  },
  {
    key: 'prefix_hit_pct',
    title: 'Prefix-cache hit %',
    view: 'prefix_cache_hit_rate',
    pick: 'value',
    scale: 100,
    digits: 1,
  },
  {
    key: 'mm_hit_pct',
    title: 'Multimodal-cache hit %',
    view: 'mm_cache_hit_rate',
    pick: 'value',
    scale: 100,
    digits: 1,
  },
  { key: 'server_ttft_p50', title: 'Server TTFT p50 ms', view: 'server_ttft', pick: 'p50', digits: 1 },
  { key: 'server_ttft_p99', title: 'Server TTFT p99 ms', view: 'server_ttft', pick: 'p99', digits: 1 },
  { key: 'server_itl_p50', title: 'Server ITL p50 ms', view: 'server_itl', pick: 'p50', digits: 2 },
  { key: 'queue_p50', title: 'Queue time p50 ms', view: 'queue_time', pick: 'p50', digits: 1 },
  { key: 'prompt_tps', title: 'Prompt tokens/s', view: 'prompt_tokens', pick: 'rate', digits: 1 },
  { key: 'generation_tps', title: 'Generation tokens/s', view: 'generation_tokens', pick: 'rate', digits: 1 },
];

function rowValue(v: CommonView | undefined, r: (typeof ROWS)[number]): number | undefined {
  if (!v) return undefined;
  const x = viewValue(v, r.view) as unknown as Record<string, unknown> | undefined;
  const n = x?.[r.pick];
  if (r.view === 'prefix_cache_hit_rate' && n === undefined && typeof x?.avg === 'number')
    return (x.avg as number) * (r.scale ?? 1);
  return typeof n === 'number' && Number.isFinite(n) ? n * (r.scale ?? 1) : undefined;
}

export async function serverComparison(results: Summary[]): Promise<ServerComparison | undefined> {
  const exports = await Promise.all(results.map(serverExportOf));
  if (exports.every((e) => e === undefined)) return undefined;
  const views = exports.map((e) => (e ? commonView(e) : undefined));
  const rows: ServerCompareRow[] = ROWS.map((r) => ({
    key: r.key,
    title: r.title,
    digits: r.digits,
    values: views.map((v) => rowValue(v, r)),
  }));
  // The client's TTFT less the server's, on the exact averages: what the server's clock did not see.
  rows.push({
    key: 'ttft_client_minus_server_avg',
    title: 'TTFT client - server avg ms',
    digits: 1,
    values: views.map((v, i) =>
      v ? ttftSplit(v, results[i]!)?.rows.find((x) => x.stat === 'avg')?.differenceMs : undefined,
    ),
  });
  return {
    labels: results.map((r) => r.label),
    rows: rows.filter((r) => r.values.some((x) => x !== undefined)),
  };
}

function grid(c: ServerComparison): string[][] {
  return [
    ['server', ...c.labels],
    ...c.rows.map((r) => [r.title, ...r.values.map((v) => (v === undefined ? '-' : v.toFixed(r.digits)))]),
  ];
}

export function formatServerComparison(c: ServerComparison, format: CompareFormat): string {
  if (format === 'json') return `${JSON.stringify(c, null, 2)}\n`;
  if (format === 'csv') {
    const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    return `${[
      ['server', ...c.labels].map(q).join(','),
      ...c.rows.map((r) => [r.key, ...r.values.map((v) => (v === undefined ? '' : String(v)))].join(',')),
    ].join('\n')}\n`;
  }
  const g = grid(c);
  if (format === 'md') {
    const [head, ...body] = g;
    return `${[head!, head!.map((_, i) => (i === 0 ? '---' : '--:')), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`;
  }
  const widths = g[0]!.map((_, i) => Math.max(...g.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const [head, ...body] = g;
  return `${[line(head!), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')}\n`;
}

/**
 * What `compare` prints, with the server rows after the client table (JSON: one document with a
 * `server` key). The one call the compare command makes.
 */
export async function withServerComparison(
  text: string,
  results: Summary[],
  format: CompareFormat,
): Promise<string> {
  const c = await serverComparison(results);
  if (!c) return text;
  if (format === 'json') return `${JSON.stringify({ ...JSON.parse(text), server: c }, null, 2)}\n`;
  return `${text}\n${formatServerComparison(c, format)}`;
}
