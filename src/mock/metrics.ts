import { FAULT_KINDS, type MockStats } from './types.js';

/** Prometheus text exposition of the mock's counters. */
export function prometheusText(s: MockStats, cacheSize: number): string {
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
  return `${lines.join('\n')}\n`;
}
