import { relative } from 'node:path';
import { type ConfidenceMetadata, writeConfidenceAggregate, writeSweepAggregate } from './aggregate-files.js';
import { aggregateTrials } from './confidence.js';
import { aggregateDir, sweepAggregateDir } from './layout.js';
import {
  baseLabel,
  type Ctx,
  type PlanOutcome,
  runsExtra,
  type SweepPointSummary,
  trialResults,
  tryWrite,
} from './plan-run.js';
import { attainmentFilter } from './search.js';
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
 * What a sweep or search writes besides its runs: each point's confidence aggregate
 * (aggregate/<param>_<value>/) and the sweep aggregate with its best configurations, Pareto set,
 * knee and, for a search, the attainment filter (aggregate-files.ts holds the layouts).
 */

/** The per-point aggregates and the sweep aggregate of a sweep or search. */
export async function writeSweepFiles(
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
