import type { Worker } from 'node:worker_threads';
import type { ObservedPhase, ObserverResult, ObserverStart, RunObserver } from '../driver/observers.js';
import type { RunOptions } from '../driver/options.js';
import { type TlsSettings, tlsConnectOptions } from '../driver/target.js';
import { startModuleWorker } from '../util/worker.js';
import type { ServerMetricsFormat, SessionOptions, SessionResult } from './session.js';
import { metricsUrl } from './session.js';

/**
 * The server-metrics scraper as a run observer: the endpoint's own /metrics (same host and port)
 * unless `serverMetrics` is false, plus every extra URL given, scraped on a worker thread. The
 * run engine only posts it three messages; the scrapes, the parsing and the files are the
 * thread's. Its result (RunOutcome.observed.serverMetrics) is the server metrics export.
 */
export const SERVER_METRICS_OBSERVER = 'serverMetrics';

/** Longest a scrape may take; a slower endpoint is counted as timed out. */
export function scrapeTimeoutMs(intervalS: number): number {
  return Math.max(1000, Math.min(10_000, intervalS * 5000));
}

/** The metrics URLs of a run: the endpoint's own, then the extra ones, without repeats. */
export function serverMetricsEndpoints(o: Pick<RunOptions, 'url' | 'serverMetrics'>): string[] {
  if (o.serverMetrics === false) return [];
  const own = `${new URL(o.url).origin}/metrics`;
  const urls = [own, ...o.serverMetrics.map((u) => metricsUrl(u))];
  return [...new Set(urls)];
}

type Reply = { type: string; line?: string; result?: SessionResult; message?: string };

export class ServerMetricsObserver implements RunObserver {
  readonly name = SERVER_METRICS_OBSERVER;
  private worker: Worker | undefined;
  private log: (line: string) => void = () => {};

  constructor(
    private readonly opts: {
      endpoints: string[];
      intervalS: number;
      formats: readonly ServerMetricsFormat[];
      inputConfig?: Record<string, unknown>;
      /** --ca-cert / --insecure, which hold for the scrapes of https endpoints too. */
      tls?: TlsSettings;
    },
  ) {}

  private ask(msg: object, done: string): Promise<Reply> {
    const w = this.worker!;
    return new Promise((resolve, reject) => {
      const onMsg = (m: Reply) => {
        if (m.type === 'log') return this.log(m.line ?? '');
        if (m.type !== done && m.type !== 'failed') return;
        w.off('message', onMsg);
        w.off('error', reject);
        if (m.type === 'failed') reject(new Error(m.message));
        else resolve(m);
      };
      w.on('message', onMsg);
      w.once('error', reject);
      w.postMessage(msg);
    });
  }

  async start(ctx: ObserverStart): Promise<void> {
    this.log = ctx.log;
    this.worker = startModuleWorker(import.meta.url, './worker-entry.js');
    // Logs between requests (a scrape that failed) are still shown.
    this.worker.on('message', (m: Reply) => {
      if (m.type === 'log' && !this.asking) this.log(m.line ?? '');
    });
    const options: Omit<SessionOptions, 'log'> = {
      endpoints: this.opts.endpoints,
      intervalMs: this.opts.intervalS * 1000,
      timeoutMs: scrapeTimeoutMs(this.opts.intervalS),
      dir: ctx.dir,
      formats: this.opts.formats,
      monoToEpochNs: ctx.monoToEpochNs,
      inputConfig: this.opts.inputConfig,
      tls: this.opts.tls && (await tlsConnectOptions(this.opts.tls)),
    };
    try {
      await this.request({ type: 'start', options }, 'started');
    } catch (err) {
      await this.worker.terminate();
      this.worker = undefined;
      throw err;
    }
  }

  private asking = false;
  private async request(msg: object, done: string): Promise<Reply> {
    this.asking = true;
    try {
      return await this.ask(msg, done);
    } finally {
      this.asking = false;
    }
  }

  async phase(phase: ObservedPhase): Promise<void> {
    if (this.worker) await this.request({ type: 'phase', phase }, 'phased');
  }

  async stop(ctx: { interrupted: boolean }): Promise<ObserverResult> {
    if (!this.worker) return {};
    try {
      const r = (await this.request({ type: 'stop', interrupted: ctx.interrupted }, 'stopped')).result;
      if (!r) return {};
      return { files: r.files, unwritten: r.unwritten, config: r.config, result: r.export };
    } finally {
      await this.worker.terminate();
      this.worker = undefined;
    }
  }
}

/** The observers a run's options ask for (none with --no-server-metrics). */
export function serverMetricsObservers(o: RunOptions): RunObserver[] {
  const endpoints = serverMetricsEndpoints(o);
  if (endpoints.length === 0) return [];
  return [
    new ServerMetricsObserver({
      endpoints,
      intervalS: o.serverMetricsInterval,
      formats: o.serverMetricsFormats,
      tls: { caCert: o.caCert, insecure: o.insecure },
    }),
  ];
}
