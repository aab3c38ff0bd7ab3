/** Shared types of the embedded OpenAI-compatible endpoint (`mmload mock`). */

export type ReasoningField = 'reasoning_content' | 'reasoning' | 'both';

export const FAULT_KINDS = [
  'http500',
  'http429',
  'dropMidStream',
  'malformedEvent',
  'delayHeadersMs',
  'stallMs',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * When a fault fires: with `probability` per request (seeded), or on every `everyNth` request
 * (1-based: everyNth 3 hits requests 3, 6, 9...). `ms` is the duration for delayHeadersMs/stallMs.
 */
export interface FaultSpec {
  probability?: number;
  everyNth?: number;
  ms?: number;
}

export type FaultConfig = Partial<Record<FaultKind, FaultSpec>>;

export interface MockOptions {
  host: string;
  /** 0 = ephemeral. */
  port: number;
  model: string;
  /** Base time to first token. */
  ttftMs: number;
  /** Prefill cost per prompt token, microseconds. */
  prefillUsPerToken: number;
  /** Encode cost per image that misses the embedding cache. */
  imageEncodeMs: number;
  /** Prompt tokens counted per image. */
  imageTokens: number;
  /** Inter-token latency. */
  itlMs: number;
  /** Seeded uniform [0, jitterMs) added to TTFT and to each token's deadline. */
  jitterMs: number;
  /** Requests served at once without queueing; 0 = no limit (latency.ts queueDelayMs). */
  capacity: number;
  /** TTFT added per request in flight beyond `capacity`, at the request's arrival. */
  queueMsPerRequest: number;
  seed: number;
  /** Images kept in the LRU embedding cache; 0 disables the cache. */
  cacheCapacity: number;
  /** The first K output tokens are streamed as reasoning. */
  reasoningTokens: number;
  reasoningField: ReasoningField;
  /** Output length when the request gives neither max_tokens nor max_completion_tokens. */
  defaultMaxTokens: number;
  /** JSONL of per-request records, opened at start and written as requests finish (record.ts). */
  recordPath?: string;
  /** Keep per-request records in memory for records() (off for long benchmark runs; recordPath does not need it). */
  keepRecords: boolean;
  /** Records also hold every token's write time and lateness (tokenNs, tokenLateNs). */
  recordTokens?: boolean;
  faults: FaultConfig;
  /** Larger request bodies are answered 413 (protects the mock's memory). */
  maxBodyBytes: number;
}

export const DEFAULT_MOCK_OPTIONS: MockOptions = {
  host: '127.0.0.1',
  port: 0,
  model: 'mmload-mock',
  ttftMs: 0,
  prefillUsPerToken: 0,
  imageEncodeMs: 0,
  imageTokens: 256,
  itlMs: 0,
  jitterMs: 0,
  capacity: 0,
  queueMsPerRequest: 0,
  seed: 1,
  cacheCapacity: 1024,
  reasoningTokens: 0,
  reasoningField: 'reasoning_content',
  defaultMaxTokens: 64,
  keepRecords: true,
  faults: {},
  maxBodyBytes: 512 * 1024 * 1024,
};

/** The mock's own ground truth for one request (monotonic ns, src/util/clock.ts). */
export interface MockRecord {
  index: number;
  sessionId: string;
  /** The client's X-Request-ID, to join this record with the client's own. */
  requestId?: string;
  /** When the mock's loop found the request's headers; shared by all requests found at one wake-up (arrival-clock.ts). */
  arrivalNs: number;
  /** When the whole body was in: the latency model starts here. */
  bodyNs: number;
  firstTokenNs?: number;
  lastTokenNs?: number;
  /** Streams with latency: the worst lateness of a token write against its deadline, ns. */
  maxLateNs?: number;
  /** With recordTokens: when each token was written, and how late against its deadline (ns). */
  tokenNs?: number[];
  tokenLateNs?: number[];
  /** Queueing delay added to this request's TTFT (only with a capacity, and only when it waited). */
  queuedMs?: number;
  status: number;
  stream: boolean;
  promptTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  imageHits: number;
  imageMisses: number;
  fault?: FaultKind;
  /** The stream was cut (client gone, dropMidStream, or server closed) before it finished. */
  aborted?: boolean;
}

export interface MockStats {
  requests: number;
  completions: number;
  promptTokens: number;
  outputTokens: number;
  imageHits: number;
  imageMisses: number;
  badRequests: number;
  notFound: number;
  faults: Record<FaultKind, number>;
  /** Requests whose response has not finished yet. */
  inFlight: number;
  /**
   * Time to first token as the server sees it (first token written - body received), in vLLM's
   * TTFT buckets (VLLM_TTFT_BUCKETS): cumulative counts per bound, +Inf last, with sum and count.
   */
  ttft: { buckets: number[]; sum: number; count: number };
}

export interface MockHandle {
  /** e.g. http://127.0.0.1:43121 */
  url: string;
  port: number;
  close(): Promise<void>;
  stats(): MockStats;
  /** Per-request records so far, when keepRecords. */
  records(): readonly MockRecord[];
}
