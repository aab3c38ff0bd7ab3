import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FILES } from '../metrics/exporters.js';
import { AIPERF_JSON } from '../metrics/readers.js';
import { UserError } from '../util/errors.js';
import { AGGREGATE_FILES, pointDirName, runLabel, searchIterLabel } from './layout.js';
import { type CellStats, cellValue, findKnee, PARAM_PATH, type SweepParam } from './sweep.js';

/**
 * Reads a sweep back, written by mmload (`run --concurrency 1,2,4`, `--search`) or by AIPerf 0.13
 * (`aiperf profile --concurrency 1,2,4`, search recipes): the sweep aggregate
 * (sweep_aggregate/profile_export_aiperf_sweep.json, or aggregate/sweep_aggregate/ with trials)
 * and where each point's own results are. Both tools write the same layout (src/plan/layout.ts);
 * the `mmload` object of mmload's files adds its label and knee.
 */

export interface SweepPoint {
  load: number;
  /** The point's statistics (either cell shape: src/plan/sweep.ts). */
  cell: CellStats;
  /** A directory readResult reads as the point: its run (one trial) or its aggregate (trials). */
  dir?: string;
}

export interface SweepResult {
  label: string;
  source: 'mmload' | 'aiperf';
  /** The sweep aggregate file read. */
  file: string;
  /** The sweep's base directory. */
  base: string;
  param: SweepParam;
  /** Sorted by load. */
  points: SweepPoint[];
  trialsPerValue: number;
  /** The load of the knee (mmload's, or found the same way for AIPerf's sweeps). */
  knee?: number;
  /** Written by a search (search_history.json beside it). */
  search: boolean;
}

const SWEEP_PLACES = [
  ['sweep_aggregate', AGGREGATE_FILES.sweepJson],
  ['aggregate/sweep_aggregate', AGGREGATE_FILES.sweepJson],
  ['.', AGGREGATE_FILES.sweepJson],
] as const;

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() === true;
}

/** The sweep aggregate file of `path` (a sweep's directory, its sweep_aggregate/, or the file), if any. */
export async function findSweepFile(path: string): Promise<string | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return undefined;
  if (st.isFile()) return basename(path) === AGGREGATE_FILES.sweepJson ? path : undefined;
  for (const [sub, name] of SWEEP_PLACES) {
    const p = join(path, sub, name);
    if (await isFile(p)) return p;
  }
  return undefined;
}

/** The sweep's base directory from its aggregate file (<base>/[aggregate/]sweep_aggregate/<file>). */
function baseOf(file: string): string {
  let dir = dirname(resolve(file));
  if (basename(dir) === 'sweep_aggregate') dir = dirname(dir);
  if (basename(dir) === 'aggregate') dir = dirname(dir);
  return dir;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function holdsResult(dir: string): Promise<boolean> {
  for (const n of [FILES.json, AIPERF_JSON, AGGREGATE_FILES.confidenceJson])
    if (await isFile(join(dir, n))) return true;
  return false;
}

/** Where each searched load ran: search_history.json's iterations (the last one at each load). */
async function searchDirs(base: string, param: SweepParam): Promise<Map<number, string> | undefined> {
  const text = await readFile(join(base, AGGREGATE_FILES.searchHistory), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const out = new Map<number, string>();
  try {
    const doc = JSON.parse(text) as {
      iterations?: Array<{ iteration_idx?: number; variation_values?: Record<string, unknown> }>;
    };
    for (const it of doc.iterations ?? []) {
      const v = it.variation_values?.[PARAM_PATH[param]];
      if (typeof v === 'number' && typeof it.iteration_idx === 'number')
        out.set(v, searchIterLabel(it.iteration_idx));
    }
  } catch {
    return undefined;
  }
  return out;
}

/** The directory to read one point from: its run when it has one trial, else its aggregate. */
async function pointDir(
  base: string,
  param: SweepParam,
  load: number,
  trials: number,
  search: Map<number, string> | undefined,
): Promise<string | undefined> {
  const name = pointDirName(param, load);
  const candidates =
    trials <= 1
      ? [
          search?.has(load) ? join(base, search.get(load)!, 'profile_runs', runLabel(0)) : join(base, name),
          join(base, 'aggregate', name),
        ]
      : [join(base, 'aggregate', name)];
  for (const c of candidates) if (await holdsResult(c)) return c;
  return undefined;
}

/** Reads a sweep from its directory or aggregate file; `name=path` sets its label. */
export async function readSweep(spec: string): Promise<SweepResult> {
  let path = spec;
  let label: string | undefined;
  const eq = spec.indexOf('=');
  if (eq > 0 && !(await stat(spec).catch(() => undefined))) {
    label = spec.slice(0, eq);
    path = spec.slice(eq + 1);
  }
  const file = await findSweepFile(path);
  if (!file)
    throw new UserError(
      `${path}: not a sweep (no sweep_aggregate/${AGGREGATE_FILES.sweepJson} nor aggregate/sweep_aggregate/${AGGREGATE_FILES.sweepJson})`,
    );
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(doc) || !Array.isArray(doc.per_combination_metrics))
    throw new UserError(`${file}: field "per_combination_metrics" must be a list of {parameters, metrics}`);
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const params = Array.isArray(meta.sweep_parameters) ? meta.sweep_parameters : [];
  const name = isObject(params[0]) ? params[0].name : undefined;
  if (name !== 'concurrency' && name !== 'rate')
    throw new UserError(
      `${file}: field "metadata.sweep_parameters[0].name" is ${JSON.stringify(name)}; mmload reads sweeps over concurrency or rate`,
    );
  if (params.length > 1) throw new UserError(`${file}: a sweep over several parameters; mmload reads one`);
  const param: SweepParam = name;
  const base = baseOf(file);
  const trials = typeof meta.num_trials_per_value === 'number' ? meta.num_trials_per_value : 1;
  const search = await searchDirs(base, param);
  const points: SweepPoint[] = [];
  doc.per_combination_metrics.forEach((c: unknown, i: number) => {
    if (!isObject(c) || !isObject(c.parameters) || !isObject(c.metrics))
      throw new UserError(`${file}: field "per_combination_metrics[${i}]" must be {parameters, metrics}`);
    const load = c.parameters[param];
    if (typeof load !== 'number')
      throw new UserError(
        `${file}: field "per_combination_metrics[${i}].parameters.${param}" must be a number`,
      );
    points.push({ load, cell: c.metrics as CellStats });
  });
  points.sort((a, b) => a.load - b.load);
  for (const p of points) p.dir = await pointDir(base, param, p.load, trials, search);
  const mm = isObject(doc.mmload) ? doc.mmload : undefined;
  const kneeDoc = mm && isObject(mm.knee) ? mm.knee[param] : undefined;
  const kneeAt = findKnee(
    points.map((p) => ({
      load: p.load,
      throughput: cellValue(p.cell, 'request_throughput', 'avg')?.value ?? 0,
    })),
  );
  return {
    label: label ?? (mm && typeof mm.label === 'string' ? mm.label : basename(base)),
    source: mm ? 'mmload' : 'aiperf',
    file,
    base,
    param,
    points,
    trialsPerValue: trials,
    knee: typeof kneeDoc === 'number' ? kneeDoc : kneeAt !== undefined ? points[kneeAt]!.load : undefined,
    search: search !== undefined,
  };
}
