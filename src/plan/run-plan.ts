import type { PlanOptions, RunOptions } from '../driver/options.js';
import { UserError } from '../util/errors.js';
import { writeConfidenceAggregate } from './aggregate-files.js';
import { aggregateTrials } from './confidence.js';
import { aggregateDir, pointDirName, runDir, runLabel } from './layout.js';
import {
  baseLabel,
  type Ctx,
  cooldown,
  countedSummaries,
  describeLoad,
  finish,
  goodFraction,
  newOutcome,
  optionKey,
  type PlanHooks,
  type PlanOutcome,
  pointOf,
  preparePlan,
  runOne,
  runsExtra,
  type SweepPointSummary,
  type SweepSpec,
  stopped,
  trialResults,
  tryWrite,
} from './plan-run.js';
import { writeSweepFiles } from './sweep-files.js';

/**
 * Plans of runs: repeated trials, sweeps over concurrency or rate, the max-goodput search. Each
 * run is a normal run of the engine (runLoad: its own artifact dir, report, merge and crosscheck
 * work on it), with the caller's stop and cancel signals, so that one Ctrl-C stops the whole
 * plan: the run in progress ends as a stopped run does (its partial results written), no further
 * run starts, and the aggregates are written over the runs that finished.
 */

export {
  abortableSleep,
  goodFraction,
  type PlanHooks,
  type PlanOutcome,
  type PlanRun,
  type PlanRunEvent,
  type SearchSpec,
  type SweepPointSummary,
  type SweepSpec,
} from './plan-run.js';
export { searchMaxGoodput } from './search-run.js';

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
  const out = newOutcome(ctx);
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
  const out = newOutcome(ctx, { points, param: sweep.param });
  await writeSweepFiles(ctx, out, sweep.param, points);
  return finish(ctx, out);
}
