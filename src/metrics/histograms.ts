import { createRequire } from 'node:module';
import type * as Hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { HDR_METRICS, type HdrUnit, type MetricTag, metricDef } from './catalogue.js';

/**
 * hdr-histogram-js's entry point loads its WebAssembly build with pako and AssemblyScript's loader
 * (75-88 ms here), on the way to a run's first request, though mmload's histograms are its plain JS
 * ones. The histogram class is loaded alone (~7 ms); the rest (encodings, interval logs) when first
 * used, after a run.
 */
const require = createRequire(import.meta.url);
const Int32Histogram: typeof Hdr.Int32Histogram = require('hdr-histogram-js/dist/Int32Histogram').default;
let fullHdr: typeof Hdr | undefined;
const hdr = (): typeof Hdr => {
  fullHdr ??= require('hdr-histogram-js') as typeof Hdr;
  return fullHdr;
};

/**
 * The HDR histogram set. Values are recorded in integer microseconds with 3 significant digits
 * (0.1% relative precision). 32-bit counters and auto-resize: the value range grows on demand, so
 * a minutes-long upload of a 52 MB body (1e8+ us) fits as well as a 20 us chunk gap.
 */
export const HDR_SIGNIFICANT_DIGITS = 3;

/** The metrics mmload keeps in histograms (the catalogue's `hdr` entries), in catalogue order. */
export const HISTOGRAM_TAGS: readonly MetricTag[] = HDR_METRICS.map((d) => d.tag);

/** Unit of recorded values per tag: 'us' for times (recorded from ms), 'count' for tokens. */
export function histogramUnit(tag: string): HdrUnit {
  const d = metricDef(tag);
  return d?.kind === 'record' && d.hdr ? d.hdr : 'us';
}

/** Records `value` (display unit: ms for times) into `h`; negative values clamp to 0. */
export function recordScaled(h: Histogram, unit: HdrUnit, value: number): void {
  h.recordValue(Math.max(0, Math.round(unit === 'us' ? value * 1000 : value)));
}

/** What hdr.build makes of bitBucketSize 32, autoResize, lowestDiscernibleValue 1, highestTrackableValue 2. */
export function newHistogram(): Histogram {
  const h = new Int32Histogram(1, 2, HDR_SIGNIFICANT_DIGITS);
  h.autoResize = true;
  return h;
}

export class HistogramSet {
  readonly byTag = new Map<string, Histogram>();

  get(tag: string): Histogram {
    let h = this.byTag.get(tag);
    if (!h) {
      h = newHistogram();
      h.tag = tag;
      this.byTag.set(tag, h);
    }
    return h;
  }

  /** Records a value given in the metric's display unit (ms for times). Negative values clamp to 0. */
  record(tag: MetricTag, value: number): void {
    recordScaled(this.get(tag), histogramUnit(tag), value);
  }

  /** Merges another set into this one (exact: HDR counts add). */
  add(other: HistogramSet): void {
    for (const [tag, h] of other.byTag) this.get(tag).add(h);
  }

  /** Value at percentile in the display unit (ms for times). */
  valueAtPercentile(tag: MetricTag, p: number): number | undefined {
    const h = this.byTag.get(tag);
    if (!h || h.totalCount === 0) return undefined;
    const v = h.getValueAtPercentile(p);
    return histogramUnit(tag) === 'us' ? v / 1000 : v;
  }

  /** tag -> compressed base64 (HdrHistogram's standard V2 compressed encoding). */
  encode(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [tag, h] of this.byTag) out[tag] = hdr().encodeIntoCompressedBase64(h);
    return out;
  }

  static decode(encoded: Record<string, string>): HistogramSet {
    const set = new HistogramSet();
    for (const [tag, b64] of Object.entries(encoded)) {
      const h = hdr().decodeFromCompressedBase64(b64, 32, false);
      h.tag = tag;
      set.get(tag).add(h);
    }
    return set;
  }

  /**
   * An HdrHistogram interval log (the format HistogramLogProcessor and HdrHistogram's plotter
   * read): one tagged interval line per histogram over [startSec, endSec] of the run.
   */
  toIntervalLog(startEpochMs: number, durationSec: number): string {
    let text = '';
    const writer = new (hdr().HistogramLogWriter)((s) => {
      text += s;
    });
    writer.outputComment('mmload HDR histograms: time metrics in microseconds, token counts as integers');
    writer.outputLogFormatVersion();
    writer.outputStartTime(startEpochMs);
    writer.outputLegend();
    for (const [, h] of this.byTag) {
      if (h.totalCount === 0) continue;
      writer.outputIntervalHistogram(h, 0, durationSec, 1);
    }
    return text;
  }

  static fromIntervalLog(log: string): HistogramSet {
    const set = new HistogramSet();
    const reader = new (hdr().HistogramLogReader)(log, 32);
    for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
      set.get(h.tag || 'untagged').add(h);
    }
    return set;
  }
}
