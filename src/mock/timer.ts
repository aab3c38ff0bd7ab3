import { nowNsNumber } from '../util/clock.js';

/**
 * One deadline scheduler for all streams. setTimeout alone fires ~1 ms late (and later under
 * load), so it sleeps with setTimeout until SPIN_NS before the nearest deadline and then polls
 * with setImmediate, which lets I/O run between polls. One shared queue keeps the polling cost
 * independent of the number of streams.
 */
const SPIN_NS = envSpinNs() ?? 2_000_000;

/** MMLOAD_MOCK_SPIN_US overrides the polling window (benchmarks compare settings side by side). */
function envSpinNs(): number | undefined {
  const v = process.env.MMLOAD_MOCK_SPIN_US;
  if (v === undefined || v === '' || !Number.isFinite(Number(v)) || Number(v) < 0) return undefined;
  return Number(v) * 1000;
}

interface Entry {
  at: number;
  fn: () => void;
}

export class Scheduler {
  private heap: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  /** Runs fn at monotonic time `atNs` (or as soon as possible if already past). */
  at(atNs: number, fn: () => void): void {
    const e = { at: atNs, fn };
    push(this.heap, e);
    // A new earliest deadline invalidates a timer armed for a later one.
    if (this.heap[0] === e && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.arm();
  }

  clear(): void {
    this.heap = [];
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private arm(): void {
    if (this.immediate) return;
    const top = this.heap[0];
    if (!top) return;
    const wait = top.at - nowNsNumber();
    if (wait <= SPIN_NS) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      this.immediate = setImmediate(this.tick);
    } else if (!this.timer) {
      this.timer = setTimeout(this.wake, Math.max(0, (wait - SPIN_NS) / 1e6));
    }
  }

  private readonly wake = (): void => {
    this.timer = undefined;
    this.arm();
  };

  private readonly tick = (): void => {
    this.immediate = undefined;
    const now = nowNsNumber();
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const e = pop(this.heap)!;
      try {
        e.fn();
      } catch {
        // a callback's own error handling is its business; the schedule must go on
      }
    }
    // A new earlier deadline may have come in while a long timer was armed.
    if (this.timer && this.heap[0] && this.heap[0].at - nowNsNumber() <= SPIN_NS) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.arm();
  };
}

function push(h: Entry[], e: Entry): void {
  h.push(e);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]!.at <= e.at) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = e;
}

function pop(h: Entry[]): Entry | undefined {
  const top = h[0];
  const last = h.pop();
  if (h.length > 0 && last) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= last.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
  return top;
}
