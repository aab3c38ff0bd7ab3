import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startMock } from '../src/mock/server.js';
import type { MockRecord } from '../src/mock/types.js';
import { BIN, mmload } from './cli-helpers.js';
import { chatBody, post } from './mock-helpers.js';

async function readRecords(path: string): Promise<MockRecord[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  assert.ok(text === '' || text.endsWith('\n'), 'only whole lines');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MockRecord);
}

/** Polls until the file holds `n` records; the flush period is 100 ms. */
async function waitForRecords(path: string, n: number, ms = 3000): Promise<MockRecord[]> {
  const end = Date.now() + ms;
  for (;;) {
    const recs = await readRecords(path);
    if (recs.length >= n || Date.now() > end) return recs;
    await sleep(20);
  }
}

test('startMock streams records to recordPath as requests finish, before close', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-rec-'));
  try {
    const recordPath = join(dir, 'rec.jsonl');
    const m = await startMock({ recordPath, keepRecords: false });
    try {
      assert.deepEqual(await readRecords(recordPath), [], 'created at start');
      for (let i = 0; i < 3; i++)
        await post(m.url, chatBody(`req ${i}`, { max_tokens: 2, stream: true, ignore_eos: true }));
      const recs = await waitForRecords(recordPath, 3);
      assert.deepEqual(
        recs.map((r) => [r.index, r.sessionId, r.outputTokens]),
        [
          [0, 'req 0', 2],
          [1, 'req 1', 2],
          [2, 'req 2', 2],
        ],
      );
      assert.equal(m.records().length, 0, 'keepRecords false keeps nothing in memory');
    } finally {
      await m.close();
    }
    assert.equal((await readRecords(recordPath)).length, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('mmload mock --record: the file fills while serving; SIGKILL keeps what was written', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-rec-'));
  const record = join(dir, 'rec.jsonl');
  const child = spawn(process.execPath, [BIN, 'mock', '--port', '0', '--record', record], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    for (let i = 0; i < 5; i++) {
      await post(url, chatBody(`kill test ${i}`, { max_tokens: 3, stream: true, ignore_eos: true }), {
        'x-session-id': `user_${i}`,
      });
    }
    const seen = await waitForRecords(record, 5);
    assert.deepEqual(
      seen.map((r) => r.sessionId),
      ['user_0', 'user_1', 'user_2', 'user_3', 'user_4'],
    );
    const exited = new Promise((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const after = await readRecords(record);
    assert.equal(after.length, 5);
    assert.ok(after.every((r) => r.status === 200 && r.outputTokens === 3 && r.lastTokenNs! >= r.bodyNs));
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('mmload mock --record with a bad path is refused at once, exit 2, before serving', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-rec-'));
  try {
    await writeFile(join(dir, 'a-file'), 'x');
    const cases: [string, RegExp][] = [
      [join(dir, 'missing', 'rec.jsonl'), /: no such file or directory$/],
      [dir, /: is a directory$/],
      [join(dir, 'a-file', 'rec.jsonl'), /: a part of the path is not a directory$/],
    ];
    for (const [path, reason] of cases) {
      const started = Date.now();
      const r = await mmload(['mock', '--port', '0', '--record', path], { timeoutMs: 20_000 });
      assert.equal(r.code, 2, `${path}: ${r.stderr}`);
      assert.equal(r.stdout, '', 'never announced a URL');
      const line = r.stderr.trimEnd();
      assert.ok(line.startsWith(`mmload: cannot write records to ${path}`), line);
      assert.match(line, reason);
      assert.ok(Date.now() - started < 15_000);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the threaded mock (run, demo, crosscheck) refuses a bad recordPath as the user`s error, not a bug', async () => {
  // Built code: under tsx the worker thread cannot load the .ts entry (npm test builds dist/ first).
  const { startMockThread } = await import(new URL('../dist/mock/worker.js', import.meta.url).href);
  const errors = await import(new URL('../dist/util/errors.js', import.meta.url).href);
  await assert.rejects(
    startMockThread({ port: 0, recordPath: '/nonexistent-dir/rec.jsonl' }),
    (err: Error) => {
      assert.ok(err instanceof errors.UserError, `${err.constructor.name}: ${err.message}`);
      assert.equal((err as Error & { exitCode: number }).exitCode, 2);
      assert.match(
        err.message,
        /^cannot write records to \/nonexistent-dir\/rec\.jsonl: no such file or directory$/,
      );
      return true;
    },
  );
});
