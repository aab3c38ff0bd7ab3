import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { HistogramSet, newHistogram } from '../src/metrics/histograms.js';
import { computeStats } from '../src/metrics/statistics.js';

/** Deterministic pseudo-random values (xorshift), so failures reproduce. */
function lognormalMs(n: number, seed: number): number[] {
  let x = seed >>> 0 || 1;
  const u = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) + 0.5) / 4294967296;
  };
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    out.push(Math.exp(4 + 1.2 * z)); // median ~55 ms, long tail
  }
  return out;
}

test('HDR percentiles agree with computeStats within HDR precision (3 digits + 1 us rounding)', () => {
  const values = lognormalMs(20000, 7);
  const set = new HistogramSet();
  for (const v of values) set.record('time_to_first_token', v);
  const exact = computeStats(values) as unknown as Record<string, number>;
  for (const p of [50, 90, 99]) {
    const hdrMs = set.valueAtPercentile('time_to_first_token', p)!;
    const want = exact[`p${p}`]!;
    // HDR returns a recorded bucket's upper edge (a sample value, not interpolated); with 20k samples
    // neighbouring samples are within 0.2% at these percentiles, so 0.5% covers both effects.
    const rel = Math.abs(hdrMs - want) / want;
    assert.ok(rel < 0.005, `p${p}: HDR ${hdrMs} vs exact ${want} (${(rel * 100).toFixed(3)}%)`);
  }
});

test('a minutes-long upload and a 20 us gap fit in the same auto-resizing set', () => {
  const set = new HistogramSet();
  set.record('mmload_upload_time', 600_000); // 10 minutes in ms
  set.record('mmload_upload_time', 0.02);
  const max = set.valueAtPercentile('mmload_upload_time', 100)!;
  assert.ok(Math.abs(max - 600_000) / 600_000 < 0.001, `max ${max}`);
  assert.equal(set.valueAtPercentile('mmload_upload_time', 0), 0.02);
});

test('encode/decode and merge of shards equals the histogram of the concatenation', () => {
  const a = lognormalMs(5000, 11);
  const b = lognormalMs(7000, 23);
  const shardA = new HistogramSet();
  const shardB = new HistogramSet();
  const whole = new HistogramSet();
  for (const v of a) {
    shardA.record('request_latency', v);
    whole.record('request_latency', v);
  }
  for (const v of b) {
    shardB.record('request_latency', v);
    whole.record('request_latency', v);
  }
  const merged = HistogramSet.decode(shardA.encode());
  merged.add(HistogramSet.decode(shardB.encode()));
  const m = merged.get('request_latency');
  const w = whole.get('request_latency');
  assert.equal(m.totalCount, 12000);
  assert.equal(m.totalCount, w.totalCount);
  for (const p of [0, 1, 10, 25, 50, 75, 90, 99, 99.9, 100]) {
    assert.equal(m.getValueAtPercentile(p), w.getValueAtPercentile(p), `p${p}`);
  }
  assert.equal(m.mean, w.mean);
});

test('interval log round-trip keeps every tagged histogram exactly', () => {
  const set = new HistogramSet();
  for (const v of lognormalMs(3000, 5)) set.record('time_to_first_token', v);
  for (let i = 1; i <= 1024; i++) set.record('output_sequence_length', i);
  const log = set.toIntervalLog(1_700_000_000_000, 12.5);
  assert.match(log, /Tag=time_to_first_token,/);
  const back = HistogramSet.fromIntervalLog(log);
  for (const tag of ['time_to_first_token', 'output_sequence_length']) {
    const x = back.get(tag);
    const y = set.get(tag);
    assert.equal(x.totalCount, y.totalCount, tag);
    for (const p of [1, 50, 99, 100])
      assert.equal(x.getValueAtPercentile(p), y.getValueAtPercentile(p), `${tag} p${p}`);
  }
});

test("newHistogram makes what hdr.build makes of mmload's settings", () => {
  const built = hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: 3,
  });
  const mine = newHistogram();
  assert.equal(mine.constructor, built.constructor);
  assert.equal(mine.autoResize, true);
  for (const v of [1, 17, 999, 12_345, 3_600_000_000]) {
    built.recordValue(v);
    mine.recordValue(v);
  }
  assert.equal(hdr.encodeIntoCompressedBase64(mine), hdr.encodeIntoCompressedBase64(built));
});

test("a run's histograms load without hdr-histogram-js's WebAssembly build; encoding loads it", () => {
  // A process of its own: this file has loaded the whole package already.
  const histograms = fileURLToPath(new URL('../src/metrics/histograms.ts', import.meta.url));
  const script = `
    import { createRequire } from 'node:module';
    const { HistogramSet } = await import(${JSON.stringify(histograms)});
    const cache = createRequire(import.meta.url).cache;
    const wasm = () => Object.keys(cache).some((k) => /hdr-histogram-js[\\/]dist[\\/]wasm/.test(k));
    const set = new HistogramSet();
    set.record('time_to_first_token', 12.5);
    const before = wasm();
    const copy = HistogramSet.decode(set.encode());
    console.log(JSON.stringify({ before, after: wasm(), p50: copy.valueAtPercentile('time_to_first_token', 50) }));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  assert.equal(out.before, false, 'recording loaded the WebAssembly build');
  assert.equal(out.after, true, 'encoding is the whole package');
  assert.ok(Math.abs(out.p50 - 12.5) < 0.02, `${out.p50}`);
});
