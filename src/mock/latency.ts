/** The pure latency model: when each output token of a request is due, relative to body receipt. */
export interface LatencyParams {
  ttftMs: number;
  prefillUsPerToken: number;
  imageEncodeMs: number;
  itlMs: number;
  jitterMs: number;
}

/** The server's capacity: how many requests it serves at once before new ones wait (0: no limit). */
export interface CapacityParams {
  capacity: number;
  /** TTFT added for each request in flight beyond `capacity` when a request arrives. */
  queueMsPerRequest: number;
}

/**
 * Queueing delay of a request that arrives with `inFlight` requests in flight, itself included: a
 * server whose batch holds `capacity` requests starts the (capacity + k)-th k slots late. Only the
 * first token waits (the queue is before prefill); ITL is unchanged. With
 * queueMsPerRequest = service time / capacity the throughput stops growing at `capacity`, as a
 * saturated server's does, so the load where latency turns up is known in advance.
 */
export function queueDelayMs(p: CapacityParams, inFlight: number): number {
  if (p.capacity <= 0) return 0;
  return Math.max(0, inFlight - p.capacity) * p.queueMsPerRequest;
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
