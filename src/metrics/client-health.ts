import type { CpuUse } from '../util/cpu-use.js';
import { type Summary, stat } from './summary.js';

/**
 * When the client itself could have distorted the results, say so. A blocked event loop stamps
 * chunks late (by up to its delay), which inflates TTFT and inter-chunk gaps; a sender that falls
 * behind the plan (rate mode) under-loads the server. Thresholds are relative to what was
 * measured: a 3 ms stall matters for a 10 ms ITL, not for a 20 s TTFT.
 */
const LOOP_DELAY_FLOOR_MS = 1;
/** A dispatch more than this behind its planned time is a late send (ClientHealth.lateSends). */
export const LATE_SEND_MS = 1;

export function clientWarnings(s: Summary): string[] {
  const out: string[] = [];
  const c = s.client;
  if (!c) return out;
  const itl = stat(s, 'inter_token_latency', 'avg') ?? stat(s, 'inter_chunk_latency', 'avg');
  const ttft = stat(s, 'time_to_first_token', 'p50');
  const loop = c.eventLoopDelayMs;
  if (loop) {
    const bounds = [itl, ttft].filter((v): v is number => v !== undefined).map((v) => 0.05 * v);
    // libuv's timers tick in whole milliseconds, so an idle loop already shows ~1 ms at p99: below
    // that the monitor cannot tell a stall from its own rounding.
    const limit = Math.max(LOOP_DELAY_FLOOR_MS, Math.min(5, ...bounds));
    if (loop.p99 > limit) {
      const ref = itl !== undefined ? `ITL avg ${itl.toFixed(2)} ms` : `TTFT p50 ${ttft?.toFixed(2)} ms`;
      out.push(
        `client event-loop delay p99 ${loop.p99.toFixed(2)} ms (max ${loop.max.toFixed(2)} ms) against ${ref}: ` +
          `chunk timestamps may be late by up to that much; ${c.cpu ? cpuCause(c.cpu) : 'lower the concurrency or free the CPU and re-run'}`,
      );
    }
  }
  const late = c.lateSends ?? 0;
  const total = s.requestCount + s.errorCount;
  if (total > 0 && late / total > 0.01) {
    const lag = c.sendLagMs ? ` (send lag p99 ${c.sendLagMs.p99.toFixed(2)} ms)` : '';
    out.push(
      `${late} of ${total} requests left later than planned${lag}: the client did not hold the requested rate; ` +
        'the mmload_corrected_* latencies count the waiting time',
    );
  }
  const images = c.localImages;
  const budget = images && `${Math.round(images.maxBytes / 2 ** 20)} MiB`;
  if (images && images.rereads > 0) {
    out.push(
      `${images.rereads} of ${images.reads} local image reads were of images the ${budget} image cache ` +
        'had let go: each is a file read and a base64 encode again; raise --image-cache-mb if memory allows',
    );
  }
  // With --image-cache-mb 0 streaming is what was asked for.
  if (images?.noRoom && images.maxBytes > 0) {
    out.push(
      `${images.noRoom} local image uses found no room in --image-cache-mb ${budget} and were streamed: ` +
        'read and encoded again while they uploaded, which costs CPU; raise it if memory allows',
    );
  }
  return out;
}

/** Host CPU busier than this while the client stalled: it waited for a CPU. */
const BUSY_HOST = 0.85;

/**
 * Why the event loop may have stalled, from the CPU figures of the run: a container's quota that
 * throttled it, a host with no CPU to spare (the scheduler makes a ready thread wait its turn,
 * milliseconds, whatever the thread's own work), or neither on average, which leaves bursts (of
 * the client's own work or of other processes) that averages over the run cannot show, and the
 * host's own wake-up: on the 2-core VM this was built on, an idle Node process's loop delay had a
 * p99 of 0.2-2.3 ms with no work at all, depending on the neighbours (bench/host-wake.ts).
 */
export function cpuCause(c: CpuUse): string {
  const own = `mmload used ${c.processCores.toFixed(2)} cores`;
  if (c.throttledMs !== undefined && c.throttledMs > 0) {
    const limit = c.cgroupLimitCores !== undefined ? ` of ${c.cgroupLimitCores.toFixed(2)} cores` : '';
    return `the container's CPU quota${limit} held it back for ${c.throttledMs.toFixed(0)} ms in ${c.throttledPeriods} periods (${own}): raise the pod's CPU limit and re-run`;
  }
  if (c.hostBusy !== undefined && c.hostBusy >= BUSY_HOST) {
    return `the host's ${c.hostCpus} CPUs were ${(100 * c.hostBusy).toFixed(0)} % busy (${own}): the client waited for a CPU; run it where cores are free (not beside the server or other load) and re-run`;
  }
  const host =
    c.hostBusy !== undefined
      ? `the host's ${c.hostCpus} CPUs were ${(100 * c.hostBusy).toFixed(0)} % busy and `
      : '';
  return `${host}${own} on average, which does not explain it: the stalls came in bursts, of the client's own work (garbage collection, many streams at once), of other processes, or of the host waking an idle CPU (a virtual machine's can take milliseconds); lower the concurrency and re-run, and if they stay, they are the host's`;
}

/** The part of perf_hooks' IntervalHistogram that loopDelayStats reads (nanoseconds). */
export interface LoopHistogram {
  count: number;
  max: number;
  percentile(p: number): number;
}

/**
 * Event-loop delay in ms from a monitorEventLoopDelay histogram. Node records the whole interval
 * between two of its timer's wake-ups (resolution + delay: an idle loop at resolution 10 shows
 * p50 10.0 ms), so the resolution is taken off to leave the delay itself.
 */
export function loopDelayStats(
  h: LoopHistogram,
  resolutionMs: number,
): { p50: number; p99: number; max: number } | undefined {
  if (h.count === 0) return undefined;
  const delay = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs);
  return { p50: delay(h.percentile(50)), p99: delay(h.percentile(99)), max: delay(h.max) };
}
