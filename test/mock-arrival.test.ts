import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startMock } from '../src/mock/server.js';
import { nowNsNumber } from '../src/util/clock.js';

/** A whole HTTP/1.1 chat request on its own connection, which the mock closes after answering. */
function rawRequest(host: string, n: number): Buffer {
  const body = JSON.stringify({
    model: 'm',
    messages: [{ role: 'user', content: `burst ${n}` }],
    max_tokens: 1,
  });
  return Buffer.from(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-ID: burst-${n}\r\nConnection: close\r\n\r\n${body}`,
  );
}

test('mock: requests that arrive together share one arrival stamp, taken after their bytes were sent', async () => {
  const m = await startMock({ ttftMs: 0, itlMs: 0 });
  const sockets: Socket[] = [];
  try {
    const url = new URL(m.url);
    for (let i = 0; i < 30; i++) {
      const s = connect(Number(url.port), url.hostname);
      await once(s, 'connect');
      sockets.push(s);
    }
    // Let the mock accept every connection first: a socket accepted in the same wake-up as the
    // burst would be read at the next one.
    await sleep(100);
    const ended = sockets.map((s) => {
      s.resume();
      return once(s, 'end');
    });
    // All 30 writes reach the kernel before the mock's loop polls again: it finds the 30 sockets
    // readable at once, as a server finds a burst of clients, and handles them one after another.
    const sentNs = nowNsNumber();
    for (let i = 0; i < sockets.length; i++) sockets[i]!.write(rawRequest(url.host, i));
    await Promise.all(ended);
    const burst = m.records().filter((r) => r.requestId?.startsWith('burst-'));
    assert.equal(burst.length, 30);
    const arrivals = new Set(burst.map((r) => r.arrivalNs));
    // Stamped at each handler instead, the 30th arrival would carry the 29 handlers before it.
    assert.equal(arrivals.size, 1, `one stamp for the burst, got ${arrivals.size}`);
    const [arrival] = arrivals;
    assert.ok(arrival! >= sentNs, 'never before the bytes were written');
    for (const r of burst) assert.ok(r.bodyNs >= r.arrivalNs && r.firstTokenNs! >= r.bodyNs);

    // A request the loop meets on a later wake-up gets a stamp of its own.
    const later = connect(Number(url.port), url.hostname);
    await once(later, 'connect');
    await sleep(100);
    later.resume();
    const laterEnd = once(later, 'end');
    const laterSentNs = nowNsNumber();
    later.write(rawRequest(url.host, 30));
    await laterEnd;
    const last = m.records().find((r) => r.requestId === 'burst-30');
    assert.ok(last && last.arrivalNs >= laterSentNs && last.arrivalNs > arrival!);
  } finally {
    for (const s of sockets) s.destroy();
    await m.close();
  }
});
