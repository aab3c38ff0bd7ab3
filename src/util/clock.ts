/**
 * The one clock of mmload. process.hrtime.bigint() reads CLOCK_MONOTONIC, which on Linux is shared
 * by every process of the machine: the driver and the embedded mock (even in another process)
 * stamp events on the same time line, so their records can be compared directly.
 */
export function nowNs(): bigint {
  return process.hrtime.bigint();
}

/** Monotonic nanoseconds as a JS number (exact to ~104 days of uptime in float64 at 1 ns... and far beyond at 1 us). */
export function nowNsNumber(): number {
  return Number(process.hrtime.bigint());
}

/**
 * Time as the run engine sees it: the monotonic clock and a sleep. The engine's parts take one,
 * so that tests can drive schedules and grace deadlines with a fake clock, without sockets or waits.
 */
export interface Clock {
  nowNs(): number;
  /** Resolves after `ms` (at once when `ms` <= 0), or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  nowNs: nowNsNumber,
  sleep(ms, signal) {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    });
  },
};
