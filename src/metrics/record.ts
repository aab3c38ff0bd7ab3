/**
 * One request's timestamps and outcome, as the driver measured it. Every timestamp is monotonic
 * nanoseconds from src/util/clock.ts (nowNsNumber), so records of the driver and of the mock can
 * be compared on one time line. Metric definitions (AIPerf's, see docs/aiperf-schema.md):
 *   TTFT = firstChunkNs - startNs; request latency = lastChunkNs - startNs;
 *   ITL = (latency - TTFT) / (outputTokens - 1); inter-chunk latency = gaps of chunkNs.
 * A "content chunk" is an SSE event whose delta has non-empty content, reasoning_content /
 * reasoning, or tool_calls (AIPerf's definition); role-only, usage-only and [DONE] do not count.
 */
export type ErrorKind =
  | 'http' // non-2xx status
  | 'timeout' // --timeout elapsed
  | 'connection' // refused / reset / dropped before or during the response
  | 'truncated' // stream ended without [DONE] / finish_reason
  | 'malformed' // unparseable SSE event or JSON
  | 'not_sse' // 2xx whose body is not an SSE stream (a JSON or HTML page instead)
  | 'empty' // 2xx with no content chunk at all
  | 'cancelled'; // stopped by Ctrl-C / end of run before completion

export interface RequestError {
  kind: ErrorKind;
  /** What happened, the same for every request it happened to (errors are grouped by it). */
  message: string;
  status?: number;
  /** What differs per request (the start of an unexpected body, an unparseable event). */
  detail?: string;
}

/**
 * The server's own per-request `timings` object as it sent it (llama.cpp: prompt_n, prompt_ms,
 * predicted_n, predicted_ms, predicted_per_token_ms...): its numeric fields under its own names,
 * so that mmload's figures can be held against the server's.
 */
export interface ServerTimings {
  prompt_n?: number;
  prompt_ms?: number;
  predicted_n?: number;
  predicted_ms?: number;
  predicted_per_token_ms?: number;
  [field: string]: number | undefined;
}

export interface RequestRecord {
  /** Dispatch order, 0-based, over the whole run (warm-up included). */
  index: number;
  sessionId: string;
  /** Position of this row within its session, 0-based. */
  turn: number;
  /** 1-based line of the dataset file the row came from. */
  line: number;
  warmup: boolean;
  /** Rate mode only: the planned send time (for coordinated-omission-corrected latencies). */
  intendedNs?: number;
  /**
   * The start of every latency: when the HTTP client began writing the request to an open
   * connection, or, when a connection had to be opened for it, when it was dispatched (the connect
   * counts, as in AIPerf). A request that never reached a connection keeps its dispatchNs here.
   */
  startNs: number;
  /**
   * When mmload handed the request to the HTTP client. On an open connection it then waits in
   * the client's own queue: undici lets one event-loop turn pass before reusing a keep-alive
   * connection (undici 7's check against stale sockets), several ms on a busy
   * loop. That wait is the client's, not the server's, so it is left out of the latencies and
   * reported as mmload_client_queue.
   */
  dispatchNs?: number;
  /** Request body fully handed to the socket. */
  sentNs?: number;
  /** Response status line and headers received. */
  headersNs?: number;
  /** First and last content chunk. */
  firstChunkNs?: number;
  lastChunkNs?: number;
  /** Response fully received (or the failure observed). */
  endNs: number;
  /** Timestamp of every content chunk, in order (first = firstChunkNs, last = lastChunkNs). */
  chunkNs: number[];
  /** First chunk carrying non-reasoning `content` (time to first output token). */
  firstContentNs?: number;
  outputTokens?: number;
  /** Where outputTokens came from: the server's usage.completion_tokens, or the chunk count. */
  outputTokensSource?: 'usage' | 'chunks';
  promptTokens?: number;
  reasoningTokens?: number;
  requestBytes: number;
  responseBytes?: number;
  /** Sent again on a fresh connection after the server closed the reused one before any response byte. */
  resends?: number;
  /** X-Request-ID sent with the request (to find it in the server's logs). */
  requestId?: string;
  /** The server's own timings of this request, when its stream reports them (llama.cpp's `timings`). */
  serverTimings?: ServerTimings;
  status?: number;
  error?: RequestError;
}
