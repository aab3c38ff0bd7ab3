import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { nowNsNumber } from '../util/clock.js';
import { TurnBudget } from '../util/turn-budget.js';
import { PollPhaseClock } from './arrival-clock.js';
import { BodyError, BodyIngest } from './body.js';
import { decideFault, type FaultDecision } from './faults.js';
import { ImageCache } from './image-cache.js';
import { isInstant, queueDelayMs, tokenOffsetsMs, ttftMs } from './latency.js';
import { newTtftHistogram, observeTtft, prometheusText } from './metrics.js';
import { openRecordSink, type RecordSink, sessionIdOf } from './record.js';
import { type ChatRequest, RequestError, toChatRequest, toCompletionRequest } from './request.js';
import { requestRng } from './rng.js';
import { ChunkWriter, completionBody, errorBody, type MockEndpoint } from './stream.js';
import { Scheduler } from './timer.js';
import { outputLength, outputPieces, promptTokens } from './tokens.js';
import {
  DEFAULT_MOCK_OPTIONS,
  FAULT_KINDS,
  type FaultKind,
  type MockHandle,
  type MockOptions,
  type MockRecord,
  type MockStats,
} from './types.js';

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
const JSON_HEADERS = { 'content-type': 'application/json' };
/** The completion routes, by path. */
const ROUTES = new Map<string, MockEndpoint>([
  ['/v1/chat/completions', 'chat'],
  ['/v1/completions', 'completions'],
]);

/**
 * Reads of request bodies (up to 64 KiB each) handled per event-loop turn, all uploads together
 * (16 and 4 measured alike). libuv reads a readable socket up to 32 times in one go, so 30
 * uploads of 52 MB arriving at once held the mock's loop for tens of ms per poll phase, and its
 * token writes went out that late (its own record: lateness p99 15-36 ms on the full dataset).
 * Pausing an upload stops its socket's reads (Node's readStop once the request's buffer is full)
 * until a later turn, after the timers.
 */
const INGEST_READS_PER_TURN = 8;

/** Starts the embedded OpenAI-compatible endpoint and resolves once it listens. */
export async function startMock(opts: Partial<MockOptions> = {}): Promise<MockHandle> {
  const o: MockOptions = { ...DEFAULT_MOCK_OPTIONS, ...opts, faults: { ...(opts.faults ?? {}) } };
  const cache = new ImageCache(o.cacheCapacity);
  const scheduler = new Scheduler();
  // Body reads taken per event-loop turn, all uploads together; the rest of the uploads pause
  // until a later turn, so the token timers run in between (see INGEST_READS_PER_TURN).
  const ingestBudget = new TurnBudget(INGEST_READS_PER_TURN);
  const arrivals = new PollPhaseClock();
  const records: MockRecord[] = [];
  let sink: RecordSink | undefined;
  const stats: MockStats = {
    requests: 0,
    completions: 0,
    promptTokens: 0,
    outputTokens: 0,
    imageHits: 0,
    imageMisses: 0,
    badRequests: 0,
    notFound: 0,
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    inFlight: 0,
    ttft: newTtftHistogram(),
  };
  const created = Math.floor(Date.now() / 1000);
  let seq = 0;
  let closing = false;
  const sockets = new Set<Socket>();

  const inFlight = new Set<MockRecord>();
  const finishRecord = (r: MockRecord): void => {
    if (!inFlight.delete(r)) return;
    stats.inFlight--;
    // Observed when the request ends (vLLM observes at the first token): the same value, later.
    if (r.firstTokenNs !== undefined) observeTtft(stats.ttft, (r.firstTokenNs - r.bodyNs) / 1e9);
    if (o.keepRecords) records.push(r);
    sink?.add(r);
  };

  const sendError = (res: ServerResponse, status: number, message: string, type: string): void => {
    if (res.headersSent) return;
    res.writeHead(status, JSON_HEADERS);
    res.end(errorBody(message, type, status));
  };

  const complete = (
    req: IncomingMessage,
    res: ServerResponse,
    arrivalNs: number,
    bodyNs: number,
    body: BodyIngest,
    endpoint: MockEndpoint,
  ): void => {
    let chat: ChatRequest;
    try {
      chat = endpoint === 'chat' ? toChatRequest(body.end()) : toCompletionRequest(body.end());
    } catch (err) {
      if (err instanceof BodyError || err instanceof RequestError) {
        stats.badRequests++;
        sendError(res, 400, err.message, 'BadRequestError');
        return;
      }
      throw err;
    }
    const index = seq++;
    stats.requests++;
    stats.inFlight++;
    const rand = requestRng(o.seed, index);
    const fault: FaultDecision | undefined = decideFault(o.faults, index + 1, rand);
    const rec: MockRecord = {
      index,
      // AIPerf and mmload name the session in X-Correlation-ID; older clients in X-Session-Id.
      sessionId: sessionIdOf(req.headers['x-correlation-id'] ?? req.headers['x-session-id'], chat.text),
      requestId: typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : undefined,
      arrivalNs,
      bodyNs,
      status: 200,
      stream: chat.stream,
      promptTokens: promptTokens(chat.text, chat.images.length, o.imageTokens),
      outputTokens: 0,
      reasoningTokens: 0,
      imageHits: 0,
      imageMisses: 0,
      fault: fault?.kind,
    };
    inFlight.add(rec);
    if (fault) stats.faults[fault.kind]++;
    if (fault?.kind === 'http500' || fault?.kind === 'http429') {
      rec.status = fault.kind === 'http500' ? 500 : 429;
      const msg = fault.kind === 'http500' ? 'injected internal server error' : 'injected rate limit';
      sendError(res, rec.status, msg, fault.kind === 'http500' ? 'InternalServerError' : 'RateLimitError');
      finishRecord(rec);
      return;
    }
    for (const h of chat.images) {
      if (cache.touch(h)) rec.imageHits++;
      else rec.imageMisses++;
    }
    stats.imageHits += rec.imageHits;
    stats.imageMisses += rec.imageMisses;
    stats.promptTokens += rec.promptTokens;

    const n = outputLength(chat, o.defaultMaxTokens, rand);
    const finishReason = chat.ignoreEos || n >= (chat.maxTokens ?? o.defaultMaxTokens) ? 'length' : 'stop';
    const pieces = outputPieces(n, rand);
    const nReason = Math.min(o.reasoningTokens, n);
    const mid = Math.floor(n / 2);
    const delayNs = fault?.kind === 'delayHeadersMs' ? fault.ms * 1e6 : 0;
    // stats.inFlight counts this request too: it is the (inFlight)-th the server holds.
    const queuedMs = queueDelayMs(o, stats.inFlight);
    if (queuedMs > 0) rec.queuedMs = queuedMs;
    const first = ttftMs(o, rec.promptTokens, rec.imageMisses, rand) + queuedMs + delayNs / 1e6;
    const offsets = tokenOffsetsMs(o, first, n, rand, fault?.kind === 'stallMs' ? mid : -1, fault?.ms ?? 0);
    const id = `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-mock-${index}`;
    let aborted = false;
    res.on('close', () => {
      if (!res.writableFinished && !aborted) {
        aborted = true;
        rec.aborted = true;
        finishRecord(rec);
      }
    });
    const done = (): void => {
      if (aborted) return;
      aborted = true;
      rec.outputTokens = n;
      rec.reasoningTokens = nReason;
      stats.outputTokens += n;
      stats.completions++;
      finishRecord(rec);
    };

    if (!chat.stream) {
      const send = (): void => {
        if (aborted) return;
        rec.firstTokenNs = rec.lastTokenNs = nowNsNumber();
        if (fault?.kind === 'dropMidStream') {
          res.socket?.destroy();
          return;
        }
        if (fault?.kind === 'malformedEvent') {
          // The non-stream counterpart of a malformed event: a truncated JSON body.
          res.writeHead(200, JSON_HEADERS);
          res.end('{"id":"malformed","object":"chat.completion","choices":[');
          done();
          return;
        }
        const reasoning = pieces.slice(0, nReason).join('').trimStart();
        const content = pieces.slice(nReason).join('').trimStart();
        res.writeHead(200, JSON_HEADERS);
        res.end(
          completionBody(
            id,
            created,
            o.model,
            reasoning,
            content,
            o.reasoningField,
            finishReason,
            rec.promptTokens,
            n,
            endpoint,
          ),
        );
        done();
      };
      const lastMs = n > 0 ? offsets[n - 1]! : first;
      if (lastMs <= 0) send();
      else scheduler.at(bodyNs + lastMs * 1e6, send);
      return;
    }

    const w = new ChunkWriter(id, created, o.model, endpoint);
    const chunk = (i: number): string => {
      const field = i < nReason ? o.reasoningField : 'content';
      return w.token(pieces[i]!, field, i === n - 1 ? finishReason : null);
    };
    const tail = (): string =>
      (n === 0 ? w.finish('length') : '') +
      (chat.includeUsage ? w.usage(rec.promptTokens, n) : '') +
      w.done();

    if (!fault && isInstant(offsets) && first <= 0) {
      // Zero latency: the whole response in one write.
      let s = w.role();
      for (let i = 0; i < n; i++) s += chunk(i);
      s += tail();
      rec.firstTokenNs = rec.lastTokenNs = nowNsNumber();
      res.writeHead(200, SSE_HEADERS);
      res.end(s);
      done();
      return;
    }

    const startStream = (): void => {
      if (aborted) return;
      res.writeHead(200, SSE_HEADERS);
      res.flushHeaders();
      if (n === 0) {
        scheduler.at(bodyNs + first * 1e6, () => {
          if (aborted) return;
          rec.firstTokenNs = rec.lastTokenNs = nowNsNumber();
          if (fault?.kind === 'dropMidStream') {
            res.socket?.destroy();
            return;
          }
          const bad = fault?.kind === 'malformedEvent' ? 'data: {"id":"malformed",\n\n' : '';
          res.end(w.role() + bad + tail());
          done();
        });
        return;
      }
      let i = 0;
      const tokenNs: number[] | undefined = o.recordTokens ? [] : undefined;
      const tokenLateNs: number[] | undefined = o.recordTokens ? [] : undefined;
      if (tokenNs && tokenLateNs) {
        rec.tokenNs = tokenNs;
        rec.tokenLateNs = tokenLateNs;
      }
      // Every token due by now goes out in one write; the next wake is the next token's deadline.
      const step = (): void => {
        if (aborted) return;
        const now = nowNsNumber();
        const late = now - (bodyNs + offsets[i]! * 1e6);
        if (late > (rec.maxLateNs ?? 0)) rec.maxLateNs = late;
        let s = i === 0 ? w.role() : '';
        while (i < n && bodyNs + offsets[i]! * 1e6 <= now) {
          if (tokenNs) {
            tokenNs.push(now);
            tokenLateNs!.push(now - (bodyNs + offsets[i]! * 1e6));
          }
          if (fault && i === mid) {
            if (fault.kind === 'dropMidStream') {
              rec.outputTokens = i;
              if (s) res.write(s);
              res.socket?.destroy();
              return;
            }
            if (fault.kind === 'malformedEvent') s += 'data: {"id":"malformed",\n\n';
          }
          s += chunk(i);
          i++;
        }
        rec.outputTokens = i;
        if (i > 0 && rec.firstTokenNs === undefined) rec.firstTokenNs = now;
        if (i === n) {
          rec.lastTokenNs = now;
          res.end(s + tail());
          done();
          return;
        }
        if (s) res.write(s);
        scheduler.at(bodyNs + offsets[i]! * 1e6, step);
      };
      scheduler.at(bodyNs + offsets[0]! * 1e6, step);
    };
    if (delayNs > 0) scheduler.at(bodyNs + delayNs, startStream);
    else startStream();
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const arrivalNs = arrivals.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const endpoint = ROUTES.get(path);
    if (req.method === 'POST' && endpoint) {
      // The body is scanned and its images hashed as the bytes arrive, a read at a time, so that
      // a 52 MB upload never holds the loop that writes other streams' tokens (body.ts).
      const body = new BodyIngest();
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > o.maxBodyBytes) {
          stats.badRequests++;
          res.setHeader('connection', 'close');
          sendError(res, 413, `request body larger than ${o.maxBodyBytes} bytes`, 'RequestTooLarge');
          req.destroy();
          return;
        }
        body.feed(c);
        const wait = ingestBudget.take();
        if (wait) {
          req.pause();
          void wait.then(() => req.resume());
        }
      });
      req.on('end', () => {
        // The latency model starts when the whole body is in, as a real server's prefill does.
        const bodyNs = nowNsNumber();
        if (size > o.maxBodyBytes) return;
        // The request's work (parse, schedule) waits until the sockets readable now have been read
        // and stamped: with 30 requests arriving at once, doing it here delayed the 30th arrival
        // stamp by 29 requests' work (~3 ms), which the accuracy bench counted as client error.
        setImmediate(() => {
          try {
            complete(req, res, arrivalNs, bodyNs, body, endpoint);
          } catch (err) {
            sendError(res, 500, `mock internal error: ${(err as Error).message}`, 'InternalServerError');
          }
        });
      });
      req.on('error', () => res.destroy());
      return;
    }
    // Drain any body so keep-alive connections stay usable.
    req.resume();
    if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, JSON_HEADERS);
      res.end(
        JSON.stringify({
          object: 'list',
          data: [{ id: o.model, object: 'model', created, owned_by: 'mmload', root: o.model, parent: null }],
        }),
      );
    } else if (req.method === 'GET' && path === '/health') {
      res.writeHead(200);
      res.end();
    } else if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(prometheusText(stats, cache.size, o.model));
    } else if (endpoint) {
      sendError(res, 405, `method ${req.method} not allowed on ${path}`, 'MethodNotAllowed');
    } else {
      stats.notFound++;
      sendError(res, 404, `route ${req.method} ${path} not found`, 'NotFoundError');
    }
  };

  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, handle);
  server.on('connection', (s: Socket) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (o.recordPath !== undefined) {
    // Opened once listening, so that a busy port does not truncate an earlier record file.
    try {
      sink = await openRecordSink(o.recordPath);
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw err;
    }
  }
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = o.host.includes(':') ? `[${o.host}]` : o.host;

  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    stats: () => ({
      ...stats,
      faults: { ...stats.faults },
      ttft: { ...stats.ttft, buckets: [...stats.ttft.buckets] },
    }),
    records: () => records,
    close: async () => {
      if (closing) return;
      closing = true;
      scheduler.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      // Requests cut by the close are recorded too, with what they had sent.
      for (const r of [...inFlight]) {
        r.aborted = true;
        finishRecord(r);
      }
      await sink?.close();
    },
  };
}
