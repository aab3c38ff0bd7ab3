import type { PlanOptions } from '../driver/options.js';
import type { SearchSpec, SweepSpec } from '../plan/run-plan.js';

/** What the command line asks for besides the run's options: a list of loads, or a search. */
export interface PlanLoad {
  /** Several values of --concurrency or --request-rate: one point per value. */
  sweep?: SweepSpec;
  /** --search max-goodput within these bounds. */
  search?: SearchSpec;
}

/**
 * Whether the options and load describe one run or a plan, and which. Apart from the plan's engine
 * (harness/plan.ts), which a single run does not load.
 */
export function planKind(
  plan: Partial<PlanOptions>,
  load: PlanLoad,
): 'single' | 'trials' | 'sweep' | 'search' {
  if (plan.search !== undefined || load.search) return 'search';
  if (load.sweep) return 'sweep';
  return (plan.trials ?? 1) > 1 ? 'trials' : 'single';
}
