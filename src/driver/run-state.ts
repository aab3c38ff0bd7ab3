/**
 * The counters of one run and the one way to stop it. Every part of the engine reads and moves
 * them here, so that the progress line, the drain and the summary see the same numbers.
 */
export type Phase = 'warmup' | 'profiling' | 'drain';

/** A run's live state for the progress line. */
export interface RunProgress {
  phase: Phase;
  done: number;
  failed: number;
  inFlight: number;
  total?: number;
  elapsedS: number;
  ttftP50Ms?: number;
}

export class RunState {
  phase: Phase = 'warmup';
  /** Requests dispatched so far, warm-up included (the next record's index). */
  dispatched = 0;
  /** Measured requests that completed without error, and that failed. */
  done = 0;
  failed = 0;
  inFlight = 0;
  /** Measured requests handed to the sender (what --request-count caps). */
  measuredSent = 0;
  /** Requests sent again on a fresh connection (see client.ts). */
  resends = 0;
  /** performance.now() at the first request handed to the client (warm-up included). */
  firstRequestMs?: number;
  private reason: string | undefined;
  private readonly controller = new AbortController();

  /** Aborted at the first stop: no new request may start; sleeping schedules wake up. */
  get stopSignal(): AbortSignal {
    return this.controller.signal;
  }

  get stopping(): boolean {
    return this.reason !== undefined;
  }

  /** Why the run stopped early (the first reason given), if it did. */
  get stopReason(): string | undefined {
    return this.reason;
  }

  /** Stops sending. The first reason is kept; later calls change nothing. */
  stop(reason: string): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.controller.abort();
  }
}
