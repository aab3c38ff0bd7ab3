import type { ErrorKind, RequestRecord } from './record.js';

const NS_PER_MS = 1e6;

/** One request's metrics in display units (ms, tokens), following AIPerf's definitions. */
export interface RequestMetrics {
  ok: boolean;
  errorKind?: ErrorKind;
  /** first content chunk - start (reasoning chunks count, as in AIPerf). */
  ttftMs?: number;
  /** second content chunk - first content chunk. */
  ttstMs?: number;
  /** (request latency - TTFT) / (OSL - 1); absent when OSL < 2. */
  itlMs?: number;
  /** last content chunk - start. */
  requestLatencyMs?: number;
  /** request body fully sent - start. */
  uploadMs?: number;
  /** response headers - start. */
  headersMs?: number;
  /** first non-reasoning content chunk - start (mmload extra). */
  ttfotMs?: number;
  /** gaps between consecutive content chunks. */
  interChunkMs: number[];
  outputTokens?: number;
  outputTokensSource?: 'usage' | 'chunks';
  inputTokens?: number;
  /** The server's usage.prompt_tokens and usage.completion_tokens, when it sent them. */
  usagePromptTokens?: number;
  usageCompletionTokens?: number;
  /** 1000 / ITL (tokens/sec/user), as AIPerf's output_token_throughput_per_user. */
  tokensPerSecPerUser?: number;
  /** Rate mode: latencies measured from the intended send time (coordinated omission corrected). */
  correctedLatencyMs?: number;
  correctedTtftMs?: number;
  /** Rate mode: how late the dispatch was against the plan. */
  sendLagMs?: number;
  /** Handed to the HTTP client -> written to a connection (the client's own queue). */
  clientQueueMs?: number;
}

/**
 * Output tokens of a record: the server's usage count when present, else the content-chunk count
 * (the driver may already have filled outputTokens with one of them; trust its source tag).
 */
function outputTokensOf(rec: RequestRecord): { n?: number; source?: 'usage' | 'chunks' } {
  if (rec.outputTokens !== undefined) {
    return { n: rec.outputTokens, source: rec.outputTokensSource ?? 'usage' };
  }
  if (rec.chunkNs.length > 0) return { n: rec.chunkNs.length, source: 'chunks' };
  return {};
}

export function requestMetrics(rec: RequestRecord): RequestMetrics {
  const out: RequestMetrics = { ok: rec.error === undefined, interChunkMs: [] };
  if (rec.error) out.errorKind = rec.error.kind;
  if (rec.sentNs !== undefined) out.uploadMs = (rec.sentNs - rec.startNs) / NS_PER_MS;
  if (rec.headersNs !== undefined) out.headersMs = (rec.headersNs - rec.startNs) / NS_PER_MS;
  if (rec.intendedNs !== undefined) out.sendLagMs = (rec.startNs - rec.intendedNs) / NS_PER_MS;
  if (rec.dispatchNs !== undefined) out.clientQueueMs = (rec.startNs - rec.dispatchNs) / NS_PER_MS;
  if (rec.promptTokens !== undefined) {
    out.inputTokens = rec.promptTokens;
    out.usagePromptTokens = rec.promptTokens;
  }
  if (!out.ok) return out;

  const chunks = rec.chunkNs;
  const first = rec.firstChunkNs ?? chunks[0];
  const last = rec.lastChunkNs ?? chunks[chunks.length - 1];
  if (first !== undefined) out.ttftMs = (first - rec.startNs) / NS_PER_MS;
  if (last !== undefined) out.requestLatencyMs = (last - rec.startNs) / NS_PER_MS;
  if (chunks.length >= 2) out.ttstMs = ((chunks[1] as number) - (chunks[0] as number)) / NS_PER_MS;
  if (rec.firstContentNs !== undefined) out.ttfotMs = (rec.firstContentNs - rec.startNs) / NS_PER_MS;
  for (let i = 1; i < chunks.length; i++) {
    out.interChunkMs.push(((chunks[i] as number) - (chunks[i - 1] as number)) / NS_PER_MS);
  }
  const { n, source } = outputTokensOf(rec);
  if (n !== undefined) {
    out.outputTokens = n;
    out.outputTokensSource = source;
    if (source === 'usage') out.usageCompletionTokens = n;
  }
  if (n !== undefined && n >= 2 && out.ttftMs !== undefined && out.requestLatencyMs !== undefined) {
    out.itlMs = (out.requestLatencyMs - out.ttftMs) / (n - 1);
    if (out.itlMs > 0) out.tokensPerSecPerUser = 1000 / out.itlMs;
  }
  if (rec.intendedNs !== undefined) {
    if (last !== undefined) out.correctedLatencyMs = (last - rec.intendedNs) / NS_PER_MS;
    if (first !== undefined) out.correctedTtftMs = (first - rec.intendedNs) / NS_PER_MS;
  }
  return out;
}
