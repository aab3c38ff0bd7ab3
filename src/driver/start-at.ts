import { UserError } from '../util/errors.js';

/**
 * `--start-at TIME` lets every shard of a run begin together: an ISO-8601 instant
 * (2026-11-24T15:00:00Z), epoch seconds, or `+SECONDS` from now. Returns epoch milliseconds.
 */
export function parseStartAt(text: string, nowMs: number): number {
  const t = text.trim();
  if (/^\+\d+(\.\d+)?$/.test(t)) return nowMs + Number(t.slice(1)) * 1000;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) {
    throw new UserError(
      `--start-at "${text}": expected an ISO-8601 time (2026-11-24T15:00:00Z), epoch seconds, or +SECONDS`,
    );
  }
  return ms;
}

/** Sleeps until `atMs` (epoch ms); returns how late (positive) the wake-up was, in ms. */
export async function waitUntil(atMs: number, signal?: AbortSignal): Promise<number> {
  const delay = atMs - Date.now();
  if (delay > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
  return Date.now() - atMs;
}
