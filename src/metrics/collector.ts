import type { Histogram } from 'hdr-histogram-js';
import {
  type HdrUnit,
  type MetricTag,
  RECORD_METRICS,
  type RecordEntry,
  type RunTotals,
  SCALAR_METRICS,
} from './catalogue.js';
import { clientWarnings, LATE_SEND_MS } from './client-health.js';
import { isGood, type Objective, parseGoodput } from './goodput.js';
import { HistogramSet, recordScaled } from './histograms.js';
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
  /**
   * What the driver measured of itself. sendLagMs and lateSends need not be given: when requests
   * carried a planned send time, the collector derives both from mmload_send_lag and its figures
   * replace the caller's.
   */
  client?: ClientHealth;
}

export interface CollectorOptions {
  /** AIPerf's --goodput text ("time_to_first_token:2000 ..."): the collector counts good requests. */
  goodput?: string;
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

/** The per-request metrics whose statistics the summary holds. */
const SUMMARIZED = RECORD_METRICS.filter((d) => d.inSummary !== false);
/**
 * What add() takes from a request, by outcome. Single values come before lists, so that each
 * histogram is created (and later written to histograms.hlog) in the order it always was.
 */
const byScope = (keep: (d: RecordEntry) => boolean) => {
  const defs = SUMMARIZED.filter(keep);
  return [...defs.filter((d) => d.value), ...defs.filter((d) => d.values)];
};
const OK_DEFS = byScope((d) => (d.scope ?? 'ok') !== 'failed');
const FAILED_DEFS = byScope((d) => d.scope === 'failed' || d.scope === 'all');

/**
 * One metric's storage: every value (exact statistics) and, for HDR metrics, its histogram. The
 * fields add() needs are copied out of the catalogue entry so that every slot has one shape: the
 * entries' shapes differ, and reading them per request was a megamorphic load per metric.
 */
interface Slot {
  tag: MetricTag;
  value: RecordEntry['value'];
  list: RecordEntry['values'];
  hdr: HdrUnit | undefined;
  values: Values;
  hist: Histogram | undefined;
}

/**
 * Turns RequestRecords into exact statistics (every value kept, for computeStats) and HDR
 * histograms (for mergeable logs and plots). Warm-up records are ignored; failed requests are
 * counted by kind and by distinct message, and kept out of latency statistics, as AIPerf does.
 */
export class MetricsCollector {
  private readonly slots = new Map<MetricTag, Slot>();
  private readonly okSlots: Slot[];
  private readonly failedSlots: Slot[];
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
  private inputCounted = 0;
  private totalReasoningTokens = 0;
  private anyReasoning = false;
  private readonly objectives: Objective[] | undefined;
  private good = 0;
  private readonly tokenSources = new Set<'usage' | 'chunks'>();
  /** Completion events, kept to build the per-second timeline once the first start is final. */
  private readonly completions: { endNs: number; tokens: number; error: boolean }[] = [];

  /** Throws an Error naming the wrong pair when `opts.goodput` is not valid. */
  constructor(opts: CollectorOptions = {}) {
    this.objectives = opts.goodput === undefined ? undefined : parseGoodput(opts.goodput);
    const slot = (def: RecordEntry): Slot => {
      let sl = this.slots.get(def.tag);
      if (!sl) {
        sl = {
          tag: def.tag,
          value: def.value,
          list: def.values,
          hdr: def.hdr,
          values: new Values(),
          hist: undefined,
        };
        this.slots.set(def.tag, sl);
      }
      return sl;
    };
    this.okSlots = OK_DEFS.map(slot);
    this.failedSlots = FAILED_DEFS.map(slot);
  }

  private push(sl: Slot, v: number | undefined): void {
    if (v === undefined || !Number.isFinite(v)) return;
    sl.values.push(v);
    const unit = sl.hdr;
    if (unit === undefined) return;
    // Created on first use, so that histograms.hlog lists only the metrics the run had.
    sl.hist ??= this.hist.get(sl.tag);
    recordScaled(sl.hist, unit, v);
  }

  private take(slots: Slot[], m: RequestMetrics): void {
    for (let i = 0; i < slots.length; i++) {
      const sl = slots[i] as Slot;
      if (sl.value !== undefined) this.push(sl, sl.value(m));
      else if (sl.list !== undefined) {
        const list = sl.list(m);
        for (let k = 0; k < list.length; k++) this.push(sl, list[k]);
      }
    }
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
      const message = rec.error?.message ?? kind;
      // AIPerf's ErrorTracker: one entry per distinct (code, type, exact message), first seen first.
      const key = `${code}\u0000${kind}\u0000${message}`;
      const d = this.errorDetails.get(key);
      if (d) d.count++;
      else this.errorDetails.set(key, { code, type: kind, message, count: 1 });
      this.completions.push({ endNs: rec.endNs, tokens: 0, error: true });
      if (this.failedSlots.length > 0) this.take(this.failedSlots, m);
      return;
    }
    this.valid++;
    if (rec.startNs < this.firstStartNs) this.firstStartNs = rec.startNs;
    // AIPerf's max_response_timestamp is start + request_latency: the last content chunk.
    const lastNs = rec.lastChunkNs ?? rec.chunkNs[rec.chunkNs.length - 1] ?? rec.endNs;
    if (lastNs > this.lastEndNs) this.lastEndNs = lastNs;
    this.take(this.okSlots, m);
    if (this.objectives && isGood(m, this.objectives)) this.good++;
    if (m.outputTokens !== undefined) this.totalOutputTokens += m.outputTokens;
    if (m.inputTokens !== undefined) {
      this.totalInputTokens += m.inputTokens;
      this.inputCounted++;
    }
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
  stats(tag: MetricTag): Stats | undefined {
    const v = this.slots.get(tag)?.values;
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

  /**
   * Send lag p50/p99/max (the same statistics as every metric) and the count of sends later than
   * LATE_SEND_MS, over every measured request that had a planned send time, failed ones included.
   */
  private sendHealth(): Pick<ClientHealth, 'sendLagMs' | 'lateSends'> | undefined {
    const lags = this.slots.get('mmload_send_lag')?.values;
    if (!lags || lags.length === 0) return undefined;
    const view = lags.view();
    const st = computeStats(view);
    let late = 0;
    for (let i = 0; i < view.length; i++) if ((view[i] as number) > LATE_SEND_MS) late++;
    return { lateSends: late, sendLagMs: { p50: st.p50, p99: st.p99, max: st.max } };
  }

  summarize(meta: RunMeta): Summary {
    const metrics: Record<string, MetricSummary> = {};
    for (const d of SUMMARIZED) {
      const st = this.stats(d.tag);
      if (st) metrics[d.tag] = { unit: d.unit, ...st };
    }
    const duration = this.durationSec();
    const totals: RunTotals = {
      valid: this.valid,
      errors: this.errors,
      durationSec: duration,
      hasTokenCounts: this.tokenSources.size > 0,
      totalOutputTokens: this.totalOutputTokens,
      totalReasoningTokens: this.totalReasoningTokens,
      anyReasoning: this.anyReasoning,
      inputCounted: this.inputCounted,
      totalInputTokens: this.totalInputTokens,
      good: this.objectives ? this.good : undefined,
    };
    for (const d of SCALAR_METRICS) {
      const v = d.total(totals);
      if (v !== undefined) metrics[d.tag] = { unit: d.unit, avg: v };
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
    const sends = this.sendHealth();
    if (meta.client || sends) {
      const { warnings = [], ...given } = meta.client ?? {};
      summary.client = { ...given, ...sends, warnings };
      const extra = clientWarnings(summary).filter((w) => !summary.client!.warnings.includes(w));
      summary.client.warnings = [...summary.client.warnings, ...extra];
    }
    return summary;
  }
}
