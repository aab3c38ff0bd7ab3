import type { Session } from '../row-source.js';
import type { Schedule, ScheduleContext } from './schedule.js';

/**
 * Trace replay (AIPerf's --fixed-schedule, aiperf/timing/strategies/fixed_schedule.py in 0.13):
 * the first turn of every session leaves at its `timestamp` (ms) counted from the schedule's zero;
 * each later turn leaves after the previous one completed: at its own `timestamp` when it has one
 * (at once if that time has passed: a late send), else `delay` ms after that completion, else at
 * once. Sessions keep their turns in order. Every send keeps its planned time as intendedNs, so
 * that late sends are counted and latencies are also reported from the plan.
 *
 * The schedule's zero is the earliest first-turn timestamp with autoOffset, else startOffsetMs,
 * else 0 (AIPerf's rule). A session whose first turn lies outside [startOffsetMs, endOffsetMs] is
 * not sent, and a session stops at its first turn stamped after endOffsetMs (AIPerf's trace
 * loaders filter by these offsets; its 0.13 single_turn loader does not: see docs/run.md).
 */
export interface FixedScheduleOptions {
  /** First-turn timestamp (ms) of every session, by session id (read before the run). */
  firstTimestampMs: ReadonlyMap<string, number>;
  autoOffset: boolean;
  startOffsetMs?: number;
  endOffsetMs?: number;
  /** Requests in flight at most (--concurrency); Infinity for none. */
  maxInFlight: number;
}

export function fixedSchedule(o: FixedScheduleOptions): Schedule {
  const inWindow = (ms: number) =>
    (o.startOffsetMs === undefined || ms >= o.startOffsetMs) &&
    (o.endOffsetMs === undefined || ms <= o.endOffsetMs);
  return {
    async run(ctx: ScheduleContext) {
      const sessions: Array<{ s: Session; firstMs: number }> = [];
      for (let s = await ctx.source.nextSession(); s; s = await ctx.source.nextSession()) {
        const firstMs = o.firstTimestampMs.get(s.id);
        if (firstMs !== undefined && inWindow(firstMs)) sessions.push({ s, firstMs });
      }
      sessions.sort((a, b) => a.firstMs - b.firstMs);
      if (sessions.length === 0) return;
      const zeroMs = o.autoOffset ? sessions[0]!.firstMs : (o.startOffsetMs ?? 0);
      // Time zero is now, once the sessions are known: reading the file must not eat into the trace.
      const startNs = ctx.clock.nowNs();
      const planned = (ms: number) => startNs + (ms - zeroMs) * 1e6;
      const sleepUntil = (ns: number) => ctx.clock.sleep((ns - ctx.clock.nowNs()) / 1e6, ctx.stopped);

      let mine = 0;
      const waiting: Array<() => void> = [];
      const acquire = async () => {
        while (mine >= o.maxInFlight && ctx.mayStart()) await new Promise<void>((r) => waiting.push(r));
        mine++;
      };
      const release = () => {
        mine--;
        waiting.shift()?.();
      };
      ctx.stopped.addEventListener('abort', () => {
        for (const w of waiting.splice(0)) w();
      });

      const replay = async (s: Session, firstMs: number) => {
        let intendedNs = planned(firstMs);
        for (let turn = 0; ; turn++) {
          const row = await ctx.source.nextRow(s);
          if (!row) return;
          if (turn > 0) {
            const done = ctx.clock.nowNs();
            if (row.timestampMs !== undefined) {
              if (o.endOffsetMs !== undefined && row.timestampMs > o.endOffsetMs) return;
              intendedNs = planned(row.timestampMs);
            } else intendedNs = done + (row.delayMs ?? 0) * 1e6;
          }
          await sleepUntil(intendedNs);
          if (!ctx.mayStart()) return;
          await acquire();
          if (!ctx.mayStart()) return release();
          try {
            await ctx.send({ row, session: s, turn, intendedNs });
          } finally {
            release();
          }
        }
      };

      const running: Array<Promise<void>> = [];
      for (const { s, firstMs } of sessions) {
        await sleepUntil(planned(firstMs));
        if (!ctx.mayStart()) break;
        running.push(replay(s, firstMs));
      }
      await Promise.all(running);
    },
  };
}
