import { stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { EXIT } from '../driver/finish.js';
import type { PlanOptions, RunOptions } from '../driver/options.js';
import { type RunHooks, type RunOutcome, runLoad } from '../driver/run.js';
import { FILES } from '../metrics/exporters.js';
import type { Summary } from '../metrics/summary.js';
import { exists, writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { makeDir } from '../util/make-dir.js';
import { VERSION } from '../version.js';
import { type ConfidenceMetadata, writeConfidenceAggregate, writeSweepAggregate } from './aggregate-files.js';
import { aggregateTrials, type ConfidenceAggregate, type TrialResult } from './confidence.js';
import {
  AGGREGATE_FILES,
  aggregateDir,
  type PlanKind,
  pointDirName,
  runDir,
  runLabel,
  searchIterLabel,
  sweepAggregateDir,
} from './layout.js';
import { attainmentFilter, type ConvergenceReason, MonotonicSearch, searchHistoryDoc } from './search.js';
import {
  bestConfigurations,
  cellStats,
  cellValue,
  findKnee,
  PARAM_PATH,
  paretoOptimal,
  type SweepCell,
  type SweepParam,
} from './sweep.js';

/**
 * Plans of runs: repeated trials, sweeps over concurrency or rate, the max-goodput search. Each
 * run is a normal run of the engine (runLoad: its own artifact dir, report, merge and crosscheck
 * work on it), with the caller's stop and cancel signals, so that one Ctrl-C stops the whole
 * plan: the run in progress ends as a stopped run does (its partial results written), no further
 * run starts, and the aggregates are written over the runs that finished.
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

/** Sleeps `ms`, or less when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The option key a sweep parameter sets. */
function optionKey(param: SweepParam): 'concurrency' | 'requestRate' {
  return param === 'concurrency' ? 'concurrency' : 'requestRate';
}

const PLAN_MARKERS = ['profile_runs', 'aggregate', 'sweep_aggregate', AGGREGATE_FILES.searchHistory];

/**
 * Before the first run: options a plan cannot honour are refused, and the plan's directory must
 * not hold an earlier run or plan (their runs would mix).
 */
async function preparePlan(base: RunOptions): Promise<void> {
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

interface Ctx {
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

function stopped(ctx: Ctx): boolean {
  return ctx.signal !== undefined || ctx.inputError !== undefined || ctx.hooks.stop?.aborted === true;
}

/** The signal of a stop requested while no run was in progress (during a cool-down). */
function stopSignalOf(ctx: Ctx): 'SIGINT' | 'SIGTERM' | undefined {
  if (ctx.signal) return ctx.signal;
  if (!ctx.hooks.stop?.aborted) return undefined;
  return ctx.hooks.stop.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
}

async function cooldown(ctx: Ctx, seconds: number): Promise<void> {
  if (seconds <= 0 || stopped(ctx)) return;
  ctx.hooks.log?.(`cooling down ${seconds} s`);
  await (ctx.hooks.sleep ?? abortableSleep)(seconds * 1000, ctx.hooks.stop);
}

/** One run of the plan: a normal run with the point's load, seed and warm-up, in its own dir. */
async function runOne(
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

function trialResults(runs: readonly PlanRun[]): TrialResult[] {
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

function countedSummaries(runs: readonly PlanRun[]): Summary[] {
  return runs.filter((r) => !r.excluded).map((r) => r.outcome.summary);
}

/** Trials and sweeps: the worst of the runs' exit codes (a signal's first). */
function worstExit(ctx: Ctx, extra: number[] = []): number {
  const signal = stopSignalOf(ctx);
  if (signal === 'SIGTERM') return EXIT.sigterm;
  if (signal === 'SIGINT') return EXIT.sigint;
  const codes = [...ctx.runs.map((r) => r.outcome.exitCode), ...extra];
  if (codes.includes(EXIT.usage)) return EXIT.usage;
  if (codes.includes(EXIT.ioError)) return EXIT.ioError;
  return codes.some((c) => c !== EXIT.ok) ? EXIT.failed : EXIT.ok;
}

async function tryWrite(
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

function baseLabel(base: RunOptions): string {
  return base.label ?? basename(base.artifactDir);
}

function runsExtra(ctx: Ctx, runs: readonly PlanRun[]) {
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

/** `--trials N`: the same workload N times, then the aggregate over them. */
export async function runTrials(
  base: RunOptions,
  plan: PlanOptions,
  hooks: PlanHooks = {},
): Promise<PlanOutcome> {
  await preparePlan(base);
  const ctx: Ctx = { base, plan, hooks, kind: 'trials', runs: [], ordinal: 0, planned: plan.trials };
  for (let i = 0; i < plan.trials && !stopped(ctx); i++) {
    if (i > 0) await cooldown(ctx, plan.trialCooldownS);
    if (stopped(ctx)) break;
    const dir = runDir(base.artifactDir, 'trials', plan.trials, i);
    await runOne(ctx, `trial ${i + 1}/${plan.trials}`, dir, i, i === 0, {}, runLabel(i));
  }
  const out: PlanOutcome = {
    kind: 'trials',
    artifactDir: base.artifactDir,
    runs: ctx.runs,
    files: [],
    unwritten: [],
    exitCode: 0,
    interrupted: false,
  };
  const aggregate = aggregateTrials(trialResults(ctx.runs), plan.confidenceLevel);
  if (aggregate) {
    out.aggregate = aggregate;
    const dir = aggregateDir(base.artifactDir);
    await tryWrite(out, dir, () =>
      writeConfidenceAggregate(
        dir,
        aggregate,
        { cooldownSeconds: plan.trialCooldownS },
        {
          label: baseLabel(base),
          trial_seed: plan.trialSeed,
          trial_warmup: plan.trialWarmup,
          runs: runsExtra(ctx, ctx.runs),
        },
      ),
    );
  } else hooks.log?.('no trial finished: no aggregate written');
  return finish(ctx, out);
}

function finish(ctx: Ctx, out: PlanOutcome, extraExit: number[] = []): PlanOutcome {
  out.signal = stopSignalOf(ctx);
  out.interrupted = out.signal !== undefined;
  out.exitCode = worstExit(ctx, [...extraExit, ...(out.unwritten.length > 0 ? [EXIT.ioError] : [])]);
  return out;
}

/** The per-point aggregates and the sweep aggregate of a sweep or search. */
async function writeSweepFiles(
  ctx: Ctx,
  out: PlanOutcome,
  param: SweepParam,
  points: SweepPointSummary[],
  search?: { attainment: number; feasible: (p: SweepPointSummary) => boolean },
): Promise<void> {
  const { base, plan } = ctx;
  const cells: SweepCell[] = [];
  for (const p of points) {
    const results = trialResults(p.runs);
    const agg = aggregateTrials(results, plan.confidenceLevel);
    if (!agg) continue;
    const meta: ConfidenceMetadata = {
      cooldownSeconds: plan.trialCooldownS,
      variation: {
        label: `${PARAM_PATH[param]}=${p.value}`,
        values: { [PARAM_PATH[param]]: p.value },
        sweepMode: 'repeated',
      },
      model: base.model,
    };
    const dir = aggregateDir(base.artifactDir, { param, value: p.value });
    await tryWrite(out, dir, () =>
      writeConfidenceAggregate(dir, agg, meta, {
        label: `${baseLabel(base)} ${p.dirName}`,
        runs: runsExtra(ctx, p.runs),
      }),
    );
    const cell = cellStats(results, plan.confidenceLevel);
    if (cell) {
      p.cell = { parameters: { [param]: p.value }, metrics: cell };
      cells.push(p.cell);
    }
  }
  const sorted = [...points].filter((p) => p.cell).sort((a, b) => a.value - b.value);
  const knee = findKnee(
    sorted.map((p) => ({
      load: p.value,
      throughput: cellValue(p.cell!.metrics, 'request_throughput', 'avg')?.value ?? 0,
    })),
  );
  if (knee !== undefined) out.knee = points.indexOf(sorted[knee]!);
  const counted = ctx.runs.filter((r) => !r.excluded);
  const feasibleCells = search
    ? points.filter((p) => p.cell && search.feasible(p)).map((p) => p.cell!)
    : undefined;
  const sweepDir = sweepAggregateDir(base.artifactDir, plan.trials);
  const values = points.map((p) => p.value);
  await tryWrite(out, sweepDir, () =>
    writeSweepAggregate(
      sweepDir,
      {
        param,
        values,
        cells,
        numRuns: ctx.runs.length,
        numSuccessfulRuns: counted.length,
        failedRuns: ctx.runs
          .filter((r) => r.excluded)
          .map((r) => ({ label: relative(base.artifactDir, r.dir), error: r.excluded! })),
        confidenceLevel: plan.confidenceLevel,
        trialsPerValue: Math.max(0, ...points.map((p) => p.runs.length)),
        slaConstraints:
          search && feasibleCells
            ? {
                active_filters: [attainmentFilter(search.attainment)],
                feasible_count: feasibleCells.length,
                infeasible_count: cells.length - feasibleCells.length,
              }
            : undefined,
        bestConfigurations: bestConfigurations(
          feasibleCells && feasibleCells.length > 0 ? feasibleCells : cells,
        ),
        paretoOptimal: paretoOptimal(feasibleCells ?? cells),
      },
      {
        label: baseLabel(base),
        parameter: param,
        knee: out.knee !== undefined ? { [param]: points[out.knee]!.value } : null,
        points: points.map((p) => ({
          [param]: p.value,
          runs: runsExtra(ctx, p.runs),
          ...(p.goodFraction !== undefined ? { good_request_fraction: p.goodFraction } : {}),
        })),
      },
    ),
  );
}

function pointOf(points: SweepPointSummary[], param: SweepParam, value: number): SweepPointSummary {
  let p = points.find((x) => x.value === value);
  if (!p) {
    p = { value, dirName: pointDirName(param, value), runs: [] };
    points.push(p);
  }
  return p;
}

function describeLoad(param: SweepParam, value: number): string {
  return param === 'concurrency' ? `concurrency ${value}` : `request rate ${value}/s`;
}

/**
 * `--concurrency 1,2,4` / `--request-rate 0.5,1,2`: one run per value (and per trial, trials
 * outer as AIPerf's default "repeated" order), then the per-point and sweep aggregates.
 */
export async function runSweep(
  base: RunOptions,
  sweep: SweepSpec,
  plan: PlanOptions,
  hooks: PlanHooks = {},
): Promise<PlanOutcome> {
  if (sweep.values.length === 0) throw new UserError('a sweep needs at least one value');
  if (new Set(sweep.values).size !== sweep.values.length)
    throw new UserError(
      `--${sweep.param === 'rate' ? 'request-rate' : 'concurrency'} ${sweep.values.join(',')}: a value is repeated`,
    );
  await preparePlan(base);
  const ctx: Ctx = {
    base,
    plan,
    hooks,
    kind: 'sweep',
    runs: [],
    ordinal: 0,
    planned: plan.trials * sweep.values.length,
  };
  const points: SweepPointSummary[] = [];
  outer: for (let t = 0; t < plan.trials; t++) {
    if (t > 0) await cooldown(ctx, plan.trialCooldownS);
    for (let i = 0; i < sweep.values.length; i++) {
      if (stopped(ctx)) break outer;
      if (i > 0) await cooldown(ctx, plan.sweepCooldownS);
      if (stopped(ctx)) break outer;
      const value = sweep.values[i]!;
      const dir = runDir(base.artifactDir, 'sweep', plan.trials, t, { param: sweep.param, value });
      const title = `${describeLoad(sweep.param, value)}${plan.trials > 1 ? `, trial ${t + 1}/${plan.trials}` : ''}`;
      const name = `${pointDirName(sweep.param, value)}${plan.trials > 1 ? ` ${runLabel(t)}` : ''}`;
      const run = await runOne(ctx, title, dir, t, t === 0, { [optionKey(sweep.param)]: value }, name, value);
      pointOf(points, sweep.param, value).runs.push(run);
    }
  }
  for (const p of points) p.goodFraction = goodFraction(countedSummaries(p.runs));
  const out: PlanOutcome = {
    kind: 'sweep',
    artifactDir: base.artifactDir,
    runs: ctx.runs,
    files: [],
    unwritten: [],
    exitCode: 0,
    interrupted: false,
    points,
    param: sweep.param,
  };
  await writeSweepFiles(ctx, out, sweep.param, points);
  return finish(ctx, out);
}

/**
 * `--search max-goodput`: the highest load within [lo, hi] at which at least `sloAttainment` of
 * the requests (failed ones included) met every --goodput objective. Each point tried is a normal
 * run (or `trials` of them, their requests pooled) in search_iter_NNNN/; search_history.json is
 * rewritten after each point, so an interrupted search keeps what it found.
 */
export async function searchMaxGoodput(
  base: RunOptions,
  spec: SearchSpec,
  plan: PlanOptions,
  hooks: PlanHooks = {},
): Promise<PlanOutcome> {
  if (!hasGoodput(base))
    throw new UserError('--search max-goodput needs --goodput (the objectives a good request meets)');
  await preparePlan(base);
  const search = new MonotonicSearch({
    param: spec.param,
    lo: spec.lo,
    hi: spec.hi,
    precision: plan.searchPrecision,
    maxIterations: spec.maxPoints ?? 30,
  });
  const ctx: Ctx = { base, plan, hooks, kind: 'search', runs: [], ordinal: 0 };
  const points: SweepPointSummary[] = [];
  const out: PlanOutcome = {
    kind: 'search',
    artifactDir: base.artifactDir,
    runs: ctx.runs,
    files: [],
    unwritten: [],
    exitCode: 0,
    interrupted: false,
    points,
    param: spec.param,
  };
  const historyPath = join(base.artifactDir, AGGREGATE_FILES.searchHistory);
  const writeHistory = async () => {
    const doc = searchHistoryDoc(search, plan.sloAttainment, {
      version: VERSION,
      label: baseLabel(base),
      search: 'max-goodput',
      slo_attainment: plan.sloAttainment,
      points: points.map((p, i) => ({
        iteration_idx: i,
        [spec.param]: p.value,
        dir: searchIterLabel(i),
        good_request_fraction: p.goodFraction ?? null,
        runs: runsExtra(ctx, p.runs),
      })),
    });
    await writeFileAtomic(historyPath, `${JSON.stringify(doc, null, 2)}`);
    return [historyPath];
  };
  for (let value = search.ask(); value !== undefined; value = search.ask()) {
    if (stopped(ctx)) break;
    if (points.length > 0) await cooldown(ctx, plan.sweepCooldownS);
    if (stopped(ctx)) break;
    const iteration = points.length;
    const point: SweepPointSummary = { value, dirName: pointDirName(spec.param, value), runs: [] };
    points.push(point);
    for (let t = 0; t < plan.trials && !stopped(ctx); t++) {
      if (t > 0) await cooldown(ctx, plan.trialCooldownS);
      if (stopped(ctx)) break;
      const dir = runDir(base.artifactDir, 'search', plan.trials, t, { param: spec.param, value, iteration });
      const title = `search point ${iteration + 1}: ${describeLoad(spec.param, value)}${plan.trials > 1 ? `, trial ${t + 1}/${plan.trials}` : ''}`;
      const name = `${searchIterLabel(iteration)} ${pointDirName(spec.param, value)}${plan.trials > 1 ? ` ${runLabel(t)}` : ''}`;
      point.runs.push(
        await runOne(ctx, title, dir, t, t === 0, { [optionKey(spec.param)]: value }, name, value),
      );
    }
    const counted = countedSummaries(point.runs);
    if (stopped(ctx) && counted.length < plan.trials) break;
    const fraction = goodFraction(counted);
    if (fraction === undefined)
      throw new UserError('--search max-goodput: the run has no good_request_count (was --goodput given?)');
    point.goodFraction = fraction;
    const goodput = counted
      .map((s) => s.metrics.goodput?.avg)
      .filter((v): v is number => typeof v === 'number');
    const feasible = fraction >= plan.sloAttainment;
    search.tell(value, feasible, {
      objective: goodput.length > 0 ? goodput.reduce((a, b) => a + b, 0) / goodput.length : undefined,
      observed: fraction,
    });
    hooks.log?.(
      `${describeLoad(spec.param, value)}: ${(fraction * 100).toFixed(1)} % good requests ${feasible ? '>=' : '<'} ${(plan.sloAttainment * 100).toFixed(1)} %`,
    );
    await tryWrite(out, historyPath, writeHistory);
  }
  if (stopped(ctx)) search.cancel();
  // Points cut short by a stop carry no verdict; they stay on disk and in the history's mmload part.
  await tryWrite(out, historyPath, writeHistory);
  const judged = points.filter((p) => p.goodFraction !== undefined);
  await writeSweepFiles(ctx, out, spec.param, judged, {
    attainment: plan.sloAttainment,
    feasible: (p) => (p.goodFraction ?? 0) >= plan.sloAttainment,
  });
  out.search = {
    feasibleMax: search.feasibleMax,
    infeasibleMin: search.infeasibleMin,
    reason: search.convergenceReason ?? 'cancelled',
  };
  // A search reports a load, not the health of each probe: exit 0 when it found one, 1 when no
  // load in the bounds met the objective, and a signal's code when stopped.
  const signal = stopSignalOf(ctx);
  out.signal = signal;
  out.interrupted = signal !== undefined;
  out.exitCode =
    signal === 'SIGTERM'
      ? EXIT.sigterm
      : signal === 'SIGINT'
        ? EXIT.sigint
        : ctx.inputError !== undefined
          ? EXIT.usage
          : out.unwritten.length > 0 || ctx.runs.some((r) => r.outcome.exitCode === EXIT.ioError)
            ? EXIT.ioError
            : search.feasibleMax === undefined
              ? EXIT.failed
              : EXIT.ok;
  return out;
}

function hasGoodput(o: RunOptions): boolean {
  return typeof o.goodput === 'string' && o.goodput.trim() !== '';
}
