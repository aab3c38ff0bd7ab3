/**
 * What the HTML report draws, per result. Built from the summary model (and, when present, the
 * per-request records) by report/from-results.ts; the renderer itself does no statistics.
 */
import type { MetricTag } from '../metrics/catalogue.js';
import type { ErrorList } from '../metrics/errors.js';
import type { Objective } from '../metrics/goodput.js';
import type { RecordSamples } from '../metrics/readers.js';
import type { StatName, Summary } from '../metrics/summary.js';

export type CurveMetric = Extract<
  MetricTag,
  'time_to_first_token' | 'inter_token_latency' | 'request_latency'
>;

/** One point of a percentile curve: percentile in [0, 100) and the value at it, in ms. */
export type CurvePoint = readonly [percentile: number, valueMs: number];

export interface TimelinePoint {
  /** Seconds since the first measured request started. */
  t: number;
  completed: number;
  outputTokens: number;
  errors: number;
}

export interface ReportRun {
  label: string;
  source: 'mmload' | 'aiperf';
  /** Headline figures in the recipe's order; undefined when the result lacks them. */
  headline: {
    rps?: number;
    goodput?: number;
    itlAvgMs?: number;
    ttftAvgMs?: number;
    ttftP50Ms?: number;
    ttftP90Ms?: number;
    ttftP99Ms?: number;
    outputTokensPerS?: number;
    requests?: number;
  };
  curves: Partial<Record<CurveMetric, CurvePoint[]>>;
  /** TTFT of each measured request against its start time (seconds since the run's start). */
  ttftOverRun?: Array<readonly [t: number, ttftMs: number]>;
  timeline?: TimelinePoint[];
  errors: Record<string, number>;
  /** The distinct error messages with counts, most frequent first, and how many were left out. */
  errorMessages?: ErrorList;
  notes?: string[];
  /** The summary the run was read from: compare's intervals are computed from it (and `samples`). */
  summary?: Summary;
  /** Per-request values for the bootstrap (sorted), when the result has records. */
  samples?: RecordSamples;
  /** The --goodput objectives the result was measured against: marked on the percentile curves. */
  objectives?: Objective[];
}

export type HeadlineKey = keyof ReportRun['headline'];

/**
 * The headline figures (the recipe's), each one statistic of a catalogue metric; whether larger is
 * better comes from the catalogue. `requests` is the summary's count of valid requests.
 */
export const HEADLINE: ReadonlyArray<{
  key: HeadlineKey;
  label: string;
  unit: string;
  tag: MetricTag;
  stat: StatName;
  /** Shown only when a result has it (goodput: with --goodput). */
  optional?: boolean;
  /** The direction when the catalogue (AIPerf's flags) does not give it: goodput is better higher. */
  largerIsBetter?: boolean;
}> = [
  { key: 'rps', label: 'RPS', unit: 'req/s', tag: 'request_throughput', stat: 'avg' },
  {
    key: 'goodput',
    label: 'Goodput',
    unit: 'req/s',
    tag: 'goodput',
    stat: 'avg',
    optional: true,
    largerIsBetter: true,
  },
  { key: 'itlAvgMs', label: 'ITL avg', unit: 'ms', tag: 'inter_token_latency', stat: 'avg' },
  { key: 'ttftAvgMs', label: 'TTFT avg', unit: 'ms', tag: 'time_to_first_token', stat: 'avg' },
  { key: 'ttftP50Ms', label: 'TTFT p50', unit: 'ms', tag: 'time_to_first_token', stat: 'p50' },
  { key: 'ttftP90Ms', label: 'TTFT p90', unit: 'ms', tag: 'time_to_first_token', stat: 'p90' },
  { key: 'ttftP99Ms', label: 'TTFT p99', unit: 'ms', tag: 'time_to_first_token', stat: 'p99' },
  {
    key: 'outputTokensPerS',
    label: 'Output tokens/s',
    unit: 'tok/s',
    tag: 'output_token_throughput',
    stat: 'avg',
  },
  { key: 'requests', label: 'Requests', unit: '', tag: 'request_count', stat: 'avg' },
];
