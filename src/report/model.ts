/**
 * What the HTML report draws, per result. Built from the summary model (and, when present, the
 * per-request records) by report/from-results.ts; the renderer itself does no statistics.
 */
export type CurveMetric = 'time_to_first_token' | 'inter_token_latency' | 'request_latency';

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
  notes?: string[];
}
