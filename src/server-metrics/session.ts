import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import { describeWriteError, type UnwrittenFile } from '../driver/finish.js';
import type { ServerMetricsFormat } from '../driver/options.js';
import { redactUrl } from '../driver/target.js';
import { writeFileAtomic } from '../util/atomic.js';
import { nowNsNumber } from '../util/clock.js';
import {
  buildExport,
  type EndpointInfo,
  exportCsv,
  SERVER_METRICS_FILES,
  type ServerMetricsExport,
} from './export.js';
import { MetricsGetter } from './http-get.js';
import { parsePrometheusText } from './parse.js';
import { SeriesStore } from './store.js';
import type { MetricFamily, MetricSample } from './types.js';

/**
 * One run's scrapes of the server's Prometheus endpoints: a baseline before the warm-up, one
 * every interval on its own timer, one at each phase boundary (so that the profiling window's
 * counters start exactly where the warm-up ended) and one after the drain. Each scrape is kept
 * raw (gzipped), as one JSONL line in AIPerf's slim record layout, and in the series store for
 * the window statistics. A scrape that fails or times out is counted and reported, never fatal;
 * a missing /metrics is said once per endpoint. Runs on its own thread (worker.ts) in a run, so
 * that fetching and parsing never delay the driver's timestamps; tests drive it directly.
 */

export type { ServerMetricsFormat } from '../driver/options.js';

export interface SessionOptions {
  /** Full URLs of the Prometheus endpoints (…/metrics). */
  endpoints: string[];
  intervalMs: number;
  timeoutMs: number;
  dir: string;
  formats: readonly ServerMetricsFormat[];
  /** Added to the monotonic clock for epoch ns (the run engine's anchor, shared across threads). */
  monoToEpochNs: number;
  /** Lines for the user. */
  log: (line: string) => void;
  /** Run options to record as input_config. */
  inputConfig?: Record<string, unknown>;
  /** TLS options for https endpoints (--ca-cert, --insecure). */
  tls?: { ca?: string; rejectUnauthorized?: boolean };
  /**
   * After the drain, a last scrape this long after the first: servers update some counters a moment
   * after the last byte (llama.cpp when it frees a slot), as AIPerf's COLLECTION_FLUSH_PERIOD allows for.
   */
  flushMs?: number;
}

export type PhaseName = 'warmup' | 'profiling';

export interface SessionResult {
  export: ServerMetricsExport;
  files: string[];
  unwritten: UnwrittenFile[];
  /** For run_config: what was scraped and how it went. */
  config: Record<string, unknown>;
}

interface EndpointState {
  url: string;
  display: string;
  busy: boolean;
  /** Aborts the scrape in flight (at the end of the run: a stalled endpoint must not hold it). */
  abort?: AbortController;
  /** Its last scrape answered: only such endpoints are waited for at the baseline, the boundaries and the end. */
  healthy: boolean;
  inflight?: Promise<boolean>;
  fetches: number;
  failed: number;
  timedOut: number;
  errors: Map<string, number>;
  latenciesNs: number[];
  firstFetchNs?: number;
  lastFetchNs?: number;
  updates: number[];
  lastBody?: string;
  saidMissing: boolean;
}

/**
 * The scrapes the run waits for (the baseline, phase boundaries, the last ones) give up sooner
 * than the periodic ones: a stalled /metrics must not hold the run's start, its phases or its end.
 */
const AWAITED_TIMEOUT_MS = 1000;

/** A scrape of more than this is cut (a server that streams forever must not fill the memory). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** `host:port`, `host:port/path` or a full URL -> the URL of its metrics; no path means /metrics (AIPerf's rule). */
export function metricsUrl(spec: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) ? spec : `http://${spec}`;
  const u = new URL(withScheme);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/metrics';
  return u.toString();
}

export class ScrapeSession {
  private readonly store = new SeriesStore();
  private readonly http: MetricsGetter;
  private readonly state: EndpointState[];
  private readonly benchmarkId = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private phase: PhaseName | undefined;
  private warmupStartNs: number | undefined;
  private profilingStartNs: number | undefined;
  private startNs = 0;
  private jsonl: WriteStream | undefined;
  private raw: { gzip: Gzip; file: WriteStream } | undefined;
  private writeError: { path: string; err: unknown } | undefined;
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly o: SessionOptions) {
    this.http = new MetricsGetter(o.tls);
    this.state = o.endpoints.map((url) => ({
      url,
      display: redactUrl(url),
      busy: false,
      healthy: true,
      fetches: 0,
      failed: 0,
      timedOut: 0,
      errors: new Map(),
      latenciesNs: [],
      updates: [],
      saidMissing: false,
    }));
  }

  private now(): number {
    return nowNsNumber() + this.o.monoToEpochNs;
  }

  private open(name: string): WriteStream {
    const path = join(this.o.dir, name);
    const s = createWriteStream(path, { flags: 'w' });
    s.on('error', (err) => {
      this.writeError ??= { path, err };
    });
    return s;
  }

  /** Opens the files and takes the baseline scrape; the timer starts after it. */
  async start(): Promise<void> {
    this.startNs = this.now();
    if (this.o.formats.includes('jsonl')) this.jsonl = this.open(SERVER_METRICS_FILES.jsonl);
    if (this.o.formats.includes('raw')) {
      const gzip = createGzip();
      const file = this.open(SERVER_METRICS_FILES.raw);
      gzip.pipe(file);
      this.raw = { gzip, file };
    }
    await this.scrapeAll('awaited');
    this.timer = setInterval(() => {
      void this.scrapeAll();
    }, this.o.intervalMs);
  }

  /** A phase begins: a boundary scrape closes the previous one, then the new one starts. */
  async mark(phase: PhaseName): Promise<void> {
    if (this.stopped) return;
    await this.scrapeAll('awaited');
    this.phase = phase;
    if (phase === 'warmup') this.warmupStartNs = this.now();
    else this.profilingStartNs = this.now();
  }

  private async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * The final scrape after the drain, then the files; never throws for the server's doing. A
   * scrape still out is abandoned (that endpoint stalls: it is not asked again). `interrupted`
   * (a signal) skips the flush scrape, so that Ctrl-C is not held by it.
   */
  async stop(opts: { interrupted?: boolean } = {}): Promise<SessionResult> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const abandon = (s: EndpointState) =>
      s.busy && s.abort?.abort(new Error('no answer by the end of the run'));
    for (const s of this.state) if (!s.healthy) abandon(s);
    const answered = await this.scrapeAll('final');
    const flushMs = this.o.flushMs ?? Math.min(this.o.intervalMs, 1000);
    if (flushMs > 0 && answered > 0 && !opts.interrupted) {
      await new Promise((r) => setTimeout(r, flushMs));
      await this.scrapeAll('final');
    }
    for (const s of this.state) abandon(s);
    await this.settled();
    const endNs = this.now() + 1;
    this.http.close();
    const unwritten: UnwrittenFile[] = [];
    const files: string[] = [];
    const closeStream = (s: WriteStream | Gzip) =>
      new Promise<void>((resolve) => {
        s.end(() => resolve());
        s.once('error', () => resolve());
      });
    if (this.jsonl) {
      await closeStream(this.jsonl);
      files.push(join(this.o.dir, SERVER_METRICS_FILES.jsonl));
    }
    if (this.raw) {
      await closeStream(this.raw.gzip);
      await new Promise<void>((resolve) => {
        if (this.raw!.file.closed) resolve();
        else this.raw!.file.once('close', () => resolve());
      });
      files.push(join(this.o.dir, SERVER_METRICS_FILES.raw));
    }
    if (this.writeError) {
      const { path, err } = this.writeError;
      unwritten.push({ path, error: describeWriteError(err) });
      const i = files.indexOf(path);
      if (i >= 0) files.splice(i, 1);
    }
    const endpointInfo: Record<string, EndpointInfo> = {};
    for (const s of this.state) endpointInfo[s.display] = infoOf(s);
    const exp = buildExport({
      store: this.store,
      benchmarkId: this.benchmarkId,
      endpointsConfigured: this.state.map((s) => s.display),
      endpointInfo,
      profiling:
        this.profilingStartNs !== undefined ? { startNs: this.profilingStartNs, endNs: endNs } : undefined,
      warmup:
        this.warmupStartNs !== undefined
          ? { startNs: this.warmupStartNs, endNs: this.profilingStartNs ?? endNs }
          : undefined,
      startNs: this.startNs,
      endNs,
      inputConfig: this.o.inputConfig,
    });
    const writes: Array<[ServerMetricsFormat, string, () => string]> = [
      ['json', SERVER_METRICS_FILES.json, () => `${JSON.stringify(exp, null, 2)}\n`],
      ['csv', SERVER_METRICS_FILES.csv, () => exportCsv(exp)],
    ];
    for (const [fmt, name, render] of writes) {
      if (!this.o.formats.includes(fmt)) continue;
      const path = join(this.o.dir, name);
      try {
        await writeFileAtomic(path, render());
        files.push(path);
      } catch (err) {
        unwritten.push({ path, error: describeWriteError(err) });
      }
    }
    return {
      export: exp,
      files,
      unwritten,
      config: {
        endpoints: this.state.map((s) => s.display),
        intervalS: this.o.intervalMs / 1000,
        scrapes: Object.fromEntries(
          this.state.map((s) => [s.display, { total: s.fetches, failed: s.failed, timedOut: s.timedOut }]),
        ),
      },
    };
  }

  /**
   * Scrapes every endpoint; resolves with how many answered. 'periodic' skips an endpoint still
   * answering its last scrape. The others (baseline, boundaries, end) are waited for, with a
   * shorter timeout: an endpoint whose last scrape answered gets its scrape in flight finished
   * first (up to that timeout), so that a boundary is never skipped; one whose last scrape failed
   * is asked on the side (or, at the end, not at all): a stalled /metrics holds nothing.
   */
  private scrapeAll(kind: 'periodic' | 'awaited' | 'final' = 'periodic'): Promise<number> {
    const shortMs = Math.min(this.o.timeoutMs, AWAITED_TIMEOUT_MS);
    const one = async (s: EndpointState): Promise<boolean> => {
      if (s.busy) {
        if (kind === 'periodic' || !s.healthy) return false;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([s.inflight, new Promise((r) => (timer = setTimeout(r, shortMs)))]);
        clearTimeout(timer);
        if (s.busy) return false;
      }
      if (kind === 'final' && !s.healthy) return false;
      const p = this.scrape(s, kind === 'periodic' || !s.healthy ? this.o.timeoutMs : shortMs);
      s.inflight = p;
      const tracked = p.then(() => {}).finally(() => this.pending.delete(tracked));
      this.pending.add(tracked);
      return kind === 'periodic' || s.healthy ? p : false;
    };
    return Promise.all(this.state.map(one)).then((ok) => ok.filter(Boolean).length);
  }

  private fail(s: EndpointState, reason: string, timedOut = false): void {
    s.failed++;
    if (timedOut) s.timedOut++;
    s.errors.set(reason, (s.errors.get(reason) ?? 0) + 1);
    if (s.errors.get(reason) === 1)
      this.o.log(`server metrics: ${s.display}: ${reason} (counted; the run goes on)`);
  }

  /** One scrape of one endpoint; true when it answered with metrics. */
  private async scrape(s: EndpointState, timeoutMs: number): Promise<boolean> {
    s.busy = true;
    const abort = new AbortController();
    s.abort = abort;
    const phase = this.phase;
    const sentNs = this.now();
    s.fetches++;
    s.firstFetchNs ??= sentNs;
    s.lastFetchNs = sentNs;
    let body: string;
    let firstByteNs = 0;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const res = await this.http.get(s.url, {
        accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1',
        signal: AbortSignal.any([timeout, abort.signal]),
        maxBytes: MAX_BODY_BYTES,
        onHeaders: () => {
          firstByteNs = this.now();
        },
      });
      if (res.status === 404) {
        if (!s.saidMissing) {
          s.saidMissing = true;
          this.o.log(
            `server metrics: ${s.display} answered 404: the server exports no metrics there (llama.cpp needs --metrics); --no-server-metrics turns scraping off`,
          );
        }
        s.failed++;
        s.errors.set('HTTP 404', (s.errors.get('HTTP 404') ?? 0) + 1);
        return false;
      }
      if (res.status !== 200 || res.body === undefined) {
        this.fail(s, `HTTP ${res.status}`);
        return false;
      }
      body = res.body;
    } catch (err) {
      const e = err as Error & { code?: string };
      const ended = abort.signal.aborted;
      const timedOut = !ended && timeout.aborted;
      this.fail(
        s,
        ended
          ? 'no answer by the end of the run'
          : timedOut
            ? `timed out after ${timeoutMs} ms`
            : (e.code ?? e.message ?? String(err)),
        timedOut,
      );
      return false;
    } finally {
      s.busy = false;
      s.healthy = false;
    }
    const doneNs = this.now();
    s.latenciesNs.push(doneNs - sentNs);
    const parsed = parsePrometheusText(body);
    if (parsed.families.length === 0 && body.trim() !== '') {
      this.fail(s, 'not Prometheus text');
      return false;
    }
    if (body !== s.lastBody) s.updates.push(firstByteNs);
    s.lastBody = body;
    this.raw?.gzip.write(
      `# mmload-scrape endpoint=${s.display} timestamp_ns=${firstByteNs} request_sent_ns=${sentNs}\n${body}${body.endsWith('\n') ? '' : '\n'}`,
    );
    s.healthy = true;
    this.store.add(s.display, firstByteNs, parsed.families);
    this.jsonl?.write(
      `${JSON.stringify({
        endpoint_url: s.display,
        timestamp_ns: firstByteNs,
        endpoint_latency_ns: doneNs - sentNs,
        metrics: slimMetrics(parsed.families),
        request_sent_ns: sentNs,
        first_byte_ns: firstByteNs,
        ...(phase ? { benchmark_phase: phase } : {}),
      })}\n`,
    );
    return true;
  }
}

/** AIPerf's SlimRecord.metrics: family -> samples; non-finite values (not JSON) and _created/_info families left out. */
function slimMetrics(families: readonly MetricFamily[]): Record<string, MetricSample[]> {
  const out: Record<string, MetricSample[]> = {};
  for (const f of families) {
    if (f.name.endsWith('_created') || f.name.endsWith('_info')) continue;
    const samples = f.samples.filter(
      (s) =>
        (s.value === undefined || Number.isFinite(s.value)) &&
        (s.sum === undefined || Number.isFinite(s.sum)) &&
        Object.values(s.buckets ?? {}).every(Number.isFinite) &&
        Object.values(s.quantiles ?? {}).every(Number.isFinite),
    );
    if (samples.length > 0) out[f.name] = samples;
  }
  return out;
}

function infoOf(s: EndpointState): EndpointInfo {
  const avgLatencyMs =
    s.latenciesNs.length > 0 ? s.latenciesNs.reduce((a, b) => a + b, 0) / s.latenciesNs.length / 1e6 : 0;
  const gaps = s.updates.slice(1).map((t, i) => (t - s.updates[i]!) / 1e6);
  const sortedGaps = [...gaps].sort((a, b) => a - b);
  const first = s.updates[0] ?? 0;
  const last = s.updates[s.updates.length - 1] ?? 0;
  return {
    total_fetches: s.fetches,
    first_fetch_ns: s.firstFetchNs ?? 0,
    last_fetch_ns: s.lastFetchNs ?? 0,
    avg_fetch_latency_ms: avgLatencyMs,
    unique_updates: s.updates.length,
    first_update_ns: first,
    last_update_ns: last,
    duration_seconds: (last - first) / 1e9,
    avg_update_interval_ms: gaps.length > 0 ? gaps.reduce((a, b) => a + b, 0) / gaps.length : 0,
    ...(sortedGaps.length >= 2
      ? { median_update_interval_ms: sortedGaps[Math.floor(sortedGaps.length / 2)] }
      : {}),
    failed_fetches: s.failed,
    timed_out_fetches: s.timedOut,
    ...(s.errors.size > 0 ? { errors: Object.fromEntries(s.errors) } : {}),
  };
}
