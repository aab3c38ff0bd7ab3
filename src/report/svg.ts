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
  /** A fixed x range (linear x only), so that charts stacked on one time axis line up. */
  xDomain?: [number, number];
  width?: number;
  height?: number;
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
  const [x0, x1] =
    o.xDomain && o.x.scale === 'linear'
      ? o.xDomain
      : extent(
          usable.flatMap((s) => s.pts.map((p) => p[0])),
          o.x.scale === 'percentile' ? 'linear' : o.x.scale,
        );
  const [y0, y1] = extent(
    usable.flatMap((s) => s.pts.map((p) => p[1])),
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
  parts.push(legend(o.series, MARGIN.left + pw, MARGIN.top));
  parts.push('</svg>');
  return parts.join('');
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
  bars: Array<{ label: string; color: string; value: number | undefined; note?: string }>;
}

/** Horizontal bars, one per result, each labelled with its value and a note (the delta). */
export function barChart(g: BarGroup, width = 360): string {
  const rowH = 22;
  const labelW = 120;
  const height = 28 + g.bars.length * rowH + 8;
  const max = Math.max(...g.bars.map((b) => b.value ?? 0), 1e-9);
  const barW = width - labelW - 120;
  const rows = g.bars.map((b, i) => {
    const y = 28 + i * rowH;
    const w = b.value === undefined ? 0 : (b.value / max) * barW;
    const value = b.value === undefined ? 'n/a' : `${formatNumber(b.value)} ${g.unit}`;
    return (
      `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end" class="tick">${escapeXml(b.label)}</text>` +
      `<rect class="bar" x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${b.color}"><title>${escapeXml(`${b.label}: ${value}`)}</title></rect>` +
      `<text x="${labelW + w + 4}" y="${y + 14}" class="tick">${escapeXml(value)}${b.note ? ` <tspan class="delta">${escapeXml(b.note)}</tspan>` : ''}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(g.title)}"><text x="4" y="16" class="chart-title">${escapeXml(g.title)}</text>${rows.join('')}</svg>`;
}
