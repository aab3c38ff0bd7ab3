// Shared test helpers for the mock tests (not a test file: no .test suffix).
import assert from 'node:assert/strict';
import { request } from 'undici';

export interface SseEvent {
  data: string;
  /** Monotonic ms at which the client saw the event's bytes. */
  atMs: number;
}

/**
 * A strict SSE parser for vLLM's shape: every event is exactly one `data: <payload>` line followed
 * by an empty line; anything else (comments, other fields, CR, a trailing partial event) fails.
 */
export function strictEvents(chunks: { text: string; atMs: number }[]): SseEvent[] {
  const out: SseEvent[] = [];
  let buf = '';
  for (const c of chunks) {
    buf += c.text;
    for (;;) {
      const end = buf.indexOf('\n\n');
      if (end < 0) break;
      const ev = buf.slice(0, end);
      buf = buf.slice(end + 2);
      assert.ok(!ev.includes('\r'), `CR in event: ${ev}`);
      assert.ok(ev.startsWith('data: '), `event not a data line: ${JSON.stringify(ev)}`);
      assert.ok(!ev.includes('\n'), `multi-line event: ${JSON.stringify(ev)}`);
      out.push({ data: ev.slice(6), atMs: c.atMs });
    }
  }
  assert.equal(buf, '', `trailing partial event: ${JSON.stringify(buf)}`);
  return out;
}

export interface StreamResult {
  status: number;
  headersAtMs: number;
  startMs: number;
  chunks: { text: string; atMs: number }[];
  error?: Error;
  headers: Record<string, string | string[] | undefined>;
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** POSTs a chat request with undici and collects the body chunks with their arrival times. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<StreamResult> {
  const startMs = nowMs();
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const headersAtMs = nowMs();
  const chunks: { text: string; atMs: number }[] = [];
  let error: Error | undefined;
  try {
    for await (const c of res.body) chunks.push({ text: (c as Buffer).toString('utf8'), atMs: nowMs() });
  } catch (err) {
    error = err as Error;
  }
  return { status: res.statusCode, headersAtMs, startMs, chunks, error, headers: res.headers };
}

export function chatBody(
  text: string,
  extra: Record<string, unknown> = {},
  images: string[] = [],
): Record<string, unknown> {
  return {
    model: 'mmload-mock',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text },
          ...images.map((url) => ({ type: 'image_url', image_url: { url } })),
        ],
      },
    ],
    ...extra,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: parsed chunk JSON
export type Chunk = any;

/** Parses a stream's events into chunk objects, checking the [DONE] terminator is last and unique. */
export function chunksOf(r: StreamResult): { chunks: Chunk[]; events: SseEvent[] } {
  const events = strictEvents(r.chunks);
  assert.ok(events.length > 0, 'no events');
  assert.equal(events[events.length - 1]!.data, '[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
  return { chunks, events };
}
