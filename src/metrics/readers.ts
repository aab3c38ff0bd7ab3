import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { exists } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { FILES } from './exporters.js';
import {
  type ErrorDetailsCount,
  type MetricSummary,
  STAT_KEYS,
  type StatName,
  type Summary,
} from './summary.js';

export const AIPERF_JSON = 'profile_export_aiperf.json';
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

/** Finds the summary file for a path: the file itself, or the known file inside a directory. */
async function locate(path: string): Promise<string> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch {
    throw new UserError(`${path}: no such file or directory`);
  }
  if (!st.isDirectory()) return path;
  for (const name of [FILES.json, AIPERF_JSON]) {
    const p = join(path, name);
    try {
      if ((await stat(p)).isFile()) return p;
    } catch {
      // try the next name
    }
  }
  throw new UserError(`${path}: directory holds neither ${FILES.json} (mmload) nor ${AIPERF_JSON} (AIPerf)`);
}

/** The label a result gets by default: its directory name (or the file name without .json). */
function defaultLabel(inputPath: string, file: string): string {
  const abs = resolve(inputPath);
  if (abs !== resolve(file)) return basename(abs);
  const dir = basename(dirname(abs));
  return dir && dir !== '.' ? dir : basename(abs).replace(/\.json$/, '');
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
  return parseSummaryJson(text, file, label ?? defaultLabel(path, file), {
    preferFileLabel: label === undefined,
  });
}
