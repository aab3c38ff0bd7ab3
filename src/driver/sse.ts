/**
 * THE SSE parser of mmload: incremental over the response's Buffers (an event may be split
 * across reads, a read may hold many events), LF / CRLF / CR line ends, comments, multi-line
 * data. It yields each event's data as a Buffer; nothing is decoded to a string unless needed.
 */
export class SseParser {
  private partial: Buffer | undefined;
  private data: Buffer[] = [];
  /** A CR ended the previous read: an LF starting the next read belongs to it. */
  private skipLf = false;

  /** Feeds one read; calls `onData` for every complete event that carries data. */
  feed(chunk: Buffer, onData: (data: Buffer) => void): void {
    let buf = chunk;
    if (this.skipLf) {
      this.skipLf = false;
      if (buf.length > 0 && buf[0] === 0x0a) buf = buf.subarray(1);
    }
    if (this.partial) {
      buf = Buffer.concat([this.partial, buf]);
      this.partial = undefined;
    }
    let pos = 0;
    // A CR is rare (servers end lines with LF); look for it only when one exists in this read.
    let nextCr = buf.indexOf(0x0d);
    while (pos < buf.length) {
      let lf = buf.indexOf(0x0a, pos);
      if (nextCr !== -1 && nextCr < pos) nextCr = buf.indexOf(0x0d, pos);
      let end: number;
      let next: number;
      if (nextCr !== -1 && (lf === -1 || nextCr < lf)) {
        end = nextCr;
        if (nextCr + 1 < buf.length) next = buf[nextCr + 1] === 0x0a ? nextCr + 2 : nextCr + 1;
        else {
          next = nextCr + 1;
          this.skipLf = true;
        }
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        this.partial = Buffer.from(buf.subarray(pos));
        return;
      }
      this.line(buf.subarray(pos, end), onData);
      pos = next;
      lf = -1;
    }
  }

  private line(line: Buffer, onData: (data: Buffer) => void): void {
    if (line.length === 0) {
      // Blank line: dispatch the event (data lines joined by LF).
      if (this.data.length === 1) onData(this.data[0]!);
      else if (this.data.length > 1) {
        const parts: Buffer[] = [];
        this.data.forEach((d, i) => {
          if (i > 0) parts.push(LF);
          parts.push(d);
        });
        onData(Buffer.concat(parts));
      }
      this.data = [];
      return;
    }
    if (line[0] === 0x3a) return; // ":" comment
    if (startsWith(line, DATA)) {
      let v = line.subarray(5);
      if (v.length > 0 && v[0] === 0x20) v = v.subarray(1);
      // Copy: the read's buffer is reused by the caller's next feed only through `partial`, but a
      // held subarray would pin the whole read in memory.
      this.data.push(Buffer.from(v));
    }
    // Other fields (event:, id:, retry:) carry nothing mmload measures.
  }
}

const LF = Buffer.from('\n');
const DATA = Buffer.from('data:');

function startsWith(b: Buffer, prefix: Buffer): boolean {
  return b.length >= prefix.length && b.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

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
  /** The server sent an error object in the stream. */
  error?: string;
  /** Not JSON. */
  malformed?: boolean;
}

const DONE = Buffer.from('[DONE]');
const CONTENT_KEY = Buffer.from('"content":"');
const QUOTE = 0x22;
const SLOW_MARKERS = [
  Buffer.from('"usage":{'),
  Buffer.from('"reasoning'),
  Buffer.from('"tool_calls"'),
  Buffer.from('"error"'),
];
const FINISH = Buffer.from('"finish_reason":"');

function nonEmpty(v: unknown): boolean {
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  return v !== null && v !== undefined && typeof v === 'object';
}

/**
 * Classifies one event. The common vLLM token event (`"content":"x"`, nothing else of note) is
 * recognised from its bytes; anything else is parsed as JSON, so the result is always exact.
 * (Inside a JSON string every quote is escaped, so `"content":"` can only be a real key.)
 */
export function classifyEvent(data: Buffer): EventInfo {
  if (data.length === DONE.length && data.equals(DONE))
    return { done: true, content: false, output: false, finish: false };
  const k = data.indexOf(CONTENT_KEY);
  if (k !== -1 && data[k + CONTENT_KEY.length] !== QUOTE && !SLOW_MARKERS.some((m) => data.includes(m))) {
    return { done: false, content: true, output: true, finish: data.includes(FINISH) };
  }
  let obj: unknown;
  try {
    obj = JSON.parse(data.toString('utf8'));
  } catch {
    return { done: false, content: false, output: false, finish: false, malformed: true };
  }
  return classifyObject(obj);
}

interface ChunkJson {
  choices?: Array<{
    delta?: {
      content?: unknown;
      reasoning_content?: unknown;
      reasoning?: unknown;
      tool_calls?: unknown;
    };
    finish_reason?: unknown;
  }>;
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
  if (c.usage) {
    info.usage = {
      completionTokens: num(c.usage.completion_tokens),
      promptTokens: num(c.usage.prompt_tokens),
      reasoningTokens: num(c.usage.completion_tokens_details?.reasoning_tokens),
    };
  }
  return info;
}
