import type { CpuUse } from '../util/cpu-use.js';
import type { MetricTag } from './catalogue.js';
import type { ErrorKind } from './record.js';
import { PERCENTILE_KEYS, type PercentileKey } from './statistics.js';

/**
 * THE summary model. mmload results and AIPerf's profile_export_aiperf.json are both read into it,
 * so compare, crosscheck and report work on either. Metric keys are AIPerf tags; statistic names
 * are AIPerf's (avg, min, max, p1..p99, std) plus count; values are in the unit named by `unit`.
 */
export type StatName = 'avg' | 'min' | 'max' | 'std' | 'count' | 'sum' | PercentileKey;
export const STAT_KEYS: readonly StatName[] = ['avg', 'min', 'max', ...PERCENTILE_KEYS, 'std'];

/**
 * AIPerf 0.13's STAT_KEYS (aiperf/common/constants.py): its CSV columns and the statistics its
 * multi-run aggregate covers, in its order (sum after max).
 */
export const AIPERF_STAT_KEYS: readonly StatName[] = ['avg', 'min', 'max', 'sum', ...PERCENTILE_KEYS, 'std'];

export type MetricSummary = { unit: string } & Partial<Record<StatName, number>>;

export interface ErrorDetailsCount {
  code: number | null;
  type: string;
  message: string;
  count: number;
}

export interface TimelineSecond {
  /** Seconds since the first measured request start. */
  second: number;
  completed: number;
  outputTokens: number;
  errors: number;
}

export interface ClientHealth {
  /** Event-loop delay (ms) the driver measured (perf_hooks.monitorEventLoopDelay, less its resolution). */
  eventLoopDelayMs?: { p50: number; p99: number; max: number };
  /** Rate mode: dispatches later than planned. */
  lateSends?: number;
  sendLagMs?: { p50: number; p99: number; max: number };
  /** Requests sent again on a fresh connection after the server closed a reused one before answering. */
  resends?: number;
  /** Connections opened before the first timed request (--preconnect). */
  preconnected?: number;
  /**
   * Local image files of a path dataset: read and encoded whole for the cache, read again after
   * the cache let them go (--image-cache-mb), served from the cache, streamed (read and encoded
   * again as they upload: images of a MiB or more, and smaller ones with no room), streamed for
   * want of room, and the budget in bytes.
   */
  localImages?: {
    reads: number;
    rereads: number;
    hits: number;
    streamed?: number;
    noRoom?: number;
    maxBytes: number;
  };
  /** Milliseconds from process start to the first request handed to the client (warm-up included). */
  timeToFirstRequestMs?: number;
  /** How busy this process, the host and the container's CPU quota were while the run measured. */
  cpu?: CpuUse;
  /** Human-readable warnings when the client could have distorted the results. */
  warnings: string[];
}

/**
 * One metric statistic over repeated trials, as AIPerf's aggregate export writes it
 * (orchestrator/aggregation/confidence.py ConfidenceMetric): the mean of the per-trial values,
 * their sample standard deviation (ddof 1), the trials it is over, and the t interval of the mean.
 */
export interface TrialStat {
  mean: number;
  std: number;
  n: number;
  min?: number;
  max?: number;
  ciLow?: number;
  ciHigh?: number;
  unit: string;
}

/** A result made of repeated trials: its aggregate (AIPerf's profile_export_aiperf_aggregate.json layout). */
export interface TrialSet {
  /** Successful trials. */
  runs: number;
  /** The confidence level of the file's intervals (AIPerf's --confidence-level). */
  level?: number;
  /** metric tag -> statistic -> its figures over the trials. */
  metrics: Record<string, Partial<Record<StatName, TrialStat>>>;
  /** The aggregate file. */
  file: string;
  /** The trials' own artifact dirs that were found (profile_runs/run_NNNN), in order. */
  dirs: string[];
}

export interface Summary {
  source: 'mmload' | 'aiperf';
  /** Display name (compare column / row); defaults to the artifact directory name. */
  label: string;
  /** File the summary was read from, when read from disk. */
  path?: string;
  toolVersion?: string;
  metrics: Record<string, MetricSummary>;
  /** Valid (measured, successful) requests. */
  requestCount: number;
  errorCount: number;
  errorsByKind: Partial<Record<ErrorKind | string, number>>;
  /**
   * AIPerf's error_summary: one entry per distinct (code, type, exact message) with its count, in
   * the order first seen (AIPerf's ErrorTracker groups by ErrorDetails' code, type and message).
   */
  errorDetails?: ErrorDetailsCount[];
  durationSec?: number;
  /** Where output token counts came from. */
  outputTokenSource?: 'usage' | 'chunks' | 'mixed' | 'tokenizer';
  startTime?: string;
  endTime?: string;
  wasCancelled?: boolean;
  /** Run configuration (mmload's options, or AIPerf's input_config) when known. */
  config?: Record<string, unknown>;
  dataset?: { path?: string; sha256?: string; rows?: number; [k: string]: unknown };
  /** mmload extras (absent for AIPerf results). */
  timeline?: TimelineSecond[];
  client?: ClientHealth;
  warmupCount?: number;
  /** Present when the result is an aggregate of repeated trials (metrics then hold the means). */
  trials?: TrialSet;
}

/**
 * One statistic of one of mmload's metrics, or undefined when the summary does not have it.
 * Metrics only AIPerf writes are read from `s.metrics` by their string tag.
 */
export function stat(s: Summary, tag: MetricTag, name: StatName): number | undefined {
  const v = s.metrics[tag]?.[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
