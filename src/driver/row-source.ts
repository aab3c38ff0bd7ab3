import { open } from 'node:fs/promises';
import { ownRow, parseRow, readDataset } from '../dataset/reader.js';
import type { DatasetRow } from '../dataset/types.js';
import type { InputError } from '../util/errors.js';
import { readRange } from '../util/read-range.js';
import { scannedRows } from './row-scanner.js';

/**
 * Rows of a dataset, session by session, from a file that is streamed, never held whole.
 *
 * Sessions are taken in order of first appearance and each session's rows in file order
 * (AIPerf's order). The recipe's files interleave sessions by turn, so a session's next turn sits
 * `users` rows further on: the scanner reads on while a consumer waits for a row it has not
 * reached, or while the file bytes it has read ahead of the consumers stay under the read-ahead
 * budget. Rows come from the reader detached (a large row's images stay in the file as byte
 * ranges, read while its request is uploaded), so a kept row costs its text, not its 52 MB: rows
 * are kept until their turn while their memory stays under the same budget; only beyond it does a
 * row keep just its byte offset, to be read again when its turn comes. Memory is bounded by the
 * budget plus the rows in flight.
 *
 * Read-ahead also stops at a number of rows: the byte budget counts file bytes, and a small row
 * costs several times its bytes as parsed objects. A 126 MB file of 600,000 short rows was read
 * whole ahead of a 3,000-request run, which peaked at 477 MB and took 11.8 s for under a second of
 * requests. Consumers that wait for a row further on still make the scanner read on.
 */
export interface Session {
  id: string;
  /** 0-based order of first appearance in the file. */
  ordinal: number;
}

interface RowSlot {
  line: number;
  byteOffset: number;
  byteLength: number;
  row?: DatasetRow;
  /** What the kept row costs in memory (its bytes less the images left in the file). */
  memory: number;
}

interface SessionState extends Session {
  rows: RowSlot[];
  next: number;
}

export interface RowSourceOptions {
  /**
   * Bytes of file read ahead of the consumers (paces the scanner), and bytes of kept rows in
   * memory (default 256 MiB each).
   */
  budgetBytes?: number;
  /** Rows read ahead of the consumers while none waits (default ROWS_AHEAD). */
  rowsAhead?: number;
  /** Which sessions to keep (sharding, --sessions); called once per session, in order. */
  keepSession?: (id: string, ordinal: number) => boolean;
  onInvalid?: (err: InputError) => void;
  signal?: AbortSignal;
  /**
   * Read and parse on a thread of their own (row-scanner.ts): for large files, whose rows' scans
   * would hold the stamping thread; small rows cost less to parse than to pass between threads.
   */
  readerThread?: boolean;
}

export class SessionRowSource {
  private readonly sessions = new Map<string, SessionState>();
  private readonly skipped = new Set<string>();
  /** Sessions discovered but not yet handed out. */
  private readonly fresh: SessionState[] = [];
  private readonly iterator: AsyncIterator<DatasetRow>;
  private readonly budget: number;
  /** File bytes of kept rows not handed out yet: the scanner rests when they reach the budget. */
  private aheadBytes = 0;
  /** Rows kept and not handed out yet: the scanner also rests when they reach rowsAhead. */
  private aheadRows = 0;
  private readonly rowsAhead: number;
  /** Memory of kept rows: beyond the budget, rows keep only their offset. */
  private memoryBytes = 0;
  private ended = false;
  private failure: unknown;
  private waiters = 0;
  private wake: (() => void) | undefined;
  private changed: Array<() => void> = [];
  private ordinal = 0;
  private scanning: Promise<void> | undefined;
  /** Rows the consumers asked for that had to be read a second time. */
  rereads = 0;

  /** Rows and file bytes read and not yet handed out. */
  get ahead(): { rows: number; bytes: number } {
    return { rows: this.aheadRows, bytes: this.aheadBytes };
  }

  constructor(
    readonly path: string,
    private readonly opts: RowSourceOptions = {},
  ) {
    this.budget = opts.budgetBytes ?? 256 * 1024 * 1024;
    this.rowsAhead = opts.rowsAhead ?? ROWS_AHEAD;
    this.iterator = opts.readerThread
      ? scannedRows(path, { onInvalid: opts.onInvalid })
      : readDataset(path, { signal: opts.signal, onInvalid: opts.onInvalid, detached: true })[
          Symbol.asyncIterator
        ]();
  }

  /** The next session not yet handed out, or undefined when the file holds no more. */
  async nextSession(): Promise<Session | undefined> {
    for (;;) {
      const s = this.fresh.shift();
      if (s) return { id: s.id, ordinal: s.ordinal };
      if (this.ended) return this.fail();
      await this.waitForMore();
    }
  }

  /** The session's next row in file order, or undefined when the session has no more rows. */
  async nextRow(session: Session): Promise<DatasetRow | undefined> {
    const s = this.sessions.get(session.id)!;
    for (;;) {
      const slot = s.rows[s.next];
      if (slot) {
        s.next++;
        this.aheadBytes -= slot.byteLength;
        this.aheadRows--;
        this.pokeScanner();
        if (slot.row) {
          this.memoryBytes -= slot.memory;
          const row = slot.row;
          slot.row = undefined;
          return row;
        }
        this.rereads++;
        return this.readAt(slot);
      }
      if (this.ended) return this.fail();
      await this.waitForMore();
    }
  }

  /** Stops reading (the run ends early). */
  async close(): Promise<void> {
    this.ended = true;
    this.pokeScanner();
    await this.iterator.return?.();
  }

  private fail(): undefined {
    if (this.failure) throw this.failure;
    return undefined;
  }

  private async readAt(slot: RowSlot): Promise<DatasetRow> {
    const fh = await open(this.path, 'r');
    try {
      const buf = await readRange(fh, slot.byteOffset, slot.byteLength);
      const row = parseRow(buf, this.path, slot.line, slot.byteOffset);
      if (!row)
        throw new Error(`${this.path}:${slot.line}: the line changed while the run was reading the file`);
      return ownRow(row);
    } finally {
      await fh.close();
    }
  }

  private waitForMore(): Promise<void> {
    this.waiters++;
    this.ensureScanner();
    this.pokeScanner();
    return new Promise<void>((resolve) => {
      this.changed.push(() => {
        this.waiters--;
        resolve();
      });
    });
  }

  private notify(): void {
    const cbs = this.changed;
    this.changed = [];
    for (const cb of cbs) cb();
  }

  private pokeScanner(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private ensureScanner(): void {
    this.scanning ??= this.scan();
  }

  /** Reads on while someone waits or the rows ahead fit the budgets; then sleeps until poked. */
  private async scan(): Promise<void> {
    try {
      while (!this.ended) {
        if (this.waiters === 0 && (this.aheadBytes >= this.budget || this.aheadRows >= this.rowsAhead)) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          continue;
        }
        const r = await this.iterator.next();
        if (r.done) break;
        this.place(r.value);
        this.notify();
      }
    } catch (err) {
      this.failure = err;
    }
    this.ended = true;
    this.notify();
  }

  private place(row: DatasetRow): void {
    const id = row.sessionId ?? `line-${row.line}`;
    if (this.skipped.has(id)) return;
    let s = this.sessions.get(id);
    if (!s) {
      const ordinal = this.ordinal++;
      if (this.opts.keepSession && !this.opts.keepSession(id, ordinal)) {
        this.skipped.add(id);
        return;
      }
      s = { id, ordinal, rows: [], next: 0 };
      this.sessions.set(id, s);
      this.fresh.push(s);
    }
    const memory = rowMemory(row);
    const slot: RowSlot = { line: row.line, byteOffset: row.byteOffset, byteLength: row.byteLength, memory };
    this.aheadBytes += row.byteLength;
    this.aheadRows++;
    // Keep the row while its memory fits the budget, or while nothing is kept (one row always fits).
    if (this.memoryBytes + memory <= this.budget || this.memoryBytes === 0) {
      slot.row = row;
      this.memoryBytes += memory;
    }
    s.rows.push(slot);
  }
}

/**
 * Rows read ahead while no consumer waits: enough for the next several turns of thousands of
 * sessions interleaved by turn (a session's next turn is one row per session further on).
 */
const ROWS_AHEAD = 4096;

/** A detached row's cost in memory: its line less the images it left in the file. */
function rowMemory(row: DatasetRow): number {
  let inFile = 0;
  for (const ref of row.images) if (ref.kind === 'file-range') inFile += ref.length;
  return Math.max(0, row.byteLength - inFile);
}
