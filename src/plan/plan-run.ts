import { stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { EXIT } from '../driver/finish.js';
import type { PlanOptions, RunOptions } from '../driver/options.js';
import { type RunHooks, type RunOutcome, runLoad } from '../driver/run.js';
import { FILES } from '../metrics/exporters.js';
import type { Summary } from '../metrics/summary.js';
import { exists } from '../util/atomic.js';
import { realClock } from '../util/clock.js';
import { UserError } from '../util/errors.js';
import { makeDir } from '../util/make-dir.js';
import type { ConfidenceAggregate, TrialResult } from './confidence.js';
import { AGGREGATE_FILES, type PlanKind, pointDirName, runLabel } from './layout.js';
import type { ConvergenceReason } from './search.js';
import type { SweepCell, SweepParam } from './sweep.js';

/**
 * What the plans share (src/plan/run-plan.ts, search-run.ts): their types, and one run of a plan
 * as a normal run of the engine with the plan's seed, warm-up and label, the caller's stop and
 * cancel signals, the cool-downs between runs and the plan's exit code.
 */

export interface PlanHooks extends RunHooks {
  /** Runs one run of the plan (default: runLoad); the harness adds the report and the mock's counters. */
  runPoint?: (o: RunOptions, hooks: RunHooks) => Promise<RunOutcome>;
  /** Told when a run of the plan starts and when it ends. */
  onRun?: (e: PlanRunEvent) => void;
  /** Waits between runs, resolving early when `signal` aborts (tests pass a fake). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface PlanRunEvent {
  phase: 'start' | 'end';
  /** e.g. "concurrency 4, trial 2/3" */
  title: string;
  /** 1-based position of this run in the plan, and the planned count when it is known. */
  ordinal: number;
  planned?: number;
  dir: string;
  outcome?: RunOutcome;
}

/** One run of a plan and how it went. */
export interface PlanRun {
  /** run_0001 ... (AIPerf's run label) */
  label: string;
  dir: string;
  trialIndex: number;
  /** The swept or searched load, for a sweep or search. */
  value?: number;
  outcome: RunOutcome;
  /** Why this run does not count in the aggregates (stopped by a signal). */
  excluded?: string;
}

/** One point of a sweep or search: its load and its cell of statistics over its trials. */
export interface SweepPointSummary {
  value: number;
  dirName: string;
  runs: PlanRun[];
  /** Absent when no run of the point counted. */
  cell?: SweepCell;
  /** Good / attempted requests over the point's counted runs (with --goodput). */
  goodFraction?: number;
}

export interface PlanOutcome {
  kind: PlanKind;
  artifactDir: string;
  runs: PlanRun[];
  /** Files the plan wrote besides the runs' own (aggregates, search history). */
  files: string[];
  unwritten: Array<{ path: string; error: string }>;
  /** trials: the aggregate over the runs. */
  aggregate?: ConfidenceAggregate;
  /** sweep and search: one entry per load, in the order run (search) or given (sweep). */
  points?: SweepPointSummary[];
  param?: SweepParam;
  /** sweep: index into `points` (sorted by load) of the knee, when the sweep reached one. */
  knee?: number;
  search?: {
    /** The highest load that met the objective, if any did. */
    feasibleMax?: number;
    infeasibleMin?: number;
    reason: ConvergenceReason;
  };
  exitCode: number;
  interrupted: boolean;
  signal?: 'SIGINT' | 'SIGTERM';
}

export interface SweepSpec {
  param: SweepParam;
  values: number[];
}

export interface SearchSpec {
  param: SweepParam;
  lo: number;
  hi: number;
  /** AIPerf's recipe allows 30 points. */
  maxPoints?: number;
}

/** Sleeps `ms`, or less when `signal` aborts (the run engine's clock). */
export const abortableSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  realClock.sleep(ms, signal);

/** The option key a sweep parameter sets. */
export function optionKey(param: SweepParam): 'concurrency' | 'requestRate' {
  return param === 'concurrency' ? 'concurrency' : 'requestRate';
}

const PLAN_MARKERS = ['profile_runs', 'aggregate', 'sweep_aggregate', AGGREGATE_FILES.searchHistory];

/**
 * Before the first run: options a plan cannot honour are refused, and the plan's directory must
 * not hold an earlier run or plan (their runs would mix).
 */
export async function preparePlan(base: RunOptions): Promise<void> {
  // A shard's runs and a start time belong to one run across machines, not to a series of runs.
  if (base.shard)
    throw new UserError('--shard: trials, sweeps and searches run on one machine; shard single runs');
  if (base.startAtMs !== undefined)
    throw new UserError('--start-at: trials, sweeps and searches start at once; it applies to single runs');
  const dir = base.artifactDir;
  const st = await stat(dir).catch(() => undefined);
  if (st && !st.isDirectory()) throw new UserError(`--artifact-dir ${dir}: is a file, not a directory`);
  for (const name of [FILES.json, ...PLAN_MARKERS])
    if (await exists(join(dir, name)))
      throw new UserError(
        `--artifact-dir ${dir}: already holds a result (${name}); choose another directory`,
      );
  await makeDir(dir).catch((err: Error) => {
    throw new UserError(`--artifact-dir ${dir}: cannot create it (${err.message})`);
  });
}

export interface Ctx {
  base: RunOptions;
  plan: PlanOptions;
  hooks: PlanHooks;
  kind: PlanKind;
  runs: PlanRun[];
  ordinal: number;
  planned?: number;
  signal?: 'SIGINT' | 'SIGTERM';
  /** A run ended on bad input (exit 2): every later run would too. */
  inputError?: string;
}

/** A plan's outcome as it starts: its runs (filled as they end), nothing written, exit 0. */
export function newOutcome(ctx: Ctx, extra: Partial<PlanOutcome> = {}): PlanOutcome {
  return {
    kind: ctx.kind,
    artifactDir: ctx.base.artifactDir,
    runs: ctx.runs,
    files: [],
    unwritten: [],
    exitCode: 0,
    interrupted: false,
    ...extra,
  };
}

export function stopped(ctx: Ctx): boolean {
  return ctx.signal !== undefined || ctx.inputError !== undefined || ctx.hooks.stop?.aborted === true;
}

/** The signal of a stop requested while no run was in progress (during a cool-down). */
export function stopSignalOf(ctx: Ctx): 'SIGINT' | 'SIGTERM' | undefined {
  if (ctx.signal) return ctx.signal;
  if (!ctx.hooks.stop?.aborted) return undefined;
  return ctx.hooks.stop.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
}

export async function cooldown(ctx: Ctx, seconds: number): Promise<void> {
  if (seconds <= 0 || stopped(ctx)) return;
  ctx.hooks.log?.(`cooling down ${seconds} s`);
  await (ctx.hooks.sleep ?? abortableSleep)(seconds * 1000, ctx.hooks.stop);
}

/** One run of the plan: a normal run with the point's load, seed and warm-up, in its own dir. */
export async function runOne(
  ctx: Ctx,
  title: string,
  dir: string,
  trialIndex: number,
  firstOfPoint: boolean,
  overrides: Partial<RunOptions>,
  name: string,
  value?: number,
): Promise<PlanRun> {
  const { base, plan, hooks } = ctx;
  const o: RunOptions = {
    ...base,
    ...overrides,
    artifactDir: dir,
    seed: plan.trialSeed === 'vary' ? base.seed + trialIndex : base.seed,
    warmupRequests: firstOfPoint || plan.trialWarmup === 'every' ? base.warmupRequests : 0,
    label: base.label !== undefined ? `${base.label} ${name}` : name,
  };
  ctx.ordinal++;
  hooks.onRun?.({ phase: 'start', title, ordinal: ctx.ordinal, planned: ctx.planned, dir });
  const { runPoint, onRun: _onRun, sleep: _sleep, ...runHooks } = hooks;
  const outcome = await (runPoint ?? runLoad)(o, runHooks);
  hooks.onRun?.({ phase: 'end', title, ordinal: ctx.ordinal, planned: ctx.planned, dir, outcome });
  const run: PlanRun = { label: runLabel(trialIndex), dir, trialIndex, value, outcome };
  if (outcome.signal) {
    ctx.signal = outcome.signal;
    run.excluded = `stopped by ${outcome.signal}: partial results in ${dir}`;
  } else if (outcome.exitCode === EXIT.usage) {
    ctx.inputError = outcome.abortReason ?? 'bad input';
    run.excluded = `ended on bad input: ${ctx.inputError}`;
    hooks.log?.(`${title}: ended on bad input; no further run (${ctx.inputError})`);
  }
  ctx.runs.push(run);
  return run;
}

export function trialResults(runs: readonly PlanRun[]): TrialResult[] {
  return runs.map((r) => ({ label: r.label, summary: r.outcome.summary, error: r.excluded }));
}

/** Good requests over attempted ones (AIPerf's good_request_fraction), pooled over runs. */
export function goodFraction(summaries: readonly Summary[]): number | undefined {
  if (summaries.length === 0) return undefined;
  let good = 0;
  let attempted = 0;
  for (const s of summaries) {
    const g = s.metrics.good_request_count?.avg;
    if (typeof g !== 'number') return undefined;
    good += g;
    attempted += s.requestCount + s.errorCount;
  }
  return attempted === 0 ? 0 : good / attempted;
}

export function countedSummaries(runs: readonly PlanRun[]): Summary[] {
  return runs.filter((r) => !r.excluded).map((r) => r.outcome.summary);
}

/** Trials and sweeps: the worst of the runs' exit codes (a signal's first). */
export function worstExit(ctx: Ctx, extra: number[] = []): number {
  const signal = stopSignalOf(ctx);
  if (signal === 'SIGTERM') return EXIT.sigterm;
  if (signal === 'SIGINT') return EXIT.sigint;
  const codes = [...ctx.runs.map((r) => r.outcome.exitCode), ...extra];
  if (codes.includes(EXIT.usage)) return EXIT.usage;
  if (codes.includes(EXIT.ioError)) return EXIT.ioError;
  return codes.some((c) => c !== EXIT.ok) ? EXIT.failed : EXIT.ok;
}

export async function tryWrite(
  out: { files: string[]; unwritten: PlanOutcome['unwritten'] },
  path: string,
  write: () => Promise<string[]>,
): Promise<void> {
  try {
    out.files.push(...(await write()));
  } catch (err) {
    out.unwritten.push({ path, error: (err as Error).message });
  }
}

export function baseLabel(base: RunOptions): string {
  return base.label ?? basename(base.artifactDir);
}

export function runsExtra(ctx: Ctx, runs: readonly PlanRun[]) {
  return runs.map((r) => ({
    label: r.label,
    dir: relative(ctx.base.artifactDir, r.dir) || '.',
    ...(r.value !== undefined ? { load: r.value } : {}),
    seed: ctx.plan.trialSeed === 'vary' ? ctx.base.seed + r.trialIndex : ctx.base.seed,
    exit_code: r.outcome.exitCode,
    was_cancelled: r.outcome.summary.wasCancelled ?? false,
    ...(r.excluded ? { excluded: r.excluded } : {}),
  }));
}

export function finish(ctx: Ctx, out: PlanOutcome, extraExit: number[] = []): PlanOutcome {
  out.signal = stopSignalOf(ctx);
  out.interrupted = out.signal !== undefined;
  out.exitCode = worstExit(ctx, [...extraExit, ...(out.unwritten.length > 0 ? [EXIT.ioError] : [])]);
  return out;
}

export function pointOf(points: SweepPointSummary[], param: SweepParam, value: number): SweepPointSummary {
  let p = points.find((x) => x.value === value);
  if (!p) {
    p = { value, dirName: pointDirName(param, value), runs: [] };
    points.push(p);
  }
  return p;
}

export function describeLoad(param: SweepParam, value: number): string {
  return param === 'concurrency' ? `concurrency ${value}` : `request rate ${value}/s`;
}
