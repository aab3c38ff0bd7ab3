// Image rows sent to a text-only model: the server refuses them, and mmload must say what it said.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mmload, readRecords, realServer, shown } from './helpers.js';

test("image rows: every request refused with the server's own message, shown on the console, exit 1", {
  timeout: 240_000,
}, async () => {
  const server = realServer();
  const dir = await mkdtemp(join(tmpdir(), 'mmload-real-images-'));
  const dataset = join(dir, 'images.jsonl');
  const gen = await mmload(
    [
      ...['generate', '--users', '2', '--turns', '2', '--window', '2', '--image-size', '32x16'],
      ...['--words', '20', '-o', dataset, '--quiet'],
    ],
    60_000,
  );
  assert.equal(gen.code, 0, shown(gen));

  const out = join(dir, 'run');
  const r = await mmload(
    [
      ...['run', dataset, '--url', server.url, '--model', server.model, '--concurrency', '2'],
      ...['--max-tokens', '16', '--timeout', '60', '--artifact-dir', out],
    ],
    180_000,
  );
  assert.equal(r.code, 1, shown(r));
  // llama-server without a multimodal projector: HTTP 500 "image input is not supported - hint: ...".
  const line = `${r.stdout}\n${r.stderr}`.split('\n').find((l) => l.includes('image input is not supported'));
  assert.ok(line, `the server's message is on the console:\n${shown(r)}`);
  assert.match(line, /\b500\b/, 'with its HTTP status');
  assert.match(line, /\bx4\b/, 'and how many requests got it (HTTP 500 x4: ...)');

  const records = await readRecords(out);
  assert.equal(records.length, 4);
  for (const x of records) {
    assert.equal(x.error?.type, 'http');
    assert.equal(x.error?.code, 500);
    assert.match(x.error?.message ?? '', /image input is not supported/);
  }
});
