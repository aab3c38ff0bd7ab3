import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startMock } from '../src/mock/server.js';
import { runCli, waitFor } from './cli-helpers.js';
import { smallDataset } from './driver-helpers.js';

const bin = join(import.meta.dirname, '..', 'bin', 'mmload');

const mmload = (args: string[], onStart?: (pid: number) => void) => runCli(args, { onStart });

test('Ctrl-C: no new sends, in-flight requests get the grace period, every artifact is written, exit 130', async () => {
  const { dir, path } = await smallDataset(3, 4);
  const mock = await startMock({ ttftMs: 100, itlMs: 20 });
  try {
    const out = join(dir, 'run');
    const r = await mmload(
      [
        'run',
        path,
        '--url',
        mock.url,
        '--concurrency',
        '3',
        '--max-tokens',
        '20',
        '--grace',
        '5',
        '--artifact-dir',
        out,
        '--quiet',
      ],
      // Signalled once requests are in flight (a loaded machine can take seconds to start node).
      (pid) =>
        void waitFor(() => mock.stats().requests >= 3, 60_000, 'requests at the mock').then(() =>
          setTimeout(() => process.kill(pid, 'SIGINT'), 300),
        ),
    );
    assert.equal(r.code, 130, r.stderr);
    const files = await readdir(out);
    for (const f of [
      'profile_export_mmload.json',
      'profile_export_mmload.csv',
      'records.jsonl',
      'histograms.hlog',
      'run_config.json',
      'report.html',
    ]) {
      assert.ok(files.includes(f), `${f} written (${files})`);
    }
    const summary = JSON.parse(await readFile(join(out, 'profile_export_mmload.json'), 'utf8'));
    const done = summary.request_count.avg;
    assert.ok(done > 0 && done < 12, `some but not all requests done (${done})`);
    assert.equal(
      summary.error_request_count,
      undefined,
      'in-flight requests finished within the grace period',
    );
  } finally {
    await mock.close();
  }
});

test('a bad dataset line fails before anything is sent, naming file, line and field', async () => {
  const { dir, path } = await smallDataset(2, 2);
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  lines[2] = `{"session_id":"user_0","text":"x","images":["iVBORw0KGgo${'A'.repeat(400)}"]}`;
  const bad = join(dir, 'bad.jsonl');
  await writeFile(bad, `${lines.join('\n')}\n`);
  const mock = await startMock({});
  try {
    const r = await mmload(['run', bad, '--url', mock.url, '--artifact-dir', join(dir, 'x'), '--quiet']);
    assert.equal(r.code, 2, 'an invalid row is bad input');
    assert.match(r.stderr, /bad\.jsonl:3 field "images"/);
    assert.equal(mock.stats().requests, 0);
    const skip = await mmload([
      'run',
      bad,
      '--url',
      mock.url,
      '--skip-invalid',
      '--artifact-dir',
      join(dir, 'y'),
      '--quiet',
    ]);
    assert.equal(skip.code, 0, skip.stderr);
    assert.equal(mock.stats().requests, 3);
  } finally {
    await mock.close();
  }
});

test('bad flags are rejected with a clear message and exit 2', async () => {
  const { path } = await smallDataset(1, 1);
  for (const [args, msg] of [
    [['--concurrency', '0'], /--concurrency 0/],
    [['--url', 'ftp://x'], /must be http or https/],
    [['--api-key-env', 'MMLOAD_TEST_UNSET_VAR'], /MMLOAD_TEST_UNSET_VAR/],
    [['--shard', '2/2'], /--shard "2\/2"/],
    [['--extra-inputs', 'oops'], /key:value/],
  ] as const) {
    const r = await mmload(['run', path, ...args]);
    assert.equal(r.code, 2, `${args}: ${r.stderr}`);
    assert.match(r.stderr, msg);
  }
  const missing = await mmload(['run', '/nonexistent.jsonl']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /\/nonexistent\.jsonl: no such file/);
});

test('the API key comes from the environment and appears in no artifact', async () => {
  const { dir, path } = await smallDataset(1, 1);
  const mock = await startMock({});
  try {
    const out = join(dir, 'k');
    const p = spawn(
      process.execPath,
      [bin, 'run', path, '--url', mock.url, '--api-key-env', 'MY_KEY', '--artifact-dir', out, '--quiet'],
      {
        env: { ...process.env, MY_KEY: 'sk-secret-123' },
      },
    );
    await new Promise((r) => p.on('close', r));
    for (const f of await readdir(out)) {
      assert.ok(!(await readFile(join(out, f), 'utf8')).includes('sk-secret-123'), `${f} holds the key`);
    }
  } finally {
    await mock.close();
  }
});

test('--image-cache-mb: a path dataset within the budget reads each image once; with less room images stream, the same bytes, counted and warned', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-imgcache-'));
  const path = join(dir, 'd.jsonl');
  // 4 sessions x 4 turns, 3 images per row, 6 distinct images per session of ~256 KB as data URLs:
  // the sessions in flight use 12 of them (~3 MiB), all 24 take ~6 MiB.
  const gen = ['generate', '-o', path, '--users', '4', '--turns', '4', '--window', '3', '--words', '20'];
  const g = await mmload([...gen, '--image-mode', 'path', '--image-size', '320x200', '--quiet']);
  assert.equal(g.code, 0, g.stderr);
  const run = async (mb: number) => {
    // A mock of its own per run: it tells each image by its bytes, so a streamed image that came
    // out different would be a new one there.
    const mock = await startMock({ ttftMs: 5, itlMs: 1 });
    try {
      const out = join(dir, `run-${mb}`);
      const args = ['run', path, '--url', mock.url, '--concurrency', '4', '--max-tokens', '4'];
      const r = await mmload([...args, '--artifact-dir', out, '--image-cache-mb', String(mb), '--quiet']);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(await readFile(join(out, 'profile_export_mmload.json'), 'utf8'));
      const m = mock.stats();
      assert.deepEqual(
        [m.imageMisses, m.imageHits, m.badRequests],
        [24, 24, 0],
        `--image-cache-mb ${mb}: the mock saw other images`,
      );
      return { images: s.mmload.client.localImages, warnings: s.mmload.client.warnings as string[] };
    } finally {
      await mock.close();
    }
  };
  const roomy = await run(8);
  assert.deepEqual(roomy.images, {
    reads: 24,
    rereads: 0,
    hits: 24,
    streamed: 0,
    noRoom: 0,

    maxBytes: 8 * 2 ** 20,
  });
  assert.ok(!roomy.warnings.some((w) => w.includes('image')), roomy.warnings.join('\n'));
  const tight = await run(1);
  assert.equal(
    tight.images.reads + tight.images.hits + tight.images.streamed,
    48,
    'every image of every row was sent',
  );
  assert.ok(tight.images.streamed > 0, JSON.stringify(tight.images));
  assert.match(
    tight.warnings.join('\n'),
    /local image uses found no room in --image-cache-mb 1 MiB and were streamed/,
  );
  const none = await run(0);
  assert.deepEqual(none.images, { reads: 0, rereads: 0, hits: 0, streamed: 48, noRoom: 48, maxBytes: 0 });
});
