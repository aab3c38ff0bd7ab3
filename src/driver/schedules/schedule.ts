import type { DatasetRow } from '../../dataset/types.js';
import type { RequestRecord } from '../../metrics/record.js';
import type { Clock } from '../../util/clock.js';
import type { Session } from '../row-source.js';

/**
 * A schedule decides when each request of the profiling phase leaves; the engine does the rest
 * (sending, recording, stopping, the grace deadline). Every schedule keeps a session's turns in
 * file order, each sent only after the previous one completed (AIPerf's multi-turn rule).
 */
export interface Schedule {
  /** Sends the profiling phase's requests through `ctx.send`; resolves when it has no more to send and every send it made has completed. */
  run(ctx: ScheduleContext): Promise<void>;
}

/** Sessions and their rows, in the dataset's order (SessionRowSource, or a fake in tests). */
export interface SessionSource {
  nextSession(): Promise<Session | undefined>;
  nextRow(session: Session): Promise<DatasetRow | undefined>;
}

export interface OutgoingRequest {
  row: DatasetRow;
  session: Session;
  turn: number;
  /** The planned send time (monotonic ns), for schedules that plan one. */
  intendedNs?: number;
}

export interface ScheduleContext {
  source: SessionSource;
  /** Sends one measured request; resolves with its record when it completed (or failed). */
  send(req: OutgoingRequest): Promise<RequestRecord>;
  /** False once the run stops or the measured request budget (--request-count) is spent. */
  mayStart(): boolean;
  /** Requests in flight now. */
  inFlight(): number;
  clock: Clock;
  /** Aborted when the run stops: sleeping schedules wake up and return. */
  stopped: AbortSignal;
  /** The start of the profiling phase (monotonic ns): planned times count from it. */
  startNs: number;
}
