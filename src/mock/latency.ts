/** The pure latency model: when each output token of a request is due, relative to body receipt. */
export interface LatencyParams {
  ttftMs: number;
  prefillUsPerToken: number;
  imageEncodeMs: number;
  itlMs: number;
  jitterMs: number;
}

/** Time to first token: base + prefill per prompt token + encode per cache-miss image + jitter. */
export function ttftMs(
  p: LatencyParams,
  promptTokens: number,
  imageMisses: number,
  rand: () => number,
): number {
  return (
    p.ttftMs +
    (p.prefillUsPerToken * promptTokens) / 1000 +
    p.imageEncodeMs * imageMisses +
    p.jitterMs * rand()
  );
}

/**
 * Offsets (ms after body receipt) of each token. Deadline-based: token i is due at
 * first + i*itl (+ jitter), so timer lateness never accumulates over a long stream. Offsets are
 * non-decreasing; `stall` adds `stallMs` before token `stallAt`.
 */
export function tokenOffsetsMs(
  p: LatencyParams,
  firstMs: number,
  count: number,
  rand: () => number,
  stallAt = -1,
  stallMs = 0,
): Float64Array {
  const out = new Float64Array(count);
  let prev = 0;
  for (let i = 0; i < count; i++) {
    let t =
      firstMs +
      i * p.itlMs +
      (i > 0 ? p.jitterMs * rand() : 0) +
      (stallAt >= 0 && i >= stallAt ? stallMs : 0);
    if (t < prev) t = prev;
    out[i] = t;
    prev = t;
  }
  return out;
}

/** True when every token is due immediately: the whole response can be written in one go. */
export function isInstant(offsets: Float64Array): boolean {
  return offsets.length === 0 || offsets[offsets.length - 1]! <= 0;
}
