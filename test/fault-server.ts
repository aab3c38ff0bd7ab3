// A small OpenAI-style server written for the fault tests, independent of mmload's embedded mock:
// each behaviour is what a real server (or a broken one) was seen to do. Not a test file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Behaviour =
  /** Streams a normal response. */
  | 'ok'
  /** Reads the request and never answers (a stalled server). */
  | 'stall'
  /** Advertises keep-alive, streams, then closes the socket right after the response (llama.cpp's server). */
  | 'close-after-stream'
  /** Streams with `Connection: close` (and closes). */
  | 'connection-close'
  /** HTTP 500 with an OpenAI-style JSON error (llama.cpp's answer to image parts). */
  | 'http500'
  /** 200 with a JSON completion instead of a stream. */
  | 'json200'
  /** 200 with an HTML page (a proxy's login or error page). */
  | 'html200';

export const IMAGE_ERROR =
  'image input is not supported - hint: if this is unexpected, you may need to provide the mmproj';

export interface FaultServer {
  url: string;
  /** Requests received on the chat route: headers, size, body, and when (performance.now(), ms) they arrived. */
  requests: Array<{ headers: IncomingMessage['headers']; bytes: number; body: string; arrivedMs: number }>;
  /** TCP connections accepted. */
  connections: number;
  close(): Promise<void>;
}

export interface FaultServerOptions {
  behaviour: Behaviour;
  /** Tokens streamed per response. */
  tokens?: number;
  /** Milliseconds between tokens. */
  itlMs?: number;
  /** Serve https with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** close-after-stream: milliseconds between the response's end and the close (0: at once). */
  closeDelayMs?: number;
}

function streamTokens(res: ServerResponse, tokens: number, itlMs: number, done: () => void): void {
  const chunk = (delta: object, extra: object = {}) =>
    `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta, ...extra }] })}\n\n`;
  res.write(chunk({ role: 'assistant', content: '' }));
  let i = 0;
  const next = () => {
    if (i < tokens) {
      res.write(chunk({ content: ` w${i}` }));
      i++;
      setTimeout(next, itlMs);
      return;
    }
    res.write(chunk({}, { finish_reason: 'length' }));
    res.write(
      `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: tokens, total_tokens: tokens + 5 } })}\n\n`,
    );
    res.write('data: [DONE]\n\n');
    done();
  };
  next();
}

export async function startFaultServer(o: FaultServerOptions): Promise<FaultServer> {
  const tokens = o.tokens ?? 4;
  const itlMs = o.itlMs ?? 1;
  const state: FaultServer = {
    url: '',
    requests: [],
    connections: 0,
    close: async () => {},
  };
  const sockets = new Set<Socket>();
  /** Sockets whose response has ended under close-after-stream: a request on them is never answered. */
  const dying = new WeakSet<Socket>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (dying.has(req.socket)) {
      // The server has done with this connection: it closes without reading what came on it.
      req.socket.destroy();
      return;
    }
    const arrivedMs = performance.now();
    let bytes = 0;
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => {
      bytes += d.length;
      if (bytes < 1 << 20) parts.push(d);
    });
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"object":"list","data":[{"id":"fault-model","object":"model"}]}');
        return;
      }
      state.requests.push({
        headers: req.headers,
        bytes,
        body: Buffer.concat(parts).toString('utf8'),
        arrivedMs,
      });
      switch (o.behaviour) {
        case 'stall':
          return;
        case 'http500':
          res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
          res.end(JSON.stringify({ error: { code: 500, message: IMAGE_ERROR, type: 'server_error' } }));
          return;
        case 'json200':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id: 'x',
              object: 'chat.completion',
              choices: [
                { index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' },
              ],
            }),
          );
          return;
        case 'html200':
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end(
            '<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Please sign in</h1></body></html>',
          );
          return;
        default: {
          const headers: Record<string, string> = {
            'content-type': 'text/event-stream',
            'cache-control': 'no-cache',
          };
          if (o.behaviour === 'connection-close') headers.connection = 'close';
          else headers['keep-alive'] = 'timeout=5';
          res.writeHead(200, headers);
          streamTokens(res, tokens, itlMs, () => {
            res.end();
            // llama.cpp's server: the response said keep-alive, the socket closes right after it.
            const socket = res.socket;
            if (o.behaviour === 'close-after-stream' && socket) {
              dying.add(socket);
              if (o.closeDelayMs) setTimeout(() => socket.destroy(), o.closeDelayMs);
              else socket.destroy();
            }
          });
        }
      }
    });
  };
  const server: Server = o.tls
    ? createHttps({ key: o.tls.key, cert: o.tls.cert }, handler)
    : createHttp(handler);
  server.keepAliveTimeout = 5000;
  server.on('connection', (s: Socket) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  state.url = `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return state;
}

/**
 * A self-signed certificate for 127.0.0.1 made with the openssl command (Debian has it; the test
 * fails naming it when it is missing).
 */
export function selfSignedCert(): { key: string; cert: string; certPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mmload-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
  } catch (err) {
    throw new Error(
      `the TLS tests need the openssl command to make a certificate (apt-get install openssl): ${(err as Error).message}`,
    );
  }
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath };
}
