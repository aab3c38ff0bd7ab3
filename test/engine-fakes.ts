// A fake clock, a fake session source and a fake sender, to drive the run engine's parts without
// sockets, disk or real waiting. Not a test file.
import type { DatasetRow } from '../src/dataset/types.js';
import type { Session } from '../src/driver/row-source.js';
import type { OutgoingRequest, SessionSource } from '../src/driver/schedules/schedule.js';
import type { RequestRecord } from '../src/metrics/record.js';
import type { Clock } from '../src/util/clock.js';

/** Time moves only when the test says so; sleeps resolve in deadline order as it advances. */
export class FakeClock implements Clock {
  private now = 0;
  private timers: Array<{ at: number; resolve: () => void }> = [];
  nowNs(): number {
    return this.now;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const t = { at: this.now + ms * 1e6, resolve };
      this.timers.push(t);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((x) => x !== t);
          resolve();
        },
        { once: true },
      );
    });
  }
  /** Moves time forward by `ms`, firing due sleeps one by one and letting the engine react to each. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms * 1e6;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.now = next.at;
      next.resolve();
      await settle();
    }
    this.now = end;
    await settle();
  }
  get pending(): number {
    return this.timers.length;
  }
}

/** Lets every promise callback that is ready run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

export function row(session: string, turn: number, extra: Partial<DatasetRow> = {}): DatasetRow {
  return {
    file: 'fake.jsonl',
    line: turn * 100 + Number(session.replace(/\D/g, '') || 0) + 1,
    byteOffset: 0,
    byteLength: 10,
    sessionId: session,
    texts: [`${session} turn ${turn}`],
    images: [],
    ...extra,
  };
}

/** `sessions` sessions of `turns` rows each, in file order. */
export class FakeSource implements SessionSource {
  private next = 0;
  private readonly cursor = new Map<string, number>();
  constructor(
    private readonly sessions: string[],
    private readonly turns: number | ((session: string) => DatasetRow[]),
  ) {}
  async nextSession(): Promise<Session | undefined> {
    const id = this.sessions[this.next];
    if (id === undefined) return undefined;
    return { id, ordinal: this.next++ };
  }
  async nextRow(s: Session): Promise<DatasetRow | undefined> {
    const i = this.cursor.get(s.id) ?? 0;
    this.cursor.set(s.id, i + 1);
    if (typeof this.turns === 'function') return this.turns(s.id)[i];
    return i < this.turns ? row(s.id, i) : undefined;
  }
}

/**
 * A sender whose requests complete when the test says (or after `latencyMs` of fake time): it
 * records when each request left and when it completed.
 */
export class FakeSender {
  readonly sent: Array<OutgoingRequest & { atNs: number }> = [];
  readonly completedAt: number[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    private readonly clock: FakeClock,
    private readonly latencyMs: number,
  ) {}
  send = async (r: OutgoingRequest): Promise<RequestRecord> => {
    const atNs = this.clock.nowNs();
    this.sent.push({ ...r, atNs });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await this.clock.sleep(this.latencyMs);
    this.inFlight--;
    this.completedAt.push(this.clock.nowNs());
    return {
      index: this.sent.length - 1,
      sessionId: r.session.id,
      turn: r.turn,
      line: r.row.line,
      warmup: false,
      intendedNs: r.intendedNs,
      startNs: atNs,
      endNs: this.clock.nowNs(),
      chunkNs: [this.clock.nowNs()],
      requestBytes: 1,
    };
  };
}
