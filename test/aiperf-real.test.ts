// Runs the real AIPerf against a tiny SSE server started here. AIPerf is installed into the project
// venv on first use (test/tool-helpers.ts); never skipped: if it cannot be had, the tests fail
// saying so.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { buildAiperfCommand } from '../src/aiperf/command.js';
import { PROJECT_ROOT, PROJECT_TOKENIZER_DIR } from '../src/aiperf/locate.js';
import { runAiperf } from '../src/aiperf/run.js';
import { ensureAiperf } from './tool-helpers.js';

const WORDS = readFileSync(join(PROJECT_ROOT, 'data', 'vocabulary.txt'), 'utf8')
  .split('\n')
  .filter(Boolean);
const DATASET = join(PROJECT_ROOT, 'fixtures', 'aiperf', 'small-dataset.jsonl');

let aiperf: string;
// The first run installs AIPerf from PyPI: minutes, not the tests' own time.
before(
  async () => {
    aiperf = await ensureAiperf();
  },
  { timeout: 900_000 },
);

interface Seen {
  text: string;
  images: number;
  body: Record<string, unknown>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** A minimal OpenAI chat server: streams `max_tokens` vocabulary words, one per SSE event. */
async function startTinyServer() {
  const seen: Seen[] = [];
  const server = createServer(async (req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    const content = (body.messages as { content: unknown }[])[0]!.content as {
      type: string;
      text?: string;
    }[];
    seen.push({
      text: content.find((p) => p.type === 'text')?.text ?? '',
      images: content.filter((p) => p.type === 'image_url').length,
      body,
    });
    const n = body.max_tokens as number;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }));
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, 2));
      // Words carry their separating space: AIPerf joins the chunks with "" before tokenizing.
      res.write(chunk({ content: `${i === 0 ? '' : ' '}${WORDS[i % WORDS.length]}` }));
    }
    res.write(chunk({}, 'length'));
    res.end('data: [DONE]\n\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

test('real AIPerf: whole sessions in file order, exact token counts, summary parses', {
  timeout: 180_000,
}, async () => {
  const { server, seen, url } = await startTinyServer();
  try {
    const artifactDir = await mkdtemp(join(tmpdir(), 'mmload-aiperf-real-'));
    const command = buildAiperfCommand({
      url,
      model: 'mock-model',
      datasetPath: DATASET,
      concurrency: 1,
      sessions: 2,
      maxTokens: 5,
      ignoreEos: true,
      extraInputs: { temperature: 0 },
      tokenizer: PROJECT_TOKENIZER_DIR,
      artifactDir,
    });
    const result = await runAiperf({ executable: aiperf, command, artifactDir, timeoutMs: 150_000 });
    const log = await readFile(result.logPath, 'utf8');
    assert.equal(result.exitCode, 0, `aiperf exited ${result.exitCode}; log tail:\n${log.slice(-3000)}`);
    assert.ok(result.summaryPath, 'profile_export_aiperf.json written');

    // Concurrency 1: sessions in order of first appearance, each session's rows in file order.
    assert.deepEqual(
      seen.map((s) => s.text.split(' ').slice(0, 4).join(' ')),
      ['user 0 turn 0', 'user 0 turn 1', 'user 0 turn 2', 'user 1 turn 0', 'user 1 turn 1', 'user 1 turn 2'],
    );
    assert.ok(seen.every((s) => s.images === 2));
    // --extra-inputs as JSON keeps types (number, boolean), not strings.
    assert.equal(seen[0]!.body.max_tokens, 5);
    assert.equal(seen[0]!.body.ignore_eos, true);
    assert.equal(seen[0]!.body.temperature, 0);
    assert.equal(seen[0]!.body.stream, true);

    const summary = JSON.parse(await readFile(result.summaryPath, 'utf8'));
    assert.equal(summary.aiperf_version, '0.13.0');
    assert.equal(summary.request_count.avg, 6);
    // The word-level tokenizer counts each streamed word as one token.
    assert.equal(summary.output_sequence_length.min, 5);
    assert.equal(summary.output_sequence_length.max, 5);
    assert.equal(summary.time_to_first_token.unit, 'ms');
    assert.equal(summary.time_to_first_token.count, 6);
    assert.ok(summary.time_to_first_token.avg > 0);
    const records = (await readFile(join(artifactDir, 'profile_export.jsonl'), 'utf8')).trim().split('\n');
    assert.equal(records.length, 6);
  } finally {
    server.close();
  }
});

test('real AIPerf: every request failing -> exit 1 and no summary file', { timeout: 180_000 }, async () => {
  // A port that was just free: connections are refused.
  const { server, url } = await startTinyServer();
  await new Promise((r) => server.close(r));
  const artifactDir = await mkdtemp(join(tmpdir(), 'mmload-aiperf-fail-'));
  const command = buildAiperfCommand({
    url,
    model: 'mock-model',
    datasetPath: DATASET,
    concurrency: 2,
    sessions: 2,
    maxTokens: 5,
    tokenizer: PROJECT_TOKENIZER_DIR,
    artifactDir,
  });
  const result = await runAiperf({ executable: aiperf, command, artifactDir, timeoutMs: 150_000 });
  assert.equal(result.exitCode, 1);
  assert.equal(result.summaryPath, undefined);
  assert.match(await readFile(result.logPath, 'utf8'), /All 6 inference request\(s\) failed/);
});
