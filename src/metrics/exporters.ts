import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { makeDir } from '../util/make-dir.js';
import { metricDef, RECORDS_METRICS } from './catalogue.js';
import type { HistogramSet } from './histograms.js';
import { type RequestMetrics, requestMetrics } from './per-request.js';
import type { RequestRecord } from './record.js';
import { PERCENTILE_KEYS } from './statistics.js';
import { AIPERF_STAT_KEYS, type StatName, type Summary } from './summary.js';

export const FILES = {
  json: 'profile_export_mmload.json',
  csv: 'profile_export_mmload.csv',
  records: 'records.jsonl',
  hlog: 'histograms.hlog',
  config: 'run_config.json',
  dataset: 'dataset_manifest.json',
} as const;

/**
 * The export layout version mmload's JSON follows: AIPerf 0.13.0 writes schema_version "1.4"
 * (fixtures/aiperf/real-small); its per-metric objects are {unit, avg, p1..p99, min, max, std,
 * count, sum} in that order.
 */
export const AIPERF_SCHEMA_VERSION = '1.4';
const JSON_STAT_ORDER: readonly StatName[] = ['avg', ...PERCENTILE_KEYS, 'min', 'max', 'std'];

function metricJson(m: Summary['metrics'][string]): Record<string, number | string> {
  const out: Record<string, number | string> = { unit: m.unit };
  for (const k of JSON_STAT_ORDER) {
    const v = m[k];
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  }
  // Run-level scalars are {unit, avg} only, as in AIPerf.
  if (m.p50 !== undefined) {
    if (typeof m.count === 'number') out.count = m.count;
    if (typeof m.sum === 'number') out.sum = m.sum;
  }
  return out;
}

/**
 * The summary in AIPerf's profile_export_aiperf.json layout: every metric a top-level key holding
 * {unit, avg, p1..p99, min, max, std}, run scalars as {unit, avg}, then error_summary, times and
 * was_cancelled. mmload's own data lives under keys starting with `mmload` (never an AIPerf key).
 */
export function toAiperfJson(s: Summary): Record<string, unknown> {
  const out: Record<string, unknown> = { schema_version: AIPERF_SCHEMA_VERSION };
  for (const [tag, m] of Object.entries(s.metrics)) out[tag] = metricJson(m);
  out.was_cancelled = s.wasCancelled ?? false;
  const details =
    s.errorDetails ??
    Object.entries(s.errorsByKind).map(([type, count]) => ({
      code: null,
      type,
      message: type,
      count: count ?? 0,
    }));
  // AIPerf dumps with exclude_none: an error without a status code has no `code` key at all.
  out.error_summary = details.map((d) => ({
    error_details:
      d.code === null
        ? { type: d.type, message: d.message }
        : { code: d.code, type: d.type, message: d.message },
    count: d.count,
  }));
  if (s.startTime) out.start_time = s.startTime;
  if (s.endTime) out.end_time = s.endTime;
  out.mmload = {
    version: s.toolVersion,
    label: s.label,
    request_count: s.requestCount,
    error_count: s.errorCount,
    errors_by_kind: s.errorsByKind,
    warmup_count: s.warmupCount,
    benchmark_duration_sec: s.durationSec,
    output_token_source: s.outputTokenSource,
    client: s.client,
    dataset: s.dataset,
    config: s.config,
    timeline: s.timeline,
  };
  return out;
}

/** AIPerf 0.13 holds every statistic as a float, so every cell is `.2f` (counts too: `Request Count,6.00`). */
function csvCell(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  return v.toFixed(2);
}

function csvName(tag: string, unit: string): string {
  const header = metricDef(tag)?.header ?? tag;
  const u = unit.toLowerCase();
  const name = u === 'count' || u === 'requests' ? header : `${header} (${unit})`;
  return /[",\n]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
}

/**
 * AIPerf's CSV layout (exporters/metrics_csv_exporter.py; 0.13.0): a section `Metric,avg,min,max,sum,p1..p99,std`
 * for metrics with percentiles, a blank line, then `Metric,Value` for run scalars; rows sorted by
 * tag; names are headers with the unit in parentheses (not for count/requests); numbers `.2f`.
 */
export function toAiperfCsv(s: Summary): string {
  const tags = Object.keys(s.metrics).sort();
  const withPct = tags.filter((t) => s.metrics[t]?.p50 !== undefined);
  const scalars = tags.filter((t) => s.metrics[t]?.p50 === undefined);
  const lines: string[] = [];
  if (withPct.length > 0) {
    lines.push(['Metric', ...AIPERF_STAT_KEYS].join(','));
    for (const t of withPct) {
      const m = s.metrics[t]!;
      lines.push([csvName(t, m.unit), ...AIPERF_STAT_KEYS.map((k) => csvCell(m[k]))].join(','));
    }
    if (scalars.length > 0) lines.push('');
  }
  if (scalars.length > 0) {
    lines.push('Metric,Value');
    for (const t of scalars) {
      const m = s.metrics[t]!;
      lines.push(`${csvName(t, m.unit)},${csvCell(m.avg)}`);
    }
  }
  // Python's csv module ends rows with \r\n.
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * One request as a JSONL line shaped like AIPerf's profile_export.jsonl record
 * ({metadata, metrics: {tag: {value, unit}}, error}), plus the raw mmload record under `mmload`
 * so that every statistic can be recomputed. Timestamps in metadata are epoch ns (as AIPerf's);
 * the raw record keeps the monotonic ns of the run's one clock.
 */
export function recordLine(
  rec: RequestRecord,
  monoToEpochNs: number,
  m: RequestMetrics = requestMetrics(rec),
): string {
  // Written out by hand in the order JSON.stringify of the nested objects gives (the golden test
  // holds it byte for byte): building those objects per request cost the driver ~10 us of its
  // hot path at thousands of requests per second.
  const scope = m.ok ? 'ok' : 'failed';
  let metrics = '';
  for (const f of RECORD_FIELDS) {
    if (f.scope !== scope && f.scope !== 'all') continue;
    const d = f.def;
    let value: string | undefined;
    if (d.value) {
      const v = d.value(m);
      if (v !== undefined) value = num(v);
    } else if (d.values) {
      const vs = d.values(m);
      if (vs.length > 0) {
        value = `[${num(vs[0]!)}`;
        for (let i = 1; i < vs.length; i++) value += `,${num(vs[i]!)}`;
        value += ']';
      }
    }
    if (value !== undefined) metrics += (metrics ? ',' : '') + f.head + value + f.tail;
  }
  const epoch = (ns: number | undefined) => (ns === undefined ? 'null' : num(Math.round(ns + monoToEpochNs)));
  const e = rec.error;
  const error = e
    ? `{"code":${num(e.status ?? (e.kind === 'http' ? rec.status : undefined) ?? null)},"type":${JSON.stringify(e.kind)},"message":${JSON.stringify(e.message)}}`
    : 'null';
  return (
    `{"metadata":{"session_num":${num(rec.index)},"conversation_id":${JSON.stringify(rec.sessionId)},` +
    `"turn_index":${num(rec.turn)},"request_start_ns":${epoch(rec.startNs)},"request_ack_ns":${epoch(rec.headersNs)},` +
    `"request_end_ns":${epoch(rec.endNs)},"benchmark_phase":"${rec.warmup ? 'warmup' : 'profiling'}",` +
    `"was_cancelled":${e?.kind === 'cancelled'}},"metrics":{${metrics}},"error":${error},"mmload":${JSON.stringify(rec)}}`
  );
}

/** Each records metric's fixed text around its value, made once: `"tag":{"value":` and `,"unit":"ms"}`. */
const RECORD_FIELDS = RECORDS_METRICS.map((def) => ({
  def,
  scope: def.scope ?? 'ok',
  head: `"${def.tag}":{"value":`,
  tail: `,"unit":${JSON.stringify(def.unit)}}`,
}));

/** A number as JSON.stringify writes it (null for NaN and infinities, and for null). */
function num(v: number | null): string {
  return v !== null && Number.isFinite(v) ? String(v) : 'null';
}

/**
 * Appends records as they arrive, so an interrupted run still has every completed request on disk.
 * Not atomic by design: the file grows during the run; each line is complete JSON. Lines are
 * batched (up to 256 KiB or 100 ms) into one write: a write per record cost the driver more than
 * its SSE parsing at thousands of requests per second (bench/driver-overhead.ts). A crash loses at
 * most the last 100 ms; Ctrl-C and errors go through close(), which writes everything.
 *
 * Each line is encoded into the batch's bytes as it comes, and its string dies young: kept as
 * strings until the flush, the lines of a batch outlived the young generation's collections (which
 * copy what survives) and were then joined and encoded again, ~3 KB of garbage per request.
 */
export class RecordsWriter {
  private readonly stream: WriteStream;
  private failed: Error | undefined;
  private batch = Buffer.allocUnsafe(BATCH_BYTES);
  private used = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    readonly path: string,
    private readonly monoToEpochNs = 0,
  ) {
    this.stream = createWriteStream(path, { flags: 'w', highWaterMark: 1 << 20 });
    this.stream.on('error', (err) => {
      this.failed = err;
    });
  }

  /** `m`: the record's metrics when the caller already computed them. */
  write(rec: RequestRecord, m?: RequestMetrics): void {
    if (this.failed) throw this.failed;
    const line = recordLine(rec, this.monoToEpochNs, m);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: a line that might not fit goes after a flush,
    // or alone when it is larger than a batch.
    if (this.used + 3 * line.length + 1 > this.batch.length) {
      this.flush();
      if (3 * line.length + 1 > this.batch.length) {
        if (!this.stream.destroyed) this.stream.write(`${line}\n`);
        return;
      }
    }
    this.used += this.batch.write(line, this.used, 'utf8');
    this.batch[this.used++] = 0x0a;
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.used === 0 || this.stream.destroyed) return;
    // The stream holds the bytes until they are written: the next batch is a new buffer.
    this.stream.write(this.batch.subarray(0, this.used));
    this.batch = Buffer.allocUnsafe(BATCH_BYTES);
    this.used = 0;
  }

  /** Flushes and closes; safe to call more than once. */
  async close(): Promise<void> {
    if (this.stream.closed || this.stream.destroyed) return;
    this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
    if (this.failed) throw this.failed;
  }
}

const BATCH_BYTES = 256 * 1024;
const FLUSH_MS = 100;

export interface RunArtifacts {
  summary: Summary;
  histograms?: HistogramSet;
  /** Epoch ms of the first measured request (interval-log StartTime). */
  startEpochMs?: number;
  config?: Record<string, unknown>;
  datasetManifest?: Record<string, unknown>;
}

/** The summary artifacts of a run, by file name, each rendered only when it is written. */
export function runArtifactFiles(a: RunArtifacts): Array<{ name: string; render: () => string }> {
  const files: Array<{ name: string; render: () => string }> = [
    { name: FILES.json, render: () => `${JSON.stringify(toAiperfJson(a.summary), null, 2)}\n` },
    { name: FILES.csv, render: () => toAiperfCsv(a.summary) },
  ];
  const h = a.histograms;
  if (h) {
    files.push({
      name: FILES.hlog,
      render: () => h.toIntervalLog(a.startEpochMs ?? Date.now(), a.summary.durationSec ?? 0),
    });
  }
  if (a.config) files.push({ name: FILES.config, render: () => `${JSON.stringify(a.config, null, 2)}\n` });
  if (a.datasetManifest)
    files.push({ name: FILES.dataset, render: () => `${JSON.stringify(a.datasetManifest, null, 2)}\n` });
  return files;
}

/** Writes every summary artifact into `dir` atomically (records.jsonl is the RecordsWriter's). */
export async function writeRunArtifacts(dir: string, a: RunArtifacts): Promise<string[]> {
  await makeDir(dir);
  const written: string[] = [];
  for (const f of runArtifactFiles(a)) {
    const p = join(dir, f.name);
    await writeFileAtomic(p, f.render());
    written.push(p);
  }
  return written;
}
