import { metricDef } from '../metrics/catalogue.js';
import { deltaPct, formatDelta } from '../metrics/compare.js';
import { formatMore } from '../metrics/errors.js';
import { VERSION } from '../version.js';
import { type CurveMetric, HEADLINE, type HeadlineKey, type ReportRun, type TimelinePoint } from './model.js';
import { serverSection } from './server-chart.js';
import { barChart, chart, escapeXml, formatNumber, PALETTE, type Series } from './svg.js';

export interface ReportOptions {
  title?: string;
  /** Label of the run the others are compared against (default: the first). */
  baseline?: string;
  generatedAt?: Date;
}

const CURVES: Array<{ metric: CurveMetric; title: string }> = [
  { metric: 'time_to_first_token', title: 'Time to first token' },
  { metric: 'inter_token_latency', title: 'Inter-token latency' },
  { metric: 'request_latency', title: 'Request latency' },
];

const largerIsBetter = (h: (typeof HEADLINE)[number]) => metricDef(h.tag)?.largerIsBetter ?? false;

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
td.message{text-align:left;max-width:720px;overflow-wrap:anywhere}
`;

function summaryTable(runs: ReportRun[], base: ReportRun): string {
  const head = `<tr><th>Result</th>${HEADLINE.map((h) => `<th>${escapeXml(h.label)}${h.unit ? ` (${h.unit})` : ''}</th>`).join('')}</tr>`;
  const rows = runs.map((r) => {
    const cells = HEADLINE.map((h) => {
      const v = r.headline[h.key];
      if (v === undefined) return '<td>n/a</td>';
      const pct = r === base ? undefined : deltaPct(v, base.headline[h.key]);
      const cls = pct === undefined || pct === 0 ? '' : pct > 0 === largerIsBetter(h) ? 'better' : 'worse';
      const delta = pct === undefined ? '' : ` <span class="${cls}">${formatDelta(pct)}</span>`;
      return `<td>${formatNumber(v)}${delta}</td>`;
    }).join('');
    return `<tr><td>${escapeXml(r.label)}${r === base && runs.length > 1 ? ' (baseline)' : ''}</td>${cells}</tr>`;
  });
  return `<table class="summary">${head}${rows.join('')}</table>`;
}

function comparisonBars(runs: ReportRun[], base: ReportRun): string {
  const keys: HeadlineKey[] = ['rps', 'ttftAvgMs', 'ttftP50Ms', 'ttftP99Ms', 'itlAvgMs', 'outputTokensPerS'];
  return keys
    .map((k) => {
      const h = HEADLINE.find((x) => x.key === k)!;
      return barChart({
        title: `${h.label} vs ${base.label}`,
        unit: h.unit,
        bars: runs.map((r, i) => ({
          label: r.label,
          color: PALETTE[i % PALETTE.length]!,
          value: r.headline[k],
          note: r === base ? 'baseline' : formatDelta(deltaPct(r.headline[k], base.headline[k])),
        })),
      });
    })
    .join('');
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
  if (runs.length === 0) throw new Error('renderReport needs at least one result');
  const base = runs.find((r) => r.label === opts.baseline) ?? runs[0]!;
  const title =
    opts.title ?? (runs.length === 1 ? `mmload report: ${runs[0]!.label}` : 'mmload comparison report');
  const generated = (opts.generatedAt ?? new Date()).toISOString();
  const sections: string[] = [];
  sections.push(`<h2>Summary</h2>${summaryTable(runs, base)}`);
  if (runs.length > 1)
    sections.push(
      `<h2>Against the baseline</h2><div class="grid-charts">${comparisonBars(runs, base)}</div>`,
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
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeXml(title)}</h1>
<div class="meta">Generated ${escapeXml(generated)} by mmload ${escapeXml(VERSION)} from ${runs.map((r) => `${escapeXml(r.label)} (${r.source})`).join(', ')}</div>
${sections.join('\n')}
</body></html>
`;
}
