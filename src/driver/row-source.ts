import { open } from 'node:fs/promises';
import { parseRow, readDataset } from '../dataset/reader.js';
import type { DatasetRow } from '../dataset/types.js';
import type { InputError } from '../util/errors.js';
import { readRange } from '../util/read-range.js';

/**
 * Rows of a dataset, session by session, from a file that is streamed, never held whole.
 *
 * Sessions are taken in order of first appearance and each session's rows in file order
 * (AIPerf's order). The recipe's files interleave sessions by turn, so a session's next turn sits
 * `users` rows further on: the scanner reads ahead only while a consumer waits for a row it has
 * not reached, or while the rows it keeps stay under a byte budget. Rows read ahead beyond the
 * budget keep only their byte offset and are read again (from the page cache, usually) when
 * their turn comes. Memory is bounded by the budget plus the rows in flight.
 */
/** Rows at least this long leave their data-URL images in the file (see detachImages). */
export const DETACH_MIN_BYTES = 1 << 20;

/**
 * Replaces a large row's data-URL images by the byte ranges where they stand in the file: the
 * request body then reads them while it is uploaded. Without this, every session in flight holds
 * its whole row (52 MB in the recipe's full dataset: 30 sessions = 1.5 GB). Escaped URLs (no
 * file range) and small rows keep their bytes.
 */
export function detachImages(row: DatasetRow): DatasetRow {
  if (row.byteLength < DETACH_MIN_BYTES) return row;
  let changed = false;
  const images = row.images.map((ref) => {
    if (ref.kind !== 'data-url' || ref.fileOffset === undefined) return ref;
    changed = true;
    return {
      kind: 'file-range' as const,
      file: row.file,
      offset: ref.fileOffset,
      length: ref.url.length,
      mime: ref.mime,
    };
  });
  return changed ? { ...row, images } : row;
}

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
}

interface SessionState extends Session {
  rows: RowSlot[];
  next: number;
}

export interface RowSourceOptions {
  /** Bytes of read-ahead rows kept in memory (default 256 MiB). */
  budgetBytes?: number;
  /** Which sessions to keep (sharding, --sessions); called once per session, in order. */
  keepSession?: (id: string, ordinal: number) => boolean;
  onInvalid?: (err: InputError) => void;
  signal?: AbortSignal;
}

export class SessionRowSource {
  private readonly sessions = new Map<string, SessionState>();
  private readonly skipped = new Set<string>();
  /** Sessions discovered but not yet handed out. */
  private readonly fresh: SessionState[] = [];
  private readonly iterator: AsyncIterator<DatasetRow>;
  private readonly budget: number;
  private keptBytes = 0;
  private ended = false;
  private failure: unknown;
  private waiters = 0;
  private wake: (() => void) | undefined;
  private changed: Array<() => void> = [];
  private ordinal = 0;
  private scanning: Promise<void> | undefined;
  /** Rows the consumers asked for that had to be read a second time. */
  rereads = 0;

  constructor(
    readonly path: string,
    private readonly opts: RowSourceOptions = {},
  ) {
    this.budget = opts.budgetBytes ?? 256 * 1024 * 1024;
    this.iterator = readDataset(path, { signal: opts.signal, onInvalid: opts.onInvalid })[
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
        if (slot.row) {
          this.keptBytes -= slot.byteLength;
          const row = slot.row;
          slot.row = undefined;
          this.pokeScanner();
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
      return detachImages(row);
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

  /** Reads on while someone waits or the kept rows fit the budget; then sleeps until poked. */
  private async scan(): Promise<void> {
    try {
      while (!this.ended) {
        if (this.waiters === 0 && this.keptBytes >= this.budget) {
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
    const slot: RowSlot = { line: row.line, byteOffset: row.byteOffset, byteLength: row.byteLength };
    // Keep the row while it fits the budget, or while nothing is kept (one row always fits).
    if (this.keptBytes + row.byteLength <= this.budget || this.keptBytes === 0) {
      // The budget counts file bytes read ahead (it paces the scanner); what stays in memory of a
      // large row is its text, its images stay in the file.
      slot.row = detachImages(row);
      this.keptBytes += row.byteLength;
    }
    s.rows.push(slot);
  }
}
