// The fault matrix: one row per way a real server, a real network or a real user breaks a run,
// served by test/fault-server.ts (not the embedded mock), each row with the exit code, the console
// line and the artifacts it must leave. mmload runs as a child process, as a user runs it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RequestRecord } from '../src/metrics/record.js';
import { runCli, waitFor } from './cli-helpers.js';
import { smallDataset } from './driver-helpers.js';
import {
  type Behaviour,
  type FaultServerOptions,
  IMAGE_ERROR,
  selfSignedCert,
  startFaultServer,
} from './fault-server.js';

async function withServer<T>(
  o: FaultServerOptions,
  fn: (s: Awaited<ReturnType<typeof startFaultServer>>) => Promise<T>,
) {
  const s = await startFaultServer(o);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

async function records(dir: string): Promise<RequestRecord[]> {
  const text = await readFile(join(dir, 'records.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { mmload: RequestRecord }).mmload);
}

async function summary(dir: string): Promise<Record<string, unknown> & { mmload: Record<string, unknown> }> {
  return JSON.parse(await readFile(join(dir, 'profile_export_mmload.json'), 'utf8'));
}

const ARTIFACTS = [
  'profile_export_mmload.json',
  'profile_export_mmload.csv',
  'records.jsonl',
  'histograms.hlog',
  'run_config.json',
];

async function assertArtifacts(dir: string): Promise<void> {
  const files = await readdir(dir);
  for (const f of ARTIFACTS) assert.ok(files.includes(f), `${f} written (${files.join(', ')})`);
}

for (const [signal, code] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const) {
  test(`stalled server + ${signal}: exit ${code} within grace + 1 s, says ${signal}, in-flight requests cancelled, artifacts written`, async () => {
    const { dir, path } = await smallDataset(3, 2);
    await withServer({ behaviour: 'stall' }, async (srv) => {
      const out = join(dir, 'run');
      let signalledAt = 0;
      const r = await runCli(
        [
          'run',
          path,
          '--url',
          srv.url,
          '--concurrency',
          '3',
          '--grace',
          '1',
          '--artifact-dir',
          out,
          '--quiet',
        ],
        {
          onStart: (pid) => {
            void waitFor(() => srv.requests.length >= 3, 60_000, 'three requests at the server').then(() => {
              signalledAt = performance.now();
              process.kill(pid, signal);
            });
          },
        },
      );
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, new RegExp(signal));
      const took = r.exitedAt - signalledAt;
      assert.ok(took < 2000, `exited ${took.toFixed(0)} ms after ${signal} (grace 1 s)`);
      await assertArtifacts(out);
      const s = await summary(out);
      assert.equal((s.mmload.errors_by_kind as Record<string, number>).cancelled, 3);
      assert.equal(s.was_cancelled, true);
    });
  });
}

test('stalled server + --duration 2 --grace 1: ends by itself at duration + grace, requests cancelled, exit 1 (none succeeded)', async () => {
  const { dir, path } = await smallDataset(2, 2);
  await withServer({ behaviour: 'stall' }, async (srv) => {
    const out = join(dir, 'run');
    let firstAt = 0;
    const r = await runCli(
      [
        'run',
        path,
        '--url',
        srv.url,
        '--concurrency',
        '2',
        '--duration',
        '2',
        '--grace',
        '1',
        '--artifact-dir',
        out,
      ],
      {
        onStart: () => {
          void waitFor(() => srv.requests.length >= 1, 60_000, 'a request').then(() => {
            firstAt = performance.now();
          });
        },
      },
    );
    assert.equal(r.code, 1, r.stderr);
    const took = r.exitedAt - firstAt;
    assert.ok(
      took < 4000 && took > 2500,
      `ran ${took.toFixed(0)} ms from the first request (duration 2 s + grace 1 s)`,
    );
    assert.match(r.stderr, /--duration 2 s reached/);
    assert.match(r.stderr, /cancelling 2 request\(s\) still in flight after the 1 s grace period/);
    await assertArtifacts(out);
    assert.deepEqual((await summary(out)).mmload.errors_by_kind, { cancelled: 2 });
  });
});

for (const [name, o] of [
  ['closes right after each stream (llama.cpp)', { behaviour: 'close-after-stream' as Behaviour }],
  ['closes 30 ms after each stream', { behaviour: 'close-after-stream' as Behaviour, closeDelayMs: 30 }],
] as const) {
  test(`server that advertises keep-alive and ${name}: no false failure, a request on a dead connection is resent once`, async () => {
    const { dir, path } = await smallDataset(4, 10);
    await withServer(o, async (srv) => {
      const out = join(dir, 'run');
      const r = await runCli([
        'run',
        path,
        '--url',
        srv.url,
        '--concurrency',
        '2',
        '--artifact-dir',
        out,
        '--quiet',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const recs = await records(out);
      assert.equal(recs.length, 40);
      assert.ok(
        recs.every((x) => !x.error),
        recs
          .filter((x) => x.error)
          .map((x) => x.error!.message)
          .join('; '),
      );
      assert.ok(
        recs.every((x) => (x.resends ?? 0) <= 1),
        'never more than one resend',
      );
      const resent = recs.filter((x) => x.resends === 1).length;
      const s = await summary(out);
      assert.equal(
        (s.mmload.client as { resends: number }).resends,
        resent,
        'the summary counts the resends',
      );
      assert.equal(srv.requests.length, 40, 'a request the server closed on unanswered never reached it');
      if (o.closeDelayMs) {
        // The next turn leaves within a few ms of the previous response, before the close: it meets a dead socket.
        assert.ok(resent > 0, 'requests were resent');
        assert.match(r.stderr, new RegExp(`40 ok, 0 failed, ${resent} resent`));
      }
      for (const x of recs.filter((y) => y.resends === 1))
        assert.equal(
          x.startNs,
          x.dispatchNs,
          'a resend is measured from its own dispatch (with its connect)',
        );
    });
  });
}

test('Connection: close is honoured: no failure, no resend', async () => {
  const { dir, path } = await smallDataset(2, 5);
  await withServer({ behaviour: 'connection-close' }, async (srv) => {
    const out = join(dir, 'run');
    const r = await runCli([
      'run',
      path,
      '--url',
      srv.url,
      '--concurrency',
      '2',
      '--artifact-dir',
      out,
      '--quiet',
      // The server-metrics scraper's connections are not requests': this test counts the latter.
      '--no-server-metrics',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const recs = await records(out);
    assert.equal(recs.filter((x) => x.error || x.resends).length, 0);
    // The two pre-connected connections carry the first two requests; each response closes its connection.
    assert.equal(srv.connections, 10, 'one connection per request');
  });
});

test("HTTP 500 with a JSON error: the server's message is shown and recorded, exit 1", async () => {
  const { dir, path } = await smallDataset(2, 2);
  await withServer({ behaviour: 'http500' }, async (srv) => {
    const out = join(dir, 'run');
    const r = await runCli(['run', path, '--url', srv.url, '--artifact-dir', out]);
    assert.equal(r.code, 1);
    assert.ok((r.stdout + r.stderr).includes(IMAGE_ERROR), r.stdout + r.stderr);
    const recs = await records(out);
    assert.equal(recs.length, 4);
    for (const x of recs) assert.equal(x.error?.message, `HTTP 500: ${IMAGE_ERROR}`);
  });
});

for (const [behaviour, type] of [
  ['json200', 'application/json'],
  ['html200', 'text/html'],
] as const) {
  test(`HTTP 200 with ${type} instead of a stream: said so, with the content type`, async () => {
    const { dir, path } = await smallDataset(1, 2);
    await withServer({ behaviour }, async (srv) => {
      const out = join(dir, 'run');
      const r = await runCli(['run', path, '--url', srv.url, '--artifact-dir', out]);
      assert.equal(r.code, 1);
      const recs = await records(out);
      for (const x of recs) {
        assert.equal(x.error?.kind, 'not_sse');
        assert.match(x.error!.message, new RegExp(`content-type ${type}.*not an SSE stream`));
      }
      assert.match(r.stdout + r.stderr, /not an SSE stream/);
      if (behaviour === 'html200') assert.match(recs[0]!.error!.message, /not an SSE stream: Sign in$/);
      else assert.match(recs[0]!.error!.detail!, /"object":"chat.completion"/);
    });
  });
}

test('TLS with a self-signed certificate: refused by default, accepted with --ca-cert or --insecure', async () => {
  const { dir, path } = await smallDataset(1, 2);
  const cert = selfSignedCert();
  await withServer({ behaviour: 'ok', tls: cert }, async (srv) => {
    const refused = await runCli([
      'run',
      path,
      '--url',
      srv.url,
      '--artifact-dir',
      join(dir, 'refused'),
      '--quiet',
    ]);
    assert.equal(refused.code, 1);
    const recs = await records(join(dir, 'refused'));
    assert.ok(
      recs.every((x) => x.error?.kind === 'connection' && /certificate/i.test(x.error.message)),
      JSON.stringify(recs[0]?.error),
    );
    for (const [flag, extra] of [
      ['ca-cert', ['--ca-cert', cert.certPath]],
      ['insecure', ['--insecure']],
    ] as const) {
      const r = await runCli([
        'run',
        path,
        '--url',
        srv.url,
        '--artifact-dir',
        join(dir, flag),
        '--quiet',
        ...extra,
      ]);
      assert.equal(r.code, 0, r.stderr);
      // The /metrics scrapes of the same endpoint go through the same TLS settings: the server (no
      // metrics server) answers them, where they used to fail on its certificate.
      const scraped = JSON.parse(await readFile(join(dir, flag, 'server_metrics_export.json'), 'utf8'));
      const info = Object.values(scraped.summary.endpoint_info)[0] as {
        total_fetches: number;
        errors?: object;
      };
      assert.ok(info.total_fetches > 0);
      assert.ok(!/cert/i.test(JSON.stringify(info.errors ?? {})), `${flag}: ${JSON.stringify(info.errors)}`);
    }
  });
});

test('artifact dir that is a file, or cannot be created: exit 2 before any request', async () => {
  const { dir, path } = await smallDataset(1, 1);
  await withServer({ behaviour: 'ok' }, async (srv) => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const r1 = await runCli(['run', path, '--url', srv.url, '--artifact-dir', file]);
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /--artifact-dir .*a-file: is a file, not a directory/);
    // Under a file: ENOTDIR. Under procfs: ENOENT for a parent that exists (Node's recursive mkdir never returns there).
    for (const [bad, why] of [
      [join(file, 'results'), 'a part of the path is a file'],
      ['/proc/self/mmload-results', 'no such file or directory'],
    ] as const) {
      const r = await runCli(['run', path, '--url', srv.url, '--artifact-dir', bad]);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(r.stderr.includes(`--artifact-dir ${bad}: cannot create it (${why})`), r.stderr);
    }
    assert.equal(srv.requests.length, 0, 'nothing was sent');
  });
});

test('artifact dir fills up during the run: the whole summary is printed, unwritten files named, exit 74', async (t) => {
  const { dir, path } = await smallDataset(4, 10);
  const mnt = join(dir, 'small-disk');
  await mkdir(mnt);
  // A 64 KiB tmpfs where the suite runs as root; elsewhere records.jsonl is a link to /dev/full.
  let tmpfs = false;
  if (process.getuid?.() === 0) {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
      tmpfs = true;
    } catch {
      // not allowed here (a container without CAP_SYS_ADMIN): the injected write error below
    }
  }
  t.after(() => {
    if (tmpfs) execFileSync('umount', [mnt]);
  });
  if (!tmpfs) execFileSync('ln', ['-s', '/dev/full', join(mnt, 'records.jsonl')]);
  await withServer({ behaviour: 'ok', tokens: 16 }, async (srv) => {
    const r = await runCli(['run', path, '--url', srv.url, '--concurrency', '4', '--artifact-dir', mnt]);
    assert.match(r.stdout, /Time to First Token/, 'the table is printed');
    assert.match(r.stdout, /40 ok, 0 failed/);
    // The tmpfs fills with records.jsonl during the run (how far it got depends on the record sizes),
    // then the summary files fail; with /dev/full, records.jsonl fails from its first write.
    if (tmpfs)
      assert.match(r.stderr, /could not write .*profile_export_mmload\.json: no space left on the device/);
    else assert.match(r.stderr, /could not write .*records\.jsonl: no space left on the device/);
    assert.doesNotMatch(r.stderr, /report\.html/, 'no report is attempted without its summary');
    assert.equal(r.code, 74, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error/);
  });
});

test('credentials in --url are sent as Basic auth and appear nowhere: console, artifacts, report', async () => {
  const { dir, path } = await smallDataset(1, 2);
  await withServer({ behaviour: 'ok' }, async (srv) => {
    const out = join(dir, 'run');
    const url = srv.url.replace('http://', 'http://alice:s3cr3t-key@');
    const r = await runCli(['run', path, '--url', url, '--artifact-dir', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      srv.requests[0]!.headers.authorization,
      `Basic ${Buffer.from('alice:s3cr3t-key').toString('base64')}`,
    );
    assert.doesNotMatch(r.stdout + r.stderr, /s3cr3t/);
    for (const f of await readdir(out)) {
      const text = await readFile(join(out, f), 'utf8');
      assert.doesNotMatch(text, /s3cr3t/, `${f} holds the credentials`);
    }
  });
});

test('the request headers routers rely on: X-Request-ID per request, X-Correlation-ID and X-Session-Affinity per session, User-Agent', async () => {
  const { dir, path } = await smallDataset(2, 3);
  await withServer({ behaviour: 'ok' }, async (srv) => {
    const out = join(dir, 'run');
    const r = await runCli([
      'run',
      path,
      '--url',
      srv.url,
      '--concurrency',
      '1',
      '--artifact-dir',
      out,
      '--quiet',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const h = srv.requests.map((x) => x.headers);
    assert.equal(new Set(h.map((x) => x['x-request-id'])).size, 6, 'a new X-Request-ID for every request');
    assert.match(String(h[0]!['user-agent']), /^mmload\/\d/);
    for (const x of h) assert.equal(x['x-session-affinity'], x['x-correlation-id']);
    // concurrency 1: user_0's three turns, then user_1's
    assert.equal(new Set(h.slice(0, 3).map((x) => x['x-correlation-id'])).size, 1);
    assert.notEqual(h[0]!['x-correlation-id'], h[3]!['x-correlation-id']);
    const recs = await records(out);
    assert.deepEqual(new Set(recs.map((x) => x.requestId)), new Set(h.map((x) => x['x-request-id'])));
  });
});
