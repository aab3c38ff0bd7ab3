import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { MetricsGetter } from '../src/server-metrics/http-get.js';
import { selfSignedCert } from './fault-server.js';

test('metrics GET: body, status, size limit, abort, one kept-alive connection', async () => {
  const sockets = new Set<unknown>();
  const server = createServer((req, res) => {
    sockets.add(req.socket);
    if (req.url === '/big') return res.end('x'.repeat(10_000));
    if (req.url === '/err') return res.writeHead(500).end('no');
    if (req.url === '/never') return; // never answers
    if (req.url === '/cut') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('vllm:');
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    assert.equal(req.headers.accept, 'text/plain');
    res.end('vllm:num_requests_running 3\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const g = new MetricsGetter();
  const opts = (signal = new AbortController().signal) => {
    const o = { accept: 'text/plain', signal, maxBytes: 1000, headers: 0, onHeaders: () => o.headers++ };
    return o;
  };
  try {
    const o = opts();
    assert.deepEqual(await g.get(`${base}/metrics`, o), {
      status: 200,
      body: 'vllm:num_requests_running 3\n',
    });
    assert.equal(o.headers, 1);
    assert.deepEqual(await g.get(`${base}/metrics`, opts()), {
      status: 200,
      body: 'vllm:num_requests_running 3\n',
    });
    assert.equal(sockets.size, 1, 'the connection is kept alive');
    assert.deepEqual(await g.get(`${base}/err`, opts()), { status: 500 });
    await assert.rejects(g.get(`${base}/big`, opts()), /body larger than 1000 bytes/);
    await assert.rejects(g.get(`${base}/cut`, opts()), /aborted|closed the response before its end/);
    const abort = new AbortController();
    const never = g.get(`${base}/never`, opts(abort.signal));
    setTimeout(() => abort.abort(), 50);
    await assert.rejects(never, { name: 'AbortError' });
    await assert.rejects(g.get('http://127.0.0.1:1/metrics', opts()), { code: 'ECONNREFUSED' });
  } finally {
    g.close();
    server.closeAllConnections();
    server.close();
  }
});

test('metrics GET over https: a self-signed endpoint is refused unless --insecure or its --ca-cert is given', async () => {
  const { key, cert } = selfSignedCert();
  const server = createHttpsServer({ key, cert }, (_req, res) => res.end('vllm:num_requests_running 1\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  const o = {
    accept: 'text/plain',
    signal: new AbortController().signal,
    maxBytes: 1000,
    onHeaders: () => {},
  };
  const getters = [
    new MetricsGetter(),
    new MetricsGetter({ rejectUnauthorized: false }),
    new MetricsGetter({ ca: cert }),
  ];
  try {
    await assert.rejects(getters[0]!.get(url, o), /self[- ]signed/i);
    assert.deepEqual(await getters[1]!.get(url, o), { status: 200, body: 'vllm:num_requests_running 1\n' });
    assert.deepEqual(await getters[2]!.get(url, o), { status: 200, body: 'vllm:num_requests_running 1\n' });
  } finally {
    for (const g of getters) g.close();
    server.closeAllConnections();
    server.close();
  }
});
