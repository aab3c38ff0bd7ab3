/**
 * The server's Prometheus metrics as mmload keeps them. Family and sample shapes follow AIPerf
 * 0.13's server metrics records (aiperf/common/models/server_metrics_models.py: MetricFamily,
 * MetricSample), so that the JSONL time series reads the same in both tools.
 */

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One label set of a family at one scrape. Counters, gauges, untyped: `value`; histograms: buckets, sum, count; summaries: quantiles, sum, count. */
export interface MetricSample {
  labels?: Record<string, string>;
  value?: number;
  /** Cumulative count per upper bound, keyed by the `le` label as the server wrote it ("0.1", "+Inf"). */
  buckets?: Record<string, number>;
  quantiles?: Record<string, number>;
  sum?: number;
  count?: number;
  /** The sample's own timestamp (ms since the epoch), when the server wrote one. */
  timestampMs?: number;
}

export interface MetricFamily {
  /** Counters without their `_total` suffix, as prometheus_client (and so AIPerf) names them. */
  name: string;
  type: FamilyType;
  help: string;
  samples: MetricSample[];
}

/** What one parse found besides the families: lines it could not read (kept out of the families). */
export interface ParseResult {
  families: MetricFamily[];
  /** 1-based line numbers and why, at most a few: a scrape with bad lines is still used. */
  badLines: Array<{ line: number; reason: string }>;
  badLineCount: number;
}
