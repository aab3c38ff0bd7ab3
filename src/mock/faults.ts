import { FAULT_KINDS, type FaultConfig, type FaultKind } from './types.js';

export interface FaultDecision {
  kind: FaultKind;
  ms: number;
}

/**
 * Decides at most one fault per request, from the request's own seeded stream and its 1-based
 * sequence number, so the same seed and order give the same faults. Kinds are tried in a fixed
 * order (FAULT_KINDS); the first that fires wins.
 */
export function decideFault(config: FaultConfig, seq: number, rand: () => number): FaultDecision | undefined {
  for (const kind of FAULT_KINDS) {
    const spec = config[kind];
    if (!spec) continue;
    const r = rand(); // drawn even if everyNth decides, so kinds do not shift each other's streams
    const fires =
      (spec.everyNth !== undefined && spec.everyNth > 0 && seq % spec.everyNth === 0) ||
      (spec.probability !== undefined && r < spec.probability);
    if (fires) return { kind, ms: spec.ms ?? 1000 };
  }
  return undefined;
}

/**
 * Parses a CLI fault spec: `kind=P` (probability), `kind=/N` (every Nth), optionally `@MS`
 * for delayHeadersMs/stallMs. E.g. `http500=0.05`, `stallMs=/10@2000`.
 */
export function parseFaultSpec(
  s: string,
): [FaultKind, { probability?: number; everyNth?: number; ms?: number }] {
  const m = /^([A-Za-z0-9]+)=(\/?)([0-9.]+)(?:@([0-9.]+))?$/.exec(s.trim());
  if (!m) throw new Error(`bad fault "${s}": expected kind=P, kind=/N or kind=P@MS`);
  const kind = m[1] as FaultKind;
  if (!FAULT_KINDS.includes(kind))
    throw new Error(`bad fault "${s}": kind must be one of ${FAULT_KINDS.join(', ')}`);
  const n = Number(m[3]);
  const ms = m[4] !== undefined ? Number(m[4]) : undefined;
  if (m[2] === '/') {
    if (!Number.isInteger(n) || n < 1) throw new Error(`bad fault "${s}": every-Nth must be an integer >= 1`);
    return [kind, { everyNth: n, ms }];
  }
  if (!(n >= 0 && n <= 1)) throw new Error(`bad fault "${s}": probability must be in [0, 1]`);
  return [kind, { probability: n, ms }];
}
