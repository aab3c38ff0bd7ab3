/**
 * The metric catalogue: AIPerf's tags, display units and headers, verified against AIPerf's
 * source (aiperf/metrics/types/*.py; see docs/aiperf-schema.md). Values inside mmload are kept in
 * the display unit (ms, sec, tokens...), exactly as profile_export_aiperf.json stores them.
 */
export type MetricKind =
  /** One value per request; exported with the full statistics. */
  | 'record'
  /** One value per run (throughputs, counts, duration); exported as {unit, avg}. */
  | 'scalar';

export interface MetricDef {
  tag: string;
  header: string;
  shortHeader: string;
  unit: string;
  kind: MetricKind;
  largerIsBetter: boolean;
}

const def = (
  tag: string,
  header: string,
  shortHeader: string,
  unit: string,
  kind: MetricKind,
  largerIsBetter = false,
): MetricDef => ({ tag, header, shortHeader, unit, kind, largerIsBetter });

export const METRICS = {
  time_to_first_token: def('time_to_first_token', 'Time to First Token', 'TTFT', 'ms', 'record'),
  time_to_second_token: def('time_to_second_token', 'Time to Second Token', 'TTST', 'ms', 'record'),
  /** AIPerf 0.13: first non-reasoning content chunk - start. */
  time_to_first_output_token: def(
    'time_to_first_output_token',
    'Time to First Output Token',
    'TTFOT',
    'ms',
    'record',
  ),
  inter_token_latency: def('inter_token_latency', 'Inter Token Latency', 'ITL', 'ms', 'record'),
  inter_chunk_latency: def('inter_chunk_latency', 'Inter Chunk Latency', 'ICL', 'ms', 'record'),
  request_latency: def('request_latency', 'Request Latency', 'Req Latency', 'ms', 'record'),
  output_sequence_length: def(
    'output_sequence_length',
    'Output Sequence Length',
    'OSL',
    'tokens',
    'record',
    true,
  ),
  input_sequence_length: def(
    'input_sequence_length',
    'Input Sequence Length',
    'ISL',
    'tokens',
    'record',
    true,
  ),
  output_token_throughput_per_user: def(
    'output_token_throughput_per_user',
    'Output Token Throughput Per User',
    'Output TPS/User',
    'tokens/sec/user',
    'record',
    true,
  ),
  request_throughput: def(
    'request_throughput',
    'Request Throughput',
    'Req/sec',
    'requests/sec',
    'scalar',
    true,
  ),
  output_token_throughput: def(
    'output_token_throughput',
    'Output Token Throughput',
    'Output TPS',
    'tokens/sec',
    'scalar',
    true,
  ),
  benchmark_duration: def('benchmark_duration', 'Benchmark Duration', 'Duration', 'sec', 'scalar'),
  request_count: def('request_count', 'Request Count', 'Requests', 'requests', 'scalar', true),
  error_request_count: def('error_request_count', 'Error Request Count', 'Error Count', 'requests', 'scalar'),
  total_output_tokens: def(
    'total_output_tokens',
    'Total Output Tokens',
    'Total Output',
    'tokens',
    'scalar',
    true,
  ),
  total_osl: def('total_osl', 'Total Output Sequence Length', 'Total OSL', 'tokens', 'scalar', true),
  total_isl: def('total_isl', 'Total Input Sequence Length', 'Total ISL', 'tokens', 'scalar', true),
} as const satisfies Record<string, MetricDef>;

export type MetricTag = keyof typeof METRICS;

/**
 * mmload's own per-request metrics that AIPerf does not have. Their tags start with `mmload_` so
 * they can never clash with a present or future AIPerf tag.
 */
export const MMLOAD_METRICS = {
  mmload_upload_time: def('mmload_upload_time', 'Upload Time', 'Upload', 'ms', 'record'),
  mmload_time_to_headers: def(
    'mmload_time_to_headers',
    'Time to Response Headers',
    'Headers',
    'ms',
    'record',
  ),
  mmload_corrected_request_latency: def(
    'mmload_corrected_request_latency',
    'Request Latency from Intended Send (CO-corrected)',
    'Req Latency (CO)',
    'ms',
    'record',
  ),
  mmload_corrected_time_to_first_token: def(
    'mmload_corrected_time_to_first_token',
    'Time to First Token from Intended Send (CO-corrected)',
    'TTFT (CO)',
    'ms',
    'record',
  ),
  mmload_send_lag: def('mmload_send_lag', 'Send Lag behind Plan', 'Send Lag', 'ms', 'record'),
  mmload_client_queue: def(
    'mmload_client_queue',
    'Client Queue before the Write (not in latencies)',
    'Client Queue',
    'ms',
    'record',
  ),
} as const satisfies Record<string, MetricDef>;

export type MmloadMetricTag = keyof typeof MMLOAD_METRICS;

export function metricDef(tag: string): MetricDef | undefined {
  return (METRICS as Record<string, MetricDef>)[tag] ?? (MMLOAD_METRICS as Record<string, MetricDef>)[tag];
}
