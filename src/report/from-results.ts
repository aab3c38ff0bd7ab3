import { stat as statFile } from 'node:fs/promises';
import { join } from 'node:path';
import { topErrors } from '../metrics/errors.js';
import { objectivesOf } from '../metrics/goodput.js';
import { findRecordsFile, RECORD_FILES, readRecordLines, readResult } from '../metrics/readers.js';
import { percentileOfSorted } from '../metrics/statistics.js';
import { type Summary, stat } from '../metrics/summary.js';
import { type CurveMetric, type CurvePoint, HEADLINE, type ReportRun, type TimelinePoint } from './model.js';

/** Percentiles drawn on the curves: dense in the tail, where serving configurations differ. */
const CURVE_PERCENTILES = [0, 1, 5, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.9, 99.99];
const CURVE_METRICS: CurveMetric[] = ['time_to_first_token', 'inter_token_latency', 'request_latency'];
/** Distinct error messages the report lists per result. */
export const REPORT_ERROR_MESSAGES = 20;

interface RecordValues {
  values: Record<CurveMetric, number[]>;
  ttftByStart: Array<[startNs: number, ttftMs: number]>;
  ends: Array<[endNs: number, tokens: number, error: boolean]>;
}

/** The per-request file in a trial's directory, if any. */
async function recordsIn(dir: string): Promise<string | undefined> {
  for (const name of RECORD_FILES) {
    const p = join(dir, name);
    if ((await statFile(p).catch(() => undefined))?.isFile()) return p;
  }
  return undefined;
}

/** Streams per-request files; only measured (profiling) requests count, as in the summary. */
async function readRecordValues(paths: readonly string[]): Promise<RecordValues> {
  const out: RecordValues = {
    values: { time_to_first_token: [], inter_token_latency: [], request_latency: [] },
    ttftByStart: [],
    ends: [],
  };
  for (const path of paths) {
    for await (const r of readRecordLines(path)) {
      const end = r.metadata.request_end_ns;
      if (typeof end === 'number') out.ends.push([end, r.values.output_sequence_length ?? 0, r.failed]);
      if (r.failed) continue;
      for (const m of CURVE_METRICS) {
        const v = r.values[m];
        if (v !== undefined) out.values[m].push(v);
      }
      const ttft = r.values.time_to_first_token;
      const start = r.metadata.request_start_ns;
      if (ttft !== undefined && typeof start === 'number') out.ttftByStart.push([start, ttft]);
    }
  }
  return out;
}

function curveFromValues(values: number[]): CurvePoint[] {
  const sorted = Float64Array.from(values).sort();
  return CURVE_PERCENTILES.map((p) => [p, percentileOfSorted(sorted, p)] as const);
}

/** Without per-request records, the curve is the summary's own percentiles. */
function curveFromSummary(s: Summary, tag: string): CurvePoint[] | undefined {
  const m = s.metrics[tag];
  if (!m) return undefined;
  const points: CurvePoint[] = [];
  for (const [p, key] of [
    [0, 'min'],
    [1, 'p1'],
    [5, 'p5'],
    [10, 'p10'],
    [25, 'p25'],
    [50, 'p50'],
    [75, 'p75'],
    [90, 'p90'],
    [95, 'p95'],
    [99, 'p99'],
  ] as const) {
    const v = m[key];
    if (typeof v === 'number' && Number.isFinite(v)) points.push([p, v]);
  }
  return points.length > 0 ? points : undefined;
}

function timelineFromEnds(ends: RecordValues['ends'], firstStartNs: number): TimelinePoint[] {
  const out: TimelinePoint[] = [];
  for (const [endNs, tokens, error] of ends) {
    const second = Math.max(0, Math.floor((endNs - firstStartNs) / 1e9));
    while (out.length <= second) out.push({ t: out.length, completed: 0, outputTokens: 0, errors: 0 });
    const slot = out[second]!;
    if (error) slot.errors++;
    else {
      slot.completed++;
      slot.outputTokens += tokens;
    }
  }
  return out;
}

/** What the report draws for one result (mmload or AIPerf; files or artifact dirs; `name=path`). */
export async function loadReportRun(spec: string): Promise<ReportRun> {
  const summary = await readResult(spec);
  const run: ReportRun = {
    label: summary.label,
    source: summary.source,
    headline: {},
    curves: {},
    errors: { ...(summary.errorsByKind as Record<string, number>) },
    notes: [...(summary.client?.warnings ?? [])],
  };
  if (summary.errorDetails && summary.errorDetails.length > 0) {
    run.errorMessages = topErrors(summary.errorDetails, REPORT_ERROR_MESSAGES);
  }
  for (const h of HEADLINE) run.headline[h.key] = stat(summary, h.tag, h.stat);
  run.headline.requests = summary.requestCount;
  if (summary.timeline) {
    run.timeline = summary.timeline.map((s) => ({
      t: s.second,
      completed: s.completed,
      outputTokens: s.outputTokens,
      errors: s.errors,
    }));
  }
  const objectives = objectivesOf(summary);
  if (objectives) run.objectives = objectives;
  run.summary = summary;
  // A trials result: its trials' records pooled for the curves (their times do not line up).
  const trialFiles = summary.trials
    ? (await Promise.all(summary.trials.dirs.map(recordsIn))).filter((p): p is string => p !== undefined)
    : [];
  const recordsPath = summary.trials ? undefined : await findRecordsFile(summary);
  if (recordsPath || trialFiles.length > 0) {
    const rec = await readRecordValues(recordsPath ? [recordsPath] : trialFiles);
    for (const m of CURVE_METRICS)
      if (rec.values[m].length > 0) run.curves[m] = curveFromValues(rec.values[m]);
    if (recordsPath) {
      run.samples = {
        file: recordsPath,
        values: Object.fromEntries(CURVE_METRICS.map((m) => [m, Float64Array.from(rec.values[m]).sort()])),
      };
      if (rec.ttftByStart.length > 0) {
        const first = Math.min(...rec.ttftByStart.map(([s]) => s));
        run.ttftOverRun = rec.ttftByStart.map(([s, v]) => [(s - first) / 1e9, v] as const);
        if (!run.timeline) run.timeline = timelineFromEnds(rec.ends, first);
      }
    } else {
      run.notes!.push(`curves drawn from the requests of ${trialFiles.length} trials pooled`);
    }
  } else {
    for (const m of CURVE_METRICS) {
      const c = curveFromSummary(summary, m);
      if (c) run.curves[m] = c;
    }
    run.notes!.push('no per-request records found: curves drawn from the summary percentiles only');
  }
  return run;
}
