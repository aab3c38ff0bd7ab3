import { join } from 'node:path';
import { pyFloat } from './python-text.js';
import type { SweepParam } from './sweep.js';

/**
 * Where a plan's runs and aggregates go: AIPerf 0.13's multi-run artifact tree
 * (aiperf/orchestrator/orchestrator.py _resolve_artifact_dir, aiperf/cli_runner/_sweep_aggregate.py),
 * so that tools reading AIPerf's trees read mmload's. Sweeps with trials are laid out in AIPerf's
 * default "repeated" order (trials outer, points inner). Pure.
 *
 * | plan               | one run                                              | aggregates                                   |
 * |--------------------|------------------------------------------------------|----------------------------------------------|
 * | trials             | <base>/profile_runs/run_NNNN/                        | <base>/aggregate/                            |
 * | sweep              | <base>/<param>_<value>/                              | <base>/aggregate/<param>_<value>/, <base>/sweep_aggregate/ |
 * | sweep x trials     | <base>/profile_runs/trial_NNNN/<param>_<value>/      | <base>/aggregate/<param>_<value>/, <base>/aggregate/sweep_aggregate/ |
 * | search             | <base>/search_iter_NNNN/profile_runs/run_NNNN/       | as a sweep's, plus <base>/search_history.json |
 */

export const AGGREGATE_FILES = {
  confidenceJson: 'profile_export_aiperf_aggregate.json',
  confidenceCsv: 'profile_export_aiperf_aggregate.csv',
  sweepJson: 'profile_export_aiperf_sweep.json',
  sweepCsv: 'profile_export_aiperf_sweep.csv',
  searchHistory: 'search_history.json',
} as const;

const pad4 = (n: number) => String(n).padStart(4, '0');

/** run_0001 (1-based, AIPerf's run label). */
export function runLabel(trialIndex: number): string {
  return `run_${pad4(trialIndex + 1)}`;
}

/** concurrency_4, rate_0.5, rate_2.0 (AIPerf's variation dir_name: Python's str of the value; rates are floats). */
export function pointDirName(param: SweepParam, value: number): string {
  return `${param}_${param === 'rate' ? pyFloat(value) : String(value)}`;
}

/** search_iter_0000 (0-based, AIPerf's search variation label). */
export function searchIterLabel(iteration: number): string {
  return `search_iter_${pad4(iteration)}`;
}

export type PlanKind = 'trials' | 'sweep' | 'search';

/** The directory of one run of a plan. */
export function runDir(
  base: string,
  kind: PlanKind,
  trials: number,
  trialIndex: number,
  point?: { param: SweepParam; value: number; iteration?: number },
): string {
  if (kind === 'trials') return join(base, 'profile_runs', runLabel(trialIndex));
  if (kind === 'search')
    return join(base, searchIterLabel(point!.iteration!), 'profile_runs', runLabel(trialIndex));
  const name = pointDirName(point!.param, point!.value);
  return trials > 1 ? join(base, 'profile_runs', `trial_${pad4(trialIndex + 1)}`, name) : join(base, name);
}

/** The confidence aggregate of a trials plan, or of one point of a sweep or search. */
export function aggregateDir(base: string, point?: { param: SweepParam; value: number }): string {
  return point ? join(base, 'aggregate', pointDirName(point.param, point.value)) : join(base, 'aggregate');
}

/** The sweep aggregate (of a sweep or a search): under aggregate/ when points have several trials (AIPerf's repeated mode). */
export function sweepAggregateDir(base: string, trials: number): string {
  return trials > 1 ? join(base, 'aggregate', 'sweep_aggregate') : join(base, 'sweep_aggregate');
}
