import { setMaxListeners } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Agent } from 'undici';
import { readDataset } from '../dataset/reader.js';
import type { DatasetRow } from '../dataset/types.js';
import { loopDelayStats } from '../metrics/client-health.js';
import { MetricsCollector } from '../metrics/collector.js';
import { FILES, RecordsWriter, writeRunArtifacts } from '../metrics/exporters.js';
import { requestMetrics } from '../metrics/per-request.js';
import type { RequestRecord } from '../metrics/record.js';
import type { Summary } from '../metrics/summary.js';
import { startMockThread, type ThreadedMock } from '../mock/worker.js';
import { loadReportRun } from '../report/from-results.js';
import { renderReport } from '../report/html.js';
import { exists, writeFileAtomic } from '../util/atomic.js';
import { nowNsNumber } from '../util/clock.js';
import { type InputError, UserError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { intendedOffsets, validatePlan } from './arrivals.js';
import { ConnectionWatch, sendChatRequest } from './client.js';
import { datasetInfo } from './dataset-info.js';
import { EMBEDDED_MOCK, publicConfig, type RunOptions, validateRunOptions } from './options.js';
import { preconnect } from './preconnect.js';
import { buildBody, ImagePathCache } from './request.js';
import { detachImages, type Session, SessionRowSource } from './row-source.js';
import { sessionInShard, shardDirName } from './shard.js';
import { waitUntil } from './start-at.js';

/** A run's live state for the progress line. */
export interface RunProgress {
  phase: 'warmup' | 'measure' | 'drain';
  done: number;
  failed: number;
  inFlight: number;
  total?: number;
  elapsedS: number;
  ttftP50Ms?: number;
}

export interface RunHooks {
  /** First abort: stop sending, give in-flight requests the grace period. */
  stop?: AbortSignal;
  /** Cancel in-flight requests now (a second Ctrl-C). */
  cancel?: AbortSignal;
  onProgress?: (p: RunProgress) => void;
  /** Lines for the user (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface RunOutcome {
  summary: Summary;
  artifactDir: string;
  files: string[];
  exitCode: number;
  interrupted: boolean;
  /** Why the run ended early, if it did. */
  abortReason?: string;
}

/** Dispatches later than this after their planned time count as late sends (rate mode). */
const LATE_NS = 1e6;
const LOOP_RESOLUTION_MS = 10;
/** Small files are checked whole before the first request, so that a bad line fails fast. */
const PREVALIDATE_LIMIT = 512 * 1024 * 1024;

export async function runLoad(o: RunOptions, hooks: RunHooks = {}): Promise<RunOutcome> {
  validateRunOptions(o);
  if (o.requestRate !== undefined) {
    validatePlan({ rate: o.requestRate, arrival: o.arrival, burstiness: o.burstiness, seed: o.seed });
  }
  const log = hooks.log ?? (() => {});
  const dataset = await datasetInfo(o.dataset);
  const dir = o.shard ? join(o.artifactDir, shardDirName(o.shard)) : o.artifactDir;
  if (await exists(join(dir, FILES.json))) {
    throw new UserError(`${dir} already holds a result; choose another --artifact-dir`);
  }
  let skippedLines = 0;
  const onInvalid = o.skipInvalid
    ? (err: InputError) => {
        skippedLines++;
        if (skippedLines <= 5) log(`skipping invalid line: ${err.message}`);
      }
    : undefined;
  if (dataset.bytes <= PREVALIDATE_LIMIT && !o.skipInvalid) {
    for await (const _ of readDataset(o.dataset)) {
      // readDataset throws an InputError naming the first bad line
    }
  }

  let mock: ThreadedMock | undefined;
  let url = o.url;
  if (!url) {
    mock = await startMockThread({ ...EMBEDDED_MOCK, ...o.mock, model: o.model, host: '127.0.0.1', port: 0 });
    url = mock.url;
    log(`no --url: replaying against the embedded mock at ${url}`);
  }
  const origin = new URL(url).origin;
  const basePath = new URL(url).pathname.replace(/\/$/, '');
  const path = `${basePath}${o.endpoint}`;
  const agent = new Agent({
    connections: o.requestRate === undefined ? o.concurrency : null,
    keepAliveTimeout: 60_000,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const connections = new ConnectionWatch(agent);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
  const images = new ImagePathCache();
  const bodySettings = {
    model: o.model,
    maxTokens: o.maxTokens,
    useMaxCompletionTokens: o.useMaxCompletionTokens,
    includeUsage: o.includeUsage,
    extraInputs: o.extraInputs,
  };

  await mkdir(dir, { recursive: true });
  // One anchor between the monotonic clock and the wall clock, for epoch stamps in the exports
  // (and for merging shards that ran on machines with unrelated monotonic clocks).
  const monoToEpochNs = Date.now() * 1e6 - nowNsNumber();
  const writer = new RecordsWriter(join(dir, FILES.records), monoToEpochNs);
  const collector = new MetricsCollector();
  const cancel = new AbortController();
  // Every request in flight listens on it.
  setMaxListeners(0, cancel.signal);
  hooks.cancel?.addEventListener('abort', () => cancel.abort(), { once: true });
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const sendLagsMs: number[] = [];
  let lateSends = 0;
  let firstRequestMs: number | undefined;
  let index = 0;
  let done = 0;
  let failed = 0;
  let inFlight = 0;
  let measuredSent = 0;
  let stopping = false;
  let abortReason: string | undefined;
  let fatal: unknown;
  const startedAt = new Date();
  const t0 = nowNsNumber();
  let phase: RunProgress['phase'] = 'warmup';
  const onStop = () => {
    if (!stopping) abortReason = 'stopped by the user (Ctrl-C)';
    stopping = true;
  };
  hooks.stop?.addEventListener('abort', onStop, { once: true });
  const progressTimer = setInterval(() => {
    hooks.onProgress?.({
      phase,
      done,
      failed,
      inFlight,
      total: o.requestCount ?? dataset.rows,
      elapsedS: (nowNsNumber() - t0) / 1e9,
      ttftP50Ms: collector.histograms().valueAtPercentile('time_to_first_token', 50),
    });
  }, 250);

  const send = async (
    row: DatasetRow,
    session: string,
    turn: number,
    warmup: boolean,
    intendedNs?: number,
  ) => {
    const body = await buildBody(row, bodySettings, images);
    const id = { index: index++, sessionId: session, turn, line: row.line, warmup, intendedNs };
    inFlight++;
    // performance.now() counts from the process's start (its time origin).
    firstRequestMs ??= performance.now();
    const rec: RequestRecord = await sendChatRequest(agent, id, {
      origin,
      path,
      headers: { ...headers, 'x-session-id': session },
      body,
      timeoutMs: o.timeoutS > 0 ? o.timeoutS * 1000 : undefined,
      signal: cancel.signal,
      connections,
    });
    inFlight--;
    if (intendedNs !== undefined) {
      const lag = rec.startNs - intendedNs;
      sendLagsMs.push(lag / 1e6);
      if (lag > LATE_NS) lateSends++;
    }
    const m = requestMetrics(rec);
    writer.write(rec, m);
    collector.add(rec, m);
    if (!warmup) {
      if (rec.error) failed++;
      else done++;
    }
    return rec;
  };

  let source: SessionRowSource | undefined;
  let preconnected: number | undefined;
  try {
    // Open the connections before anything is timed, so that the first requests' TTFT does not
    // hold TCP (and TLS) handshakes. AIPerf's first requests do hold them; --no-preconnect.
    if (o.preconnect) {
      const n = Number.isFinite(o.concurrency) ? o.concurrency : Math.min(64, Math.ceil(o.requestRate ?? 1));
      const r = await preconnect(agent, {
        origin,
        path: `${basePath}${o.endpoint.replace(/\/chat\/completions$/, '/models')}`,
        headers: o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {},
        connections: n,
        timeoutMs: 10_000,
      });
      preconnected = r.opened;
      if (r.failed > 0) log(`pre-connect: ${r.failed} of ${n} connection(s) failed: ${r.firstError}`);
    }
    // Warm-up: the file's first rows, outside the statistics.
    if (o.warmupRequests > 0) {
      const rows: DatasetRow[] = [];
      for await (const row of readDataset(o.dataset, { onInvalid })) {
        rows.push(detachImages(row));
        if (rows.length >= o.warmupRequests) break;
      }
      let next = 0;
      const worker = async () => {
        while (next < rows.length && !stopping) {
          const row = rows[next++]!;
          await send(row, row.sessionId ?? `line-${row.line}`, 0, true);
        }
      };
      await Promise.all(Array.from({ length: Math.min(o.concurrency, rows.length) }, worker));
    }

    if (o.startAtMs !== undefined && !stopping) {
      const lateMs = await waitUntil(o.startAtMs, hooks.stop);
      if (lateMs > 1000) log(`--start-at: started ${(lateMs / 1000).toFixed(1)} s after the given time`);
    }

    phase = 'measure';
    loop.enable();
    const phaseStart = nowNsNumber();
    const durationTimer =
      o.durationS !== undefined
        ? setTimeout(() => {
            stopping = true;
          }, o.durationS * 1000)
        : undefined;
    const keepSession = (_id: string, ordinal: number) =>
      (o.shard ? sessionInShard(ordinal, o.shard) : true) &&
      (o.sessions === undefined || ordinal < o.sessions);
    source = new SessionRowSource(o.dataset, { keepSession, onInvalid, budgetBytes: o.readAheadBytes });
    const src = source;
    const mayStart = () => {
      if (stopping) return false;
      if (o.requestCount !== undefined && measuredSent >= o.requestCount) {
        stopping = true;
        return false;
      }
      return true;
    };

    if (o.requestRate === undefined) {
      // Concurrency mode: C sessions in flight; a session's next turn leaves when the last completed.
      const worker = async () => {
        while (!stopping) {
          const s = await src.nextSession();
          if (!s) return;
          for (let turn = 0; ; turn++) {
            if (!mayStart()) return;
            const row = await src.nextRow(s);
            if (!row) break;
            if (!mayStart()) return;
            measuredSent++;
            await send(row, s.id, turn, false);
          }
        }
      };
      await Promise.all(Array.from({ length: o.concurrency }, worker));
    } else {
      // Rate mode: sends follow the plan fixed in advance; a send is late when no session is
      // ready (all waiting for their previous turn) or the concurrency cap is reached.
      const ready: Array<{ s: Session; turn: number }> = [];
      const pending = new Set<Promise<unknown>>();
      let wakeReady: (() => void) | undefined;
      const plan = intendedOffsets({
        rate: o.requestRate,
        arrival: o.arrival,
        burstiness: o.burstiness,
        seed: o.seed,
      });
      let sourceDry = false;
      for (const offset of plan) {
        if (!mayStart()) break;
        const intended = phaseStart + offset;
        const waitMs = (intended - nowNsNumber()) / 1e6;
        if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
        let picked: { s: Session; turn: number; row: DatasetRow } | undefined;
        while (!picked && !stopping) {
          let cand = inFlight < o.concurrency ? ready.shift() : undefined;
          if (!cand && !sourceDry && inFlight < o.concurrency) {
            const s = await src.nextSession();
            if (s) cand = { s, turn: 0 };
            else sourceDry = true;
          }
          if (cand) {
            const row = await src.nextRow(cand.s);
            if (row) picked = { ...cand, row };
            continue;
          }
          if (pending.size === 0) break;
          await new Promise<void>((r) => {
            wakeReady = r;
          });
        }
        if (!picked || !mayStart()) break;
        measuredSent++;
        const { s, turn, row } = picked;
        const p = send(row, s.id, turn, false, intended).then(() => {
          ready.push({ s, turn: turn + 1 });
          pending.delete(p);
          const w = wakeReady;
          wakeReady = undefined;
          w?.();
        });
        pending.add(p);
      }
      await Promise.all(pending);
    }
    if (durationTimer) clearTimeout(durationTimer);
  } catch (err) {
    fatal = err;
    stopping = true;
    abortReason = err instanceof Error ? err.message : String(err);
  }

  // Drain: in-flight requests get the grace period after a stop, then are cancelled.
  phase = 'drain';
  if (inFlight > 0) {
    const deadline = Date.now() + o.graceS * 1000;
    while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (inFlight > 0) {
      log(`cancelling ${inFlight} request(s) still in flight after the ${o.graceS} s grace period`);
      cancel.abort();
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    }
  }
  clearInterval(progressTimer);
  hooks.stop?.removeEventListener('abort', onStop);
  loop.disable();
  await source?.close().catch(() => {});
  await writer.close();
  await agent.close().catch(() => {});
  const mockStats = await mock?.close();

  const interrupted = hooks.stop?.aborted ?? false;
  const config: Record<string, unknown> = {
    ...publicConfig(o),
    url: o.url ?? `embedded mock (${url})`,
    dataset: {
      path: o.dataset,
      sha256: dataset.sha256,
      fingerprint: dataset.fingerprint,
      bytes: dataset.bytes,
    },
    mmloadVersion: VERSION,
    skippedInvalidLines: skippedLines,
  };
  const sortedLags = sendLagsMs.sort((a, b) => a - b);
  const summary = collector.summarize({
    label: o.label ?? dir.split('/').filter(Boolean).pop() ?? 'run',
    toolVersion: VERSION,
    startTime: startedAt.toISOString(),
    endTime: new Date().toISOString(),
    wasCancelled: interrupted || fatal !== undefined,
    config,
    dataset: {
      path: o.dataset,
      sha256: dataset.sha256,
      rows: dataset.rows,
      fingerprint: dataset.fingerprint,
    },
    client: {
      eventLoopDelayMs: loopDelayStats(loop, LOOP_RESOLUTION_MS),
      lateSends: o.requestRate !== undefined ? lateSends : undefined,
      preconnected,
      timeToFirstRequestMs: firstRequestMs,
      sendLagMs:
        sortedLags.length > 0
          ? {
              p50: sortedLags[Math.floor(sortedLags.length * 0.5)]!,
              p99: sortedLags[Math.min(sortedLags.length - 1, Math.floor(sortedLags.length * 0.99))]!,
              max: sortedLags[sortedLags.length - 1]!,
            }
          : undefined,
      warnings: [],
    },
  });
  if (mockStats) (summary.config as Record<string, unknown>).embeddedMock = mockStats;
  const files = await writeRunArtifacts(dir, {
    summary,
    histograms: collector.histograms(),
    startEpochMs: (t0 + monoToEpochNs) / 1e6,
    config,
    datasetManifest: dataset.manifest ?? {
      path: o.dataset,
      bytes: dataset.bytes,
      sha256: dataset.sha256,
      fingerprint: dataset.fingerprint,
    },
  });
  files.push(join(dir, FILES.records));
  try {
    const report = join(dir, 'report.html');
    await writeFileAtomic(report, renderReport([await loadReportRun(dir)]));
    files.push(report);
  } catch (err) {
    log(`could not write report.html: ${(err as Error).message}`);
  }

  if (fatal !== undefined && !(fatal instanceof UserError)) throw fatal;
  const total = summary.requestCount + summary.errorCount;
  const errorRate = total === 0 ? 0 : summary.errorCount / total;
  let exitCode = 0;
  if (fatal !== undefined) exitCode = (fatal as UserError).exitCode;
  else if (interrupted) exitCode = 130;
  else if (errorRate > o.maxErrorRate || total === 0) exitCode = 1;
  return { summary, artifactDir: dir, files, exitCode, interrupted, abortReason };
}
