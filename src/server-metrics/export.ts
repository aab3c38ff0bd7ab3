import { VERSION } from '../version.js';
import { type SeriesStore, seriesPoints } from './store.js';
import type { FamilyType } from './types.js';
import {
  type CounterStats,
  counterStats,
  type GaugeStats,
  gaugeStats,
  type HistogramStats,
  histogramStats,
  type Window,
} from './window-stats.js';

/**
 * The server metrics summary in AIPerf 0.13's layout and file names
 * (aiperf/server_metrics/json_exporter.py, csv_exporter.py; ServerMetricsExportData, schema 1.1):
 * metrics keyed by name, one series per endpoint and label set with type-specific stats, so that
 * `data.metrics["vllm:kv_cache_usage_perc"].series[0].stats.p99` reads the same in either tool's
 * file. mmload adds to endpoint_info what AIPerf does not record: failed and timed-out scrapes.
 */

export const SERVER_METRICS_FILES = {
  json: 'server_metrics_export.json',
  csv: 'server_metrics_export.csv',
  jsonl: 'server_metrics_export.jsonl',
  /** mmload only: every scrape's body as the server sent it, gzipped. */
  raw: 'server_metrics_raw.txt.gz',
} as const;

export const SERVER_METRICS_SCHEMA_VERSION = '1.1';

/** AIPerf's metric types in the export: prometheus_client calls untyped "unknown". */
export type ExportType = 'counter' | 'gauge' | 'histogram' | 'unknown';

export interface ExportSeries {
  endpoint_url?: string;
  labels?: Record<string, string>;
  stats?: Partial<GaugeStats & CounterStats & HistogramStats>;
  buckets?: Record<string, number>;
}

export interface ExportMetric {
  type: ExportType;
  description: string;
  unit?: string;
  series: ExportSeries[];
}

export interface EndpointInfo {
  total_fetches: number;
  first_fetch_ns: number;
  last_fetch_ns: number;
  avg_fetch_latency_ms: number;
  unique_updates: number;
  first_update_ns: number;
  last_update_ns: number;
  duration_seconds: number;
  avg_update_interval_ms: number;
  median_update_interval_ms?: number;
  /** mmload: scrapes that failed (connection, HTTP status, body), timed out included. */
  failed_fetches?: number;
  timed_out_fetches?: number;
  /** mmload: the distinct reasons of failed scrapes with their counts. */
  errors?: Record<string, number>;
}

export interface ServerMetricsExport {
  schema_version: string;
  aiperf_version?: string;
  mmload_version?: string;
  benchmark_id?: string;
  summary: {
    endpoints_configured: string[];
    endpoints_successful: string[];
    start_time: string;
    end_time: string;
    endpoint_info?: Record<string, EndpointInfo>;
    phase_time_ranges?: Record<string, { start_ns: number; end_ns: number }>;
  };
  metrics_phase?: string;
  metrics: Record<string, ExportMetric>;
  warmup_metrics?: Record<string, ExportMetric>;
  input_config?: Record<string, unknown>;
}

const UNIT_SUFFIXES: Array<[string, string]> = [
  ['_seconds_total', 'seconds'],
  ['_seconds', 'seconds'],
  ['_milliseconds', 'milliseconds'],
  ['_ms_total', 'milliseconds'],
  ['_ms', 'milliseconds'],
  ['_bytes_total', 'bytes'],
  ['_bytes', 'bytes'],
  ['_tokens_total', 'tokens'],
  ['_tokens', 'tokens'],
  ['_requests_total', 'requests'],
  ['_requests', 'requests'],
  ['_reqs', 'requests'],
  ['_ratio', 'ratio'],
  ['_percent', 'percent'],
  ['_perc', 'percent'],
  ['_total', 'count'],
  ['_count', 'count'],
];

/** The unit AIPerf's infer_unit reads from a name's suffix (units.py), the common cases. */
export function unitOf(name: string, type: FamilyType): string | undefined {
  const n = type === 'counter' ? `${name}_total` : name;
  for (const [suffix, unit] of UNIT_SUFFIXES) if (n.endsWith(suffix)) return unit;
  return undefined;
}

function exportType(t: FamilyType): ExportType {
  return t === 'untyped' ? 'unknown' : (t as ExportType);
}

/** Per-metric statistics of every endpoint's series over one window. */
export function windowMetrics(store: SeriesStore, w: Window): Record<string, ExportMetric> {
  const metrics: Record<string, ExportMetric> = {};
  for (const [endpoint, fams] of store.endpoints) {
    for (const [name, sf] of fams) {
      for (const { labels, points } of seriesPoints(sf)) {
        const series: ExportSeries = { endpoint_url: endpoint };
        if (labels && Object.keys(labels).length > 0) series.labels = labels;
        if (sf.type === 'histogram') {
          const h = histogramStats(points, w);
          if (!h) continue;
          series.stats = h.stats;
          if (h.buckets) series.buckets = h.buckets;
        } else if (sf.type === 'counter') {
          const c = counterStats(points, w);
          if (!c) continue;
          series.stats = c;
        } else {
          const g = gaugeStats(points, w);
          if (!g) continue;
          series.stats = g;
        }
        metrics[name] ??= {
          type: exportType(sf.type),
          description: sf.help,
          ...(unitOf(name, sf.type) ? { unit: unitOf(name, sf.type) } : {}),
          series: [],
        };
        metrics[name].series.push(series);
      }
    }
  }
  const sorted: Record<string, ExportMetric> = {};
  for (const name of Object.keys(metrics).sort()) {
    const m = metrics[name]!;
    m.series.sort((a, b) =>
      `${a.endpoint_url}\u0000${JSON.stringify(a.labels ?? {})}`.localeCompare(
        `${b.endpoint_url}\u0000${JSON.stringify(b.labels ?? {})}`,
      ),
    );
    sorted[name] = m;
  }
  return sorted;
}

function isoOf(epochNs: number): string {
  return new Date(epochNs / 1e6).toISOString();
}

export interface ExportInputs {
  store: SeriesStore;
  benchmarkId: string;
  endpointsConfigured: string[];
  endpointInfo: Record<string, EndpointInfo>;
  profiling?: Window;
  warmup?: Window;
  startNs: number;
  endNs: number;
  inputConfig?: Record<string, unknown>;
}

export function buildExport(i: ExportInputs): ServerMetricsExport {
  const ranges: Record<string, { start_ns: number; end_ns: number }> = {};
  if (i.profiling && i.profiling.startNs < i.profiling.endNs)
    ranges.profiling = { start_ns: i.profiling.startNs, end_ns: i.profiling.endNs };
  if (i.warmup && i.warmup.startNs < i.warmup.endNs)
    ranges.warmup = { start_ns: i.warmup.startNs, end_ns: i.warmup.endNs };
  const warmup = ranges.warmup ? windowMetrics(i.store, i.warmup!) : undefined;
  return {
    schema_version: SERVER_METRICS_SCHEMA_VERSION,
    mmload_version: VERSION,
    benchmark_id: i.benchmarkId,
    summary: {
      endpoints_configured: i.endpointsConfigured,
      endpoints_successful: Object.entries(i.endpointInfo)
        .filter(([, e]) => e.total_fetches - (e.failed_fetches ?? 0) > 0)
        .map(([u]) => u),
      start_time: isoOf(i.startNs),
      end_time: isoOf(i.endNs),
      endpoint_info: i.endpointInfo,
      ...(Object.keys(ranges).length > 0 ? { phase_time_ranges: ranges } : {}),
    },
    metrics_phase: 'profiling',
    metrics: ranges.profiling ? windowMetrics(i.store, i.profiling!) : {},
    ...(warmup && Object.keys(warmup).length > 0 ? { warmup_metrics: warmup } : {}),
    ...(i.inputConfig ? { input_config: i.inputConfig } : {}),
  };
}

// --- CSV (csv_exporter.py's sections) ---

const STAT_KEYS: Record<ExportType, string[]> = {
  gauge: ['avg', 'min', 'max', 'std', 'p1', 'p5', 'p10', 'p25', 'p50', 'p75', 'p90', 'p95', 'p99'],
  unknown: ['avg', 'min', 'max', 'std', 'p1', 'p5', 'p10', 'p25', 'p50', 'p75', 'p90', 'p95', 'p99'],
  counter: ['total', 'rate', 'rate_avg', 'rate_min', 'rate_max', 'rate_std'],
  histogram: [
    'count',
    'count_rate',
    'sum',
    'sum_rate',
    'avg',
    'p1_estimate',
    'p5_estimate',
    'p10_estimate',
    'p25_estimate',
    'p50_estimate',
    'p75_estimate',
    'p90_estimate',
    'p95_estimate',
    'p99_estimate',
  ],
};

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** AIPerf's _format_number: integers as such, other numbers with 4 decimals, missing as empty. */
function num(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '';
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

/** The endpoint as AIPerf's CSV shows it: host:port and path, less the scheme and /metrics. */
export function endpointDisplay(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname.replace(/\/metrics$/, '');
    return u.host + (path === '/' ? '' : path);
  } catch {
    return url;
  }
}

/**
 * The CSV export: one section per type (gauge, counter, histogram, unknown) with its stat
 * columns, the labels as columns (sorted by name; AIPerf orders them to minimise empty cells),
 * histograms' bucket deltas as `le=count;...`, and _info gauges as Key/Value rows at the end.
 */
export function exportCsv(e: ServerMetricsExport): string {
  const lines: string[] = [
    '# mmload Server Metrics Export (CSV, AIPerf layout)',
    `# mmload_version: ${e.mmload_version ?? ''}`,
    `# schema_version: ${e.schema_version}`,
    `# benchmark_id: ${e.benchmark_id ?? ''}`,
    '#',
  ];
  const info: Array<[string, string, ExportSeries, string]> = [];
  const byType = new Map<ExportType, Array<[string, ExportMetric, ExportSeries]>>();
  for (const [name, m] of Object.entries(e.metrics)) {
    for (const s of m.series) {
      if (m.type === 'gauge' && name.endsWith('_info')) {
        info.push([endpointDisplay(s.endpoint_url ?? ''), name, s, m.description]);
        continue;
      }
      if (!byType.has(m.type)) byType.set(m.type, []);
      byType.get(m.type)!.push([name, m, s]);
    }
  }
  let first = true;
  for (const type of ['gauge', 'counter', 'histogram', 'unknown'] as ExportType[]) {
    const rows = byType.get(type);
    if (!rows) continue;
    if (!first) lines.push('');
    first = false;
    const labelCols = [...new Set(rows.flatMap(([, , s]) => Object.keys(s.labels ?? {})))].sort();
    const head = ['Endpoint', 'Type', 'Metric', 'Unit', ...STAT_KEYS[type], ...labelCols, 'Description'];
    if (type === 'histogram') head.push('buckets');
    lines.push(head.map(csvCell).join(','));
    for (const [name, m, s] of rows) {
      const st = (s.stats ?? {}) as Record<string, unknown>;
      const row = [
        endpointDisplay(s.endpoint_url ?? ''),
        type,
        name,
        m.unit ?? '',
        ...STAT_KEYS[type].map((k) => num(st[k])),
        ...labelCols.map((k) => s.labels?.[k] ?? ''),
        m.description,
      ];
      if (type === 'histogram')
        row.push(
          Object.entries(s.buckets ?? {})
            .map(([k, v]) => `${k}=${num(v)}`)
            .join(';'),
        );
      lines.push(row.map(csvCell).join(','));
    }
  }
  if (info.length > 0) {
    if (!first) lines.push('');
    lines.push(['Endpoint', 'Metric', 'Key', 'Value', 'Description'].join(','));
    info.sort((a, b) => (a[1] === b[1] ? a[0].localeCompare(b[0]) : a[1].localeCompare(b[1])));
    for (const [endpoint, name, s, desc] of info)
      for (const k of Object.keys(s.labels ?? {}).sort())
        lines.push([endpoint, name, k, s.labels![k]!, desc].map(csvCell).join(','));
  }
  return `${lines.join('\n')}\n`;
}
