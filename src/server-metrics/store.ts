import type { FamilyType, MetricFamily, MetricSample } from './types.js';
import type { Point } from './window-stats.js';

/**
 * Every scraped series of every endpoint, kept compactly for the window statistics: scalars as
 * two number arrays, histograms with their bucket counts per scrape. A scrape page keeps nothing
 * else alive once it is stored (the raw text is on disk, the JSONL line written).
 */

interface ScalarSeries {
  labels?: Record<string, string>;
  t: number[];
  v: number[];
}

interface HistSeries {
  labels?: Record<string, string>;
  t: number[];
  sum: number[];
  count: number[];
  buckets: Array<Record<string, number>>;
}

export interface StoredFamily {
  type: FamilyType;
  help: string;
  scalars?: Map<string, ScalarSeries>;
  hists?: Map<string, HistSeries>;
}

function keyOf(labels: Record<string, string> | undefined): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** Families AIPerf leaves out of its statistics: creation times, uptimes (data_collector.py) and summaries (cumulative quantiles). */
export function isStatisticsFamily(f: { name: string; type: FamilyType }): boolean {
  if (f.type === 'summary') return false;
  return !(f.name.endsWith('_created') || f.name.endsWith('_uptime') || f.name.includes('_uptime_'));
}

export class SeriesStore {
  /** endpoint -> family name -> series. */
  readonly endpoints = new Map<string, Map<string, StoredFamily>>();

  add(endpoint: string, t: number, families: readonly MetricFamily[]): void {
    let fams = this.endpoints.get(endpoint);
    if (!fams) {
      fams = new Map();
      this.endpoints.set(endpoint, fams);
    }
    for (const f of families) {
      if (!isStatisticsFamily(f)) continue;
      let sf = fams.get(f.name);
      if (!sf || sf.type !== f.type) {
        sf = { type: f.type, help: f.help };
        fams.set(f.name, sf);
      }
      for (const s of f.samples) this.addSample(sf, t, s);
    }
  }

  private addSample(sf: StoredFamily, t: number, s: MetricSample): void {
    const key = keyOf(s.labels);
    if (sf.type === 'histogram') {
      // A histogram with a NaN anywhere is dropped whole for that scrape, as AIPerf does.
      if (!s.buckets || typeof s.count !== 'number' || !Number.isFinite(s.count)) return;
      if (Object.values(s.buckets).some((n) => !Number.isFinite(n))) return;
      sf.hists ??= new Map();
      let h = sf.hists.get(key);
      if (!h) {
        h = { labels: s.labels, t: [], sum: [], count: [], buckets: [] };
        sf.hists.set(key, h);
      }
      h.t.push(t);
      h.sum.push(Number.isFinite(s.sum) ? (s.sum as number) : 0);
      h.count.push(s.count);
      h.buckets.push(s.buckets);
      return;
    }
    if (typeof s.value !== 'number' || !Number.isFinite(s.value)) return;
    sf.scalars ??= new Map();
    let sc = sf.scalars.get(key);
    if (!sc) {
      sc = { labels: s.labels, t: [], v: [] };
      sf.scalars.set(key, sc);
    }
    sc.t.push(t);
    sc.v.push(s.value);
  }
}

/** One stored series as points for window-stats.ts. */
export function seriesPoints(sf: StoredFamily): Array<{ labels?: Record<string, string>; points: Point[] }> {
  const out: Array<{ labels?: Record<string, string>; points: Point[] }> = [];
  for (const s of sf.scalars?.values() ?? [])
    out.push({ labels: s.labels, points: s.t.map((t, i) => ({ t, sample: { value: s.v[i] } })) });
  for (const h of sf.hists?.values() ?? [])
    out.push({
      labels: h.labels,
      points: h.t.map((t, i) => ({ t, sample: { buckets: h.buckets[i], sum: h.sum[i], count: h.count[i] } })),
    });
  return out;
}
