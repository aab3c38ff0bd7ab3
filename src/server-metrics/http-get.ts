import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * GET of a metrics page over node:http(s), one kept-alive connection per endpoint. The scraper's
 * thread used undici, whose loading took ~110 ms of that thread's start (node:http: nothing to
 * load); the first request of a run waits for the scraper's baseline, so that was start-up time
 * of every run on a small machine.
 */
export class MetricsGetter {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  private readonly https: HttpsAgent;

  /** `tls`: the run's --ca-cert / --insecure, for https endpoints. */
  constructor(tls?: { ca?: string; rejectUnauthorized?: boolean }) {
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: 1, ...tls });
  }

  /**
   * Resolves with the status and, for a 200, the body (at most `maxBytes`); `onHeaders` is called
   * when the response's headers arrive. Rejects on a network error, on `signal`, or on a body over
   * `maxBytes`.
   */
  get(
    url: string,
    o: { accept: string; signal: AbortSignal; maxBytes: number; onHeaders: () => void },
  ): Promise<{ status: number; body?: string }> {
    const secure = url.startsWith('https:');
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: 'GET',
          headers: { accept: o.accept },
          agent: secure ? this.https : this.http,
          signal: o.signal,
        },
        (res: IncomingMessage) => {
          o.onHeaders();
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            res.resume();
            res.on('end', () => resolve({ status }));
            res.on('error', reject);
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > o.maxBytes) {
              res.destroy(new Error(`body larger than ${o.maxBytes} bytes`));
              return;
            }
            chunks.push(c);
          });
          let ended = false;
          res.on('end', () => {
            ended = true;
            resolve({ status, body: Buffer.concat(chunks).toString('utf8') });
          });
          // An error (the size limit, a reset) comes first; a close without one is a cut response.
          res.on('error', reject);
          res.on('close', () => {
            if (!ended) reject(new Error('the server closed the response before its end'));
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
