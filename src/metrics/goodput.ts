import { type CatalogueEntry, metricDef, RECORD_METRICS, type RecordEntry } from './catalogue.js';
import type { RequestMetrics } from './per-request.js';
import type { Summary } from './summary.js';

/**
 * Goodput (AIPerf's --goodput, after DistServe): a request is good when it meets every service
 * level objective; good_request_count counts them, goodput is that count per second of the
 * benchmark duration, good_request_fraction is it over every attempted request. AIPerf 0.13's
 * rules, kept exactly (metrics/types/good_request_count_metric.py):
 *
 * - the objectives are `TAG:VALUE` pairs separated by spaces, VALUE in the metric's display unit
 *   (ms for times); a tag given twice keeps its last value (a Python dict);
 * - a metric whose larger values are better (AIPerf's LARGER_IS_BETTER, e.g.
 *   output_token_throughput_per_user) passes when value >= VALUE, any other when value <= VALUE;
 * - only valid (successful, measured) requests are judged, and one that lacks a value for an
 *   objective's metric (no ITL with a single output token) is not good.
 */
export interface Objective {
  tag: RecordEntry['tag'];
  threshold: number;
  unit: string;
  largerIsBetter: boolean;
  value: NonNullable<RecordEntry['value']>;
}

/** The metrics an objective may name: one value per successful request. */
export const GOODPUT_METRICS: readonly RecordEntry[] = RECORD_METRICS.filter(
  (d) => d.value !== undefined && d.scope !== 'failed' && d.inSummary !== false,
);
const ALLOWED = new Set<string>(GOODPUT_METRICS.map((d) => d.tag));

/** A decimal number as Python's float() reads one, without inf/nan (an objective must be a bound). */
const NUMBER = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;

/** Why `text` is not a valid --goodput value, or undefined. */
export function goodputProblem(text: string): string | undefined {
  try {
    parseGoodput(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function objectiveOf(tag: string, threshold: number): Objective {
  const def: CatalogueEntry | undefined = metricDef(tag);
  if (!def || !ALLOWED.has(tag)) {
    const why = def
      ? `"${tag}" is not a per-request metric with one value per request`
      : `unknown metric tag "${tag}"`;
    throw new Error(`${why} (known: ${[...ALLOWED].join(', ')})`);
  }
  const d = def as RecordEntry;
  return {
    tag: d.tag,
    threshold,
    unit: d.unit,
    largerIsBetter: d.largerIsBetter ?? false,
    value: d.value as NonNullable<RecordEntry['value']>,
  };
}

/**
 * `"time_to_first_token:2000 inter_token_latency:30"` -> the objectives, in the order first given.
 * Throws an Error naming the pair that is wrong.
 */
export function parseGoodput(text: string): Objective[] {
  const items = text.trim().split(/\s+/).filter(Boolean);
  if (items.length === 0) throw new Error("expected space-separated 'metric:value' pairs, got nothing");
  const byTag = new Map<string, number>();
  for (const item of items) {
    const colon = item.indexOf(':');
    if (colon < 0) throw new Error(`'${item}' is not in 'metric:value' format`);
    const tag = item.slice(0, colon).trim();
    const raw = item.slice(colon + 1).trim();
    if (!tag) throw new Error(`'${item}' has an empty metric name`);
    if (!raw) throw new Error(`'${item}' has an empty value`);
    if (!NUMBER.test(raw)) throw new Error(`value for '${tag}' must be a finite number, got '${raw}'`);
    byTag.set(tag, Number(raw.replace(/_/g, '')));
  }
  return [...byTag].map(([tag, v]) => objectiveOf(tag, v));
}

/** The objectives from AIPerf's own form, a {tag: value} object (input_config.slos). */
export function objectivesFromRecord(slos: Record<string, unknown>): Objective[] {
  return Object.entries(slos).map(([tag, v]) => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`'${tag}': value must be a finite number, got ${JSON.stringify(v)}`);
    return objectiveOf(tag, v);
  });
}

/** Back to AIPerf's syntax (what crosscheck passes to `aiperf profile --goodput`). */
export function formatGoodput(objectives: readonly Objective[]): string {
  return objectives.map((o) => `${o.tag}:${o.threshold}`).join(' ');
}

/** `time_to_first_token <= 2000 ms`: one objective as people read it. */
export function describeObjective(o: Objective): string {
  return `${o.tag} ${o.largerIsBetter ? '>=' : '<='} ${o.threshold} ${o.unit}`;
}

/** Whether a successful request meets every objective (AIPerf's _is_good). */
export function isGood(m: RequestMetrics, objectives: readonly Objective[]): boolean {
  for (const o of objectives) {
    const v = o.value(m);
    if (v === undefined || !Number.isFinite(v)) return false;
    if (o.largerIsBetter ? !(v >= o.threshold) : !(v <= o.threshold)) return false;
  }
  return true;
}

/**
 * The objectives a result was measured against: mmload keeps its --goodput text in the run's
 * configuration, AIPerf its parsed `slos` in input_config. Undefined without any (or when they
 * name metrics mmload does not measure: then nothing can be drawn or recomputed from them).
 */
export function objectivesOf(s: Summary): Objective[] | undefined {
  const c = s.config;
  if (!c) return undefined;
  try {
    if (typeof c.goodput === 'string' && c.goodput.trim() !== '') return parseGoodput(c.goodput);
    const slos = c.slos;
    if (slos && typeof slos === 'object' && !Array.isArray(slos)) {
      const list = objectivesFromRecord(slos as Record<string, unknown>);
      return list.length > 0 ? list : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
