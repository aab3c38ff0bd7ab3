import type { Schedule, ScheduleContext } from './schedule.js';

/**
 * AIPerf's --concurrency with sessions: at most `sessions` sessions in flight; each sends its next
 * turn as soon as the previous one completed, and a finished session's slot takes the next
 * session of the file.
 */
export function concurrencySchedule(sessions: number): Schedule {
  return {
    async run(ctx: ScheduleContext) {
      const worker = async () => {
        while (ctx.mayStart()) {
          const s = await ctx.source.nextSession();
          if (!s) return;
          for (let turn = 0; ; turn++) {
            if (!ctx.mayStart()) return;
            const row = await ctx.source.nextRow(s);
            if (!row || !ctx.mayStart()) break;
            await ctx.send({ row, session: s, turn });
          }
        }
      };
      await Promise.all(Array.from({ length: sessions }, worker));
    },
  };
}
