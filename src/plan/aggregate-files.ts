import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { makeDir } from '../util/make-dir.js';
import { VERSION } from '../version.js';
import type { ConfidenceAggregate } from './confidence.js';
import { AGGREGATE_FILES } from './layout.js';
import { csvRow, pyFixed, pyStr, pyTitle } from './python-text.js';
import type { CellStats, SweepParam } from './sweep.js';

/**
 * The aggregate files of a plan, byte for byte in AIPerf 0.13's layout
 * (aiperf/exporters/aggregate/aggregate_{confidence,sweep}_{json,csv}_exporter.py), so that
 * whatever reads AIPerf's aggregates reads mmload's. mmload adds one top-level `mmload` object
 * (AIPerf's JsonExportData allows extra keys) with its version, label and per-run details; its
 * absence tells a reader that AIPerf wrote the file. Text builders are pure; the writers at the
 * bottom are the only I/O.
 */

/** JSON as AIPerf's orjson writes it: NaN and infinities become null (its scrub_non_finite), 2-space indent. */
function json(v: unknown): string {
  return `${JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2)}`;
}

/** Metadata beyond the counts, in AIPerf's order; `floats` are keys whose numbers Python holds as floats. */
export interface ConfidenceMetadata {
  cooldownSeconds: number;
  /** Per-point aggregates of a sweep or search: which point. */
  variation?: { label: string; values: Record<string, number>; sweepMode: string };
  model?: string;
}

/** The mmload object added to an aggregate file. */
export interface MmloadAggregateExtra {
  label: string;
  [key: string]: unknown;
}

function confidenceMetadataEntries(
  a: ConfidenceAggregate,
  m: ConfidenceMetadata,
): Array<[string, unknown, boolean]> {
  const out: Array<[string, unknown, boolean]> = [
    ['confidence_level', a.confidenceLevel, true],
    ['run_labels', a.runLabels, false],
  ];
  if (a.singleRun) out.push(['single_run', true, false]);
  out.push(['cooldown_seconds', m.cooldownSeconds, true]);
  if (m.variation) {
    out.push(['variation_label', m.variation.label, false]);
    out.push(['variation_values', m.variation.values, false]);
    out.push(['sweep_mode', m.variation.sweepMode, false]);
  }
  if (m.model !== undefined) out.push(['model', m.model, false]);
  return out;
}

/** profile_export_aiperf_aggregate.json. */
export function confidenceJsonText(
  a: ConfidenceAggregate,
  m: ConfidenceMetadata,
  extra: MmloadAggregateExtra,
): string {
  const metadata: Record<string, unknown> = {
    aggregation_type: a.aggregationType,
    num_profile_runs: a.numRuns,
    num_successful_runs: a.numSuccessfulRuns,
    failed_runs: a.failedRuns,
  };
  for (const [k, v] of confidenceMetadataEntries(a, m)) metadata[k] = v;
  return json({
    schema_version: '1.0',
    metadata,
    metrics: a.metrics,
    mmload: { version: VERSION, ...extra },
  });
}

/** profile_export_aiperf_aggregate.csv: the metrics table, a blank line, the metadata rows. */
export function confidenceCsvText(a: ConfidenceAggregate, m: ConfidenceMetadata): string {
  let out = csvRow([
    'metric',
    'mean',
    'std',
    'min',
    'max',
    'cv',
    'se',
    'ci_low',
    'ci_high',
    't_critical',
    'unit',
  ]);
  for (const [name, c] of Object.entries(a.metrics)) {
    out += csvRow([
      name,
      pyFixed(c.mean, 2, 'inf'),
      pyFixed(c.std, 2, 'inf'),
      pyFixed(c.min, 2, 'inf'),
      pyFixed(c.max, 2, 'inf'),
      pyFixed(c.cv, 4, 'inf'),
      pyFixed(c.se, 4, 'inf'),
      pyFixed(c.ci_low, 2, 'inf'),
      pyFixed(c.ci_high, 2, 'inf'),
      pyFixed(c.t_critical, 4, 'inf'),
      c.unit,
    ]);
  }
  out += csvRow([]);
  out += csvRow(['Aggregation Type', a.aggregationType]);
  out += csvRow(['Total Runs', a.numRuns]);
  out += csvRow(['Successful Runs', a.numSuccessfulRuns]);
  for (const [k, v, float] of confidenceMetadataEntries(a, m))
    out += csvRow([pyTitle(k.replace(/_/g, ' ')), pyStr(v, float)]);
  return out;
}

/** What a sweep file holds besides its cells. */
export interface SweepFileInput {
  param: SweepParam;
  /** The swept values in the order run (first seen). */
  values: number[];
  cells: Array<{ parameters: Record<string, number>; metrics: CellStats }>;
  numRuns: number;
  numSuccessfulRuns: number;
  failedRuns: Array<{ label: string; error: string }>;
  confidenceLevel: number;
  trialsPerValue: number;
  /** AIPerf's SLA filters of a search (good_request_fraction >= attainment). */
  slaConstraints?: { active_filters: unknown[]; feasible_count: number; infeasible_count: number };
  bestConfigurations: Record<string, unknown>;
  paretoOptimal: Array<Record<string, number>>;
}

/** profile_export_aiperf_sweep.json. */
export function sweepJsonText(s: SweepFileInput, extra: MmloadAggregateExtra): string {
  const metadata: Record<string, unknown> = {
    sweep_parameters: [{ name: s.param, values: s.values }],
    num_combinations: s.values.length,
  };
  if (s.slaConstraints) metadata.sla_constraints = s.slaConstraints;
  metadata.sweep_mode = 'repeated';
  metadata.confidence_level = s.confidenceLevel;
  metadata.num_trials_per_value = s.trialsPerValue;
  metadata.aggregation_type = 'sweep';
  return json({
    aggregation_type: 'sweep',
    num_profile_runs: s.numRuns,
    num_successful_runs: s.numSuccessfulRuns,
    failed_runs: s.failedRuns,
    metadata,
    per_combination_metrics: s.cells,
    best_configurations: s.bestConfigurations,
    pareto_optimal: s.paretoOptimal,
    mmload: { version: VERSION, ...extra },
  });
}

/** profile_export_aiperf_sweep.csv: one row per point, then the best configurations, the Pareto set, the metadata. */
export function sweepCsvText(s: SweepFileInput): string {
  const params = [s.param];
  const paramCell = (p: Record<string, number>) => pyStr(p[s.param], s.param === 'rate');
  const metricNames = [...new Set(s.cells.flatMap((c) => Object.keys(c.metrics)))].sort();
  let out = '';
  if (s.cells.length > 0) {
    out += csvRow([
      ...params,
      ...metricNames.flatMap((n) => ['mean', 'std', 'min', 'max', 'cv'].map((k) => `${n}_${k}`)),
    ]);
    for (const c of s.cells) {
      const row: string[] = [paramCell(c.parameters)];
      for (const n of metricNames) {
        const d = c.metrics[n];
        if (!d) {
          row.push('', '', '', '', '');
          continue;
        }
        const num = (v: unknown, decimals = 2) => (typeof v === 'number' ? pyFixed(v, decimals) : '');
        row.push(num(d.mean), num(d.std), num(d.min), num(d.max), num(d.cv, 4));
      }
      out += csvRow(row);
    }
  }
  out += csvRow([]);
  out += csvRow(['Best Configurations']);
  const best = Object.entries(s.bestConfigurations) as Array<
    [string, { parameters: Record<string, number>; metric: number; unit: string }]
  >;
  if (best.length > 0) {
    out += csvRow(['Configuration', ...params, 'Metric', 'Unit']);
    for (const [name, b] of best)
      out += csvRow([
        pyTitle(name.replace(/_/g, ' ')),
        paramCell(b.parameters),
        pyFixed(b.metric, 2),
        b.unit,
      ]);
  }
  out += csvRow([]);
  out += csvRow(['Pareto Optimal Points']);
  if (s.paretoOptimal.length > 0) {
    out += csvRow(params);
    for (const p of s.paretoOptimal) out += csvRow([paramCell(p)]);
  } else out += csvRow(['None']);
  out += csvRow([]);
  out += csvRow(['Metadata']);
  out += csvRow(['Field', 'Value']);
  out += csvRow(['Aggregation Type', 'sweep']);
  out += csvRow(['Sweep Parameters', params.join(', ')]);
  out += csvRow(['Number of Combinations', s.values.length]);
  out += csvRow(['Number of Profile Runs', s.numRuns]);
  out += csvRow(['Number of Successful Runs', s.numSuccessfulRuns]);
  return out;
}

/** Writes the confidence aggregate pair into `dir` (created); returns the paths. */
export async function writeConfidenceAggregate(
  dir: string,
  a: ConfidenceAggregate,
  m: ConfidenceMetadata,
  extra: MmloadAggregateExtra,
): Promise<string[]> {
  await makeDir(dir);
  const json = join(dir, AGGREGATE_FILES.confidenceJson);
  const csv = join(dir, AGGREGATE_FILES.confidenceCsv);
  await writeFileAtomic(json, confidenceJsonText(a, m, extra));
  await writeFileAtomic(csv, confidenceCsvText(a, m));
  return [json, csv];
}

/** Writes the sweep aggregate pair into `dir` (created); returns the paths. */
export async function writeSweepAggregate(
  dir: string,
  s: SweepFileInput,
  extra: MmloadAggregateExtra,
): Promise<string[]> {
  await makeDir(dir);
  const json = join(dir, AGGREGATE_FILES.sweepJson);
  const csv = join(dir, AGGREGATE_FILES.sweepCsv);
  await writeFileAtomic(json, sweepJsonText(s, extra));
  await writeFileAtomic(csv, sweepCsvText(s));
  return [json, csv];
}
