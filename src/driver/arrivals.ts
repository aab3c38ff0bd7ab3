import { UserError } from '../util/errors.js';
import { mulberry32 } from '../util/random.js';

/**
 * The plan of intended send times in rate mode, fixed in advance from the seed: the sender
 * follows it and counts how late it was, instead of drifting (wrk2's lesson on coordinated
 * omission). Intervals have mean 1/rate: constant, exponential (Poisson arrivals), or gamma with
 * shape = burstiness (burstiness 1 is Poisson; below 1 burstier, above 1 more regular), as in
 * vLLM's and AIPerf's benchmarks.
 */
export type Arrival = 'constant' | 'poisson' | 'gamma';

export interface ArrivalPlan {
  rate: number;
  arrival: Arrival;
  burstiness: number;
  seed: number;
}

export function validatePlan(p: ArrivalPlan): void {
  if (!(p.rate > 0) || !Number.isFinite(p.rate))
    throw new UserError(`--request-rate ${p.rate}: must be a positive number of requests/s`);
  if (!(p.burstiness > 0)) throw new UserError(`--burstiness ${p.burstiness}: must be positive`);
}

function gammaSample(shape: number, rnd: () => number): number {
  if (shape < 1) return gammaSample(shape + 1, rnd) * rnd() ** (1 / shape);
  // Marsaglia and Tsang.
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      const u1 = rnd() || Number.MIN_VALUE;
      const u2 = rnd();
      x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rnd();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Offsets (ns from the start of the measured phase) of the intended sends, endlessly. */
export function* intendedOffsets(p: ArrivalPlan): Generator<number> {
  const rnd = mulberry32(p.seed);
  const mean = 1e9 / p.rate;
  let t = 0;
  for (;;) {
    yield t;
    if (p.arrival === 'constant') t += mean;
    else if (p.arrival === 'poisson') t += -Math.log(1 - rnd()) * mean;
    else t += gammaSample(p.burstiness, rnd) * (mean / p.burstiness);
  }
}
