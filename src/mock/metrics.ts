import { FAULT_KINDS, type MockStats } from './types.js';

/**
 * vLLM's TTFT histogram bounds in seconds (vllm/v1/metrics/loggers.py,
 * vllm:time_to_first_token_seconds), so that the mock's server-side TTFT reads as vLLM's does.
 */
export const VLLM_TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
  80.0, 160.0, 640.0, 2560.0,
];

export function newTtftHistogram(): MockStats['ttft'] {
  return { buckets: new Array(VLLM_TTFT_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
}

/** Adds one observation (seconds) to the cumulative buckets. */
export function observeTtft(h: MockStats['ttft'], seconds: number): void {
  for (let i = 0; i < VLLM_TTFT_BUCKETS.length; i++) if (seconds <= VLLM_TTFT_BUCKETS[i]!) h.buckets[i]!++;
  h.buckets[VLLM_TTFT_BUCKETS.length]!++;
  h.sum += seconds;
  h.count++;
}

function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A float as prometheus_client writes it (1.0, not 1). */
function f(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/**
 * Prometheus text exposition of the mock's counters: its own mmload_mock_* families, and the
 * families a vLLM server exports for the same quantities under vLLM's names and labels
 * (running/waiting gauges, prompt and generation token counters, the multimodal cache's queries
 * and hits, the TTFT histogram), so that server-metrics scraping is tested against known truth.
 */
export function prometheusText(s: MockStats, cacheSize: number, model = 'mmload-mock'): string {
  const lines: string[] = [];
  const counter = (name: string, help: string, value: number, labels = ''): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name}${labels} ${value}`);
  };
  counter('mmload_mock_requests_total', 'Chat completion requests received.', s.requests);
  counter('mmload_mock_completions_total', 'Chat completions finished.', s.completions);
  counter('mmload_mock_prompt_tokens_total', 'Prompt tokens counted.', s.promptTokens);
  counter('mmload_mock_generation_tokens_total', 'Output tokens sent.', s.outputTokens);
  counter('mmload_mock_image_cache_hits_total', 'Image embedding cache hits.', s.imageHits);
  counter('mmload_mock_image_cache_misses_total', 'Image embedding cache misses.', s.imageMisses);
  counter('mmload_mock_bad_requests_total', 'Requests answered 400.', s.badRequests);
  counter('mmload_mock_not_found_total', 'Requests answered 404.', s.notFound);
  lines.push(
    '# HELP mmload_mock_faults_injected_total Faults injected, by kind.',
    '# TYPE mmload_mock_faults_injected_total counter',
  );
  for (const k of FAULT_KINDS) lines.push(`mmload_mock_faults_injected_total{kind="${k}"} ${s.faults[k]}`);
  lines.push(
    '# HELP mmload_mock_requests_in_flight Requests being answered.',
    '# TYPE mmload_mock_requests_in_flight gauge',
    `mmload_mock_requests_in_flight ${s.inFlight}`,
  );
  lines.push(
    '# HELP mmload_mock_image_cache_entries Images in the embedding cache.',
    '# TYPE mmload_mock_image_cache_entries gauge',
    `mmload_mock_image_cache_entries ${cacheSize}`,
  );

  // vLLM's names, as prometheus_client writes them (labels model_name and engine).
  const l = `{engine="0",model_name="${labelValue(model)}"}`;
  const gauge = (name: string, help: string, value: number): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}${l} ${f(value)}`);
  };
  const vcounter = (name: string, help: string, value: number): void => {
    lines.push(
      `# HELP ${name}_total ${help}`,
      `# TYPE ${name}_total counter`,
      `${name}_total${l} ${f(value)}`,
    );
  };
  gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', s.inFlight);
  // The mock answers every request at once: nothing ever waits.
  gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', 0);
  vcounter('vllm:prompt_tokens', 'Number of prefill tokens processed.', s.promptTokens);
  vcounter('vllm:generation_tokens', 'Number of generation tokens processed.', s.outputTokens);
  vcounter(
    'vllm:mm_cache_queries',
    'Multi-modal cache queries, in terms of number of queried items.',
    s.imageHits + s.imageMisses,
  );
  vcounter('vllm:mm_cache_hits', 'Multi-modal cache hits, in terms of number of cached items.', s.imageHits);
  const h = 'vllm:time_to_first_token_seconds';
  lines.push(`# HELP ${h} Histogram of time to first token in seconds.`, `# TYPE ${h} histogram`);
  const lb = (le: string) => `{engine="0",le="${le}",model_name="${labelValue(model)}"}`;
  VLLM_TTFT_BUCKETS.forEach((b, i) => {
    lines.push(`${h}_bucket${lb(f(b))} ${f(s.ttft.buckets[i]!)}`);
  });
  lines.push(`${h}_bucket${lb('+Inf')} ${f(s.ttft.buckets[VLLM_TTFT_BUCKETS.length]!)}`);
  lines.push(`${h}_sum${l} ${f(s.ttft.sum)}`, `${h}_count${l} ${f(s.ttft.count)}`);
  return `${lines.join('\n')}\n`;
}
