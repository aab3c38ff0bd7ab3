/**
 * The fixed run behind test/metrics-golden.test.ts: a varied, deterministic set of RequestRecords
 * (streams with usage and with chunk counts, reasoning, single-token answers, rate-mode intended
 * send times, failures of every kind with real servers' messages, warm-up) and the RunMeta the
 * driver would pass. Every number comes from a seeded generator, so the exports written from it are
 * the same bytes on every machine; fixtures/golden/metrics-run/ holds them.
 */
import type { RunMeta } from '../src/metrics/collector.js';
import type { RequestError, RequestRecord } from '../src/metrics/record.js';
// A seeded PRNG, so that the records do not depend on Math.random.
import { mulberry32 as prng } from '../src/util/random.js';

/** A monotonic clock origin far from 0, as process.hrtime gives. */
const T0 = 7_345_678_901_234_567;
const MS = 1e6;
export const MONO_TO_EPOCH_NS = 1_795_529_000_000_000_000 - T0;
export const START_EPOCH_MS = (T0 + MONO_TO_EPOCH_NS) / MS;

const LLAMA_500 =
  'HTTP 500: {"error":{"code":500,"message":"image input is not supported - hint: if this is unexpected, you may need to provide the mmproj","type":"server_error"}}';
const VLLM_400 =
  'HTTP 400: {"object":"error","message":"This model\'s maximum context length is 4096 tokens. However, you requested 5000 tokens in the messages, Please reduce the length of the messages.","type":"BadRequestError","param":null,"code":400}';

interface Shape {
  tokens: number;
  /** outputTokens from usage (true) or left to the chunk count (false). */
  usage?: boolean;
  reasoning?: number;
  /** Rate mode: how late the dispatch was against its planned time, in ms. */
  lateMs?: number;
  warmup?: boolean;
  error?: RequestError;
  /** Content chunks seen before the failure (truncated streams). */
  chunksBeforeError?: number;
  status?: number;
  prompt?: number;
}

function build(): RequestRecord[] {
  const rnd = prng(20260511);
  const between = (lo: number, hi: number) => Math.round((lo + (hi - lo) * rnd()) * MS);
  const shapes: Shape[] = [
    { tokens: 6, warmup: true, prompt: 500 },
    {
      tokens: 0,
      warmup: true,
      error: { kind: 'http', status: 500, message: LLAMA_500 },
      status: 500,
    },
    ...Array.from(
      { length: 10 },
      (_, i): Shape => ({ tokens: 5 + ((i * 7) % 36), usage: true, prompt: 480 + i }),
    ),
    { tokens: 12, usage: false, prompt: 610 },
    { tokens: 3, usage: false },
    { tokens: 27, usage: false, prompt: 612 },
    { tokens: 30, usage: true, reasoning: 18, prompt: 700 },
    { tokens: 9, usage: true, reasoning: 4, prompt: 701 },
    { tokens: 41, usage: true, reasoning: 40, prompt: 702 },
    { tokens: 1, usage: true, prompt: 50 },
    { tokens: 14, usage: true, lateMs: 0.25, prompt: 520 },
    { tokens: 22, usage: true, lateMs: 4.5, prompt: 521 },
    { tokens: 8, usage: true, lateMs: 0.8, prompt: 522 },
    { tokens: 17, usage: true, lateMs: 12.75, prompt: 523 },
    ...Array.from(
      { length: 4 },
      (): Shape => ({
        tokens: 0,
        error: { kind: 'http', status: 500, message: LLAMA_500 },
        status: 500,
        prompt: 530,
      }),
    ),
    {
      tokens: 0,
      error: { kind: 'http', status: 500, message: 'HTTP 500: Internal Server Error' },
      status: 500,
    },
    ...Array.from(
      { length: 2 },
      (): Shape => ({
        tokens: 0,
        error: { kind: 'http', status: 400, message: VLLM_400 },
        status: 400,
        prompt: 5000,
      }),
    ),
    {
      tokens: 0,
      error: { kind: 'http', status: 429, message: 'HTTP 429: rate limited' },
      status: 429,
      lateMs: 3,
    },
    ...Array.from(
      { length: 2 },
      (): Shape => ({
        tokens: 0,
        error: { kind: 'timeout', message: 'no complete response within 2000 ms' },
      }),
    ),
    ...Array.from(
      { length: 2 },
      (): Shape => ({
        tokens: 0,
        error: { kind: 'connection', message: 'other side closed' },
      }),
    ),
    { tokens: 0, error: { kind: 'connection', message: 'connect ECONNREFUSED 127.0.0.1:8000' } },
    {
      tokens: 0,
      chunksBeforeError: 5,
      error: { kind: 'truncated', message: 'the stream ended without [DONE] or a finish_reason' },
      status: 200,
    },
    {
      tokens: 0,
      chunksBeforeError: 2,
      error: { kind: 'malformed', message: 'unparseable SSE event: {"choices":[{"delta":{"content":"hi"' },
      status: 200,
    },
    { tokens: 0, error: { kind: 'empty', message: 'the response held no content chunk' }, status: 200 },
    {
      tokens: 0,
      chunksBeforeError: 3,
      error: { kind: 'cancelled', message: 'stopped before the response completed' },
      status: 200,
    },
    {
      tokens: 0,
      chunksBeforeError: 1,
      error: { kind: 'http', message: 'error event in the stream: out of memory' },
      status: 200,
    },
  ];

  const out: RequestRecord[] = [];
  let clock = T0;
  shapes.forEach((s, index) => {
    // Requests overlap: each starts 3-40 ms after the previous one.
    clock += between(3, 40);
    const startNs = clock;
    const dispatchNs = startNs - between(0, 0.4);
    const rec: RequestRecord = {
      index,
      sessionId: `user_${index % 7}`,
      turn: Math.floor(index / 7),
      line: index + 1,
      warmup: s.warmup ?? false,
      startNs,
      dispatchNs,
      sentNs: startNs + between(0.2, 3),
      endNs: 0,
      chunkNs: [],
      requestBytes: 1000 + index * 37,
    };
    if (s.lateMs !== undefined) rec.intendedNs = startNs - Math.round(s.lateMs * MS);
    if (s.prompt !== undefined) rec.promptTokens = s.prompt;
    if (s.status !== undefined) rec.status = s.status;
    const n = s.error ? (s.chunksBeforeError ?? 0) : s.tokens;
    if (s.error?.kind === 'connection' || s.error?.kind === 'timeout') {
      rec.endNs = startNs + between(1, 2000);
    } else {
      rec.headersNs = (rec.sentNs as number) + between(1, 30);
      let t = rec.headersNs + between(5, 120);
      for (let k = 0; k < n; k++) {
        rec.chunkNs.push(t);
        // Some chunks arrive in one socket read (a gap of 0), as real streams do.
        t += rnd() < 0.1 ? 0 : between(2, 25);
      }
      if (n > 0) {
        rec.firstChunkNs = rec.chunkNs[0];
        rec.lastChunkNs = rec.chunkNs[n - 1];
        const contentAt = s.reasoning !== undefined ? Math.min(s.reasoning, n - 1) : 0;
        rec.firstContentNs = rec.chunkNs[contentAt];
      }
      rec.endNs = (rec.lastChunkNs ?? rec.headersNs) + between(0.1, 2);
      rec.responseBytes = 200 + n * 91;
    }
    if (!s.error) {
      if (s.usage) {
        rec.outputTokens = s.tokens;
        rec.outputTokensSource = 'usage';
      }
      if (s.reasoning !== undefined) rec.reasoningTokens = s.reasoning;
    } else {
      rec.error = s.error;
    }
    out.push(rec);
  });
  return out;
}

export const GOLDEN_RECORDS: readonly RequestRecord[] = build();

export const GOLDEN_META: RunMeta = {
  label: 'golden',
  toolVersion: '0.1.0',
  startTime: '2026-11-27T01:50:00.000Z',
  endTime: '2026-11-27T01:50:02.500Z',
  wasCancelled: false,
  config: { url: 'http://127.0.0.1:8000/v1', model: 'm', concurrency: 8, maxTokens: 64, label: 'golden' },
  dataset: { path: 'data/golden.jsonl', sha256: 'abc123', rows: 48, fingerprint: 'f00d' },
  client: {
    eventLoopDelayMs: { p50: 0.12, p99: 0.9, max: 2.5 },
    preconnected: 8,
    timeToFirstRequestMs: 123.456,
    // sendLagMs and lateSends: the collector's, from mmload_send_lag.
    warnings: [],
  },
};
