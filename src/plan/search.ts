import { PARAM_PATH, type SweepParam } from './sweep.js';

/**
 * The max-goodput search's planner: AIPerf 0.13's MonotonicSLASearchPlanner
 * (aiperf/orchestrator/search_planner/monotonic.py) without its stability window: probe from the
 * lower bound doubling the load until a point misses the objective (or the upper bound is
 * reached), then bisect between the highest point that met it and the lowest that did not, until
 * they are one step apart (concurrency) or closer than `precision` of the upper one. Its names
 * (feasible_max, infeasible_min, the convergence reasons) are AIPerf's. Pure: ask() says which
 * load to run next, tell() what it gave.
 */

export interface SearchSpace {
  param: SweepParam;
  lo: number;
  hi: number;
  /** Stop bisecting when (infeasible_min - feasible_max) / infeasible_min is below this (AIPerf: 0.05). */
  precision: number;
  /** AIPerf's recipe allows 30 iterations. */
  maxIterations: number;
}

export type ConvergenceReason =
  | 'monotonic_precision_reached'
  | 'monotonic_no_pass_in_range'
  | 'monotonic_no_failure_in_range'
  | 'max_iterations'
  | 'cancelled';

export interface SearchIteration {
  iteration: number;
  value: number;
  feasible: boolean;
  /** The objective (goodput, requests/s), when the point measured it. */
  objective?: number;
  /** What the feasibility filter saw (the good-request fraction). */
  observed?: number;
  /** A verdict that contradicts an earlier one (load is not monotonic in this range). */
  nonMonotonic: boolean;
}

export class MonotonicSearch {
  feasibleMax: number | undefined;
  infeasibleMin: number | undefined;
  readonly history: SearchIteration[] = [];
  private phase: 'probe' | 'bisect' = 'probe';
  private next: number;
  private reason: ConvergenceReason | undefined;
  private readonly integer: boolean;

  constructor(readonly space: SearchSpace) {
    if (!(space.lo > 0 && space.hi > space.lo))
      throw new RangeError(`search bounds must satisfy 0 < lo < hi, got ${space.lo}, ${space.hi}`);
    this.integer = space.param === 'concurrency';
    this.next = space.lo;
  }

  get convergenceReason(): ConvergenceReason | undefined {
    return this.reason;
  }

  /** Stops the search where it is (Ctrl-C). */
  cancel(): void {
    this.reason ??= 'cancelled';
  }

  /** The next load to run, or undefined when the search is over. */
  ask(): number | undefined {
    if (this.reason) return undefined;
    if (this.history.length >= this.space.maxIterations) {
      this.reason = 'max_iterations';
      return undefined;
    }
    return this.next;
  }

  /** What the load from the last ask() gave. */
  tell(value: number, feasible: boolean, detail: { objective?: number; observed?: number } = {}): void {
    let nonMonotonic = false;
    if (feasible) {
      if (this.infeasibleMin !== undefined && value >= this.infeasibleMin) nonMonotonic = true;
      if (
        (this.feasibleMax === undefined || value > this.feasibleMax) &&
        (this.infeasibleMin === undefined || value < this.infeasibleMin)
      )
        this.feasibleMax = value;
    } else {
      if (this.feasibleMax !== undefined && value <= this.feasibleMax) nonMonotonic = true;
      if (
        (this.infeasibleMin === undefined || value < this.infeasibleMin) &&
        (this.feasibleMax === undefined || value > this.feasibleMax)
      )
        this.infeasibleMin = value;
    }
    this.history.push({ iteration: this.history.length, value, feasible, ...detail, nonMonotonic });
    if (this.phase === 'probe') this.probeStep(value, feasible);
    else this.bisectStep();
  }

  private probeStep(value: number, feasible: boolean): void {
    if (!feasible) {
      if (this.feasibleMax === undefined) {
        this.reason = 'monotonic_no_pass_in_range';
        return;
      }
      this.phase = 'bisect';
      this.bisectStep();
      return;
    }
    const doubled = value * 2;
    if (doubled >= this.space.hi) {
      if (value >= this.space.hi) {
        this.feasibleMax = this.space.hi;
        this.reason = 'monotonic_no_failure_in_range';
        return;
      }
      this.next = this.space.hi;
      return;
    }
    this.next = doubled;
  }

  private bisectStep(): void {
    const lo = this.feasibleMax;
    const hi = this.infeasibleMin;
    if (lo === undefined || hi === undefined) {
      this.reason = lo === undefined ? 'monotonic_no_pass_in_range' : 'monotonic_no_failure_in_range';
      return;
    }
    const gap = hi - lo;
    if ((this.integer && gap <= 1) || gap / hi < this.space.precision) {
      this.reason = 'monotonic_precision_reached';
      return;
    }
    // Integer midpoints round down, as AIPerf's; rates keep six decimals (readable directory names).
    let mid = this.integer ? lo + Math.floor(gap / 2) : Math.round(((lo + hi) / 2) * 1e6) / 1e6;
    if (this.integer) {
      if (mid <= lo) mid = lo + 1;
      if (mid >= hi) mid = hi - 1;
    }
    this.next = mid;
  }
}

/** The feasibility filter of max-goodput, as AIPerf's max-goodput-under-slo recipe states it. */
export function attainmentFilter(attainment: number) {
  return { metric_tag: 'good_request_fraction', stat: 'avg', op: 'ge', threshold: attainment } as const;
}

/**
 * search_history.json in AIPerf's layout (aiperf/exporters/search_history.py): the config, every
 * iteration, the best trial (feasibility first, then the highest goodput), the boundary found,
 * the recipe and why the search stopped. `mmload` carries what AIPerf's file has no place for.
 */
export function searchHistoryDoc(
  s: MonotonicSearch,
  attainment: number,
  mmload: Record<string, unknown>,
): Record<string, unknown> {
  const path = PARAM_PATH[s.space.param];
  const filter = attainmentFilter(attainment);
  const iterations = s.history.map((h) => ({
    iteration_idx: h.iteration,
    variation_values: { [path]: h.value },
    objective_values: h.objective !== undefined ? [h.objective] : null,
    feasible: h.feasible,
    non_monotonic_warning: h.nonMonotonic,
  }));
  const scored = s.history.filter((h) => h.objective !== undefined && Number.isFinite(h.objective));
  const feasible = scored.filter((h) => h.feasible);
  const pool = feasible.length > 0 ? feasible : scored;
  const best = pool.length > 0 ? pool.reduce((a, b) => (b.objective! > a.objective! ? b : a)) : undefined;
  const latest = (value: number | undefined, ok: boolean) =>
    value === undefined
      ? undefined
      : [...s.history].reverse().find((h) => h.value === value && h.feasible === ok);
  const fmax = latest(s.feasibleMax, true);
  const imin = latest(s.infeasibleMin, false);
  const boundary =
    s.history.length === 0 || (s.feasibleMax === undefined && s.infeasibleMin === undefined)
      ? null
      : {
          swept_dim_path: path,
          feasible_max:
            s.feasibleMax === undefined
              ? null
              : {
                  value: s.feasibleMax,
                  iteration_idx: fmax?.iteration ?? null,
                  objective_value: fmax?.objective ?? null,
                },
          infeasible_min:
            s.infeasibleMin === undefined
              ? null
              : {
                  value: s.infeasibleMin,
                  iteration_idx: imin?.iteration ?? null,
                  first_breach: { ...filter, observed: imin?.observed ?? null },
                },
        };
  return {
    config: {
      planner: 'monotonic_sla',
      objectives: [{ metric: 'goodput', stat: 'avg', direction: 'MAXIMIZE', threshold: null }],
      outcome_constraints: [],
      max_iterations: s.space.maxIterations,
      search_space: [
        { path, lo: s.space.lo, hi: s.space.hi, kind: s.space.param === 'concurrency' ? 'int' : 'float' },
      ],
      sla_filters: [filter],
    },
    iterations,
    best_trials: best
      ? [
          {
            iteration_idx: best.iteration,
            objective_values: [best.objective],
            variation_values: { [path]: best.value },
            feasible: best.feasible,
            feasible_count: feasible.length,
            pareto_rank: 0,
          },
        ]
      : null,
    boundary_summary: boundary,
    recipe: 'max-goodput-under-slo',
    convergence_reason: s.convergenceReason ?? null,
    mmload,
  };
}
