import type { Dispatcher } from 'undici';

export interface PreconnectOptions {
  origin: string;
  /** A cheap route to GET (the models list); its status does not matter, only the connection. */
  path: string;
  headers: Record<string, string>;
  /** Connections to open: that many GETs in parallel, each needing its own connection. */
  connections: number;
  timeoutMs: number;
}

export interface PreconnectResult {
  /** GETs answered (any status): connections that exist and are kept alive in the pool. */
  opened: number;
  failed: number;
  firstError?: string;
}

/**
 * Warms the dispatcher's pool: N requests dispatched together cannot share a connection (no
 * pipelining), so the pool opens N. None of them goes to the chat route, so the server counts no
 * completion and mmload records nothing. A failure is not fatal: the run then connects on demand.
 */
export async function preconnect(dispatcher: Dispatcher, o: PreconnectOptions): Promise<PreconnectResult> {
  let opened = 0;
  let failed = 0;
  let firstError: string | undefined;
  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      try {
        const res = await dispatcher.request({
          origin: o.origin,
          path: o.path,
          method: 'GET',
          headers: o.headers,
          headersTimeout: o.timeoutMs,
          bodyTimeout: o.timeoutMs,
        });
        await res.body.dump();
        opened++;
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }),
  );
  return { opened, failed, firstError };
}
