import { metricDef } from '../metrics/catalogue.js';
import {
  type CompareCell,
  type Comparison,
  compareSummaries,
  deltaPct,
  formatDelta,
  formatInterval,
  formatIntervalNotes,
} from '../metrics/compare.js';
import { formatMore } from '../metrics/errors.js';
import { describeObjective } from '../metrics/goodput.js';
import type { RecordSamples } from '../metrics/readers.js';
import { VERSION } from '../version.js';
import { type CurveMetric, HEADLINE, type HeadlineKey, type ReportRun, type TimelinePoint } from './model.js';
import { serverSection } from './server-chart.js';
import { barChart, chart, escapeXml, formatNumber, type Mark, PALETTE, type Series } from './svg.js';
import { type SweepCurve, sweepSection } from './sweep-chart.js';

export interface ReportOptions {
  title?: string;
  /** Label of the run the others are compared against (default: the first). */
  baseline?: string;
  generatedAt?: Date;
  /** Load sweeps: drawn first, latency against throughput (report/sweep-chart.ts). */
  sweeps?: SweepCurve[];
}

const CURVES: Array<{ metric: CurveMetric; title: string }> = [
  { metric: 'time_to_first_token', title: 'Time to first token' },
  { metric: 'inter_token_latency', title: 'Inter-token latency' },
  { metric: 'request_latency', title: 'Request latency' },
];

const largerIsBetter = (h: (typeof HEADLINE)[number]) =>
  h.largerIsBetter ?? metricDef(h.tag)?.largerIsBetter ?? false;

type Headline = (typeof HEADLINE)[number];

/** The headline figures shown: the optional ones (goodput) only when a result has them. */
function headlines(runs: ReportRun[]): Headline[] {
  return HEADLINE.filter((h) => !h.optional || runs.some((r) => r.headline[h.key] !== undefined));
}

/**
 * compare's intervals for the report (the same statistics as `mmload compare`): each result's
 * own interval (error bars) and each change's against the baseline, when the results were read
 * from disk. Undefined for results built in code without their summaries.
 */
function intervals(runs: ReportRun[], base: ReportRun): Comparison | undefined {
  if (runs.length < 2 || runs.some((r) => !r.summary)) return undefined;
  const samples = new Map<string, RecordSamples>();
  for (const r of runs) if (r.samples) samples.set(r.label, r.samples);
  try {
    return compareSummaries(
      runs.map((r) => ({ ...r.summary!, label: r.label })),
      base.label,
      { samples },
    );
  } catch {
    return undefined;
  }
}

/** The compare cell of a headline figure for one result. */
function cellOf(c: Comparison | undefined, r: ReportRun, h: Headline): CompareCell | undefined {
  const col = c?.columns.find((x) => x.tag === h.tag && x.stat === h.stat);
  return col ? c?.rows.find((x) => x.label === r.label)?.cells[col.key] : undefined;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1200px;color:#111827;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.meta{color:#6b7280;font-size:12px}
table{border-collapse:collapse;margin:8px 0}th,td{padding:4px 10px;border-bottom:1px solid #e5e7eb;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f9fafb;font-weight:600}
.better{color:#15803d}.worse{color:#b91c1c}
.grid-charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{background:#fff;border:1px solid #e5e7eb;border-radius:4px}
.chart .grid{stroke:#eef0f3}.chart .tick{font-size:11px;fill:#4b5563}.chart .axis-label{font-size:12px;fill:#374151}
.chart .chart-title{font-size:13px;font-weight:600;fill:#111827}.chart .legend{font-size:11px;fill:#111827}
.chart .delta{fill:#6b7280}
.notes li{color:#92400e}
.ci{color:#6b7280;font-size:12px}.interval-notes li{color:#4b5563;font-size:12px}
td.message{text-align:left;max-width:720px;overflow-wrap:anywhere}
`;

function summaryTable(runs: ReportRun[], base: ReportRun, c: Comparison | undefined): string {
  const shown = headlines(runs);
  const head = `<tr><th>Result</th>${shown.map((h) => `<th>${escapeXml(h.label)}${h.unit ? ` (${h.unit})` : ''}</th>`).join('')}</tr>`;
  const rows = runs.map((r) => {
    const cells = shown
      .map((h) => {
        const v = r.headline[h.key];
        if (v === undefined) return '<td>n/a</td>';
        const pct = r === base ? undefined : deltaPct(v, base.headline[h.key]);
        const cls = pct === undefined || pct === 0 ? '' : pct > 0 === largerIsBetter(h) ? 'better' : 'worse';
        const ci = r === base ? '' : formatInterval(cellOf(c, r, h)?.delta);
        const delta =
          pct === undefined
            ? ''
            : ` <span class="${cls}">${formatDelta(pct)}</span>${ci ? ` <span class="ci">${escapeXml(ci)}</span>` : ''}`;
        return `<td>${formatNumber(v)}${delta}</td>`;
      })
      .join('');
    return `<tr><td>${escapeXml(r.label)}${r === base && runs.length > 1 ? ' (baseline)' : ''}</td>${cells}</tr>`;
  });
  const notes = c ? formatIntervalNotes(c) : '';
  const legend = notes
    ? `<ul class="interval-notes">${notes
        .trim()
        .split('\n')
        .map((l) => `<li>${escapeXml(l)}</li>`)
        .join('')}</ul>`
    : '';
  return `<table class="summary">${head}${rows.join('')}</table>${legend}`;
}

function comparisonBars(runs: ReportRun[], base: ReportRun, c: Comparison | undefined): string {
  const keys: HeadlineKey[] = [
    'rps',
    'goodput',
    'ttftAvgMs',
    'ttftP50Ms',
    'ttftP99Ms',
    'itlAvgMs',
    'outputTokensPerS',
  ];
  const shown = headlines(runs);
  return keys
    .map((k) => shown.find((x) => x.key === k))
    .filter((h): h is Headline => h !== undefined)
    .map((h) =>
      barChart({
        title: `${h.label} vs ${base.label}`,
        unit: h.unit,
        bars: runs.map((r, i) => {
          const cell = cellOf(c, r, h);
          const ci = r === base ? '' : formatInterval(cell?.delta);
          return {
            label: r.label,
            color: PALETTE[i % PALETTE.length]!,
            value: r.headline[h.key],
            range: cell?.range,
            note:
              r === base
                ? 'baseline'
                : `${formatDelta(deltaPct(r.headline[h.key], base.headline[h.key]))}${ci ? ` ${ci}` : ''}`,
          };
        }),
      }),
    )
    .join('');
}

/** The --goodput objectives on a metric's percentile curve, one line per distinct bound. */
function sloMarks(runs: ReportRun[], metric: CurveMetric): Mark[] {
  const marks: Mark[] = [];
  for (const r of runs) {
    for (const o of r.objectives ?? []) {
      if (o.tag !== metric || marks.some((m) => m.y === o.threshold)) continue;
      const who = runs.filter((x) =>
        x.objectives?.some((y) => y.tag === metric && y.threshold === o.threshold),
      );
      marks.push({
        y: o.threshold,
        label: `SLO ${describeObjective(o).replace(`${o.tag} `, '')}${who.length < runs.length ? ` (${who.map((x) => x.label).join(', ')})` : ''}`,
      });
    }
  }
  return marks;
}

function seriesOf(
  runs: ReportRun[],
  pick: (r: ReportRun) => ReadonlyArray<readonly [number, number]> | undefined,
): Series[] {
  const out: Series[] = [];
  runs.forEach((r, i) => {
    const points = pick(r);
    if (points && points.length > 0) out.push({ name: r.label, color: PALETTE[i % PALETTE.length]!, points });
  });
  return out;
}

function errorsTable(runs: ReportRun[]): string {
  const kinds = [...new Set(runs.flatMap((r) => Object.keys(r.errors)))].sort();
  if (kinds.length === 0) return '<p class="no-errors">No failed requests.</p>';
  const head = `<tr><th>Result</th>${kinds.map((k) => `<th>${escapeXml(k)}</th>`).join('')}</tr>`;
  const rows = runs.map(
    (r) =>
      `<tr><td>${escapeXml(r.label)}</td>${kinds.map((k) => `<td>${r.errors[k] ?? 0}</td>`).join('')}</tr>`,
  );
  return `<table class="errors">${head}${rows.join('')}</table>${errorMessagesTable(runs)}`;
}

/** What the servers said: each result's distinct error messages with their counts. */
function errorMessagesTable(runs: ReportRun[]): string {
  const rows = runs.flatMap((r) => {
    const e = r.errorMessages;
    if (!e) return [];
    const lines = e.lines.map(
      (l) =>
        `<tr><td>${escapeXml(r.label)}</td><td>${escapeXml(l.label)}</td><td>${l.count}</td><td class="message">${escapeXml(l.text)}</td></tr>`,
    );
    const more = formatMore(e);
    if (more)
      lines.push(
        `<tr><td>${escapeXml(r.label)}</td><td></td><td>${e.moreRequests}</td><td class="message">${escapeXml(more)}</td></tr>`,
      );
    return lines;
  });
  if (rows.length === 0) return '';
  return `<table class="error-messages"><tr><th>Result</th><th>Error</th><th>Count</th><th>Message</th></tr>${rows.join('')}</table>`;
}

/** The whole report as one self-contained HTML document (inline CSS and SVG, no script, no fetch). */
export function renderReport(runs: ReportRun[], opts: ReportOptions = {}): string {
  if (runs.length === 0 && !opts.sweeps?.length) throw new Error('renderReport needs at least one result');
  const generated = (opts.generatedAt ?? new Date()).toISOString();
  // Sweeps read from their aggregate alone (no point results beside it) are all there is to draw.
  if (runs.length === 0)
    return page(opts.title ?? 'mmload sweep report', generated, [], [sweepSection(opts.sweeps!)]);
  const base = runs.find((r) => r.label === opts.baseline) ?? runs[0]!;
  const title =
    opts.title ?? (runs.length === 1 ? `mmload report: ${runs[0]!.label}` : 'mmload comparison report');
  const sections: string[] = [];
  if (opts.sweeps?.length) sections.push(sweepSection(opts.sweeps));
  const c = intervals(runs, base);
  sections.push(`<h2>Summary</h2>${summaryTable(runs, base, c)}`);
  if (runs.length > 1)
    sections.push(
      `<h2>Against the baseline</h2><div class="grid-charts">${comparisonBars(runs, base, c)}</div>`,
    );
  const curves = CURVES.map(({ metric, title: t }) => {
    const series = seriesOf(runs, (r) => r.curves[metric]);
    return series.length === 0
      ? ''
      : chart({
          title: `${t} by percentile`,
          x: { label: 'percentile', scale: 'percentile' },
          y: { label: 'ms', scale: 'log' },
          series,
          marks: sloMarks(runs, metric),
        });
  }).join('');
  if (curves) sections.push(`<h2>Percentile distributions</h2><div class="grid-charts">${curves}</div>`);
  const ttft = seriesOf(runs, (r) => r.ttftOverRun);
  if (ttft.length > 0) {
    sections.push(
      `<h2>TTFT over the run</h2>${chart({ title: 'TTFT of each request by its start time', x: { label: 'seconds since start', scale: 'linear' }, y: { label: 'TTFT ms', scale: 'linear' }, series: ttft, mode: 'scatter', width: 1000 })}`,
    );
  }
  // Each per-second bucket is drawn across its whole second: a step to t + 1 closes the last one
  // (a run shorter than a second is one bucket, which would otherwise draw as a single point).
  const perSecond = (r: ReportRun, pick: (p: TimelinePoint) => number) => {
    const t = r.timeline;
    if (!t || t.length === 0) return undefined;
    const last = t[t.length - 1]!;
    return [...t.map((p) => [p.t, pick(p)] as const), [last.t + 1, pick(last)] as const];
  };
  const done = seriesOf(runs, (r) => perSecond(r, (p) => p.completed));
  const tokens = seriesOf(runs, (r) => perSecond(r, (p) => p.outputTokens));
  if (done.length > 0) {
    sections.push(
      `<h2>Throughput over the run</h2><div class="grid-charts">${chart({ title: 'Completed requests per second', x: { label: 'seconds since start', scale: 'linear' }, y: { label: 'req/s', scale: 'linear' }, series: done, mode: 'step' })}${chart({ title: 'Output tokens per second', x: { label: 'seconds since start', scale: 'linear' }, y: { label: 'tok/s', scale: 'linear' }, series: tokens, mode: 'step' })}</div>`,
    );
  }
  const server = serverSection(runs);
  if (server) sections.push(server);
  sections.push(`<h2>Errors</h2>${errorsTable(runs)}`);
  const notes = runs.flatMap((r) => (r.notes ?? []).map((n) => `${r.label}: ${n}`));
  if (notes.length > 0)
    sections.push(
      `<h2>Notes</h2><ul class="notes">${notes.map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul>`,
    );
  return page(title, generated, runs, sections);
}

function page(title: string, generated: string, runs: ReportRun[], sections: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeXml(title)}</h1>
<div class="meta">Generated ${escapeXml(generated)} by mmload ${escapeXml(VERSION)}${runs.length > 0 ? ` from ${runs.map((r) => `${escapeXml(r.label)} (${r.source})`).join(', ')}` : ''}</div>
${sections.join('\n')}
</body></html>
`;
}
