import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chatBody, chunksOf, post } from './mock-helpers.js';

// Runs the built CLI (npm test builds dist/ first).
const BIN = new URL('../bin/mmload', import.meta.url).pathname;

test('mmload mock prints its URL, serves, and stops cleanly on SIGTERM writing its records', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-mock-cli-'));
  try {
    const record = join(dir, 'rec.jsonl');
    const child = spawn(process.execPath, [BIN, 'mock', '--port', '0', '--itl-ms', '1', '--record', record], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const r = await post(url, chatBody('cli test', { stream: true, max_tokens: 4, ignore_eos: true }));
      assert.equal(chunksOf(r).chunks.length, 5); // role + 4 tokens
      const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exit, 0);
      assert.match(out, /1 requests, 4 output tokens/);
      const rec = JSON.parse((await readFile(record, 'utf8')).trim());
      assert.equal(rec.sessionId, 'cli test');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('mmload mock rejects bad options with a clear message and exit code 2', async () => {
  const child = spawn(process.execPath, [BIN, 'mock', '--fault', 'http500=7'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /^mmload: --fault: .*probability/);
});
