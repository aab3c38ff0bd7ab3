import { describeObjective, type Objective } from '../metrics/goodput.js';
import type { SweepResult } from '../plan/read-sweep.js';
import { cellValue, type SweepParam } from '../plan/sweep.js';
import { escapeXml, formatNumber, PALETTE } from './svg.js';

/**
 * The report's load sweeps: latency against throughput for every point, one curve per sweep
 * (configuration), each point labelled with its load, the knee ringed, the --goodput objective
 * as a dashed line; throughput (and goodput) against load; and a table of the points. Inline
 * SVG, no script, as the rest of the report.
 */

/** A sweep as the report draws it: its points, and the objectives its runs were measured against. */
export interface SweepCurve {
  sweep: SweepResult;
  objectives?: Objective[];
}

interface Pt {
  load: number;
  x: number;
  y: number;
  yLow?: number;
  yHigh?: number;
  knee: boolean;
}

interface Line {
  name: string;
  color: string;
  dashed?: boolean;
  pts: Pt[];
}

const W = 560;
const H = 320;
const M = { left: 64, right: 16, top: 28, bottom: 44 };

function niceStep(span: number): number {
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
}

/** An axis from 0 (linear), or by decades when the values span more than 20x (log). */
function axis(values: number[]): { log: boolean; lo: number; hi: number; f: (v: number) => number } {
  const pos = values.filter((v) => v > 0);
  const max = Math.max(1e-9, ...values);
  const min = pos.length > 0 ? Math.min(...pos) : max;
  if (max / min > 20) {
    const lo = Math.floor(Math.log10(min));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
    return { log: true, lo, hi, f: (v) => Math.log10(Math.max(v, 10 ** lo)) };
  }
  const step = niceStep(max);
  return { log: false, lo: 0, hi: Math.ceil((max * 1.05) / step) * step, f: (v) => v };
}

function ticks(a: ReturnType<typeof axis>): Array<{ at: number; label: string }> {
  const out: Array<{ at: number; label: string }> = [];
  if (a.log) for (let e = a.lo; e <= a.hi; e++) out.push({ at: e, label: formatNumber(10 ** e) });
  else {
    const step = niceStep(a.hi);
    for (let v = 0; v <= a.hi + step * 1e-9; v += step) out.push({ at: v, label: formatNumber(v) });
  }
  return out;
}

/** One chart: lines with labelled points, error bars, a ring on the knee, dashed objective lines. */
function sweepChart(o: {
  title: string;
  xLabel: string;
  yLabel: string;
  lines: Line[];
  marks: Array<{ y: number; label: string }>;
}): string {
  const all = o.lines.flatMap((l) => l.pts);
  if (all.length === 0) return '';
  const xa = axis(all.map((p) => p.x));
  const ya = axis([...all.flatMap((p) => [p.y, p.yHigh ?? p.y]), ...o.marks.map((m) => m.y)]);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (v: number) => M.left + ((xa.f(v) - xa.lo) / (xa.hi - xa.lo)) * pw;
  const sy = (v: number) => M.top + ph - ((ya.f(v) - ya.lo) / (ya.hi - ya.lo)) * ph;
  const f1 = (v: number) => v.toFixed(1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart sweep-chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(o.title)}">`,
    `<text x="${M.left}" y="16" class="chart-title">${escapeXml(o.title)}</text>`,
  ];
  for (const t of ticks(xa)) {
    const x = f1(M.left + ((t.at - xa.lo) / (xa.hi - xa.lo)) * pw);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}" class="grid"/><text x="${x}" y="${M.top + ph + 16}" text-anchor="middle" class="tick">${escapeXml(t.label)}</text>`,
    );
  }
  for (const t of ticks(ya)) {
    const y = f1(M.top + ph - ((t.at - ya.lo) / (ya.hi - ya.lo)) * ph);
    parts.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" class="grid"/><text x="${M.left - 6}" y="${y}" dy="4" text-anchor="end" class="tick">${escapeXml(t.label)}</text>`,
    );
  }
  parts.push(
    `<text x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle" class="axis-label">${escapeXml(o.xLabel)}</text>`,
    `<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeXml(o.yLabel)}</text>`,
  );
  for (const m of o.marks) {
    const y = f1(sy(m.y));
    parts.push(
      `<g class="mark slo"><line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#b91c1c" stroke-dasharray="6 4" stroke-width="1.5"/><text x="${M.left + 4}" y="${y}" dy="-4" class="tick" fill="#b91c1c">${escapeXml(m.label)}</text></g>`,
    );
  }
  for (const l of o.lines) {
    if (l.pts.length === 0) continue;
    const d = l.pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${f1(sx(p.x))},${f1(sy(p.y))}`).join('');
    const dots = l.pts
      .map((p) => {
        const cx = f1(sx(p.x));
        const cy = f1(sy(p.y));
        const bar =
          p.yLow !== undefined && p.yHigh !== undefined
            ? `<line class="error-bar" x1="${cx}" x2="${cx}" y1="${f1(sy(Math.max(p.yLow, ya.log ? 10 ** ya.lo : 0)))}" y2="${f1(sy(p.yHigh))}" stroke="${l.color}" stroke-width="1"/>`
            : '';
        const knee = p.knee
          ? `<circle class="knee" cx="${cx}" cy="${cy}" r="7" fill="none" stroke="${l.color}" stroke-width="2"/><text x="${cx}" y="${cy}" dx="9" dy="14" class="tick">knee</text>`
          : '';
        return `${bar}<circle cx="${cx}" cy="${cy}" r="3" fill="${l.color}"><title>${escapeXml(`${l.name}: load ${p.load}, ${formatNumber(p.x)} / ${formatNumber(p.y)}`)}</title></circle><text x="${cx}" y="${cy}" dx="5" dy="-6" class="tick">${escapeXml(String(p.load))}</text>${knee}`;
      })
      .join('');
    parts.push(
      `<g class="series" data-series="${escapeXml(l.name)}"><path d="${d}" fill="none" stroke="${l.color}" stroke-width="2"${l.dashed ? ' stroke-dasharray="5 3"' : ''}/>${dots}</g>`,
    );
  }
  o.lines.forEach((l, i) => {
    parts.push(
      `<g transform="translate(${M.left + pw - 170} ${M.top + 4 + i * 16})"><rect width="10" height="${l.dashed ? 3 : 10}" y="${l.dashed ? 4 : 0}" fill="${l.color}"/><text x="14" y="9" class="legend">${escapeXml(l.name)}</text></g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

function latencyLines(curves: SweepCurve[], tag: string, stat: string): Line[] {
  return curves.map((c, i) => ({
    name: c.sweep.label,
    color: PALETTE[i % PALETTE.length]!,
    pts: c.sweep.points.flatMap((p) => {
      const x = cellValue(p.cell, 'request_throughput', 'avg');
      const y = cellValue(p.cell, tag, stat);
      return x && y
        ? [
            {
              load: p.load,
              x: x.value,
              y: y.value,
              yLow: y.ciLow,
              yHigh: y.ciHigh,
              knee: p.load === c.sweep.knee,
            },
          ]
        : [];
    }),
  }));
}

/** The --goodput objectives on `tag`, each named with the sweeps it applies to when not all. */
function objectiveMarks(curves: SweepCurve[], tag: string): Array<{ y: number; label: string }> {
  const marks: Array<{ y: number; label: string }> = [];
  for (const c of curves)
    for (const o of c.objectives ?? []) {
      if (o.tag !== tag || marks.some((m) => m.y === o.threshold)) continue;
      const who = curves.filter((x) =>
        x.objectives?.some((y) => y.tag === tag && y.threshold === o.threshold),
      );
      const whose = who.length < curves.length ? ` (${who.map((x) => x.sweep.label).join(', ')})` : '';
      marks.push({ y: o.threshold, label: `SLO ${describeObjective(o).replace(`${o.tag} `, '')}${whose}` });
    }
  return marks;
}

function loadAxis(param: SweepParam): string {
  return param === 'concurrency' ? 'concurrency (sessions in flight)' : 'request rate (req/s offered)';
}

function throughputByLoad(curves: SweepCurve[], param: SweepParam): string {
  const mine = curves.filter((c) => c.sweep.param === param);
  if (mine.length === 0) return '';
  const lines: Line[] = [];
  mine.forEach((c) => {
    const color = PALETTE[curves.indexOf(c) % PALETTE.length]!;
    const of = (tag: string) =>
      c.sweep.points.flatMap((p) => {
        const v = cellValue(p.cell, tag, 'avg');
        return v
          ? [
              {
                load: p.load,
                x: p.load,
                y: v.value,
                yLow: v.ciLow,
                yHigh: v.ciHigh,
                knee: tag === 'request_throughput' && p.load === c.sweep.knee,
              },
            ]
          : [];
      });
    lines.push({ name: `${c.sweep.label} RPS`, color, pts: of('request_throughput') });
    const good = of('goodput');
    if (good.length > 0) lines.push({ name: `${c.sweep.label} goodput`, color, dashed: true, pts: good });
  });
  return sweepChart({
    title: `Throughput against ${param === 'concurrency' ? 'concurrency' : 'offered rate'}`,
    xLabel: loadAxis(param),
    yLabel: 'req/s',
    lines,
    marks: [],
  });
}

function num(v: number | undefined, digits = 2): string {
  return v === undefined ? '-' : v.toFixed(digits);
}

function pointsTable(curves: SweepCurve[]): string {
  const head =
    '<tr><th>Sweep</th><th>Load</th><th>RPS</th><th>Output tok/s</th><th>Goodput</th><th>Good</th><th>TTFT p50 (ms)</th><th>TTFT p99 (ms)</th><th>ITL p50 (ms)</th><th>ITL p99 (ms)</th><th>Errors</th><th></th></tr>';
  const rows = curves.flatMap((c) =>
    c.sweep.points.map((p) => {
      const v = (tag: string, stat: string) => cellValue(p.cell, tag, stat)?.value;
      const good = v('good_request_fraction', 'avg');
      return `<tr><td>${escapeXml(c.sweep.label)}</td><td>${p.load}</td><td>${num(v('request_throughput', 'avg'), 3)}</td><td>${num(v('output_token_throughput', 'avg'), 1)}</td><td>${num(v('goodput', 'avg'), 3)}</td><td>${good === undefined ? '-' : `${(good * 100).toFixed(1)} %`}</td><td>${num(v('time_to_first_token', 'p50'))}</td><td>${num(v('time_to_first_token', 'p99'))}</td><td>${num(v('inter_token_latency', 'p50'))}</td><td>${num(v('inter_token_latency', 'p99'))}</td><td>${num(v('error_request_count', 'avg') ?? 0, 0)}</td><td>${p.load === c.sweep.knee ? 'knee' : ''}</td></tr>`;
    }),
  );
  return `<table class="sweep-points">${head}${rows.join('')}</table>`;
}

/** The report section of one or more sweeps (empty when there are none). */
export function sweepSection(curves: SweepCurve[]): string {
  if (curves.length === 0) return '';
  const charts = [
    sweepChart({
      title: 'TTFT p99 against throughput',
      xLabel: 'request throughput (req/s)',
      yLabel: 'TTFT p99 (ms)',
      lines: latencyLines(curves, 'time_to_first_token', 'p99'),
      marks: objectiveMarks(curves, 'time_to_first_token'),
    }),
    sweepChart({
      title: 'ITL p99 against throughput',
      xLabel: 'request throughput (req/s)',
      yLabel: 'ITL p99 (ms)',
      lines: latencyLines(curves, 'inter_token_latency', 'p99'),
      marks: objectiveMarks(curves, 'inter_token_latency'),
    }),
    sweepChart({
      title: 'TTFT p50 against throughput',
      xLabel: 'request throughput (req/s)',
      yLabel: 'TTFT p50 (ms)',
      lines: latencyLines(curves, 'time_to_first_token', 'p50'),
      marks: objectiveMarks(curves, 'time_to_first_token'),
    }),
    throughputByLoad(curves, 'concurrency'),
    throughputByLoad(curves, 'rate'),
  ].join('');
  const knees = curves
    .map((c) =>
      c.sweep.knee !== undefined
        ? `${c.sweep.label}: knee at ${c.sweep.param} ${c.sweep.knee}`
        : `${c.sweep.label}: no knee within the sweep (throughput still grew at its last point)`,
    )
    .map((t) => `<li>${escapeXml(t)}</li>`)
    .join('');
  return (
    `<h2>Load sweeps</h2><div class="grid-charts">${charts}</div>${pointsTable(curves)}` +
    `<ul class="knees">${knees}</ul><p class="ci">The knee is the last point where more load still bought throughput: past it, throughput grew by less than half the load's increase. Each point is a run (or the mean of its trials, with their interval as a bar).</p>`
  );
}
