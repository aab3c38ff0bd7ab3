import type { RequestRecord } from '../../metrics/record.js';
import type { Session } from '../row-source.js';
import type { OutgoingRequest, Schedule, ScheduleContext } from './schedule.js';

/**
 * Request-rate mode: sends follow a plan of offsets fixed in advance (arrivals.ts), so that a
 * slow server cannot slow the sender down (wrk2's lesson on coordinated omission). A planned send
 * is late when no session is ready (all wait for their previous turn) or the cap on requests in
 * flight is reached; it then leaves as soon as one is, and keeps its planned time as intendedNs.
 */
export function rateSchedule(plan: Iterable<number>, maxInFlight: number): Schedule {
  return {
    async run(ctx: ScheduleContext) {
      const ready: Array<{ s: Session; turn: number }> = [];
      const pending = new Set<Promise<RequestRecord>>();
      let wake: (() => void) | undefined;
      let sourceDry = false;
      const onStop = () => wake?.();
      ctx.stopped.addEventListener('abort', onStop, { once: true });
      try {
        for (const offset of plan) {
          if (!ctx.mayStart()) break;
          const intendedNs = ctx.startNs + offset;
          await ctx.clock.sleep((intendedNs - ctx.clock.nowNs()) / 1e6, ctx.stopped);
          let picked: OutgoingRequest | undefined;
          while (!picked && ctx.mayStart()) {
            let cand = ctx.inFlight() < maxInFlight ? ready.shift() : undefined;
            if (!cand && !sourceDry && ctx.inFlight() < maxInFlight) {
              const s = await ctx.source.nextSession();
              if (s) cand = { s, turn: 0 };
              else sourceDry = true;
            }
            if (cand) {
              const row = await ctx.source.nextRow(cand.s);
              if (row) picked = { row, session: cand.s, turn: cand.turn, intendedNs };
              continue;
            }
            if (pending.size === 0) break;
            await new Promise<void>((r) => {
              wake = r;
            });
            wake = undefined;
          }
          if (!picked || !ctx.mayStart()) break;
          const { session, turn } = picked;
          const p: Promise<RequestRecord> = ctx.send(picked).then((rec) => {
            ready.push({ s: session, turn: turn + 1 });
            pending.delete(p);
            wake?.();
            return rec;
          });
          pending.add(p);
        }
        await Promise.all(pending);
      } finally {
        ctx.stopped.removeEventListener('abort', onStop);
      }
    },
  };
}
