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
