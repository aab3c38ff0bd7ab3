import type { MockOptions } from '../mock/types.js';
import { UserError } from '../util/errors.js';
import type { Arrival } from './arrivals.js';
import type { Shard } from './shard.js';

/** Everything a run needs; the CLI fills it from flags, tests and crosscheck build it directly. */
export interface RunOptions {
  dataset: string;
  /** Base URL of the server; undefined starts the embedded mock. */
  url?: string;
  /** Path of the chat completions route. */
  endpoint: string;
  model: string;
  /** Bearer token (from the environment; never logged or written). */
  apiKey?: string;
  /** Sessions in flight at most (concurrency mode); in rate mode a cap on requests in flight (Infinity: none). */
  concurrency: number;
  /** Requests per second; undefined = concurrency mode (a session's next turn right after the last). */
  requestRate?: number;
  arrival: Arrival;
  burstiness: number;
  seed: number;
  warmupRequests: number;
  /** Measured requests to send at most (may cut sessions short, as AIPerf's --request-count). */
  requestCount?: number;
  /** Only the file's first N sessions (before sharding: shards split these N). */
  sessions?: number;
  /** Seconds after which no new request is sent. */
  durationS?: number;
  /** Per-request timeout in seconds (0 = none). */
  timeoutS: number;
  /** Seconds in-flight requests get after a stop (Ctrl-C, --duration) before they are cancelled. */
  graceS: number;
  maxTokens?: number;
  useMaxCompletionTokens: boolean;
  includeUsage: boolean;
  extraInputs: Record<string, unknown>;
  artifactDir: string;
  /** Fraction of failed requests that still exits 0. */
  maxErrorRate: number;
  skipInvalid: boolean;
  shard?: Shard;
  /** Epoch ms at which the measured phase may start (--start-at). */
  startAtMs?: number;
  label?: string;
  /** Latency model of the embedded mock (only without url). */
  mock?: Partial<MockOptions>;
  /**
   * Open the connections (one GET of the models route each) before the first timed request, so
   * that no TTFT holds a TCP handshake. AIPerf does not: its first requests include the connect.
   */
  preconnect: boolean;
  /** Bytes of read-ahead rows kept in memory. */
  readAheadBytes?: number;
}

export const RUN_DEFAULTS = {
  endpoint: '/v1/chat/completions',
  model: 'mmload-mock',
  concurrency: 1,
  arrival: 'constant' as Arrival,
  burstiness: 1,
  seed: 0,
  warmupRequests: 0,
  timeoutS: 600,
  graceS: 30,
  useMaxCompletionTokens: false,
  includeUsage: true,
  maxErrorRate: 0,
  skipInvalid: false,
  preconnect: true,
};

/** The embedded endpoint's latency model when `run` has no --url: visible, cache on. */
export const EMBEDDED_MOCK: Partial<MockOptions> = {
  ttftMs: 40,
  itlMs: 4,
  imageEncodeMs: 15,
  prefillUsPerToken: 2,
  cacheCapacity: 1024,
};

/**
 * `--preset qwen36`: the recipe's AIPerf flags (concurrency 30, max_tokens 1024, min_tokens
 * 1024, ignore_eos, 2 warm-up requests). Explicit flags win over the preset.
 */
export const PRESETS: Record<string, Partial<RunOptions>> = {
  qwen36: {
    concurrency: 30,
    maxTokens: 1024,
    extraInputs: { min_tokens: 1024, ignore_eos: true },
    warmupRequests: 2,
  },
};

export function validateRunOptions(o: RunOptions): void {
  const positiveInt = (name: string, v: number | undefined) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new UserError(`--${name} ${v}: must be a whole number >= 1`);
  };
  // Rate mode without --concurrency has no cap: Infinity.
  if (o.concurrency !== Number.POSITIVE_INFINITY) positiveInt('concurrency', o.concurrency);
  positiveInt('request-count', o.requestCount);
  positiveInt('sessions', o.sessions);
  positiveInt('max-tokens', o.maxTokens);
  if (!Number.isInteger(o.warmupRequests) || o.warmupRequests < 0) {
    throw new UserError(`--warmup-requests ${o.warmupRequests}: must be a whole number >= 0`);
  }
  if (o.durationS !== undefined && !(o.durationS > 0))
    throw new UserError(`--duration ${o.durationS}: must be > 0 seconds`);
  if (!(o.timeoutS >= 0)) throw new UserError(`--timeout ${o.timeoutS}: must be >= 0 seconds (0 = none)`);
  if (!(o.graceS >= 0)) throw new UserError(`--grace ${o.graceS}: must be >= 0 seconds`);
  if (!(o.maxErrorRate >= 0 && o.maxErrorRate <= 1))
    throw new UserError(`--max-error-rate ${o.maxErrorRate}: must be within 0..1`);
  if (o.url !== undefined) {
    let u: URL;
    try {
      u = new URL(o.url);
    } catch {
      throw new UserError(`--url ${o.url}: not a URL (e.g. http://127.0.0.1:8000)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new UserError(`--url ${o.url}: must be http or https`);
  }
  if (!o.endpoint.startsWith('/')) throw new UserError(`--endpoint ${o.endpoint}: must start with /`);
}

/** The options as written to run_config.json: no secret, no credentials in the URL. */
export function publicConfig(o: RunOptions): Record<string, unknown> {
  const { apiKey, ...rest } = o;
  const out: Record<string, unknown> = {
    ...rest,
    apiKey: apiKey ? '(from environment, not recorded)' : undefined,
  };
  if (o.url) {
    const u = new URL(o.url);
    u.username = '';
    u.password = '';
    out.url = u.toString().replace(/\/$/, '');
  }
  return out;
}
