import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { COMMON_VIEW, type ViewDef } from '../server-metrics/common-view.js';
import { SERVER_METRICS_FILES } from '../server-metrics/export.js';
import type { MetricSample } from '../server-metrics/types.js';
import { UserError } from '../util/errors.js';
import type { ReportRun, TimelinePoint } from './model.js';
import { chart, PALETTE, type Series } from './svg.js';

/**
 * The server's common view over the run, from the per-scrape JSONL (mmload's or AIPerf's
 * server_metrics_export.jsonl: one layout), on the client's time axis (seconds since the first
 * measured request started): gauges as scraped, counters as rates between scrapes, histograms
 * as the mean of the observations between scrapes.
 */
export interface ServerTimelineSeries {
  key: ViewDef['key'];
  title: string;
  unit: string;
  points: Array<readonly [t: number, v: number]>;
}

type Line = { endpoint_url?: string; timestamp_ns?: number; metrics?: Record<string, MetricSample[]> };

function samples(m: Record<string, MetricSample[]>, name: string): MetricSample[] | undefined {
  return m[name] ?? m[`${name}_total`];
}

const total = (xs: MetricSample[] | undefined, f: (s: MetricSample) => number | undefined) =>
  (xs ?? []).reduce((a, s) => a + (f(s) ?? 0), 0);

const TITLES: Partial<Record<ViewDef['key'], { title: string; unit: string }>> = {
  requests_running: { title: 'Requests running (server)', unit: 'requests' },
  requests_waiting: { title: 'Requests waiting (server)', unit: 'requests' },
  kv_cache_usage: { title: 'KV-cache usage (server)', unit: '%' },
  prefix_cache_hit_rate: { title: 'Prefix-cache hit rate between scrapes', unit: '%' },
  mm_cache_hit_rate: { title: 'Multimodal-cache hit rate between scrapes', unit: '%' },
  server_ttft: { title: 'Server TTFT, mean between scrapes', unit: 'ms' },
  server_itl: { title: 'Server ITL, mean between scrapes', unit: 'ms' },
  queue_time: { title: 'Queue time, mean between scrapes', unit: 'ms' },
  prompt_tokens: { title: 'Prompt tokens per second (server)', unit: 'tok/s' },
  generation_tokens: { title: 'Generation tokens per second (server)', unit: 'tok/s' },
};

/** One value of a view at a scrape, given the previous scrape of the same endpoint (rates, ratios, means). */
function valueAt(
  def: ViewDef,
  m: Record<string, MetricSample[]>,
  prev: Record<string, MetricSample[]> | undefined,
  dt: number,
): number | undefined {
  for (const { source: s } of def.sources) {
    switch (s.kind) {
      case 'gauge': {
        const xs = samples(m, s.family);
        if (!xs || xs.length === 0) continue;
        const sum = total(xs, (x) => x.value);
        const v = s.combine === 'sum' ? sum : sum / xs.length;
        return def.unit === 'ratio' ? v * 100 : v;
      }
      case 'ratio': {
        const h = samples(m, s.hits);
        const q = samples(m, s.queries);
        if (!h || !q) continue;
        if (!prev) return undefined;
        const dq = total(q, (x) => x.value) - total(samples(prev, s.queries), (x) => x.value);
        const dh = total(h, (x) => x.value) - total(samples(prev, s.hits), (x) => x.value);
        return dq > 0 && dh >= 0 ? (dh / dq) * 100 : undefined;
      }
      case 'counter':
      case 'histogram-sum': {
        const xs = samples(m, s.family);
        if (!xs) continue;
        if (!prev || dt <= 0) return undefined;
        const f = s.kind === 'counter' ? (x: MetricSample) => x.value : (x: MetricSample) => x.sum;
        const d = total(xs, f) - total(samples(prev, s.family), f);
        return d >= 0 ? d / dt : undefined;
      }
      case 'histogram': {
        const xs = samples(m, s.family);
        if (!xs) continue;
        if (!prev) return undefined;
        const dc = total(xs, (x) => x.count) - total(samples(prev, s.family), (x) => x.count);
        const ds = total(xs, (x) => x.sum) - total(samples(prev, s.family), (x) => x.sum);
        return dc > 0 && ds >= 0 ? (ds / dc) * 1000 : undefined;
      }
    }
  }
  return undefined;
}

/** The common view's time series of one result dir, or undefined when it has no per-scrape file. */
export async function loadServerTimeline(
  dir: string,
  originEpochNs: number,
): Promise<ServerTimelineSeries[] | undefined> {
  const path = join(dir, SERVER_METRICS_FILES.jsonl);
  const input = createReadStream(path);
  const opened = await new Promise<boolean>((resolve) => {
    input.once('open', () => resolve(true));
    input.once('error', () => resolve(false));
  });
  if (!opened) return undefined;
  const out = new Map<ViewDef['key'], ServerTimelineSeries>();
  const prevBy = new Map<string, { t: number; m: Record<string, MetricSample[]> }>();
  let n = 0;
  for await (const raw of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    n++;
    if (raw.trim() === '') continue;
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch (err) {
      throw new UserError(`${path}:${n}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof line.timestamp_ns !== 'number' || !line.metrics) continue;
    const endpoint = line.endpoint_url ?? '';
    const prev = prevBy.get(endpoint);
    const t = (line.timestamp_ns - originEpochNs) / 1e9;
    for (const def of COMMON_VIEW) {
      const v = valueAt(def, line.metrics, prev?.m, prev ? (line.timestamp_ns - prev.t) / 1e9 : 0);
      if (v === undefined || !Number.isFinite(v) || t < 0) continue;
      let s = out.get(def.key);
      if (!s) {
        const meta = TITLES[def.key]!;
        s = { key: def.key, title: meta.title, unit: meta.unit, points: [] };
        out.set(def.key, s);
      }
      s.points.push([t, v] as const);
    }
    prevBy.set(endpoint, { t: line.timestamp_ns, m: line.metrics });
  }
  return out.size > 0 ? [...out.values()] : undefined;
}

function lastT(r: ReportRun): number {
  const tl: TimelinePoint[] = r.timeline ?? [];
  return Math.max(
    0,
    ...(r.ttftOverRun ?? []).map(([t]) => t),
    ...tl.map((p) => p.t + 1),
    ...(r.server ?? []).flatMap((s) => s.points.map(([t]) => t)),
  );
}

/**
 * The report's section: the client's per-second completions and TTFT scatter, then each common
 * view quantity the servers exported, stacked on one time axis (same x range, same width).
 */
export function serverSection(runs: ReportRun[]): string {
  const withServer = runs.filter((r) => r.server && r.server.length > 0);
  if (withServer.length === 0) return '';
  const xDomain: [number, number] = [0, Math.max(1, ...runs.map(lastT))];
  const x = { label: 'seconds since the first measured request', scale: 'linear' as const };
  const color = (r: ReportRun) => PALETTE[runs.indexOf(r) % PALETTE.length]!;
  const charts: string[] = [];
  const done: Series[] = runs
    .filter((r) => r.timeline && r.timeline.length > 0)
    .map((r) => {
      const tl = r.timeline!;
      const last = tl[tl.length - 1]!;
      return {
        name: r.label,
        color: color(r),
        points: [...tl.map((p) => [p.t, p.completed] as const), [last.t + 1, last.completed] as const],
      };
    });
  if (done.length > 0)
    charts.push(
      chart({
        title: 'Completed requests per second (client)',
        x,
        y: { label: 'req/s', scale: 'linear' },
        series: done,
        mode: 'step',
        width: 1000,
        height: 200,
        xDomain,
      }),
    );
  const ttft: Series[] = runs
    .filter((r) => r.ttftOverRun && r.ttftOverRun.length > 0)
    .map((r) => ({ name: r.label, color: color(r), points: r.ttftOverRun! }));
  if (ttft.length > 0)
    charts.push(
      chart({
        title: 'TTFT of each request by its start (client)',
        x,
        y: { label: 'ms', scale: 'linear' },
        series: ttft,
        mode: 'scatter',
        width: 1000,
        height: 220,
        xDomain,
      }),
    );
  for (const def of COMMON_VIEW) {
    const series: Series[] = withServer
      .map((r) => ({ r, s: r.server!.find((x) => x.key === def.key) }))
      .filter((x) => x.s && x.s.points.length > 0)
      .map(({ r, s }) => ({ name: r.label, color: color(r), points: s!.points }));
    if (series.length === 0) continue;
    const meta = TITLES[def.key]!;
    charts.push(
      chart({
        title: meta.title,
        x,
        y: { label: meta.unit, scale: 'linear' },
        series,
        mode: 'line',
        width: 1000,
        height: 200,
        xDomain,
      }),
    );
  }
  return `<h2>Server metrics over the run</h2><p class="meta">Scraped from the servers' Prometheus /metrics; one time axis with the client's charts above.</p><div class="server-charts">${charts.join('')}</div>`;
}
