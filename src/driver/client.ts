import type { Dispatcher } from 'undici';
import { errorText } from '../metrics/errors.js';
import type { ErrorKind, RequestError, RequestRecord } from '../metrics/record.js';
import { nowNsNumber } from '../util/clock.js';
import type { RequestBody } from './request.js';
import { classifyEvent, decodeEventData, type EventData, type EventInfo, SseParser } from './sse.js';
import { dispatchBody } from './upload.js';

/**
 * One streamed chat completion over undici's low-level dispatch API, so that every step is
 * stamped on the one monotonic clock: start (just before dispatch), body fully written (the
 * socket accepted the last byte: upload time matters with 52 MB bodies), response headers, every
 * content chunk (the read that delivered it), end.
 */
export interface SendOptions {
  origin: string;
  path: string;
  /** Request headers as undici's flat list (name, value, name, value...), without content-length. */
  headers: string[];
  body: RequestBody;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The dispatcher's connection events; without it, every request starts at its dispatch. */
  connections?: ConnectionWatch;
  /**
   * A dispatcher on a new connection of its own, for the one resend of a request whose reused
   * connection was closed by the server before any response byte (see sendChatRequest). Closed by
   * the client after the resend. Without it, such a request fails.
   */
  freshConnection?: () => Dispatcher;
  /** What an SSE event means for the metrics (the endpoint's classifier; chat by default). */
  classify?: (data: EventData) => Readonly<EventInfo>;
}

/**
 * Tells whether the request being written right now is the first on a connection that was just
 * opened for it. undici emits 'connect' and writes the waiting request in one synchronous call, so
 * a flag raised on 'connect' and lowered at the next microtask is up exactly during that write.
 */
export class ConnectionWatch {
  private opening = false;
  constructor(dispatcher: Dispatcher) {
    dispatcher.on('connect', () => {
      this.opening = true;
      queueMicrotask(() => {
        this.opening = false;
      });
    });
  }
  get justOpened(): boolean {
    return this.opening;
  }
}

/** Identity of the request, filled into the record. */
export type RecordIdentity = Pick<
  RequestRecord,
  'index' | 'sessionId' | 'turn' | 'line' | 'warmup' | 'intendedNs' | 'requestId'
>;

const MAX_ERROR_BODY = 2048;

function connectionKind(err: Error & { code?: string }): ErrorKind {
  return err.name === 'AbortError' ? 'cancelled' : 'connection';
}

/**
 * A 2xx answer that is no SSE stream: said with its content type. An HTML page's title joins the
 * message (a login or error page names itself); a JSON body's start goes to `detail` only, since
 * it holds per-request ids that would split one error into as many messages as requests.
 */
function notAStream(status: number, contentType: string | undefined, body: string): RequestError {
  const html = /html/i.test(contentType ?? '') || /^\s*</.test(body);
  return {
    kind: 'not_sse',
    status,
    message: `HTTP ${status} with content-type ${contentType}, not an SSE stream${html ? `: ${errorText(body, 120)}` : ''}`,
    detail: body.replace(/\s+/g, ' ').trim().slice(0, 200),
  };
}

function isEventStream(contentType: string | undefined): boolean {
  return contentType === undefined || /^text\/event-stream\b/i.test(contentType.trim());
}

/** Errors of a socket the server closed (or reset) under a request. */
function isClosedConnection(err: Error & { code?: string }): boolean {
  return (
    err.name !== 'AbortError' &&
    (err.code === 'UND_ERR_SOCKET' ||
      err.code === 'ECONNRESET' ||
      err.code === 'EPIPE' ||
      err.code === 'UND_ERR_CLOSED' ||
      /other side closed|socket hang up/i.test(err.message))
  );
}

/** The start of a non-SSE body, kept to say what the server sent instead of a stream. */
const BODY_PREFIX = 300;

/**
 * Sends one streaming request and resolves with its record (never rejects: failures are in
 * `record.error`). Servers such as llama.cpp's advertise keep-alive and then close the connection
 * right after a streamed response: a request written on such a socket fails with "other side
 * closed" before any response byte. Such a request (its connection reused, nothing received) is
 * sent once more on a fresh connection, as browsers and HTTP clients do, and measured from that
 * resend (record.resends = 1). A request that received any response byte is never resent.
 */
export function sendChatRequest(
  dispatcher: Dispatcher,
  id: RecordIdentity,
  o: SendOptions,
): Promise<RequestRecord> {
  return new Promise<RequestRecord>((resolve) => {
    const rec: RequestRecord = { ...id, startNs: 0, endNs: 0, chunkNs: [], requestBytes: o.body.length };
    const classify = o.classify ?? classifyEvent;
    const parser = new SseParser();
    let responseBytes = 0;
    let status = 0;
    let contentType: string | undefined;
    let bodyPrefix = '';
    let events = 0;
    let errorBody = '';
    let done = false;
    let finished = false;
    let streamError: RequestError | undefined;
    let usageTokens: number | undefined;
    let settled = false;
    let abortFn: ((err: Error) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopReason: RequestError | undefined;
    let reusedConnection = false;
    let fresh: Dispatcher | undefined;

    const settle = (error?: RequestError) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (fresh) void fresh.close().catch(() => {});
      rec.endNs = nowNsNumber();
      rec.responseBytes = responseBytes;
      if (status) rec.status = status;
      if (rec.chunkNs.length > 0) {
        rec.firstChunkNs = rec.chunkNs[0];
        rec.lastChunkNs = rec.chunkNs[rec.chunkNs.length - 1];
      }
      if (usageTokens !== undefined) {
        rec.outputTokens = usageTokens;
        rec.outputTokensSource = 'usage';
      } else if (rec.chunkNs.length > 0) {
        rec.outputTokens = rec.chunkNs.length;
        rec.outputTokensSource = 'chunks';
      }
      const err =
        error ??
        streamError ??
        (status < 200 || status >= 300
          ? {
              kind: 'http' as const,
              status,
              message: `HTTP ${status}: ${errorText(errorBody, 500)}`,
            }
          : events === 0 && !isEventStream(contentType)
            ? notAStream(status, contentType, bodyPrefix)
            : !done && !finished
              ? { kind: 'truncated' as const, message: 'the stream ended without [DONE] or a finish_reason' }
              : rec.chunkNs.length === 0
                ? { kind: 'empty' as const, message: 'the response held no content chunk' }
                : undefined);
      if (err) rec.error = err;
      // What follows a completion (the record, the metrics, the session's next request) waits until
      // the reads that are ready now have been stamped: 30 streams ending together otherwise stamp
      // each other's last chunks late by that work.
      setImmediate(resolve, rec);
    };

    const onAbort = () => {
      stopReason = { kind: 'cancelled', message: 'stopped before the response completed' };
      if (abortFn) abortFn(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
      else settle(stopReason);
    };

    const onEvent = (data: EventData, t: number) => {
      events++;
      const ev = classify(data);
      if (ev.done) done = true;
      if (ev.finish) finished = true;
      if (ev.content) {
        rec.chunkNs.push(t);
        if (ev.output && rec.firstContentNs === undefined) rec.firstContentNs = t;
      }
      if (ev.usage) {
        if (ev.usage.completionTokens !== undefined) usageTokens = ev.usage.completionTokens;
        if (ev.usage.promptTokens !== undefined) rec.promptTokens = ev.usage.promptTokens;
        if (ev.usage.reasoningTokens !== undefined) rec.reasoningTokens = ev.usage.reasoningTokens;
      }
      if (ev.timings) rec.serverTimings = ev.timings;
      if (ev.error && !streamError)
        streamError = { kind: 'http', message: `error event in the stream: ${ev.error}` };
      if (ev.malformed && !streamError) {
        // The message stays the same for every request (it groups the errors); the event goes to detail.
        streamError = {
          kind: 'malformed',
          message: 'unparseable SSE event (not JSON)',
          detail: decodeEventData(data.slice(0, 200)),
        };
      }
    };

    // onRequestSent is called by undici's HTTP/1.1 and HTTP/2 clients after the last body byte
    // was written (lib/dispatcher/client-h1.js) but is missing from its type declarations.
    const handler = (connections: ConnectionWatch | undefined) => {
      const h: Dispatcher.DispatchHandler & { onRequestSent(): void } = {
        onConnect(abort) {
          // undici calls this in its write path, right before the request line goes to the socket.
          // A request that had to open its connection keeps its dispatch time: the connect is part
          // of its latency, as in AIPerf. Otherwise the wait in undici's queue is left out.
          reusedConnection = connections !== undefined && !connections.justOpened;
          if (reusedConnection) rec.startNs = nowNsNumber();
          abortFn = abort as (err: Error) => void;
          if (o.signal?.aborted) onAbort();
        },
        onRequestSent() {
          rec.sentNs = nowNsNumber();
        },
        onHeaders(statusCode, headers) {
          rec.headersNs = nowNsNumber();
          status = statusCode;
          contentType = headerValue(headers as unknown as Buffer[], 'content-type');
          return true;
        },
        onData(chunk: Buffer) {
          const t = nowNsNumber();
          responseBytes += chunk.length;
          if (status < 200 || status >= 300) {
            if (errorBody.length < MAX_ERROR_BODY) errorBody += chunk.toString('utf8', 0, MAX_ERROR_BODY);
            return true;
          }
          if (bodyPrefix.length < BODY_PREFIX && events === 0)
            bodyPrefix += chunk.toString('utf8', 0, BODY_PREFIX);
          parser.feed(chunk, (data) => onEvent(data, t));
          return true;
        },
        onComplete() {
          settle();
        },
        onError(err: Error) {
          if (stopReason) return settle(stopReason);
          if (
            reusedConnection &&
            responseBytes === 0 &&
            rec.headersNs === undefined &&
            o.freshConnection &&
            !fresh &&
            isClosedConnection(err)
          ) {
            fresh = o.freshConnection();
            rec.resends = (rec.resends ?? 0) + 1;
            rec.sentNs = undefined;
            reusedConnection = false;
            abortFn = undefined;
            return dispatch(fresh, undefined);
          }
          const midStream = rec.headersNs !== undefined;
          settle({
            kind: midStream && connectionKind(err) === 'connection' ? 'truncated' : connectionKind(err),
            message: `${midStream ? 'during the response: ' : ''}${err.message}`,
          });
        },
      };
      return h;
    };

    const dispatch = (d: Dispatcher, connections: ConnectionWatch | undefined) => {
      // Everything the dispatch needs is built before the dispatch stamp; the start stamp is taken
      // in onConnect, when undici writes (see RequestRecord.dispatchNs).
      const opts: Dispatcher.DispatchOptions = {
        origin: o.origin,
        path: o.path,
        method: 'POST',
        headers: o.headers.concat('content-length', String(o.body.length)),
        // An iterable body is written slice by slice with backpressure (undici's writeIterable);
        // the declared type omits iterables.
        body: dispatchBody(o.body) as Dispatcher.DispatchOptions['body'],
      };
      rec.dispatchNs = nowNsNumber();
      rec.startNs = rec.dispatchNs;
      try {
        d.dispatch(opts, handler(connections));
      } catch (err) {
        settle({ kind: 'connection', message: (err as Error).message });
      }
    };

    if (o.timeoutMs !== undefined && o.timeoutMs > 0) {
      timer = setTimeout(() => {
        stopReason = { kind: 'timeout', message: `no complete response within ${o.timeoutMs} ms` };
        if (abortFn) abortFn(new Error('timeout'));
        else settle(stopReason);
      }, o.timeoutMs);
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });
    dispatch(dispatcher, o.connections);
  });
}

/** One header of undici's raw header list ([name, value, name, value...] as Buffers or strings). */
function headerValue(
  raw: Array<Buffer | string> | Record<string, string> | null,
  name: string,
): string | undefined {
  if (!raw) return undefined;
  if (!Array.isArray(raw)) return raw[name];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() === name) return String(raw[i + 1]);
  }
  return undefined;
}
