import { clientWarnings } from './client-health.js';
import { HistogramSet } from './histograms.js';
import { METRICS, MMLOAD_METRICS } from './metric-defs.js';
import { type RequestMetrics, requestMetrics } from './per-request.js';
import type { RequestRecord } from './record.js';
import { computeStats, type Stats } from './statistics.js';
import type { ClientHealth, ErrorDetailsCount, MetricSummary, Summary, TimelineSecond } from './summary.js';

/** What the collector cannot know from records alone; the driver fills it in. */
export interface RunMeta {
  label: string;
  toolVersion?: string;
  startTime?: string;
  endTime?: string;
  wasCancelled?: boolean;
  config?: Record<string, unknown>;
  dataset?: Summary['dataset'];
  client?: ClientHealth;
}

/** A growable Float64Array: a few floats per request, no per-value object. */
class Values {
  private data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

const NS_PER_SEC = 1e9;

/**
 * Turns RequestRecords into exact statistics (every value kept, for computeStats) and HDR
 * histograms (for mergeable logs and plots). Warm-up records are ignored; failed requests are
 * counted by kind and kept out of latency statistics, as AIPerf does.
 */
export class MetricsCollector {
  private readonly values = new Map<string, Values>();
  private readonly hist = new HistogramSet();
  private readonly errorsByKind: Record<string, number> = {};
  private readonly errorDetails = new Map<string, ErrorDetailsCount>();
  private valid = 0;
  private errors = 0;
  private warmup = 0;
  private firstStartNs = Number.POSITIVE_INFINITY;
  private lastEndNs = Number.NEGATIVE_INFINITY;
  private totalOutputTokens = 0;
  private totalInputTokens = 0;
  private totalReasoningTokens = 0;
  private anyReasoning = false;
  private readonly tokenSources = new Set<'usage' | 'chunks'>();
  /** Completion events, kept to build the per-second timeline once the first start is final. */
  private readonly completions: { endNs: number; tokens: number; error: boolean }[] = [];

  private push(tag: string, v: number | undefined, hdr = true): void {
    if (v === undefined || !Number.isFinite(v)) return;
    let vals = this.values.get(tag);
    if (!vals) {
      vals = new Values();
      this.values.set(tag, vals);
    }
    vals.push(v);
    if (hdr) this.hist.record(tag, v);
  }

  /** `m`: the record's metrics when the caller already computed them. */
  add(rec: RequestRecord, m: RequestMetrics = requestMetrics(rec)): void {
    if (rec.warmup) {
      this.warmup++;
      return;
    }
    if (!m.ok) {
      this.errors++;
      const kind = m.errorKind ?? 'unknown';
      this.errorsByKind[kind] = (this.errorsByKind[kind] ?? 0) + 1;
      const code = rec.error?.status ?? (kind === 'http' ? rec.status : undefined) ?? null;
      const key = `${kind}|${code}`;
      const d = this.errorDetails.get(key);
      if (d) d.count++;
      else this.errorDetails.set(key, { code, type: kind, message: rec.error?.message ?? kind, count: 1 });
      this.completions.push({ endNs: rec.endNs, tokens: 0, error: true });
      return;
    }
    this.valid++;
    if (rec.startNs < this.firstStartNs) this.firstStartNs = rec.startNs;
    // AIPerf's max_response_timestamp is start + request_latency: the last content chunk.
    const lastNs = rec.lastChunkNs ?? rec.chunkNs[rec.chunkNs.length - 1] ?? rec.endNs;
    if (lastNs > this.lastEndNs) this.lastEndNs = lastNs;
    this.push('time_to_first_token', m.ttftMs);
    this.push('time_to_second_token', m.ttstMs);
    this.push('inter_token_latency', m.itlMs);
    this.push('request_latency', m.requestLatencyMs);
    this.push('output_sequence_length', m.outputTokens);
    this.push('input_sequence_length', m.inputTokens, false);
    this.push('output_token_throughput_per_user', m.tokensPerSecPerUser, false);
    this.push('mmload_upload_time', m.uploadMs);
    this.push('mmload_time_to_headers', m.headersMs, false);
    this.push('time_to_first_output_token', m.ttfotMs, false);
    this.push('mmload_corrected_request_latency', m.correctedLatencyMs);
    this.push('mmload_corrected_time_to_first_token', m.correctedTtftMs);
    this.push('mmload_send_lag', m.sendLagMs, false);
    this.push('mmload_client_queue', m.clientQueueMs, false);
    for (const gap of m.interChunkMs) this.push('inter_chunk_latency', gap);
    if (m.outputTokens !== undefined) this.totalOutputTokens += m.outputTokens;
    if (m.inputTokens !== undefined) this.totalInputTokens += m.inputTokens;
    if (rec.reasoningTokens !== undefined) {
      this.anyReasoning = true;
      this.totalReasoningTokens += rec.reasoningTokens;
    }
    if (m.outputTokensSource) this.tokenSources.add(m.outputTokensSource);
    this.completions.push({ endNs: rec.endNs, tokens: m.outputTokens ?? 0, error: false });
  }

  get validCount(): number {
    return this.valid;
  }
  get errorCount(): number {
    return this.errors;
  }

  histograms(): HistogramSet {
    return this.hist;
  }

  /** Exact statistics of one per-request metric (display units), or undefined without values. */
  stats(tag: string): Stats | undefined {
    const v = this.values.get(tag);
    return v && v.length > 0 ? computeStats(v.view()) : undefined;
  }

  /** benchmark_duration in seconds: last content chunk - first start over valid measured requests (AIPerf). */
  durationSec(): number | undefined {
    if (this.valid === 0 || this.lastEndNs <= this.firstStartNs) return undefined;
    return (this.lastEndNs - this.firstStartNs) / NS_PER_SEC;
  }

  private timeline(): TimelineSecond[] {
    if (!Number.isFinite(this.firstStartNs)) return [];
    const out: TimelineSecond[] = [];
    for (const c of this.completions) {
      const second = Math.max(0, Math.floor((c.endNs - this.firstStartNs) / NS_PER_SEC));
      while (out.length <= second) out.push({ second: out.length, completed: 0, outputTokens: 0, errors: 0 });
      const slot = out[second] as TimelineSecond;
      if (c.error) slot.errors++;
      else {
        slot.completed++;
        slot.outputTokens += c.tokens;
      }
    }
    return out;
  }

  summarize(meta: RunMeta): Summary {
    const metrics: Record<string, MetricSummary> = {};
    const allDefs = { ...METRICS, ...MMLOAD_METRICS } as Record<string, { unit: string; kind: string }>;
    for (const [tag, d] of Object.entries(allDefs)) {
      if (d.kind !== 'record') continue;
      const s = this.stats(tag);
      if (s) metrics[tag] = { unit: d.unit, ...s };
    }
    const duration = this.durationSec();
    if (duration !== undefined) {
      metrics.benchmark_duration = { unit: 'sec', avg: duration };
      metrics.request_throughput = { unit: 'requests/sec', avg: this.valid / duration };
      if (this.tokenSources.size > 0) {
        metrics.output_token_throughput = { unit: 'tokens/sec', avg: this.totalOutputTokens / duration };
      }
    }
    metrics.request_count = { unit: 'requests', avg: this.valid };
    if (this.errors > 0) metrics.error_request_count = { unit: 'requests', avg: this.errors };
    if (this.tokenSources.size > 0) {
      // AIPerf: OSL = output + reasoning tokens; total_output_tokens counts output tokens only.
      metrics.total_osl = { unit: 'tokens', avg: this.totalOutputTokens };
      metrics.total_output_tokens = {
        unit: 'tokens',
        avg: this.totalOutputTokens - this.totalReasoningTokens,
      };
      if (this.anyReasoning)
        metrics.total_reasoning_tokens = { unit: 'tokens', avg: this.totalReasoningTokens };
    }
    if (this.values.get('input_sequence_length')?.length) {
      metrics.total_isl = { unit: 'tokens', avg: this.totalInputTokens };
    }
    const sources = [...this.tokenSources];
    const summary: Summary = {
      source: 'mmload',
      label: meta.label,
      metrics,
      requestCount: this.valid,
      errorCount: this.errors,
      errorsByKind: { ...this.errorsByKind },
      errorDetails: [...this.errorDetails.values()].map((d) => ({ ...d })),
      durationSec: duration,
      outputTokenSource: sources.length === 0 ? undefined : sources.length === 1 ? sources[0] : 'mixed',
      timeline: this.timeline(),
      warmupCount: this.warmup,
    };
    if (meta.toolVersion) summary.toolVersion = meta.toolVersion;
    if (meta.startTime) summary.startTime = meta.startTime;
    if (meta.endTime) summary.endTime = meta.endTime;
    if (meta.wasCancelled !== undefined) summary.wasCancelled = meta.wasCancelled;
    if (meta.config) summary.config = meta.config;
    if (meta.dataset) summary.dataset = meta.dataset;
    if (meta.client) {
      summary.client = { ...meta.client };
      const extra = clientWarnings(summary).filter((w) => !summary.client!.warnings.includes(w));
      summary.client.warnings = [...summary.client.warnings, ...extra];
    }
    return summary;
  }
}
