/**
 * Inline-SVG chart primitives for the self-contained report: no script, no network, so the file
 * opens anywhere (air-gapped clusters included) and prints as it shows.
 */
export const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#4b5563',
  '#ca8a04',
];

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type Scale = 'linear' | 'log' | 'percentile';

export interface Axis {
  label: string;
  scale: Scale;
}

export interface Series {
  name: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface ChartOptions {
  title: string;
  x: Axis;
  y: Axis;
  series: Series[];
  mode?: 'line' | 'scatter' | 'step';
  width?: number;
  height?: number;
  /** Horizontal reference lines (service level objectives), drawn dashed with their label. */
  marks?: Mark[];
}

export interface Mark {
  y: number;
  label: string;
}

const MARGIN = { left: 64, right: 16, top: 28, bottom: 44 };

/** Percentile p (0..100) to "nines": 90 -> 1, 99 -> 2, 99.9 -> 3 (HDR's percentile axis). */
function nines(p: number): number {
  return -Math.log10(Math.max(1 - p / 100, 1e-7));
}

function forward(scale: Scale, v: number): number {
  if (scale === 'log') return Math.log10(Math.max(v, 1e-9));
  if (scale === 'percentile') return nines(v);
  return v;
}

function niceStep(span: number, target: number): number {
  const raw = span / Math.max(target, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

export function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 10000) return `${(v / 1000).toFixed(0)}k`;
  if (a >= 100) return v.toFixed(0);
  // Number(...) drops trailing zeros: 5 not 5.00 on an axis.
  if (a >= 10) return String(Number(v.toFixed(1)));
  if (a >= 1) return String(Number(v.toFixed(2)));
  return String(Number(v.toPrecision(2)));
}

function ticks(scale: Scale, lo: number, hi: number): Array<{ at: number; label: string }> {
  if (scale === 'percentile') {
    return [0, 90, 99, 99.9, 99.99]
      .filter((p) => nines(p) <= hi + 1e-9)
      .map((p) => ({ at: nines(p), label: `${p}%` }));
  }
  if (scale === 'log') {
    const out: Array<{ at: number; label: string }> = [];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
      if (e >= lo - 1e-9 && e <= hi + 1e-9) out.push({ at: e, label: formatNumber(10 ** e) });
    }
    return out;
  }
  const step = niceStep(hi - lo, 5);
  const out: Array<{ at: number; label: string }> = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push({ at: v, label: formatNumber(v) });
  return out;
}

function extent(values: number[], scale: Scale): [number, number] {
  if (values.length === 0) return [0, 1];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (scale === 'linear') lo = Math.min(lo, 0);
  if (scale === 'log') {
    lo = Math.floor(lo);
    hi = Math.ceil(hi);
  }
  if (hi - lo < 1e-9) hi = lo + 1;
  return [lo, hi];
}

/** A line, step or scatter chart with axes, ticks, a legend and a <title> per series for hover. */
export function chart(o: ChartOptions): string {
  const width = o.width ?? 560;
  const height = o.height ?? 300;
  const pw = width - MARGIN.left - MARGIN.right;
  const ph = height - MARGIN.top - MARGIN.bottom;
  const usable = o.series.map((s) => ({
    ...s,
    pts: s.points
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (o.y.scale !== 'log' || y > 0))
      .map(([x, y]) => [forward(o.x.scale, x), forward(o.y.scale, y)] as const),
  }));
  const [x0, x1] = extent(
    usable.flatMap((s) => s.pts.map((p) => p[0])),
    o.x.scale === 'percentile' ? 'linear' : o.x.scale,
  );
  const marks = (o.marks ?? []).filter((m) => Number.isFinite(m.y) && (o.y.scale !== 'log' || m.y > 0));
  const [y0, y1] = extent(
    [...usable.flatMap((s) => s.pts.map((p) => p[1])), ...marks.map((m) => forward(o.y.scale, m.y))],
    o.y.scale,
  );
  const sx = (v: number) => MARGIN.left + ((v - x0) / (x1 - x0)) * pw;
  const sy = (v: number) => MARGIN.top + ph - ((v - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(o.title)}">`,
  );
  parts.push(`<text x="${MARGIN.left}" y="16" class="chart-title">${escapeXml(o.title)}</text>`);
  for (const t of ticks(o.x.scale, x0, x1)) {
    const x = sx(t.at).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + ph}" class="grid"/>`);
    parts.push(
      `<text x="${x}" y="${MARGIN.top + ph + 16}" text-anchor="middle" class="tick">${escapeXml(t.label)}</text>`,
    );
  }
  for (const t of ticks(o.y.scale, y0, y1)) {
    const y = sy(t.at).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + pw}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(
      `<text x="${MARGIN.left - 6}" y="${y}" dy="4" text-anchor="end" class="tick">${escapeXml(t.label)}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + pw / 2}" y="${height - 6}" text-anchor="middle" class="axis-label">${escapeXml(o.x.label)}</text>`,
    `<text transform="translate(14 ${MARGIN.top + ph / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeXml(o.y.label)}</text>`,
  );
  for (const s of usable) {
    if (s.pts.length === 0) continue;
    const name = `<title>${escapeXml(s.name)}</title>`;
    if (o.mode === 'scatter') {
      const dots = s.pts
        .map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2"/>`)
        .join('');
      parts.push(
        `<g class="series" fill="${s.color}" fill-opacity="0.7" data-series="${escapeXml(s.name)}">${name}${dots}</g>`,
      );
    } else {
      let d = '';
      s.pts.forEach(([x, y], i) => {
        const px = sx(x).toFixed(1);
        const py = sy(y).toFixed(1);
        if (i === 0) d += `M${px},${py}`;
        else if (o.mode === 'step') d += `H${px}V${py}`;
        else d += `L${px},${py}`;
      });
      parts.push(
        `<path class="series" d="${d}" fill="none" stroke="${s.color}" stroke-width="2" data-series="${escapeXml(s.name)}">${name}</path>`,
      );
    }
  }
  parts.push(markLines(marks, (v) => sy(forward(o.y.scale, v)), MARGIN.left, MARGIN.left + pw));
  parts.push(legend(o.series, MARGIN.left + pw, MARGIN.top));
  parts.push('</svg>');
  return parts.join('');
}

/** Dashed horizontal lines across the plot, each labelled at its left end. */
function markLines(marks: Mark[], y: (v: number) => number, left: number, right: number): string {
  return marks
    .map((m) => {
      const py = y(m.y).toFixed(1);
      return `<g class="mark"><line x1="${left}" x2="${right}" y1="${py}" y2="${py}" stroke="#b91c1c" stroke-dasharray="6 4" stroke-width="1.5"/><text x="${left + 4}" y="${py}" dy="-4" class="tick mark-label" fill="#b91c1c">${escapeXml(m.label)}</text></g>`;
    })
    .join('');
}

function legend(series: Series[], right: number, top: number): string {
  return series
    .map(
      (s, i) =>
        `<g transform="translate(${right - 150} ${top + 4 + i * 16})"><rect width="10" height="10" fill="${s.color}"/><text x="14" y="9" class="legend">${escapeXml(s.name)}</text></g>`,
    )
    .join('');
}

export interface BarGroup {
  title: string;
  unit: string;
  bars: Array<{
    label: string;
    color: string;
    value: number | undefined;
    note?: string;
    /** The value's interval: drawn as an error bar. */
    range?: readonly [number, number];
  }>;
}

/** Horizontal bars, one per result, each labelled with its value and a note (the delta). */
export function barChart(g: BarGroup, width = 360): string {
  const rowH = 22;
  const labelW = 120;
  const height = 28 + g.bars.length * rowH + 8;
  const max = Math.max(...g.bars.map((b) => Math.max(b.value ?? 0, b.range?.[1] ?? 0)), 1e-9);
  // Room right of the longest bar for its value and note (an interval makes the note long).
  const textChars = Math.max(
    ...g.bars.map(
      (b) => `${b.value === undefined ? 'n/a' : `${formatNumber(b.value)} ${g.unit}`} ${b.note ?? ''}`.length,
    ),
  );
  const reserve = Math.max(120, Math.ceil(textChars * 6.2) + 8);
  width = Math.max(width, labelW + 140 + reserve);
  const barW = width - labelW - reserve;
  const rows = g.bars.map((b, i) => {
    const y = 28 + i * rowH;
    const w = b.value === undefined ? 0 : (b.value / max) * barW;
    const value = b.value === undefined ? 'n/a' : `${formatNumber(b.value)} ${g.unit}`;
    const text = Math.max(w, b.range ? (b.range[1] / max) * barW : 0);
    return (
      `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end" class="tick">${escapeXml(b.label)}</text>` +
      `<rect class="bar" x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${b.color}"><title>${escapeXml(`${b.label}: ${value}`)}</title></rect>` +
      errorBar(b.range, labelW, barW / max, y + rowH / 2, `${b.label}: ${value}`) +
      `<text x="${labelW + text + 4}" y="${y + 14}" class="tick">${escapeXml(value)}${b.note ? ` <tspan class="delta">${escapeXml(b.note)}</tspan>` : ''}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(g.title)}"><text x="4" y="16" class="chart-title">${escapeXml(g.title)}</text>${rows.join('')}</svg>`;
}

/** An interval across a horizontal bar: a line from low to high with end caps. */
function errorBar(
  range: readonly [number, number] | undefined,
  x0: number,
  perUnit: number,
  y: number,
  title: string,
): string {
  if (!range || !Number.isFinite(range[0]) || !Number.isFinite(range[1])) return '';
  const lo = (x0 + Math.max(0, range[0]) * perUnit).toFixed(1);
  const hi = (x0 + Math.max(0, range[1]) * perUnit).toFixed(1);
  const t = `<title>${escapeXml(`${title}, interval ${formatNumber(range[0])} to ${formatNumber(range[1])}`)}</title>`;
  return `<g class="error-bar" stroke="#111827" stroke-width="1.5">${t}<line x1="${lo}" x2="${hi}" y1="${y}" y2="${y}"/><line x1="${lo}" x2="${lo}" y1="${y - 5}" y2="${y + 5}"/><line x1="${hi}" x2="${hi}" y1="${y - 5}" y2="${y + 5}"/></g>`;
}
