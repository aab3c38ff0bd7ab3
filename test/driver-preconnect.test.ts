import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { runLoad } from '../src/driver/run.js';
import type { RequestRecord } from '../src/metrics/record.js';
import { runOptions, smallDataset } from './driver-helpers.js';

/** A minimal streaming server that counts connections and requests by route. */
async function countingServer() {
  const seen = { connections: 0, models: 0, chats: 0, chatsOnNewConnection: 0 };
  const fresh = new WeakSet<object>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/v1/models') {
        seen.models++;
        fresh.delete(req.socket);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"object":"list","data":[]}');
        return;
      }
      seen.chats++;
      if (fresh.has(req.socket)) seen.chatsOnNewConnection++;
      fresh.delete(req.socket);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\n');
      res.write('data: {"choices":[{"index":0,"delta":{"content":"b"},"finish_reason":"length"}]}\n\n');
      res.end('data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}\n\ndata: [DONE]\n\n');
    });
  });
  server.on('connection', (s) => {
    seen.connections++;
    fresh.add(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('pre-connect opens C connections with GETs the metrics never count; no chat request pays a connect', async () => {
  const { dir, path } = await smallDataset(4, 3);
  const srv = await countingServer();
  try {
    const out = await runLoad(
      runOptions(path, join(dir, 'on'), { url: srv.url, concurrency: 3, warmupRequests: 1 }),
    );
    assert.equal(out.exitCode, 0);
    assert.equal(out.summary.requestCount, 12, 'every row measured once');
    assert.equal(out.summary.warmupCount, 1);
    assert.equal(srv.seen.models, 3, 'one GET per connection');
    assert.equal(srv.seen.chats, 13, '12 measured + 1 warm-up: the GETs are not chat requests');
    assert.equal(srv.seen.connections, 3, 'no connection opened during the run');
    assert.equal(srv.seen.chatsOnNewConnection, 0);
    assert.equal(out.summary.client?.preconnected, 3);
    assert.ok((out.summary.client?.timeToFirstRequestMs ?? 0) > 0);
  } finally {
    await srv.close();
  }
});

test('--no-preconnect: the first requests open their own connections (as AIPerf)', async () => {
  const { dir, path } = await smallDataset(4, 2);
  const srv = await countingServer();
  try {
    const out = await runLoad(
      runOptions(path, join(dir, 'off'), { url: srv.url, concurrency: 3, preconnect: false }),
    );
    assert.equal(out.exitCode, 0);
    assert.equal(srv.seen.models, 0);
    assert.equal(srv.seen.chats, 8);
    assert.ok(srv.seen.chatsOnNewConnection >= 1);
    assert.equal(out.summary.client?.preconnected, undefined);
  } finally {
    await srv.close();
  }
});

test('latency start: a request that opens its connection counts the connect; one on an open connection starts at its write', async () => {
  const { dir, path } = await smallDataset(1, 3);
  const srv = await countingServer();
  try {
    const records = async (out: string) =>
      (await readFile(join(out, 'records.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { mmload: RequestRecord }).mmload)
        .sort((a, b) => a.index - b.index);
    const off = join(dir, 'off');
    await runLoad(runOptions(path, off, { url: srv.url, concurrency: 1, preconnect: false }));
    const [first, ...rest] = await records(off);
    assert.equal(first!.startNs, first!.dispatchNs, 'the connect is inside the first latency');
    for (const r of rest) assert.ok(r.startNs > r.dispatchNs!, `turn ${r.turn}: queue left out`);
    const on = join(dir, 'on');
    await runLoad(runOptions(path, on, { url: srv.url, concurrency: 1 }));
    for (const r of await records(on)) {
      assert.ok(r.startNs > r.dispatchNs!, `pre-connected, turn ${r.turn}`);
      assert.ok(r.sentNs! >= r.startNs && r.firstChunkNs! > r.startNs);
    }
  } finally {
    await srv.close();
  }
});
