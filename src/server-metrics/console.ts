import { type Summary, stat } from '../metrics/summary.js';
import { type CommonView, commonView, type ViewValue, viewValue } from './common-view.js';
import type { ServerMetricsExport } from './export.js';

/**
 * The client's TTFT beside the server's over the same profiling window. What the client sees and
 * the server's histogram does not is the difference: the network both ways, the upload of the
 * request body (tens of MB for base64 images), and the frontend's work before the server starts
 * its clock (HTTP parsing, tokenization, image decoding, a frontend queue).
 */
export interface TtftSplit {
  server: string;
  rows: Array<{
    stat: 'p50' | 'p90' | 'p99' | 'avg';
    clientMs?: number;
    serverMs?: number;
    differenceMs?: number;
  }>;
}

export const TTFT_DIFFERENCE_MEANS =
  'client minus server: network, upload of the request body, and frontend work and queueing before the server starts its TTFT clock';

export function ttftSplit(view: CommonView, client: Summary): TtftSplit | undefined {
  const s = viewValue(view, 'server_ttft');
  if (!s?.count) return undefined;
  const rows = (['p50', 'p90', 'p99', 'avg'] as const).map((k) => {
    const clientMs = stat(client, 'time_to_first_token', k);
    const serverMs = s[k];
    return {
      stat: k,
      clientMs,
      serverMs,
      differenceMs: clientMs !== undefined && serverMs !== undefined ? clientMs - serverMs : undefined,
    };
  });
  return { server: s.from[0]!, rows };
}

function n(v: number | undefined, digits = 1): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  return v.toFixed(digits);
}

function pct(v: number | undefined): string {
  return v === undefined ? '-' : `${(v * 100).toFixed(1)} %`;
}

function describe(v: ViewValue): string {
  switch (v.unit) {
    case 'requests':
      return `avg ${n(v.avg)}, p99 ${n(v.p99)}, max ${n(v.max, 0)}`;
    case 'ratio':
      if (v.queries !== undefined) return `${pct(v.value)} (${n(v.hits, 0)} of ${n(v.queries, 0)})`;
      return `avg ${pct(v.avg)}, p99 ${pct(v.p99)}, max ${pct(v.max)}`;
    case 'ms':
      return `p50 ${n(v.p50)} ms, p90 ${n(v.p90)} ms, p99 ${n(v.p99)} ms (${n(v.count, 0)} observed)`;
    case 'tokens':
      return `${n(v.total, 0)} (${n(v.rate)}/s)`;
  }
}

/** Health of the scrapes, one line per endpoint that had failures. */
function scrapeLines(e: ServerMetricsExport): string[] {
  const out: string[] = [];
  for (const [url, info] of Object.entries(e.summary.endpoint_info ?? {})) {
    const failed = info.failed_fetches ?? 0;
    if (failed === 0) continue;
    const why = Object.entries(info.errors ?? {})
      .map(([m, c]) => `${m} (x${c})`)
      .join('; ');
    out.push(`  ${url}: ${failed} of ${info.total_fetches} scrape(s) failed${why ? `: ${why}` : ''}`);
  }
  return out;
}

/** The block printed under the run's table: the common view, the TTFT split, failed scrapes. */
export function formatServerMetricsBlock(e: ServerMetricsExport, client: Summary): string {
  const view = commonView(e);
  const lines: string[] = [];
  const endpoints = e.summary.endpoints_configured.join(', ');
  lines.push(`Server metrics (${view.servers.join(', ') || 'no known server'} names; ${endpoints})`);
  const width = Math.max(...view.values.map((v) => v.label.length), 10);
  for (const v of view.values) lines.push(`  ${v.label.padEnd(width)}  ${describe(v)}`);
  if (view.values.length === 0)
    lines.push(`  none of the common families; ${Object.keys(e.metrics).length} families kept raw`);
  else if (view.unmapped.length > 0)
    lines.push(`  (${view.unmapped.length} other families in ${'server_metrics_export.json'})`);
  const split = ttftSplit(view, client);
  if (split) {
    lines.push(`TTFT, client vs server (${split.server})`);
    for (const r of split.rows)
      lines.push(
        `  ${r.stat.padEnd(4)} client ${n(r.clientMs)} ms, server ${n(r.serverMs)} ms, difference ${n(r.differenceMs)} ms`,
      );
    lines.push(
      `  (${TTFT_DIFFERENCE_MEANS}; the server's percentiles interpolate inside its histogram buckets, its avg is exact)`,
    );
  }
  lines.push(...scrapeLines(e));
  return `${lines.join('\n')}\n`;
}

/** The block for a finished run (undefined when nothing was scraped): printOutcome's one call. */
export function serverMetricsBlock(o: {
  observed?: Record<string, unknown>;
  summary: Summary;
}): string | undefined {
  const e = o.observed?.serverMetrics as ServerMetricsExport | undefined;
  if (!e?.summary) return undefined;
  return formatServerMetricsBlock(e, o.summary);
}
