import type { Histogram } from 'hdr-histogram-js';
import * as hdr from 'hdr-histogram-js';

/**
 * The HDR histogram set. Values are recorded in integer microseconds with 3 significant digits
 * (0.1% relative precision). 32-bit counters and auto-resize: the value range grows on demand, so
 * a minutes-long upload of a 52 MB body (1e8+ us) fits as well as a 20 us chunk gap.
 */
export const HDR_SIGNIFICANT_DIGITS = 3;

/** The histograms mmload keeps: time metrics in us, token counts as plain integers. */
export const HISTOGRAM_TAGS = [
  'time_to_first_token',
  'time_to_second_token',
  'inter_token_latency',
  'inter_chunk_latency',
  'request_latency',
  'output_sequence_length',
  'mmload_upload_time',
  'mmload_corrected_request_latency',
  'mmload_corrected_time_to_first_token',
] as const;
export type HistogramTag = (typeof HISTOGRAM_TAGS)[number];

/** Unit of recorded values per tag: 'us' for times (recorded from ms), 'count' for tokens. */
export function histogramUnit(tag: string): 'us' | 'count' {
  return tag === 'output_sequence_length' ? 'count' : 'us';
}

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: HDR_SIGNIFICANT_DIGITS,
  });
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
  record(tag: string, value: number): void {
    const scaled = histogramUnit(tag) === 'us' ? value * 1000 : value;
    this.get(tag).recordValue(Math.max(0, Math.round(scaled)));
  }

  /** Merges another set into this one (exact: HDR counts add). */
  add(other: HistogramSet): void {
    for (const [tag, h] of other.byTag) this.get(tag).add(h);
  }

  /** Value at percentile in the display unit (ms for times). */
  valueAtPercentile(tag: string, p: number): number | undefined {
    const h = this.byTag.get(tag);
    if (!h || h.totalCount === 0) return undefined;
    const v = h.getValueAtPercentile(p);
    return histogramUnit(tag) === 'us' ? v / 1000 : v;
  }

  /** tag -> compressed base64 (HdrHistogram's standard V2 compressed encoding). */
  encode(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [tag, h] of this.byTag) out[tag] = hdr.encodeIntoCompressedBase64(h);
    return out;
  }

  static decode(encoded: Record<string, string>): HistogramSet {
    const set = new HistogramSet();
    for (const [tag, b64] of Object.entries(encoded)) {
      const h = hdr.decodeFromCompressedBase64(b64, 32, false);
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
    const writer = new hdr.HistogramLogWriter((s) => {
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
    const reader = new hdr.HistogramLogReader(log, 32);
    for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
      set.get(h.tag || 'untagged').add(h);
    }
    return set;
  }
}
