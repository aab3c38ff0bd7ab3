import type { RequestMetrics } from './per-request.js';

/**
 * THE metric catalogue: every metric mmload measures, declared once. AIPerf's tags, display units
 * and headers are kept exactly (verified against AIPerf's source, aiperf/metrics/types/*.py; see
 * docs/aiperf-schema.md); mmload's own tags start with `mmload_` so they never clash with a present
 * or future AIPerf tag. The collector, the exporters (JSON, CSV, records.jsonl), the HDR log, the
 * console table, compare, crosscheck and the report all read this table; adding a metric is its
 * formula (per-request.ts or RunTotals) plus one entry here.
 *
 * Values inside mmload are in the display unit (ms, sec, tokens...), exactly as
 * profile_export_aiperf.json stores them. The order of the entries is the order of the metric keys
 * in profile_export_mmload.json (per-request metrics first, then run-level ones).
 */

/** 'record': one value (or a list) per request, exported with full statistics; 'scalar': one per run. */
export type MetricKind = 'record' | 'scalar';

/** HDR histogram unit: times are recorded in integer microseconds, token counts as integers. */
export type HdrUnit = 'us' | 'count';

/**
 * The requests a per-request metric is taken over: AIPerf keeps failed requests out of every
 * latency ('ok'); its error_* metrics are over failed ones only ('failed'); 'all' is for what the
 * client did regardless of the server's answer.
 */
export type MetricScope = 'ok' | 'failed' | 'all';

interface CommonDef {
  header: string;
  /** AIPerf's short_header; null where AIPerf has none (good_request_count). */
  shortHeader: string | null;
  unit: string;
  /** AIPerf's LARGER_IS_BETTER flag: the direction compare and report call better. */
  largerIsBetter?: boolean;
}

export interface RecordMetricDef extends CommonDef {
  kind: 'record';
  /** The per-request value in the display unit, from the request's metrics (per-request.ts). */
  value?: (m: RequestMetrics) => number | undefined;
  /** Instead of value: a list per request (inter_chunk_latency), every element a sample. */
  values?: (m: RequestMetrics) => readonly number[];
  /** Default 'ok'. */
  scope?: MetricScope;
  /** Kept in an HDR histogram (histograms.hlog, mergeable across shards), in this unit. */
  hdr?: HdrUnit;
  /** Row of the end-of-run console table (ascending); absent: not shown there. */
  tableRow?: number;
  /** Position among records.jsonl's per-request metrics (ascending); absent: not written there. */
  recordsOrder?: number;
  /** false: written per request only; its statistics are not part of the summary. */
  inSummary?: boolean;
}

/** What the collector knows of the whole run, for the run-level metrics. */
export interface RunTotals {
  valid: number;
  errors: number;
  /** benchmark_duration in seconds, when there is one. */
  durationSec?: number;
  /** Whether any request had an output token count (usage or chunks). */
  hasTokenCounts: boolean;
  totalOutputTokens: number;
  totalReasoningTokens: number;
  anyReasoning: boolean;
  /** Requests with an input token count. */
  inputCounted: number;
  totalInputTokens: number;
  /** Valid requests that met every --goodput objective; undefined when the run had none. */
  good?: number;
}

export interface ScalarMetricDef extends CommonDef {
  kind: 'scalar';
  /** The run's value, or undefined when the run does not have it (the metric is then left out). */
  total: (t: RunTotals) => number | undefined;
}

export type MetricDef = RecordMetricDef | ScalarMetricDef;

const perSec = (n: number, t: RunTotals) =>
  t.durationSec === undefined ? undefined : n / (t.durationSec as number);

export const CATALOGUE = {
  time_to_first_token: {
    header: 'Time to First Token',
    shortHeader: 'TTFT',
    unit: 'ms',
    kind: 'record',
    value: (m) => m.ttftMs,
    hdr: 'us',
    tableRow: 1,
    recordsOrder: 1,
  },
  time_to_second_token: {
    header: 'Time to Second Token',
    shortHeader: 'TTST',
    unit: 'ms',
    kind: 'record',
    value: (m) => m.ttstMs,
    hdr: 'us',
    tableRow: 2,
    recordsOrder: 2,
  },
  /** AIPerf 0.13: first non-reasoning content chunk - start. */
  time_to_first_output_token: {
    header: 'Time to First Output Token',
    shortHeader: 'TTFO',
    unit: 'ms',
    kind: 'record',
    value: (m) => m.ttfotMs,
    recordsOrder: 9,
  },
  inter_token_latency: {
    header: 'Inter Token Latency',
    shortHeader: 'ITL',
    unit: 'ms',
    kind: 'record',
    value: (m) => m.itlMs,
    hdr: 'us',
    tableRow: 3,
    recordsOrder: 7,
  },
  inter_chunk_latency: {
    header: 'Inter Chunk Latency',
    shortHeader: 'ICL',
    unit: 'ms',
    kind: 'record',
    values: (m) => m.interChunkMs,
    hdr: 'us',
    tableRow: 4,
    recordsOrder: 4,
  },
  request_latency: {
    header: 'Request Latency',
    shortHeader: 'Req Latency',
    unit: 'ms',
    kind: 'record',
    value: (m) => m.requestLatencyMs,
    hdr: 'us',
    tableRow: 5,
    recordsOrder: 3,
  },
  output_sequence_length: {
    header: 'Output Sequence Length',
    shortHeader: 'OSL',
    unit: 'tokens',
    kind: 'record',
    largerIsBetter: true,
    value: (m) => m.outputTokens,
    hdr: 'count',
    tableRow: 6,
    recordsOrder: 5,
  },
  input_sequence_length: {
    header: 'Input Sequence Length',
    shortHeader: 'ISL',
    unit: 'tokens',
    kind: 'record',
    largerIsBetter: true,
    value: (m) => m.inputTokens,
    tableRow: 7,
    recordsOrder: 6,
  },
  output_token_throughput_per_user: {
    header: 'Output Token Throughput Per User',
    shortHeader: 'Output TPS/User',
    unit: 'tokens/sec/user',
    kind: 'record',
    largerIsBetter: true,
    value: (m) => m.tokensPerSecPerUser,
    tableRow: 8,
    recordsOrder: 8,
  },
  /** The server's own counts (usage), in their own fields as in AIPerf: ISL/OSL may come from elsewhere. */
  usage_prompt_tokens: {
    header: 'Usage Prompt Tokens',
    shortHeader: 'Usage Prompt',
    unit: 'tokens',
    kind: 'record',
    largerIsBetter: true,
    value: (m) => m.usagePromptTokens,
    recordsOrder: 12,
  },
  usage_completion_tokens: {
    header: 'Usage Completion Tokens',
    shortHeader: 'Usage Completion',
    unit: 'tokens',
    kind: 'record',
    largerIsBetter: true,
    value: (m) => m.usageCompletionTokens,
    recordsOrder: 13,
  },
  /**
   * AIPerf's ISL of failed requests. Written per request; its statistics are not in mmload's
   * summary (they never were, and the exports stay as they are).
   */
  error_isl: {
    header: 'Error Input Sequence Length',
    shortHeader: 'Error ISL',
    unit: 'tokens',
    kind: 'record',
    largerIsBetter: true,
    value: (m) => m.inputTokens,
    scope: 'failed',
    recordsOrder: 11,
    inSummary: false,
  },
  mmload_upload_time: {
    header: 'Upload Time',
    shortHeader: 'Upload',
    unit: 'ms',
    kind: 'record',
    value: (m) => m.uploadMs,
    hdr: 'us',
    tableRow: 9,
    recordsOrder: 10,
  },
  mmload_time_to_headers: {
    header: 'Time to Response Headers',
    shortHeader: 'Headers',
    unit: 'ms',
    kind: 'record',
    value: (m) => m.headersMs,
  },
  mmload_corrected_request_latency: {
    header: 'Request Latency from Intended Send (CO-corrected)',
    shortHeader: 'Req Latency (CO)',
    unit: 'ms',
    kind: 'record',
    value: (m) => m.correctedLatencyMs,
    hdr: 'us',
    tableRow: 11,
  },
  mmload_corrected_time_to_first_token: {
    header: 'Time to First Token from Intended Send (CO-corrected)',
    shortHeader: 'TTFT (CO)',
    unit: 'ms',
    kind: 'record',
    value: (m) => m.correctedTtftMs,
    hdr: 'us',
    tableRow: 10,
  },
  /**
   * Rate mode: dispatch - planned send time. Over failed requests too: it is the sender's delay,
   * whatever the server answered; ClientHealth.sendLagMs and lateSends are its statistics.
   */
  mmload_send_lag: {
    header: 'Send Lag behind Plan',
    shortHeader: 'Send Lag',
    unit: 'ms',
    kind: 'record',
    value: (m) => m.sendLagMs,
    scope: 'all',
  },
  mmload_client_queue: {
    header: 'Client Queue before the Write (not in latencies)',
    shortHeader: 'Client Queue',
    unit: 'ms',
    kind: 'record',
    value: (m) => m.clientQueueMs,
  },
  benchmark_duration: {
    header: 'Benchmark Duration',
    shortHeader: 'Duration',
    unit: 'sec',
    kind: 'scalar',
    total: (t) => t.durationSec,
  },
  request_throughput: {
    header: 'Request Throughput',
    shortHeader: 'Req/sec',
    unit: 'requests/sec',
    kind: 'scalar',
    largerIsBetter: true,
    total: (t) => perSec(t.valid, t),
  },
  output_token_throughput: {
    header: 'Output Token Throughput',
    shortHeader: 'Output TPS',
    unit: 'tokens/sec',
    kind: 'scalar',
    largerIsBetter: true,
    total: (t) => (t.hasTokenCounts ? perSec(t.totalOutputTokens, t) : undefined),
  },
  request_count: {
    header: 'Request Count',
    shortHeader: 'Requests',
    unit: 'requests',
    kind: 'scalar',
    largerIsBetter: true,
    total: (t) => t.valid,
  },
  error_request_count: {
    header: 'Error Request Count',
    shortHeader: 'Error Count',
    unit: 'requests',
    kind: 'scalar',
    total: (t) => (t.errors > 0 ? t.errors : undefined),
  },
  /**
   * Goodput (AIPerf's --goodput; absent without objectives, so runs without them export what they
   * always did). AIPerf flags good_request_count and goodput GOODPUT only, without
   * LARGER_IS_BETTER, and so does the catalogue (test/metrics-catalogue.test.ts holds it to
   * AIPerf's registry); the report states goodput's direction itself.
   */
  good_request_count: {
    header: 'Good Request Count',
    shortHeader: null,
    unit: 'requests',
    kind: 'scalar',
    total: (t) => t.good,
  },
  /** Good requests per second of the benchmark duration (the same duration as request_throughput). */
  goodput: {
    header: 'Goodput',
    shortHeader: 'Goodput',
    unit: 'requests/sec',
    kind: 'scalar',
    total: (t) => (t.good === undefined ? undefined : perSec(t.good, t)),
  },
  /** good / (valid + failed): failed requests count against it (AIPerf 0.13), 0 without any request. */
  good_request_fraction: {
    header: 'GoodRequestFraction',
    shortHeader: 'GoodReqFrac',
    unit: 'ratio',
    kind: 'scalar',
    largerIsBetter: true,
    total: (t) => {
      if (t.good === undefined) return undefined;
      const attempted = t.valid + t.errors;
      return attempted === 0 ? 0 : t.good / attempted;
    },
  },
  /** AIPerf: OSL = output + reasoning tokens, so total_osl holds both. */
  total_osl: {
    header: 'Total Output Sequence Length',
    shortHeader: 'Total OSL',
    unit: 'tokens',
    kind: 'scalar',
    largerIsBetter: true,
    total: (t) => (t.hasTokenCounts ? t.totalOutputTokens : undefined),
  },
  /** Output tokens without the reasoning ones. */
  total_output_tokens: {
    header: 'Total Output Tokens',
    shortHeader: 'Total Output',
    unit: 'tokens',
    kind: 'scalar',
    largerIsBetter: true,
    total: (t) => (t.hasTokenCounts ? t.totalOutputTokens - t.totalReasoningTokens : undefined),
  },
  total_reasoning_tokens: {
    header: 'Total Reasoning Tokens',
    shortHeader: 'Total Reasoning',
    unit: 'tokens',
    kind: 'scalar',
    largerIsBetter: true,
    total: (t) => (t.hasTokenCounts && t.anyReasoning ? t.totalReasoningTokens : undefined),
  },
  total_isl: {
    header: 'Total Input Sequence Length',
    shortHeader: 'Total ISL',
    unit: 'tokens',
    kind: 'scalar',
    largerIsBetter: true,
    total: (t) => (t.inputCounted > 0 ? t.totalInputTokens : undefined),
  },
} as const satisfies Record<string, MetricDef>;

/** A metric mmload measures. Tags read from AIPerf's files may be others; those stay strings. */
export type MetricTag = keyof typeof CATALOGUE;

export type CatalogueEntry = MetricDef & { tag: MetricTag };

/** Every entry with its tag, in catalogue order. */
export const METRIC_LIST: readonly CatalogueEntry[] = Object.entries(
  CATALOGUE as Record<string, MetricDef>,
).map(([tag, d]) => ({ ...d, tag }) as CatalogueEntry);
const BY_TAG = new Map<string, CatalogueEntry>(METRIC_LIST.map((d) => [d.tag, d]));

export type RecordEntry = RecordMetricDef & { tag: MetricTag };
export type ScalarEntry = ScalarMetricDef & { tag: MetricTag };

export const RECORD_METRICS: readonly RecordEntry[] = METRIC_LIST.filter(
  (d): d is RecordEntry => d.kind === 'record',
);
export const SCALAR_METRICS: readonly ScalarEntry[] = METRIC_LIST.filter(
  (d): d is ScalarEntry => d.kind === 'scalar',
);

/** The metric's definition, or undefined for a tag mmload does not measure (e.g. from AIPerf's files). */
export function metricDef(tag: string): CatalogueEntry | undefined {
  return BY_TAG.get(tag);
}

export function isMetricTag(tag: string): tag is MetricTag {
  return BY_TAG.has(tag);
}

const sorted = <K extends 'tableRow' | 'recordsOrder'>(key: K) =>
  RECORD_METRICS.filter((d) => d[key] !== undefined).sort((a, b) => (a[key] as number) - (b[key] as number));

/** The console table's rows, in order. */
export const TABLE_ROWS: readonly RecordEntry[] = sorted('tableRow');
/** What records.jsonl writes per request, in order. */
export const RECORDS_METRICS: readonly RecordEntry[] = sorted('recordsOrder');
/** The metrics kept in HDR histograms, in catalogue order. */
export const HDR_METRICS: readonly RecordEntry[] = RECORD_METRICS.filter((d) => d.hdr !== undefined);
