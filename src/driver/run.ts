import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { imageRootRealPath } from '../dataset/image-files.js';
import { readDataset, validateDataset } from '../dataset/reader.js';
import type { DatasetRow } from '../dataset/types.js';
import { loopDelayStats } from '../metrics/client-health.js';
import { MetricsCollector } from '../metrics/collector.js';
import { FILES, RecordsWriter } from '../metrics/exporters.js';
import { requestMetrics } from '../metrics/per-request.js';
import type { RequestRecord } from '../metrics/record.js';
import type { Summary } from '../metrics/summary.js';
import { type Clock, realClock } from '../util/clock.js';
import { type CpuSnapshot, cpuSnapshot, cpuUse } from '../util/cpu-use.js';
import { InputError, UserError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { intendedOffsets } from './arrivals.js';
import { prepareArtifactDir } from './artifact-dir.js';
import type { RecordIdentity } from './client.js';
import { datasetInfo } from './dataset-info.js';
import { endpointOf } from './endpoints/endpoint.js';
import { describeWriteError, exitCode, type UnwrittenFile, writeArtifactsResilient } from './finish.js';
import { ImagePathCache } from './local-images.js';
import { Observers, type RunObserver } from './observers.js';
import { publicConfig, type RunOptions, validateRunOptions } from './options.js';
import { armGraceDeadline, InFlight, runProfiling, runWarmup } from './phases.js';
import { preconnect } from './preconnect.js';
import { SessionRowSource } from './row-source.js';
import { type RunProgress, RunState } from './run-state.js';
import { concurrencySchedule } from './schedules/concurrency.js';
import { fixedSchedule } from './schedules/fixed.js';
import { rateSchedule } from './schedules/rate.js';
import type { Schedule } from './schedules/schedule.js';
import { createHttpSender, type Sender } from './sender.js';
import { sessionInShard, shardDirName } from './shard.js';
import { waitUntil } from './start-at.js';
import { parseTarget, redactText, tlsConnectOptions } from './target.js';

export type { ObservedPhase, ObserverResult, ObserverStart, RunObserver } from './observers.js';
export type { RunProgress } from './run-state.js';

export interface RunHooks {
  /** First abort: stop sending, give in-flight requests the grace period. Abort with 'SIGTERM' or 'SIGINT' as the reason to name the signal. */
  stop?: AbortSignal;
  /** Cancel in-flight requests now (a second Ctrl-C). */
  cancel?: AbortSignal;
  onProgress?: (p: RunProgress) => void;
  /** Lines for the user (stderr in the CLI). */
  log?: (line: string) => void;
  /** The engine's time (tests). */
  clock?: Clock;
  /** Replaces the HTTP sender (tests drive the engine without sockets). */
  sender?: Sender;
  /** Called after the last request, before the artifacts are written: what it returns joins run_config (e.g. the embedded mock's counters). */
  annotate?: () => Promise<Record<string, unknown>>;
  /** Watchers of the run on their own time (src/driver/observers.ts), e.g. the server-metrics scraper. */
  observers?: readonly RunObserver[];
}

export interface RunOutcome {
  summary: Summary;
  artifactDir: string;
  /** Files written. */
  files: string[];
  /** Files that could not be written, with why: the summary is complete, the disk is not. */
  unwritten: UnwrittenFile[];
  exitCode: number;
  interrupted: boolean;
  /** The signal that stopped the run, if one did. */
  signal?: 'SIGINT' | 'SIGTERM';
  /** Why the run ended early, if it did. */
  abortReason?: string;
  /** What each observer returned, by its name (e.g. serverMetrics: the server metrics export). */
  observed: Record<string, unknown>;
}

const LOOP_RESOLUTION_MS = 10;
/** Datasets at least this large are read on a thread of their own (see RowSourceOptions.readerThread). */
const READER_THREAD_MIN_BYTES = 256 * 1024 * 1024;
/** Small files are checked whole before the first request, so that a bad line fails fast. */
const PREVALIDATE_LIMIT = 512 * 1024 * 1024;

/** The first-turn timestamp of every session, for the fixed schedule (a row without one is an error). */
async function firstTimestamps(
  o: RunOptions,
  onInvalid?: (err: InputError) => void,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const seen = new Set<string>();
  for await (const row of readDataset(o.dataset, { onInvalid })) {
    const id = row.sessionId ?? `line-${row.line}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (row.timestampMs === undefined)
      throw new InputError(
        row.file,
        row.line,
        'timestamp',
        `--fixed-schedule: the first row of session ${id} has no timestamp (ms)`,
      );
    out.set(id, row.timestampMs);
  }
  return out;
}

async function scheduleOf(o: RunOptions, onInvalid?: (err: InputError) => void): Promise<Schedule> {
  if (o.fixedSchedule) {
    return fixedSchedule({
      firstTimestampMs: await firstTimestamps(o, onInvalid),
      autoOffset: o.fixedScheduleAutoOffset,
      startOffsetMs: o.fixedScheduleStartOffset,
      endOffsetMs: o.fixedScheduleEndOffset,
      maxInFlight: o.concurrency,
    });
  }
  if (o.requestRate === undefined) return concurrencySchedule(o.concurrency);
  return rateSchedule(
    intendedOffsets({ rate: o.requestRate, arrival: o.arrival, burstiness: o.burstiness, seed: o.seed }),
    o.concurrency,
  );
}

function signalOf(reason: unknown): 'SIGINT' | 'SIGTERM' | undefined {
  return reason === 'SIGTERM' || reason === 'SIGINT' ? reason : undefined;
}

/**
 * One load test against a URL: warm-up, profiling under a schedule, drain, then the summary and
 * the artifacts. Never throws for what the server did (failures are in the summary and the exit
 * code); throws a UserError for bad options or input found before the first request.
 */
export async function runLoad(o: RunOptions, hooks: RunHooks = {}): Promise<RunOutcome> {
  validateRunOptions(o);
  const log = hooks.log ?? (() => {});
  const clock = hooks.clock ?? realClock;
  const target = parseTarget(o.url);
  const dataset = await datasetInfo(o.dataset);
  // A mistyped --image-root fails before any work.
  if (o.imageRoot !== undefined) await imageRootRealPath(o.imageRoot);
  const dir = o.shard ? join(o.artifactDir, shardDirName(o.shard)) : o.artifactDir;
  await prepareArtifactDir(dir);
  let skippedLines = 0;
  const onInvalid = o.skipInvalid
    ? (err: InputError) => {
        skippedLines++;
        if (skippedLines <= 5) log(`skipping invalid line: ${err.message}`);
      }
    : undefined;
  // A bad --ca-cert is refused before anything starts.
  const tls = target.tls ? await tlsConnectOptions(o) : undefined;
  // One anchor between the monotonic clock and the wall clock, for epoch stamps in the exports
  // (and for merging shards that ran on machines with unrelated monotonic clocks).
  const monoToEpochNs = Date.now() * 1e6 - clock.nowNs();
  // Observers (the server-metrics scraper starts a thread and scrapes once) start while the file
  // is checked and the connections open: their start-up is not added to the first request's wait.
  const observers = new Observers(hooks.observers, log);
  const observing = observers.start({ dir, monoToEpochNs, log });
  // The reader thread (large files) starts now too: its start-up and its first row overlap the
  // checks below, undici's load and the connections' opening.
  const keepSession = (_id: string, ordinal: number) =>
    (o.shard ? sessionInShard(ordinal, o.shard) : true) && (o.sessions === undefined || ordinal < o.sessions);
  const source = new SessionRowSource(o.dataset, {
    keepSession,
    onInvalid,
    budgetBytes: o.readAheadBytes,
    readerThread: dataset.bytes >= READER_THREAD_MIN_BYTES,
  });
  if (dataset.bytes <= PREVALIDATE_LIMIT && !o.skipInvalid) {
    try {
      await validateDataset(o.dataset);
    } catch (err) {
      await source.close().catch(() => {});
      await observing;
      await observers.stop({ interrupted: true });
      throw err;
    }
  }

  const cancel = new AbortController();
  // Every request in flight listens on it.
  setMaxListeners(0, cancel.signal);
  hooks.cancel?.addEventListener('abort', () => cancel.abort(), { once: true });
  const images = new ImagePathCache({ root: o.imageRoot, maxBytes: o.imageCacheMb * 2 ** 20 });
  const sender =
    hooks.sender ??
    (await createHttpSender({
      target,
      endpoint: endpointOf(o.endpointType),
      route: o.endpoint,
      apiKey: o.apiKey,
      body: {
        model: o.model,
        maxTokens: o.maxTokens,
        useMaxCompletionTokens: o.useMaxCompletionTokens,
        includeUsage: o.includeUsage,
        extraInputs: o.extraInputs,
      },
      connections: Number.isFinite(o.concurrency) ? o.concurrency : undefined,
      tls,
      timeoutMs: o.timeoutS > 0 ? o.timeoutS * 1000 : undefined,
      cancel: cancel.signal,
      images,
    }));

  const writer = new RecordsWriter(join(dir, FILES.records), monoToEpochNs);
  let recordsError: unknown;
  const collector = new MetricsCollector({ goodput: o.goodput });
  const state = new RunState();
  const inFlight = new InFlight();
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  let cpuAtStart: CpuSnapshot | undefined;
  const startedAt = new Date();
  const t0 = clock.nowNs();
  let fatal: unknown;

  const onStop = () => {
    const sig = signalOf(hooks.stop?.reason);
    state.stop(sig ? `stopped by ${sig}` : 'stopped by the user');
  };
  if (hooks.stop?.aborted) onStop();
  else hooks.stop?.addEventListener('abort', onStop, { once: true });
  const disarmGrace = armGraceDeadline(state, o.graceS * 1000, clock, (n) => {
    if (n > 0) log(`cancelling ${n} request(s) still in flight after the ${o.graceS} s grace period`);
    cancel.abort();
  });
  const progressTimer = setInterval(() => {
    hooks.onProgress?.({
      phase: state.phase,
      done: state.done,
      failed: state.failed,
      inFlight: state.inFlight,
      total: o.requestCount ?? dataset.rows,
      elapsedS: (clock.nowNs() - t0) / 1e9,
      ttftP50Ms: collector.histograms().valueAtPercentile('time_to_first_token', 50),
    });
  }, 250);

  const send = (row: DatasetRow, id: Omit<RecordIdentity, 'index'>, correlationId: string) => {
    const index = state.dispatched++;
    state.inFlight++;
    // performance.now() counts from the process's start (its time origin).
    state.firstRequestMs ??= performance.now();
    return inFlight.track(
      sender
        .send({ id: { ...id, index }, row, correlationId })
        .finally(() => {
          state.inFlight--;
        })
        .then((rec: RequestRecord) => {
          if (rec.resends) state.resends += rec.resends;
          const m = requestMetrics(rec);
          if (recordsError === undefined) {
            try {
              writer.write(rec, m);
            } catch (err) {
              recordsError = err;
              log(
                `cannot write ${FILES.records} (${describeWriteError(err)}); the run goes on, results are kept in memory`,
              );
            }
          }
          collector.add(rec, m);
          if (!rec.warmup) {
            if (rec.error) state.failed++;
            else state.done++;
          }
          return rec;
        }),
    );
  };

  let preconnected: number | undefined;
  let durationTimer: NodeJS.Timeout | undefined;
  try {
    // Open the connections before anything is timed, so that the first requests' TTFT does not
    // hold TCP (and TLS) handshakes. AIPerf's first requests do hold them; --no-preconnect.
    if (o.preconnect && !hooks.sender) {
      const n = Number.isFinite(o.concurrency) ? o.concurrency : Math.min(64, Math.ceil(o.requestRate ?? 1));
      const r = await preconnect(sender.dispatcher, {
        origin: target.origin,
        path: `${target.basePath}${o.endpoint.replace(/\/(chat\/)?completions$/, '/models')}`,
        headers: sender.baseHeaders,
        connections: n,
        timeoutMs: 10_000,
      });
      preconnected = r.opened;
      if (r.failed > 0)
        log(`pre-connect: ${r.failed} of ${n} connection(s) failed: ${redactText(r.firstError ?? '')}`);
    }
    await observing;
    if (o.warmupRequests > 0 && !state.stopping) {
      await observers.phase('warmup');
      const rows: DatasetRow[] = [];
      for await (const row of readDataset(o.dataset, { onInvalid, detached: true })) {
        rows.push(row);
        if (rows.length >= o.warmupRequests) break;
      }
      await runWarmup(rows, o.concurrency, state, (row) =>
        send(
          row,
          { sessionId: row.sessionId ?? `line-${row.line}`, turn: 0, line: row.line, warmup: true },
          randomUUID(),
        ),
      );
    }
    if (o.startAtMs !== undefined && !state.stopping) {
      const lateMs = await waitUntil(o.startAtMs, state.stopSignal);
      if (lateMs > 1000) log(`--start-at: started ${(lateMs / 1000).toFixed(1)} s after the given time`);
    }

    await observers.phase('profiling');
    loop.enable();
    cpuAtStart = cpuSnapshot();
    if (o.durationS !== undefined)
      durationTimer = setTimeout(() => state.stop(`--duration ${o.durationS} s reached`), o.durationS * 1000);
    const correlation = new Map<string, string>();
    const schedule = await scheduleOf(o, onInvalid);
    await runProfiling(
      schedule,
      {
        source,
        clock,
        send: ({ row, session, turn, intendedNs }) => {
          state.measuredSent++;
          let cid = correlation.get(session.id);
          if (!cid) {
            cid = randomUUID();
            correlation.set(session.id, cid);
          }
          return send(row, { sessionId: session.id, turn, line: row.line, warmup: false, intendedNs }, cid);
        },
      },
      state,
      inFlight,
      o.requestCount,
    );
  } catch (err) {
    fatal = err;
    state.stop(err instanceof Error ? err.message : String(err));
    await inFlight.settled();
  }
  if (durationTimer) clearTimeout(durationTimer);
  disarmGrace();
  clearInterval(progressTimer);
  hooks.stop?.removeEventListener('abort', onStop);
  loop.disable();
  const cpu = cpuAtStart && cpuUse(cpuAtStart, cpuSnapshot());
  await source.close().catch(() => {});
  const unwritten: UnwrittenFile[] = [];
  try {
    await writer.close();
  } catch (err) {
    recordsError ??= err;
  }
  if (recordsError !== undefined)
    unwritten.push({ path: join(dir, FILES.records), error: describeWriteError(recordsError) });
  if (!hooks.sender) await sender.close();
  // After the drain: the observers' last look (the server's counters once every answer is out).
  const observed = await observers.stop({ interrupted: hooks.stop?.aborted === true });
  unwritten.push(...observed.unwritten);

  const signal = signalOf(hooks.stop?.reason) ?? (hooks.stop?.aborted ? 'SIGINT' : undefined);
  const config: Record<string, unknown> = {
    ...publicConfig(o),
    dataset: {
      path: o.dataset,
      sha256: dataset.sha256,
      fingerprint: dataset.fingerprint,
      bytes: dataset.bytes,
    },
    mmloadVersion: VERSION,
    skippedInvalidLines: skippedLines,
    ...observed.config,
    ...(await hooks.annotate?.().catch((err: Error) => ({ annotateError: err.message }))),
  };
  const summary = collector.summarize({
    label: o.label ?? dir.split('/').filter(Boolean).pop() ?? 'run',
    toolVersion: VERSION,
    startTime: startedAt.toISOString(),
    endTime: new Date().toISOString(),
    wasCancelled: signal !== undefined || fatal !== undefined,
    config,
    dataset: {
      path: o.dataset,
      sha256: dataset.sha256,
      rows: dataset.rows,
      fingerprint: dataset.fingerprint,
    },
    client: {
      eventLoopDelayMs: loopDelayStats(loop, LOOP_RESOLUTION_MS),
      preconnected,
      resends: state.resends,
      timeToFirstRequestMs: state.firstRequestMs,
      ...(cpu ? { cpu } : {}),
      ...(images.stats.reads + images.stats.streamed > 0 ? { localImages: { ...images.stats } } : {}),
      warnings: [],
    },
  });
  const written = await writeArtifactsResilient(dir, {
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
  unwritten.push(...written.failed);
  const files = [...written.written, ...observed.files];
  if (recordsError === undefined) files.push(join(dir, FILES.records));

  if (fatal !== undefined && !(fatal instanceof UserError)) throw fatal;
  return {
    summary,
    artifactDir: dir,
    files,
    unwritten,
    exitCode: exitCode({ summary, maxErrorRate: o.maxErrorRate, signal, fatal, unwritten: unwritten.length }),
    interrupted: signal !== undefined,
    signal,
    abortReason: state.stopReason,
    observed: observed.results,
  };
}
