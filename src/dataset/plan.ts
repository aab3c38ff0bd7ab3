import { UserError } from '../util/errors.js';

/** The sliding-window workload: each user walks a window of images forward one step per turn. */
export interface Shape {
  users: number;
  turns: number;
  window: number;
  /** Images in each row: the window (the default), or 0 for text-only rows. */
  imagesPerRow?: number;
}

export interface PlannedRow {
  /** 0-based line index in the file: turn * users + user (rows interleaved by turn). */
  index: number;
  user: number;
  turn: number;
  sessionId: string;
  /** Global image ids, window order (empty for a text-only plan). */
  imageIds: number[];
}

export function validateShape(s: Shape): void {
  for (const name of ['users', 'turns', 'window'] as const) {
    const v = s[name];
    if (!Number.isInteger(v) || v < 1) throw new UserError(`--${name} must be a positive integer, got ${v}`);
  }
  const n = s.imagesPerRow;
  if (n !== undefined && n !== 0 && n !== s.window) {
    // A row with fewer images than the window would just be a smaller window with other ids.
    throw new UserError(
      `--images-per-row must be 0 (text-only rows) or the window (${s.window}), got ${n}; ` +
        'for fewer images per row, lower --window',
    );
  }
  // Row and image ids are doubles: past 2^53 they would silently collide.
  if (s.users * (s.window + s.turns) > Number.MAX_SAFE_INTEGER) {
    throw new UserError(`--users ${s.users} x --turns ${s.turns} is too many rows to number`);
  }
}

export function hasImages(s: Shape): boolean {
  return s.imagesPerRow !== 0;
}

export function rowCount(s: Shape): number {
  return s.users * s.turns;
}

/** Distinct images each user owns: the first window plus one new image per later turn. */
export function imagesPerUser(s: Shape): number {
  return s.window + s.turns - 1;
}

export function imageCount(s: Shape): number {
  return hasImages(s) ? s.users * imagesPerUser(s) : 0;
}

export function sessionIdOf(user: number): string {
  return `user_${user}`;
}

/** Image ids of user `user` at turn `turn`: u*(window+turns-1)+t ... +window-1. */
export function windowIds(s: Shape, user: number, turn: number): number[] {
  if (!hasImages(s)) return [];
  const base = user * imagesPerUser(s) + turn;
  return Array.from({ length: s.window }, (_, k) => base + k);
}

/** Row `index` of the file, computed on its own (nothing about the plan is held in memory). */
export function rowAt(s: Shape, index: number): PlannedRow {
  const turn = Math.floor(index / s.users);
  const user = index - turn * s.users;
  return { index, user, turn, sessionId: sessionIdOf(user), imageIds: windowIds(s, user, turn) };
}

/** Every row in file order, one at a time. */
export function* iterateRows(s: Shape): Generator<PlannedRow> {
  validateShape(s);
  const n = rowCount(s);
  for (let i = 0; i < n; i++) yield rowAt(s, i);
}

/** Every row in file order, as an array (small plans and tests; generate streams them). */
export function planRows(s: Shape): PlannedRow[] {
  return [...iterateRows(s)];
}

/**
 * Whether image `k` of a row at `turn` appears there for the first time: the whole window on a
 * user's first turn, then only the newest image of each later turn.
 */
export function isFirstUse(s: Shape, turn: number, k: number): boolean {
  return turn === 0 || k === s.window - 1;
}

/**
 * The `n`-th image in the order the file first needs it: turn 0 introduces every user's first
 * window, each later turn one new image per user.
 */
export function nthNewImage(s: Shape, n: number): number {
  const first = s.users * s.window;
  if (n < first) {
    const user = Math.floor(n / s.window);
    return user * imagesPerUser(s) + (n - user * s.window);
  }
  const m = n - first;
  const turn = 1 + Math.floor(m / s.users);
  const user = m - (turn - 1) * s.users;
  return user * imagesPerUser(s) + turn + s.window - 1;
}

/**
 * A slot per (user, position in the window) that image `id` can live in while it is still to be
 * repeated: the image that takes its slot next (id + window) first appears at the turn after the
 * last one that uses `id`.
 */
export function windowSlot(s: Shape, id: number): number {
  const per = imagesPerUser(s);
  const user = Math.floor(id / per);
  return user * s.window + ((id - user * per) % s.window);
}

/** Image ids in the order the file first needs them (the order to encode them in). */
export function firstUseOrder(rows: PlannedRow[]): number[] {
  const seen = new Set<number>();
  const order: number[] = [];
  for (const r of rows) {
    for (const id of r.imageIds) {
      if (!seen.has(id)) {
        seen.add(id);
        order.push(id);
      }
    }
  }
  return order;
}

/** Index of the last row that uses each image (so a cache can drop it afterwards). */
export function lastUse(rows: PlannedRow[]): Map<number, number> {
  const last = new Map<number, number>();
  for (const r of rows) for (const id of r.imageIds) last.set(id, r.index);
  return last;
}
