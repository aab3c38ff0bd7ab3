import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { exists } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { FILES } from './exporters.js';
import {
  type ErrorDetailsCount,
  type MetricSummary,
  STAT_KEYS,
  type StatName,
  type Summary,
  type TrialSet,
  type TrialStat,
} from './summary.js';

export const AIPERF_JSON = 'profile_export_aiperf.json';
/**
 * Aggregates of repeated trials: AIPerf 0.13 writes profile_export_aiperf_aggregate.json into
 * <base>/aggregate/ (orchestrator/strategies.py, exporters/aggregate/); mmload's trials write the
 * same layout, under its own name or AIPerf's.
 */
export const AGGREGATE_FILES = [
  'profile_export_mmload_aggregate.json',
  'profile_export_aiperf_aggregate.json',
];
/** Where AIPerf puts each trial of a multi-run: <base>/profile_runs/run_NNNN/. */
export const TRIAL_RUNS_DIR = 'profile_runs';
const STAT_NAMES: StatName[] = [...STAT_KEYS, 'count', 'sum'];
/** Top-level keys of AIPerf's JsonExportData that are not metrics. */
const NON_METRIC_KEYS = new Set([
  'schema_version',
  'aiperf_version',
  'benchmark_id',
  'input_config',
  'was_cancelled',
  'error_summary',
  'start_time',
  'end_time',
  'telemetry_data',
  'mmload',
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The aggregate file of a trials directory (<dir>/aggregate/ or <dir> itself), if any. */
async function findAggregate(dir: string): Promise<string | undefined> {
  for (const sub of ['aggregate', '.']) {
    for (const name of AGGREGATE_FILES) {
      const p = join(dir, sub, name);
      try {
        if ((await stat(p)).isFile()) return p;
      } catch {
        // try the next place
      }
    }
  }
  return undefined;
}

/**
 * Finds the summary file for a path: the file itself, or inside a directory the aggregate of its
 * trials when it has one, else the run's summary.
 */
async function locate(path: string): Promise<string> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch {
    throw new UserError(`${path}: no such file or directory`);
  }
  if (!st.isDirectory()) return path;
  const aggregate = await findAggregate(path);
  if (aggregate) return aggregate;
  for (const name of [FILES.json, AIPERF_JSON]) {
    const p = join(path, name);
    try {
      if ((await stat(p)).isFile()) return p;
    } catch {
      // try the next name
    }
  }
  throw new UserError(
    `${path}: directory holds neither ${FILES.json} (mmload), ${AIPERF_JSON} (AIPerf) nor aggregate/${AGGREGATE_FILES[1]} (trials)`,
  );
}

/** The label a result gets by default: its directory name (or the file name without .json). */
function defaultLabel(inputPath: string, file: string): string {
  const abs = resolve(inputPath);
  if (abs !== resolve(file)) return basename(abs);
  // An aggregate file names the trials' base directory (<base>/aggregate/<file>).
  let dir = dirname(abs);
  if (AGGREGATE_FILES.includes(basename(abs)) && basename(dir) === 'aggregate') dir = dirname(dir);
  const name = basename(dir);
  return name && name !== '.' ? name : basename(abs).replace(/\.json$/, '');
}

export interface ParseOptions {
  /**
   * Use the label an mmload result carries (`mmload.label`: `--label`, or the run's directory
   * name when it ran) instead of `label`, which is then only the fallback (AIPerf's files have none).
   */
  preferFileLabel?: boolean;
}

/** Parses the JSON text of an AIPerf or mmload summary file into the Summary model. */
export function parseSummaryJson(
  text: string,
  file: string,
  label: string,
  opts: ParseOptions = {},
): Summary {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(doc)) throw new UserError(`${file}: expected a JSON object at the top level`);
  const metrics: Record<string, MetricSummary> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (NON_METRIC_KEYS.has(key) || !isObject(value) || !('unit' in value)) continue;
    if (typeof value.unit !== 'string') {
      throw new UserError(`${file}: field "${key}.unit" must be a string, got ${JSON.stringify(value.unit)}`);
    }
    const m: MetricSummary = { unit: value.unit };
    for (const s of STAT_NAMES) {
      const v = value[s];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number') {
        throw new UserError(`${file}: field "${key}.${s}" must be a number, got ${JSON.stringify(v)}`);
      }
      m[s] = v;
    }
    metrics[key] = m;
  }
  if (Object.keys(metrics).length === 0) {
    throw new UserError(
      `${file}: no metrics found (expected keys like "request_throughput": {"unit": ..., "avg": ...})`,
    );
  }
  const extra = isObject(doc.mmload) ? doc.mmload : undefined;
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const errorsByKind: Record<string, number> = {};
  const errorDetails: ErrorDetailsCount[] = [];
  if (Array.isArray(doc.error_summary)) {
    doc.error_summary.forEach((e, i) => {
      if (!isObject(e) || typeof e.count !== 'number') {
        throw new UserError(`${file}: field "error_summary[${i}].count" must be a number`);
      }
      const d = isObject(e.error_details) ? e.error_details : {};
      const code = typeof d.code === 'number' ? d.code : null;
      const kind = typeof d.type === 'string' ? d.type : code !== null ? `http ${code}` : 'unknown';
      errorsByKind[kind] = (errorsByKind[kind] ?? 0) + e.count;
      errorDetails.push({
        code,
        type: kind,
        message: typeof d.message === 'string' ? d.message : '',
        count: e.count,
      });
    });
  }
  const requestCount = num(metrics.request_count?.avg) ?? num(extra?.request_count) ?? 0;
  const errorCount =
    num(metrics.error_request_count?.avg) ?? Object.values(errorsByKind).reduce((a, b) => a + b, 0);
  const fileLabel = typeof extra?.label === 'string' && extra.label.trim() !== '' ? extra.label : undefined;
  const summary: Summary = {
    source: extra ? 'mmload' : 'aiperf',
    label: (opts.preferFileLabel ? fileLabel : undefined) ?? label,
    path: file,
    metrics,
    requestCount,
    errorCount,
    errorsByKind:
      extra && isObject(extra.errors_by_kind)
        ? (extra.errors_by_kind as Record<string, number>)
        : errorsByKind,
    durationSec: num(metrics.benchmark_duration?.avg),
  };
  if (errorDetails.length > 0) summary.errorDetails = errorDetails;
  if (typeof doc.start_time === 'string') summary.startTime = doc.start_time;
  if (typeof doc.end_time === 'string') summary.endTime = doc.end_time;
  if (typeof doc.was_cancelled === 'boolean') summary.wasCancelled = doc.was_cancelled;
  if (extra) {
    if (typeof extra.version === 'string') summary.toolVersion = extra.version;
    if (typeof extra.output_token_source === 'string') {
      summary.outputTokenSource = extra.output_token_source as Summary['outputTokenSource'];
    }
    if (isObject(extra.config)) summary.config = extra.config;
    if (isObject(extra.dataset)) summary.dataset = extra.dataset;
    if (Array.isArray(extra.timeline)) summary.timeline = extra.timeline as Summary['timeline'];
    if (isObject(extra.client)) summary.client = extra.client as unknown as Summary['client'];
    summary.warmupCount = num(extra.warmup_count);
  } else {
    if (typeof doc.aiperf_version === 'string') summary.toolVersion = doc.aiperf_version;
    if (isObject(doc.input_config)) summary.config = doc.input_config;
  }
  return summary;
}

/**
 * Reads an mmload result (artifact dir or profile_export_mmload.json) or an AIPerf result
 * (artifact dir or profile_export_aiperf.json) into the one Summary model. The label: `name` of a
 * `name=path` spec (or `label`), else the one the mmload run was given (`--label`), else the
 * directory name.
 */
export async function readResult(spec: string, label?: string): Promise<Summary> {
  let path = spec;
  const eq = spec.indexOf('=');
  if (label === undefined && eq > 0 && !(await exists(spec))) {
    const candidate = spec.slice(eq + 1);
    label = spec.slice(0, eq);
    path = candidate;
  }
  const file = await locate(path);
  const text = await readFile(file, 'utf8');
  const fallback = label ?? defaultLabel(path, file);
  if (AGGREGATE_FILES.includes(basename(file))) {
    const summary = parseAggregateJson(text, file, fallback);
    summary.trials!.dirs = await trialDirs(aggregateBase(file));
    await fillFromFirstTrial(summary);
    return summary;
  }
  return parseSummaryJson(text, file, fallback, {
    preferFileLabel: label === undefined,
  });
}

// ---------------------------------------------------------------------------------------------
// Aggregates of repeated trials

const AGG_STAT = new RegExp(`^(.+)_(${STAT_KEYS.join('|')})$`);

/** The trials' base directory of an aggregate file (<base>/aggregate/<file> or <base>/<file>). */
function aggregateBase(file: string): string {
  const dir = dirname(resolve(file));
  return basename(dir) === 'aggregate' ? dirname(dir) : dir;
}

/** The trials' own artifact dirs, <base>/profile_runs/*, in name order (run_0001, run_0002...). */
async function trialDirs(base: string): Promise<string[]> {
  const root = join(base, TRIAL_RUNS_DIR);
  const names = await readdir(root).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names.sort()) {
    const d = join(root, n);
    if ((await stat(d).catch(() => undefined))?.isDirectory()) out.push(d);
  }
  return out;
}

/**
 * What an aggregate does not hold but the first trial does: its configuration (the --goodput
 * objectives among it), the tool's version and which tool wrote it.
 */
async function fillFromFirstTrial(s: Summary): Promise<void> {
  const first = s.trials?.dirs[0];
  if (!first) return;
  for (const name of [FILES.json, AIPERF_JSON]) {
    const p = join(first, name);
    const text = await readFile(p, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    let one: Summary;
    try {
      one = parseSummaryJson(text, p, s.label);
    } catch {
      return;
    }
    s.config ??= one.config;
    s.toolVersion ??= one.toolVersion;
    if (one.source === 'mmload') s.source = 'mmload';
    s.outputTokenSource ??= one.outputTokenSource;
    return;
  }
}

/**
 * Parses an aggregate of trials (AIPerf 0.13's profile_export_aiperf_aggregate.json:
 * {schema_version, aiperf_version, metadata: {num_successful_runs, confidence_level, ...},
 * metrics: {"<tag>_<stat>": {mean, std, min, max, cv, se, ci_low, ci_high, t_critical, unit}}})
 * into the summary model: each statistic's value is its mean over the trials, and `trials` keeps
 * the spread that Welch's test needs.
 */
export function parseAggregateJson(text: string, file: string, label: string): Summary {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(doc) || !isObject(doc.metrics)) {
    throw new UserError(`${file}: field "metrics" must be an object of "<metric>_<stat>": {mean, std, ...}`);
  }
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const runs = num(meta.num_successful_runs) ?? num(meta.num_profile_runs) ?? 0;
  const metrics: Record<string, MetricSummary> = {};
  const trialMetrics: TrialSet['metrics'] = {};
  for (const [key, value] of Object.entries(doc.metrics)) {
    const m = AGG_STAT.exec(key);
    if (!m || !isObject(value)) continue;
    const [, tag, statName] = m as unknown as [string, string, StatName];
    const field = (f: string) => {
      const v = value[f];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number') {
        throw new UserError(
          `${file}: field "metrics.${key}.${f}" must be a number, got ${JSON.stringify(v)}`,
        );
      }
      return v;
    };
    const mean = field('mean');
    if (mean === undefined) continue;
    if (typeof value.unit !== 'string') {
      throw new UserError(
        `${file}: field "metrics.${key}.unit" must be a string, got ${JSON.stringify(value.unit)}`,
      );
    }
    const std = field('std') ?? 0;
    const se = field('se');
    // A metric missing from some trials is over fewer of them: n = (std / se)^2 recovers its count.
    const n = se !== undefined && se > 0 && std > 0 ? Math.round((std / se) ** 2) : runs;
    const ts: TrialStat = { mean, std, n, unit: value.unit };
    const extra: Array<[keyof TrialStat, string]> = [
      ['min', 'min'],
      ['max', 'max'],
      ['ciLow', 'ci_low'],
      ['ciHigh', 'ci_high'],
    ];
    for (const [k, f] of extra) {
      const v = field(f);
      if (v !== undefined) (ts as unknown as Record<string, number>)[k] = v;
    }
    metrics[tag] ??= { unit: value.unit };
    metrics[tag][statName] = mean;
    trialMetrics[tag] ??= {};
    trialMetrics[tag][statName] = ts;
  }
  if (Object.keys(metrics).length === 0) {
    throw new UserError(
      `${file}: no metrics found (expected keys like "time_to_first_token_avg": {"mean": ...})`,
    );
  }
  const requestCount = num(metrics.request_count?.avg) ?? 0;
  const summary: Summary = {
    source: basename(file).includes('mmload') || isObject(doc.mmload) ? 'mmload' : 'aiperf',
    label,
    path: file,
    metrics,
    requestCount,
    errorCount: num(metrics.error_request_count?.avg) ?? 0,
    errorsByKind: {},
    durationSec: num(metrics.benchmark_duration?.avg),
    trials: {
      runs,
      level: num(meta.confidence_level),
      metrics: trialMetrics,
      file,
      dirs: [],
    },
  };
  if (typeof doc.aiperf_version === 'string') summary.toolVersion = doc.aiperf_version;
  return summary;
}

// ---------------------------------------------------------------------------------------------
// Per-request records: mmload's records.jsonl and AIPerf's profile_export.jsonl share AIPerf's
// {metadata, metrics: {tag: {value, unit}}, error} layout.

/** Per-request files next to a summary, in the order looked for. */
export const RECORD_FILES = [FILES.records, 'profile_export.jsonl'];

/** One measured request of a per-request file. */
export interface RecordLine {
  /** 1-based line in the file. */
  line: number;
  metadata: {
    benchmark_phase?: string;
    request_start_ns?: number;
    request_end_ns?: number;
    x_request_id?: string;
  };
  /** Single values only (lists such as inter_chunk_latency are left out). */
  values: Record<string, number>;
  failed: boolean;
  /** The X-Request-ID the tool sent (AIPerf's metadata.x_request_id, mmload's mmload.requestId). */
  requestId?: string;
}

/** The per-request file that belongs with a summary read from disk, if there is one. */
export async function findRecordsFile(s: Summary): Promise<string | undefined> {
  if (!s.path || s.trials) return undefined;
  for (const name of RECORD_FILES) {
    const p = join(dirname(s.path), name);
    try {
      if ((await stat(p)).isFile()) return p;
    } catch {
      // not there: try the next name
    }
  }
  return undefined;
}

/** Streams a per-request file; only measured (profiling) requests, as in the summary. */
export async function* readRecordLines(path: string): AsyncGenerator<RecordLine> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    let r: {
      metadata?: RecordLine['metadata'];
      metrics?: Record<string, { value?: unknown }>;
      error?: unknown;
      mmload?: { requestId?: unknown };
    };
    try {
      r = JSON.parse(text);
    } catch (err) {
      throw new UserError(`${path}:${n}: not valid JSON (${(err as Error).message})`);
    }
    const metadata = isObject(r.metadata) ? r.metadata : {};
    if (metadata.benchmark_phase && metadata.benchmark_phase !== 'profiling') continue;
    const values: Record<string, number> = {};
    if (isObject(r.metrics)) {
      for (const [tag, m] of Object.entries(r.metrics)) {
        const v = isObject(m) ? m.value : undefined;
        if (typeof v === 'number' && Number.isFinite(v)) values[tag] = v;
      }
    }
    const id = metadata.x_request_id ?? r.mmload?.requestId;
    yield {
      line: n,
      metadata,
      values,
      failed: r.error !== undefined && r.error !== null,
      requestId: typeof id === 'string' ? id : undefined,
    };
  }
}

/** Per-request values of successful measured requests, each array sorted ascending. */
export interface RecordSamples {
  file: string;
  values: Record<string, Float64Array>;
}

/** The values of `tags` over the successful measured requests of a per-request file. */
export async function readRecordSamples(path: string, tags: readonly string[]): Promise<RecordSamples> {
  const lists: Record<string, number[]> = Object.fromEntries(tags.map((t) => [t, []]));
  for await (const r of readRecordLines(path)) {
    if (r.failed) continue;
    for (const t of tags) {
      const v = r.values[t];
      if (v !== undefined) lists[t]!.push(v);
    }
  }
  const values: Record<string, Float64Array> = {};
  for (const t of tags) values[t] = Float64Array.from(lists[t]!).sort();
  return { file: path, values };
}

/** Each result's per-request values of `tags`, by label, for the results whose records are next to their summary. */
export async function readSamplesOf(
  summaries: readonly Summary[],
  tags: readonly string[],
): Promise<Map<string, RecordSamples>> {
  const out = new Map<string, RecordSamples>();
  for (const s of summaries) {
    const file = await findRecordsFile(s);
    if (file) out.set(s.label, await readRecordSamples(file, tags));
  }
  return out;
}
