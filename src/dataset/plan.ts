import { UserError } from '../util/errors.js';

/** The sliding-window workload: each user walks a window of images forward one step per turn. */
export interface Shape {
  users: number;
  turns: number;
  window: number;
}

export interface PlannedRow {
  /** 0-based line index in the file: turn * users + user (rows interleaved by turn). */
  index: number;
  user: number;
  turn: number;
  sessionId: string;
  /** Global image ids, window order. */
  imageIds: number[];
}

export function validateShape(s: Shape): void {
  for (const name of ['users', 'turns', 'window'] as const) {
    const v = s[name];
    if (!Number.isInteger(v) || v < 1) throw new UserError(`--${name} must be a positive integer, got ${v}`);
  }
}

/** Distinct images each user owns: the first window plus one new image per later turn. */
export function imagesPerUser(s: Shape): number {
  return s.window + s.turns - 1;
}

export function imageCount(s: Shape): number {
  return s.users * imagesPerUser(s);
}

export function sessionIdOf(user: number): string {
  return `user_${user}`;
}

/** Image ids of user `user` at turn `turn`: u*(window+turns-1)+t ... +window-1. */
export function windowIds(s: Shape, user: number, turn: number): number[] {
  const base = user * imagesPerUser(s) + turn;
  return Array.from({ length: s.window }, (_, k) => base + k);
}

/** Every row in file order. */
export function planRows(s: Shape): PlannedRow[] {
  validateShape(s);
  const rows: PlannedRow[] = [];
  for (let turn = 0; turn < s.turns; turn++) {
    for (let user = 0; user < s.users; user++) {
      rows.push({
        index: turn * s.users + user,
        user,
        turn,
        sessionId: sessionIdOf(user),
        imageIds: windowIds(s, user, turn),
      });
    }
  }
  return rows;
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
