import type { DatasetRow } from '../dataset/types.js';
import type { RequestRecord } from '../metrics/record.js';
import type { Clock } from '../util/clock.js';
import type { RunState } from './run-state.js';
import type { Schedule, ScheduleContext, SessionSource } from './schedules/schedule.js';

/**
 * The phases of a run, in order: warm-up (the file's first rows, outside the statistics),
 * profiling (a schedule sends the measured requests) and drain (what is in flight when sending
 * ends completes, or is cancelled at the grace deadline). The grace deadline is armed by the
 * first stop (Ctrl-C, SIGTERM, --duration, a fatal error), whatever the phase: a server that
 * never answers cannot hold the run past stop + grace.
 */

/** Requests in flight, so that the drain can wait for all of them whatever the schedule did. */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();
  track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const forget = () => this.pending.delete(p);
    p.then(forget, forget);
    return p;
  }
  get size(): number {
    return this.pending.size;
  }
  /** Resolves when every request in flight now or started while waiting has settled. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}

/**
 * At the first stop, gives in-flight requests `graceMs`, then calls `cancel` (which aborts them:
 * they are recorded as cancelled). Returns a disarm function for the normal end of the run.
 */
export function armGraceDeadline(
  state: RunState,
  graceMs: number,
  clock: Clock,
  cancel: (inFlight: number) => void,
): () => void {
  const disarm = new AbortController();
  const onStop = () => {
    void clock.sleep(graceMs, disarm.signal).then(() => {
      if (!disarm.signal.aborted) cancel(state.inFlight);
    });
  };
  if (state.stopSignal.aborted) onStop();
  else state.stopSignal.addEventListener('abort', onStop, { once: true });
  return () => {
    disarm.abort();
    state.stopSignal.removeEventListener('abort', onStop);
  };
}

/** Warm-up: `rows` sent with at most `concurrency` in flight, each row its own session. */
export async function runWarmup(
  rows: DatasetRow[],
  concurrency: number,
  state: RunState,
  send: (row: DatasetRow) => Promise<RequestRecord>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < rows.length && !state.stopping) await send(rows[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
}

/**
 * Profiling: the schedule sends through `send` until it has no more, the request budget is spent
 * or the run stops. A schedule that fails (a bad dataset line, an unreadable image) stops the run;
 * its error is rethrown after the requests in flight have drained.
 */
export async function runProfiling(
  schedule: Schedule,
  ctx: Omit<ScheduleContext, 'stopped' | 'startNs' | 'inFlight' | 'mayStart'> & { source: SessionSource },
  state: RunState,
  inFlight: InFlight,
  requestCount: number | undefined,
): Promise<void> {
  state.phase = 'profiling';
  const mayStart = () => !state.stopping && (requestCount === undefined || state.measuredSent < requestCount);
  let failure: unknown;
  try {
    await schedule.run({
      ...ctx,
      mayStart,
      inFlight: () => state.inFlight,
      stopped: state.stopSignal,
      startNs: ctx.clock.nowNs(),
    });
  } catch (err) {
    failure = err;
    state.stop(err instanceof Error ? err.message : String(err));
  }
  state.phase = 'drain';
  await inFlight.settled();
  if (failure !== undefined) throw failure;
}
