import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { DatasetRow } from '../dataset/types.js';
import type { RequestRecord } from '../metrics/record.js';
import { VERSION } from '../version.js';
import { ConnectionWatch, type RecordIdentity, sendChatRequest } from './client.js';
import type { Endpoint } from './endpoints/endpoint.js';
import { ImagePathCache } from './local-images.js';
import type { BodySettings } from './request.js';
import type { Target } from './target.js';

/**
 * The request headers a router or a log may rely on, as AIPerf 0.13 sends them
 * (aiperf/transports/base_transports.py): a User-Agent naming the tool, X-Request-ID (new for every
 * request), and the session's X-Correlation-ID, repeated as X-Session-Affinity, so that a router
 * that pins sessions to replicas treats mmload's sessions as it treats AIPerf's.
 */
export function requestHeaders(base: readonly string[], requestId: string, correlationId: string): string[] {
  return base.concat(
    'x-request-id',
    requestId,
    'x-correlation-id',
    correlationId,
    'x-session-affinity',
    correlationId,
  );
}

export interface SenderSettings {
  target: Target;
  /** Body format and stream classifier. */
  endpoint: Endpoint;
  /** Path of the route under the target's base path. */
  route: string;
  apiKey?: string;
  body: BodySettings;
  /** Cap on open connections (concurrency mode: the sessions in flight); undefined = no cap. */
  connections?: number;
  /** undici connect options for https (CA, insecure). */
  tls?: { ca?: string; rejectUnauthorized?: boolean };
  timeoutMs?: number;
  /** Aborts every request in flight (the grace deadline, a second Ctrl-C). */
  cancel: AbortSignal;
  /** Local image paths (see ImagePathCache). */
  images?: ImagePathCache;
}

/** One request to send: the row, and who it is for the records and the server's logs. */
export interface SendRequest {
  id: RecordIdentity;
  row: DatasetRow;
  /** The session's X-Correlation-ID. */
  correlationId: string;
}

/** Sends rows as streaming requests over one connection pool; the only part of the engine that does I/O on the network. */
export interface Sender {
  send(r: SendRequest): Promise<RequestRecord>;
  /** The pool, for pre-connecting. */
  readonly dispatcher: Dispatcher;
  /** Base headers without the per-request ones (for pre-connect GETs). */
  readonly baseHeaders: Record<string, string>;
  close(): Promise<void>;
}

export async function createHttpSender(s: SenderSettings): Promise<Sender> {
  // undici takes ~170 ms to load. Loaded here, once the run's helper threads have started, that
  // load overlaps their start-up instead of coming before it, on the way to the first request.
  const { Agent, Client } = await import('undici');
  const connect = s.tls ? { ...s.tls } : undefined;
  const agent = new Agent({
    connections: s.connections ?? null,
    keepAliveTimeout: 60_000,
    headersTimeout: 0,
    bodyTimeout: 0,
    connect,
  });
  const connections = new ConnectionWatch(agent);
  const baseHeaders: Record<string, string> = {
    'user-agent': `mmload/${VERSION}`,
  };
  if (s.apiKey) baseHeaders.authorization = `Bearer ${s.apiKey}`;
  else if (s.target.authorization) baseHeaders.authorization = s.target.authorization;
  // undici's flat header list: cheaper per request than an object it has to walk.
  const postHeaders = Object.entries({
    ...baseHeaders,
    'content-type': 'application/json',
    accept: 'text/event-stream',
  }).flat();
  const images = s.images ?? new ImagePathCache();
  const path = `${s.target.basePath}${s.route}`;
  // A resend's connection is its own and is closed after it: never a second stale socket.
  const freshConnection = () =>
    new Client(s.target.origin, { keepAliveTimeout: 1, headersTimeout: 0, bodyTimeout: 0, connect });
  return {
    dispatcher: agent,
    baseHeaders,
    async send(r) {
      const body = await s.endpoint.buildBody(r.row, s.body, images);
      const requestId = randomUUID();
      try {
        return await sendChatRequest(
          agent,
          { ...r.id, requestId },
          {
            origin: s.target.origin,
            path,
            headers: requestHeaders(postHeaders, requestId, r.correlationId),
            body,
            timeoutMs: s.timeoutMs,
            signal: s.cancel,
            connections,
            freshConnection,
            classify: s.endpoint.classify,
          },
        );
      } finally {
        body.release?.();
      }
    },
    async close() {
      await agent.close().catch(() => {});
    },
  };
}
