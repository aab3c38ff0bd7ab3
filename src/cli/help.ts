/**
 * Lays out yargs' help text for a terminal width. yargs' own wrapping (its ESM build's cliui)
 * cuts lines every N characters, splitting words and URLs; here yargs renders unwrapped
 * (`.wrap(null)`) and this module re-flows it at spaces only. A token longer than the room left
 * (a long URL or path) gets a line of its own and overflows it rather than being cut.
 *
 * Unwrapped yargs help is paragraphs (usage, description, epilogue) and sections: a header line
 * ending in ':' ("Options:", "Commands:", "Examples:"...) then one row per line, each row
 * `<indent><left>  <description>  <[hint] [hint]>` with the left column padded.
 */

const MAX_WIDTH = 110;
const MIN_WIDTH = 20;
/** Fallback when neither a terminal nor COLUMNS gives a width (pipes, CI logs). */
const DEFAULT_WIDTH = 100;

/** Help width: the terminal's, else $COLUMNS, else 100; at most 110 (long lines read badly). */
export function helpWidth(
  env: NodeJS.ProcessEnv = process.env,
  out: { isTTY?: boolean; columns?: number } = process.stdout,
): number {
  const fromEnv = Number.parseInt(env.COLUMNS ?? '', 10);
  const cols = out.isTTY && out.columns ? out.columns : fromEnv > 0 ? fromEnv : DEFAULT_WIDTH;
  return Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, cols));
}

const SECTION_HEADER = /^\S.*:$/;
/** indent, left column (no double space inside), rest after two or more spaces. */
const ROW = /^( *)(\S(?:\S| (?! ))*)(?: {2,}(.*))?$/;
const HINT = /\[[^\]]*\]/g;

interface Row {
  left: string;
  units: string[];
}

/** Re-flows unwrapped yargs help to `width` columns without splitting any word. */
export function wrapHelp(text: string, width: number): string {
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (SECTION_HEADER.test(line)) {
      out.push(line);
      const rows: Row[] = [];
      while (i + 1 < lines.length && lines[i + 1]!.trim() !== '') rows.push(parseRow(lines[++i]!));
      out.push(...layoutSection(rows, width));
    } else {
      const indent = /^ */.exec(line)![0];
      out.push(...flow(words(line), width - indent.length).map((l) => indent + l));
    }
  }
  return out.join('\n');
}

function words(s: string): string[] {
  return s.split(/\s+/).filter(Boolean);
}

/** Splits a row into its left column and the units to flow: words, then whole [hint] groups. */
function parseRow(line: string): Row {
  const m = ROW.exec(line);
  if (!m) return { left: line.trimEnd(), units: [] };
  const left = m[1]! + m[2]!;
  const rest = m[3] ?? '';
  // yargs puts the hints ([string] [default: x]...) after the last double space.
  const cut = rest.lastIndexOf('  ');
  const tail = cut >= 0 ? rest.slice(cut + 2) : rest;
  const isHints = tail.startsWith('[') && tail.replace(HINT, '').trim() === '';
  const description = isHints ? (cut >= 0 ? rest.slice(0, cut) : '') : rest;
  return { left, units: [...words(description), ...(isHints ? (tail.match(HINT) ?? []) : [])] };
}

/**
 * Two columns when the left column fits in about half the width; a row whose left part is
 * wider (a long example command) gets its text on the following lines instead.
 */
function layoutSection(rows: Row[], width: number): string[] {
  const limit = Math.min(Math.floor(width * 0.45), width - MIN_WIDTH);
  const fitting = rows.filter((r) => r.left.length + 2 <= limit).map((r) => r.left.length + 2);
  const column = fitting.length > 0 ? Math.max(...fitting) : 6;
  const room = Math.max(width - column, MIN_WIDTH);
  const out: string[] = [];
  for (const r of rows) {
    const text = flow(breakLongHints(r.units, room), room);
    if (r.left.length + 2 <= column) {
      const first = text.shift() ?? '';
      out.push(`${r.left.padEnd(column)}${first}`.trimEnd());
    } else {
      const indent = /^ */.exec(r.left)![0];
      const cont = `${indent}  `;
      const leftLines = flow(words(r.left), width - cont.length);
      out.push(indent + leftLines[0]!, ...leftLines.slice(1).map((l) => cont + l));
    }
    out.push(...text.map((l) => ' '.repeat(column) + l));
  }
  return out;
}

/** A hint group wider than the room ([choices: ...] with many values) may break at its spaces. */
function breakLongHints(units: string[], room: number): string[] {
  return units.flatMap((u) => (u.startsWith('[') && u.length > room ? words(u) : [u]));
}

/** Greedy fill at spaces; a unit wider than `room` stands alone on its line, uncut. */
function flow(units: string[], room: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const u of units) {
    if (cur === '') cur = u;
    else if (cur.length + 1 + u.length <= room) cur += ` ${u}`;
    else {
      lines.push(cur);
      cur = u;
    }
  }
  if (cur !== '' || lines.length === 0) lines.push(cur);
  return lines;
}
