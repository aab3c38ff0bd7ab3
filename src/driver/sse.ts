import type { ServerTimings } from '../metrics/record.js';

/**
 * An event's data as a "byte string": one char per byte of the UTF-8 stream (latin1). Splitting
 * and matching ASCII keys on it is exact (no UTF-8 sequence contains an ASCII byte), and V8's
 * string search and slices are far cheaper than Buffer calls; `decodeEventData` gives the text.
 */
export type EventData = string;

export function decodeEventData(data: EventData): string {
  // ASCII reads the same in both; most events are ASCII, and the round trip through a Buffer cost
  // more than the test.
  return NON_ASCII.test(data) ? Buffer.from(data, 'latin1').toString('utf8') : data;
}

const NON_ASCII = /[\u0080-\u00ff]/;

/**
 * THE SSE parser of mmload: incremental over the response's Buffers (an event may be split
 * across reads, a read may hold many events), LF / CRLF / CR line ends, comments, multi-line
 * data. Each read is turned into a byte string once; events come out as slices of it.
 */
export class SseParser {
  private partial = '';
  private data: string | undefined;
  /** A CR ended the previous read: an LF starting the next read belongs to it. */
  private skipLf = false;

  /** Feeds one read; calls `onData` for every complete event that carries data. */
  feed(chunk: Buffer, onData: (data: EventData) => void): void {
    let s = chunk.toString('latin1');
    if (this.skipLf) {
      this.skipLf = false;
      if (s.charCodeAt(0) === LF) s = s.slice(1);
    }
    if (this.partial.length > 0) {
      s = this.partial + s;
      this.partial = '';
    }
    let pos = 0;
    // A CR is rare (servers end lines with LF); look for it only when one exists in this read.
    let nextCr = s.indexOf('\r');
    while (pos < s.length) {
      const lf = s.indexOf('\n', pos);
      if (nextCr !== -1 && nextCr < pos) nextCr = s.indexOf('\r', pos);
      let end: number;
      let next: number;
      if (nextCr !== -1 && (lf === -1 || nextCr < lf)) {
        end = nextCr;
        if (nextCr + 1 < s.length) next = s.charCodeAt(nextCr + 1) === LF ? nextCr + 2 : nextCr + 1;
        else {
          next = nextCr + 1;
          this.skipLf = true;
        }
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        this.partial = s.slice(pos);
        return;
      }
      this.line(s, pos, end, onData);
      pos = next;
    }
  }

  private line(s: string, start: number, end: number, onData: (data: EventData) => void): void {
    if (start === end) {
      // Blank line: dispatch the event (data lines joined by LF).
      if (this.data !== undefined) {
        const d = this.data;
        this.data = undefined;
        onData(d);
      }
      return;
    }
    if (s.startsWith('data:', start)) {
      let from = start + 5;
      if (from < end && s.charCodeAt(from) === SPACE) from++;
      const v = s.slice(from, end);
      this.data = this.data === undefined ? v : `${this.data}\n${v}`;
    }
    // Comments (":") and other fields (event:, id:, retry:) carry nothing mmload measures.
  }
}

const LF = 0x0a;
const SPACE = 0x20;

export interface Usage {
  completionTokens?: number;
  promptTokens?: number;
  reasoningTokens?: number;
}

/** What one SSE event of a chat completion stream means for the metrics. */
export interface EventInfo {
  /** `data: [DONE]`. */
  done: boolean;
  /** An AIPerf "content chunk": non-empty content, reasoning_content / reasoning, or tool_calls. */
  content: boolean;
  /** Carries non-empty `content` (an output token, not reasoning): time to first output token. */
  output: boolean;
  finish: boolean;
  usage?: Usage;
  /** The server's own timings (llama.cpp sends them with the last chunk). */
  timings?: ServerTimings;
  /** The server sent an error object in the stream. */
  error?: string;
  /** Not JSON. */
  malformed?: boolean;
}

const CONTENT_KEY = '"content":"';
const TEXT_KEY = '"text":"';
const QUOTE = 0x22;
/**
 * Keys that need the JSON path: usage, reasoning, tool calls, errors, and a finish reason (once per
 * stream). One regular expression scans for all of them in one pass, several times faster than a
 * search per key (bench/driver-sse.ts).
 */
const SLOW_KEYS = /"(?:usage":\{|reasoning|tool_calls"|error"|finish_reason":"|timings":\{)/;
/**
 * The same less the finish reason: a stream's last chunk, whose one slow key is its finish reason,
 * is still read from its bytes (a JSON parse of it cost ~2-5 us, once per request).
 */
const SLOW_KEYS_BUT_FINISH = /"(?:usage":\{|reasoning|tool_calls"|error"|timings":\{)/;
const ANY_CONTENT_KEY = /"(?:content|text)":/;

function nonEmpty(v: unknown): boolean {
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  return v !== null && v !== undefined && typeof v === 'object';
}

const NOTHING_EVENT: Readonly<EventInfo> = Object.freeze({
  done: false,
  content: false,
  output: false,
  finish: false,
});
const DONE_EVENT: Readonly<EventInfo> = Object.freeze({ ...NOTHING_EVENT, done: true });
const TOKEN_EVENT: Readonly<EventInfo> = Object.freeze({ ...NOTHING_EVENT, content: true, output: true });
const FINISH_EVENT: Readonly<EventInfo> = Object.freeze({ ...NOTHING_EVENT, finish: true });
const TOKEN_FINISH_EVENT: Readonly<EventInfo> = Object.freeze({ ...TOKEN_EVENT, finish: true });

/**
 * A classifier of one endpoint's events: the common events (one token in `key`, the opening empty
 * one, the last one with its finish reason, nothing else of note) are recognised from their bytes;
 * anything else is parsed as JSON, so the result is exact. (Inside a JSON string every quote is
 * escaped, so a key such as `"content":"` can only be a real key; the byte path takes it to be a
 * choice's, as every server sends it.) The fast answers are shared frozen objects.
 */
function classifierFor(key: string): (data: EventData) => Readonly<EventInfo> {
  return (data) => {
    if (data === '[DONE]') return DONE_EVENT;
    const k = data.indexOf(key);
    const slow = SLOW_KEYS.test(data);
    const finish = slow && !SLOW_KEYS_BUT_FINISH.test(data);
    if (!slow || finish) {
      if (k !== -1) {
        if (data.charCodeAt(k + key.length) !== QUOTE) return finish ? TOKEN_FINISH_EVENT : TOKEN_EVENT;
        // Empty content is no content chunk, unless another choice carries some.
        if (data.indexOf(key, k + 1) === -1) return finish ? FINISH_EVENT : NOTHING_EVENT;
      } else if (finish && !ANY_CONTENT_KEY.test(data) && isObjectText(data)) {
        // The last chunk with an empty delta (llama.cpp, mmload's mock).
        return FINISH_EVENT;
      }
    }
    let obj: unknown;
    try {
      obj = JSON.parse(decodeEventData(data));
    } catch {
      return { done: false, content: false, output: false, finish: false, malformed: true };
    }
    return classifyObject(obj);
  };
}

/** Braces at both ends: most events cut short on the way end otherwise, and the JSON path calls them malformed. */
function isObjectText(data: EventData): boolean {
  return data.charCodeAt(0) === 0x7b && data.charCodeAt(data.length - 1) === 0x7d;
}

/** Chat completions (`choices[].delta.content`): the common vLLM events from their bytes. */
export const classifyEvent = classifierFor(CONTENT_KEY);

/** Text completions (`choices[].text`). */
export const classifyCompletionEvent = classifierFor(TEXT_KEY);

interface ChunkJson {
  choices?: Array<{
    /** Text completions. */
    text?: unknown;
    delta?: {
      content?: unknown;
      reasoning_content?: unknown;
      reasoning?: unknown;
      tool_calls?: unknown;
    };
    finish_reason?: unknown;
  }>;
  timings?: Record<string, unknown> | null;
  usage?: {
    completion_tokens?: unknown;
    prompt_tokens?: unknown;
    completion_tokens_details?: { reasoning_tokens?: unknown } | null;
  } | null;
  error?: unknown;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function classifyObject(obj: unknown): EventInfo {
  const info: EventInfo = { done: false, content: false, output: false, finish: false };
  if (typeof obj !== 'object' || obj === null) {
    info.malformed = true;
    return info;
  }
  const c = obj as ChunkJson;
  if (c.error !== undefined && c.error !== null) {
    const e = c.error as { message?: unknown };
    info.error = typeof e.message === 'string' ? e.message : JSON.stringify(c.error);
    return info;
  }
  for (const choice of c.choices ?? []) {
    if (nonEmpty(choice.text)) {
      info.content = true;
      info.output = true;
    }
    const d = choice.delta;
    if (d) {
      const output = nonEmpty(d.content);
      if (output || nonEmpty(d.reasoning_content) || nonEmpty(d.reasoning) || nonEmpty(d.tool_calls)) {
        info.content = true;
      }
      if (output) info.output = true;
    }
    if (typeof choice.finish_reason === 'string') info.finish = true;
  }
  if (c.timings && typeof c.timings === 'object') {
    const t: ServerTimings = {};
    for (const [k, v] of Object.entries(c.timings)) if (num(v) !== undefined) t[k] = v as number;
    info.timings = t;
  }
  if (c.usage) {
    info.usage = {
      completionTokens: num(c.usage.completion_tokens),
      promptTokens: num(c.usage.prompt_tokens),
      reasoningTokens: num(c.usage.completion_tokens_details?.reasoning_tokens),
    };
  }
  return info;
}
