import { join } from 'node:path';
import { EXIT } from '../driver/finish.js';
import type { PlanOptions, RunOptions } from '../driver/options.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { AGGREGATE_FILES, pointDirName, runDir, runLabel, searchIterLabel } from './layout.js';
import {
  baseLabel,
  type Ctx,
  cooldown,
  countedSummaries,
  describeLoad,
  goodFraction,
  newOutcome,
  optionKey,
  type PlanHooks,
  type PlanOutcome,
  preparePlan,
  runOne,
  runsExtra,
  type SearchSpec,
  type SweepPointSummary,
  stopped,
  stopSignalOf,
  tryWrite,
} from './plan-run.js';
import { MonotonicSearch, searchHistoryDoc } from './search.js';
import { writeSweepFiles } from './sweep-files.js';

// The search's runs: its planner (search.ts) says which load to run next; each point is run,
// judged on its good-request fraction, and written to search_history.json before the next.

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
  const out = newOutcome(ctx, { points, param: spec.param });
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
