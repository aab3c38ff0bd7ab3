// The Prometheus text parser (src/server-metrics/parse.ts) on a vLLM-like /metrics page of a few
// hundred KB (8 engines, vLLM 0.11's families and buckets, prometheus_client's _created lines and
// process metrics), against the npm package parse-prometheus-text-format when it is installed
// somewhere (it is not a dependency): PROM_PARSER_DIR=/path/to/node_modules/parse-prometheus-text-format.
// Prints ms per page (median of rounds) and pages/s. `node --import tsx bench/server-metrics-parse.ts`
import { createRequire } from 'node:module';
import { parsePrometheusText } from '../src/server-metrics/parse.js';
import { saveResult } from './util.js';

const ENGINES = Number(process.env.ENGINES ?? 8);
const MODEL = 'Qwen/Qwen3.6-35B-A3B-FP8';

function buckets125(max: number): number[] {
  const out: number[] = [];
  for (let e = 0; ; e++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v > max) return out;
      out.push(v);
    }
}

/** A page shaped like vLLM's: every family per engine, histograms with their buckets, counters with _created. */
export function vllmLikePage(engines = ENGINES): string {
  const lines: string[] = [];
  const created = 1.7643e9;
  const lab = (e: number, extra = '') => `{engine="${e}",model_name="${MODEL}"${extra}}`;
  for (const [name, help] of [
    ['python_gc_objects_collected_total', 'Objects collected during gc'],
    ['process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.'],
  ]) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (let g = 0; g < 3; g++) lines.push(`${name}{generation="${g}"} ${1234.0 + g}`);
  }
  const gauge = (name: string, help: string) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (let e = 0; e < engines; e++) lines.push(`${name}${lab(e)} ${(e * 0.37) % 1}`);
  };
  const counter = (name: string, help: string, extra: string[] = ['']) => {
    lines.push(`# HELP ${name}_total ${help}`, `# TYPE ${name}_total counter`);
    for (let e = 0; e < engines; e++)
      for (const x of extra) lines.push(`${name}_total${lab(e, x)} ${123456.0 + e}`);
    lines.push(`# HELP ${name}_created ${help}`, `# TYPE ${name}_created gauge`);
    for (let e = 0; e < engines; e++)
      for (const x of extra) lines.push(`${name}_created${lab(e, x)} ${created}`);
  };
  const hist = (name: string, help: string, bounds: number[]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    for (let e = 0; e < engines; e++) {
      let n = 0;
      for (const b of bounds) {
        n += 7;
        lines.push(
          `${name}_bucket{engine="${e}",le="${b.toFixed(b < 1 ? 3 : 1)}",model_name="${MODEL}"} ${n}.0`,
        );
      }
      lines.push(`${name}_bucket{engine="${e}",le="+Inf",model_name="${MODEL}"} ${n}.0`);
      lines.push(`${name}_count${lab(e)} ${n}.0`, `${name}_sum${lab(e)} ${n * 0.123}`);
    }
    lines.push(`# HELP ${name}_created ${help}`, `# TYPE ${name}_created gauge`);
    for (let e = 0; e < engines; e++) lines.push(`${name}_created${lab(e)} ${created}`);
  };
  gauge('vllm:num_requests_running', 'Number of requests in model execution batches.');
  gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.');
  gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.');
  counter('vllm:prefix_cache_queries', 'Prefix cache queries, in terms of number of queried tokens.');
  counter('vllm:prefix_cache_hits', 'Prefix cache hits, in terms of number of cached tokens.');
  counter('vllm:mm_cache_queries', 'Multi-modal cache queries, in terms of number of queried items.');
  counter('vllm:mm_cache_hits', 'Multi-modal cache hits, in terms of number of cached items.');
  counter('vllm:num_preemptions', 'Cumulative number of preemption from the engine.');
  counter('vllm:prompt_tokens', 'Number of prefill tokens processed.');
  counter('vllm:generation_tokens', 'Number of generation tokens processed.');
  counter('vllm:request_success', 'Count of successfully processed requests.', [
    ',finished_reason="stop"',
    ',finished_reason="length"',
    ',finished_reason="abort"',
  ]);
  const tokens = buckets125(262144);
  hist('vllm:request_prompt_tokens', 'Number of prefill tokens processed.', tokens);
  hist('vllm:request_generation_tokens', 'Number of generation tokens processed.', tokens);
  hist(
    'vllm:iteration_tokens_total',
    'Histogram of number of tokens per engine_step.',
    [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384],
  );
  hist(
    'vllm:request_max_num_generation_tokens',
    'Histogram of maximum number of requested generation tokens.',
    tokens,
  );
  hist('vllm:request_params_n', 'Histogram of the n request parameter.', [1, 2, 5, 10, 20]);
  hist('vllm:request_params_max_tokens', 'Histogram of the max_tokens request parameter.', tokens);
  const ttft = [
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
    80.0, 160.0, 640.0, 2560.0,
  ];
  const itl = [
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
  ];
  const lat = [
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0,
    960.0, 1920.0, 7680.0,
  ];
  hist('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', ttft);
  hist('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', itl);
  hist(
    'vllm:request_time_per_output_token_seconds',
    'Histogram of time_per_output_token_seconds per request.',
    itl,
  );
  for (const n of [
    'e2e_request_latency',
    'request_queue_time',
    'request_inference_time',
    'request_prefill_time',
    'request_decode_time',
  ])
    hist(`vllm:${n}_seconds`, `Histogram of ${n} in seconds.`, lat);
  lines.push(
    '# HELP http_request_duration_seconds Latency with only few buckets by handler.',
    '# TYPE http_request_duration_seconds histogram',
  );
  for (const h of ['/v1/chat/completions', '/v1/models', '/metrics', '/health'])
    for (const m of ['GET', 'POST']) {
      for (const b of [0.1, 0.5, 1.0])
        lines.push(`http_request_duration_seconds_bucket{handler="${h}",le="${b}",method="${m}"} 12.0`);
      lines.push(`http_request_duration_seconds_bucket{handler="${h}",le="+Inf",method="${m}"} 12.0`);
      lines.push(`http_request_duration_seconds_count{handler="${h}",method="${m}"} 12.0`);
      lines.push(`http_request_duration_seconds_sum{handler="${h}",method="${m}"} 1.5`);
    }
  lines.push(
    '# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig',
    '# TYPE vllm:cache_config_info gauge',
  );
  for (let e = 0; e < engines; e++)
    lines.push(
      `vllm:cache_config_info{block_size="16",cache_dtype="auto",enable_prefix_caching="True",engine="${e}",gpu_memory_utilization="0.9",num_gpu_blocks="271591"} 1.0`,
    );
  return `${lines.join('\n')}\n`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeIt(fn: () => unknown, rounds = 15, perRound = 20): number {
  for (let i = 0; i < 20; i++) fn();
  const ms: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < perRound; i++) fn();
    ms.push((performance.now() - t0) / perRound);
  }
  return median(ms);
}

const page = vllmLikePage();
const ours = parsePrometheusText(page);
const rows: Array<Record<string, string | number>> = [];
const mine = timeIt(() => parsePrometheusText(page));
rows.push({
  parser: 'mmload parse.ts',
  'ms/page': mine.toFixed(3),
  'pages/s': Math.round(1000 / mine),
  families: ours.families.length,
});
const dir = process.env.PROM_PARSER_DIR;
let npmMs: number | undefined;
if (dir) {
  const require = createRequire(import.meta.url);
  const parse = require(dir) as (s: string) => Array<{ name: string }>;
  const fams = parse(page);
  npmMs = timeIt(() => parse(page));
  rows.push({
    parser: 'parse-prometheus-text-format 1.1.1',
    'ms/page': npmMs.toFixed(3),
    'pages/s': Math.round(1000 / npmMs),
    families: fams.length,
  });
}
console.log(
  `page: ${(page.length / 1024).toFixed(0)} KB, ${page.split('\n').length} lines, ${ENGINES} engines`,
);
console.table(rows);
saveResult('server-metrics-parse', { pageKB: page.length / 1024, engines: ENGINES, mineMs: mine, npmMs });
