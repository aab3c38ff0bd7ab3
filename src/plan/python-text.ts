/**
 * How Python prints values, for the few places where AIPerf's aggregate CSVs write `str(value)` of
 * its metadata (so that a file mmload writes reads as AIPerf's does), and its float
 * formatting `f"{v:.Nf}"`. Pure.
 */

/** str(float): an integral float keeps its ".0" (0.0, 3.0); others print as the shortest repr. */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return v.toFixed(1);
  return String(v);
}

/**
 * str() of a JSON-like value as Python prints it: lists `['a', 'b']`, dicts `{'k': 1}`, True,
 * None. Numbers are ints when integral unless listed in `floats` (the caller knows which are floats).
 */
export function pyStr(v: unknown, float = false): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return float ? pyFloat(v) : Number.isInteger(v) ? String(v) : pyFloat(v);
  if (typeof v === 'string') return v;
  return pyRepr(v);
}

function pyRepr(v: unknown): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object' && v !== null)
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  return pyStr(v);
}

/** str.title(): every run of letters starts upper-case, the rest lower-case ("run labels" -> "Run Labels"). */
export function pyTitle(s: string): string {
  return s.replace(/[A-Za-z]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase());
}

/** f"{v:.{decimals}f}" for AIPerf's aggregate CSVs; `nonFinite` is what a NaN/inf cell shows. */
export function pyFixed(
  v: number | undefined | null,
  decimals: number,
  nonFinite: 'blank' | 'inf' = 'blank',
): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '';
  if (!Number.isFinite(v)) return nonFinite === 'inf' ? (v > 0 ? 'inf' : '-inf') : '';
  return v.toFixed(decimals);
}

/** One CSV row as Python's csv.writer writes it (quotes only where needed; "\r\n" endings). */
export function csvRow(cells: ReadonlyArray<string | number>): string {
  return `${cells
    .map((c) => {
      const s = String(c);
      return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',')}\r\n`;
}
