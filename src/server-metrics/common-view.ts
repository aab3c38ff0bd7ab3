import type { ExportMetric, ServerMetricsExport } from './export.js';
import { histogramQuantile, mergeBuckets, sortedBuckets } from './window-stats.js';

/**
 * One view across servers: the same few quantities whatever the server calls them. Each entry
 * lists the families that carry it, in the names vLLM, SGLang, NVIDIA Dynamo and llama.cpp really
 * export (read from their sources: docs/server-metrics.md has the table with the version each was
 * read from). Counter families are named without `_total`, as in the export. The view is computed
 * from an export's `metrics` (mmload's or AIPerf's server_metrics_export.json alike); families
 * outside the map stay in the export and are shown raw.
 */

export type Server = 'vLLM' | 'SGLang' | 'Dynamo' | 'llama.cpp';

export type ViewKey =
  | 'requests_running'
  | 'requests_waiting'
  | 'kv_cache_usage'
  | 'prefix_cache_hit_rate'
  | 'mm_cache_hit_rate'
  | 'server_ttft'
  | 'server_itl'
  | 'queue_time'
  | 'prompt_tokens'
  | 'generation_tokens';

/** How a source becomes the view's value. */
export type SourceKind =
  /** A gauge: avg, p50, p99 and max over the window; series are added (engines, workers). */
  | { kind: 'gauge'; family: string; combine: 'sum' | 'mean' }
  /** hits / queries of two counters' deltas over the window. */
  | { kind: 'ratio'; hits: string; queries: string }
  /** A histogram in seconds: percentiles of the window's bucket deltas, all series merged. */
  | { kind: 'histogram'; family: string }
  /** A counter: its delta and rate over the window (all series added). */
  | { kind: 'counter'; family: string }
  /** A histogram of counts whose sum delta is the total (Dynamo's per-request token histograms). */
  | { kind: 'histogram-sum'; family: string };

export interface ViewSource {
  server: Server;
  source: SourceKind;
}

export interface ViewDef {
  key: ViewKey;
  label: string;
  unit: 'requests' | 'ratio' | 'ms' | 'tokens';
  sources: ViewSource[];
}

export const COMMON_VIEW: readonly ViewDef[] = [
  {
    key: 'requests_running',
    label: 'Requests running',
    unit: 'requests',
    sources: [
      { server: 'vLLM', source: { kind: 'gauge', family: 'vllm:num_requests_running', combine: 'sum' } },
      { server: 'SGLang', source: { kind: 'gauge', family: 'sglang:num_running_reqs', combine: 'sum' } },
      {
        server: 'Dynamo',
        source: { kind: 'gauge', family: 'dynamo_frontend_inflight_requests', combine: 'sum' },
      },
      {
        server: 'llama.cpp',
        source: { kind: 'gauge', family: 'llamacpp:requests_processing', combine: 'sum' },
      },
    ],
  },
  {
    key: 'requests_waiting',
    label: 'Requests waiting',
    unit: 'requests',
    sources: [
      { server: 'vLLM', source: { kind: 'gauge', family: 'vllm:num_requests_waiting', combine: 'sum' } },
      { server: 'SGLang', source: { kind: 'gauge', family: 'sglang:num_queue_reqs', combine: 'sum' } },
      {
        server: 'Dynamo',
        source: { kind: 'gauge', family: 'dynamo_frontend_queued_requests', combine: 'sum' },
      },
      {
        server: 'llama.cpp',
        source: { kind: 'gauge', family: 'llamacpp:requests_deferred', combine: 'sum' },
      },
    ],
  },
  {
    key: 'kv_cache_usage',
    label: 'KV-cache usage',
    unit: 'ratio',
    sources: [
      { server: 'vLLM', source: { kind: 'gauge', family: 'vllm:kv_cache_usage_perc', combine: 'mean' } },
      // vLLM before 0.10 (deprecated in 0.9).
      { server: 'vLLM', source: { kind: 'gauge', family: 'vllm:gpu_cache_usage_perc', combine: 'mean' } },
      { server: 'SGLang', source: { kind: 'gauge', family: 'sglang:token_usage', combine: 'mean' } },
      {
        server: 'Dynamo',
        source: {
          kind: 'gauge',
          family: 'dynamo_component_kvstats_gpu_cache_usage_percent',
          combine: 'mean',
        },
      },
      // llama.cpp builds that still export it (later builds dropped it).
      {
        server: 'llama.cpp',
        source: { kind: 'gauge', family: 'llamacpp:kv_cache_usage_ratio', combine: 'mean' },
      },
    ],
  },
  {
    key: 'prefix_cache_hit_rate',
    label: 'Prefix-cache hit rate',
    unit: 'ratio',
    sources: [
      {
        server: 'vLLM',
        source: { kind: 'ratio', hits: 'vllm:prefix_cache_hits', queries: 'vllm:prefix_cache_queries' },
      },
      {
        server: 'vLLM',
        source: {
          kind: 'ratio',
          hits: 'vllm:gpu_prefix_cache_hits',
          queries: 'vllm:gpu_prefix_cache_queries',
        },
      },
      {
        server: 'SGLang',
        source: { kind: 'ratio', hits: 'sglang:cached_tokens', queries: 'sglang:prompt_tokens' },
      },
      { server: 'SGLang', source: { kind: 'gauge', family: 'sglang:cache_hit_rate', combine: 'mean' } },
    ],
  },
  {
    key: 'mm_cache_hit_rate',
    label: 'Multimodal-cache hit rate',
    unit: 'ratio',
    sources: [
      {
        server: 'vLLM',
        source: { kind: 'ratio', hits: 'vllm:mm_cache_hits', queries: 'vllm:mm_cache_queries' },
      },
    ],
  },
  {
    key: 'server_ttft',
    label: 'Server TTFT',
    unit: 'ms',
    sources: [
      { server: 'vLLM', source: { kind: 'histogram', family: 'vllm:time_to_first_token_seconds' } },
      { server: 'SGLang', source: { kind: 'histogram', family: 'sglang:time_to_first_token_seconds' } },
      {
        server: 'Dynamo',
        source: { kind: 'histogram', family: 'dynamo_frontend_time_to_first_token_seconds' },
      },
    ],
  },
  {
    key: 'server_itl',
    label: 'Server ITL',
    unit: 'ms',
    sources: [
      { server: 'vLLM', source: { kind: 'histogram', family: 'vllm:inter_token_latency_seconds' } },
      // vLLM before inter_token_latency_seconds (the same quantity under its old name).
      { server: 'vLLM', source: { kind: 'histogram', family: 'vllm:time_per_output_token_seconds' } },
      { server: 'SGLang', source: { kind: 'histogram', family: 'sglang:inter_token_latency_seconds' } },
      {
        server: 'Dynamo',
        source: { kind: 'histogram', family: 'dynamo_frontend_inter_token_latency_seconds' },
      },
    ],
  },
  {
    key: 'queue_time',
    label: 'Queue time',
    unit: 'ms',
    sources: [
      { server: 'vLLM', source: { kind: 'histogram', family: 'vllm:request_queue_time_seconds' } },
      { server: 'SGLang', source: { kind: 'histogram', family: 'sglang:queue_time_seconds' } },
    ],
  },
  {
    key: 'prompt_tokens',
    label: 'Prompt tokens',
    unit: 'tokens',
    sources: [
      { server: 'vLLM', source: { kind: 'counter', family: 'vllm:prompt_tokens' } },
      { server: 'SGLang', source: { kind: 'counter', family: 'sglang:prompt_tokens' } },
      {
        server: 'Dynamo',
        source: { kind: 'histogram-sum', family: 'dynamo_frontend_input_sequence_tokens' },
      },
      { server: 'llama.cpp', source: { kind: 'counter', family: 'llamacpp:prompt_tokens' } },
    ],
  },
  {
    key: 'generation_tokens',
    label: 'Generation tokens',
    unit: 'tokens',
    sources: [
      { server: 'vLLM', source: { kind: 'counter', family: 'vllm:generation_tokens' } },
      { server: 'SGLang', source: { kind: 'counter', family: 'sglang:generation_tokens' } },
      { server: 'Dynamo', source: { kind: 'counter', family: 'dynamo_frontend_output_tokens' } },
      { server: 'llama.cpp', source: { kind: 'counter', family: 'llamacpp:tokens_predicted' } },
    ],
  },
];

export interface ViewValue {
  key: ViewKey;
  label: string;
  unit: ViewDef['unit'];
  server: Server;
  /** The families it was read from. */
  from: string[];
  /** Gauges: avg/p50/p99/max; ratios: value (and hits, queries); histograms: p50/p90/p99/avg (ms) and count; counters: total and rate (per s). */
  avg?: number;
  p50?: number;
  p90?: number;
  p99?: number;
  max?: number;
  value?: number;
  hits?: number;
  queries?: number;
  count?: number;
  total?: number;
  rate?: number;
}

export interface CommonView {
  values: ViewValue[];
  /** Which server's names the export used, by the first family found. */
  servers: Server[];
  /** Families of the export outside the map (shown raw). */
  unmapped: string[];
}

/** A family by the name in the map, whether the export names counters with `_total` or without. */
function family(metrics: Record<string, ExportMetric>, name: string): ExportMetric | undefined {
  return metrics[name] ?? metrics[`${name}_total`];
}

function stat(m: ExportMetric, key: string): number[] {
  return m.series
    .map((s) => (s.stats as Record<string, unknown> | undefined)?.[key])
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function evaluate(
  metrics: Record<string, ExportMetric>,
  def: ViewDef,
  src: ViewSource,
): ViewValue | undefined {
  const base = { key: def.key, label: def.label, unit: def.unit, server: src.server };
  const s = src.source;
  switch (s.kind) {
    case 'gauge': {
      const m = family(metrics, s.family);
      if (!m || m.series.length === 0) return undefined;
      const agg = (k: string) => {
        const xs = stat(m, k);
        if (xs.length === 0) return undefined;
        return s.combine === 'sum' ? sum(xs) : k === 'max' ? Math.max(...xs) : sum(xs) / xs.length;
      };
      return {
        ...base,
        from: [s.family],
        avg: agg('avg'),
        p50: agg('p50'),
        p99: agg('p99'),
        max: agg('max'),
      };
    }
    case 'ratio': {
      const h = family(metrics, s.hits);
      const q = family(metrics, s.queries);
      if (!h || !q) return undefined;
      const hits = sum(stat(h, 'total'));
      const queries = sum(stat(q, 'total'));
      return {
        ...base,
        from: [s.hits, s.queries],
        hits,
        queries,
        value: queries > 0 ? hits / queries : undefined,
      };
    }
    case 'counter': {
      const m = family(metrics, s.family);
      if (!m) return undefined;
      return { ...base, from: [s.family], total: sum(stat(m, 'total')), rate: sum(stat(m, 'rate')) };
    }
    case 'histogram-sum': {
      const m = family(metrics, s.family);
      if (!m) return undefined;
      return { ...base, from: [s.family], total: sum(stat(m, 'sum')), rate: sum(stat(m, 'sum_rate')) };
    }
    case 'histogram': {
      const m = family(metrics, s.family);
      if (!m) return undefined;
      const count = sum(stat(m, 'count'));
      const total = sum(stat(m, 'sum'));
      const merged = sortedBuckets(mergeBuckets(m.series.map((x) => x.buckets ?? {})));
      const ms = (q: number) => {
        const v = histogramQuantile(q, merged);
        return v === undefined ? undefined : v * 1000;
      };
      return {
        ...base,
        from: [s.family],
        count,
        avg: count > 0 ? (total / count) * 1000 : undefined,
        p50: ms(0.5),
        p90: ms(0.9),
        p99: ms(0.99),
      };
    }
  }
}

/** All names the map knows, counters both with and without `_total`. */
const MAPPED = new Set(
  COMMON_VIEW.flatMap((d) =>
    d.sources.flatMap(({ source: s }) => (s.kind === 'ratio' ? [s.hits, s.queries] : [s.family])),
  ).flatMap((n) => [n, `${n}_total`]),
);

export function commonView(e: Pick<ServerMetricsExport, 'metrics'>): CommonView {
  const values: ViewValue[] = [];
  const servers = new Set<Server>();
  for (const def of COMMON_VIEW) {
    for (const src of def.sources) {
      const v = evaluate(e.metrics, def, src);
      if (v) {
        values.push(v);
        servers.add(v.server);
        break;
      }
    }
  }
  const unmapped = Object.keys(e.metrics).filter((n) => !MAPPED.has(n));
  return { values, servers: [...servers], unmapped };
}

export function viewValue(v: CommonView, key: ViewKey): ViewValue | undefined {
  return v.values.find((x) => x.key === key);
}
