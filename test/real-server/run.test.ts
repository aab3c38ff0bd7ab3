// `mmload run` against llama-server (started by suite.ts), checked against the server's own numbers:
// its usage and timings in every stream, and its Prometheus counters.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Exec,
  mmload,
  type RecordLine,
  readRecords,
  readSummary,
  realServer,
  shown,
  textDataset,
} from './helpers.js';

// 40 sessions x 4 turns at the server's 4 slots: 160 requests, each on a connection the server
// closes after its stream, so that a client racing those closes would fail some of them (~4 %
// did before mmload resent such requests). About 2 minutes on a busy 2-core machine.
const SESSIONS = 40;
const TURNS = 4;
const REQUESTS = SESSIONS * TURNS;
const MAX_TOKENS = 16;

/** llama-server's /metrics counter, from the Prometheus text format. */
async function tokensPredicted(url: string): Promise<number> {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  assert.equal(res.status, 200, `GET /metrics: ${res.status} ${text.slice(0, 200)}`);
  const line = text.split('\n').find((l) => l.startsWith('llamacpp:tokens_predicted_total '));
  assert.ok(line, `/metrics has no llamacpp:tokens_predicted_total sample:\n${text.slice(0, 1000)}`);
  return Number(line.split(' ')[1]);
}

let r: Exec;
let records: RecordLine[];
let summary: Record<string, Record<string, number>>;
let predictedBefore: number;
let url: string;

before(
  async () => {
    const server = realServer();
    url = server.url;
    const { dir, path } = await textDataset(SESSIONS, TURNS);
    const out = join(dir, 'run');
    predictedBefore = await tokensPredicted(url);
    r = await mmload(
      [
        ...['run', path, '--url', url, '--model', server.model, '--concurrency', '4'],
        ...['--max-tokens', String(MAX_TOKENS), '--extra-inputs', 'ignore_eos:true', '--timeout', '120'],
        ...['--artifact-dir', out],
      ],
      600_000,
    );
    // Each test below checks its own part, so a failed request does not hide the other checks.
    assert.ok(r.code === 0 || r.code === 1, `mmload run did not finish:\n${shown(r)}`);
    records = await readRecords(out);
    summary = await readSummary(out);
  },
  { timeout: 660_000 },
);

/** The requests that were answered (all of them, when the first test passes). */
const answered = () => records.filter((x) => x.error === null);

test('mmload run: every request sent once and answered, none failed, exit 0', () => {
  assert.equal(records.length, REQUESTS);
  assert.deepEqual(
    records.map((x) => x.mmload.index).sort((a, b) => a - b),
    Array.from({ length: REQUESTS }, (_, i) => i),
  );
  const failed = records.filter((x) => x.error !== null);
  assert.deepEqual(
    failed.map((x) => `${x.error!.type}: ${x.error!.message}`),
    [],
    `${failed.length} of ${REQUESTS} requests failed`,
  );
  assert.equal(summary.request_count?.avg, REQUESTS);
  assert.equal(summary.error_request_count?.avg ?? 0, 0);
  assert.equal(r.code, 0, shown(r));
});

test("output tokens: each request's count is the server's usage.completion_tokens and timings.predicted_n", () => {
  assert.ok(answered().length > 0, 'some requests were answered');
  for (const x of answered()) {
    const { outputTokens, outputTokensSource, serverTimings } = x.mmload;
    assert.equal(outputTokensSource, 'usage', `request ${x.mmload.index} counted from the server's usage`);
    // ignore_eos: the server generates exactly max_tokens.
    assert.equal(outputTokens, MAX_TOKENS, `request ${x.mmload.index}`);
    assert.ok(serverTimings, `request ${x.mmload.index}: the stream's timings are kept in the record`);
    assert.equal(serverTimings.predicted_n, outputTokens, `request ${x.mmload.index}`);
    assert.equal(x.metrics.output_sequence_length?.value, outputTokens);
  }
  assert.equal(summary.total_osl?.avg, answered().length * MAX_TOKENS);
});

test("ITL: within 1 % of the server's own time per generated token", () => {
  // Both measure first token to last token over n - 1 gaps (llama-server: predicted_ms / (n - 1)).
  // That holds when every token arrived as its own content chunk: a token the server does not
  // stream as text (a special token) would end mmload's clock earlier than the server's.
  const ok = answered();
  const whole = ok.filter((x) => x.mmload.chunkNs.length === x.mmload.outputTokens);
  assert.ok(
    whole.length > 0 && whole.length >= ok.length * 0.8,
    `${whole.length} of ${ok.length} requests streamed one chunk per token (expected most)`,
  );
  assert.ok(
    whole.every((x) => x.mmload.serverTimings?.predicted_per_token_ms !== undefined),
    "each record keeps the stream's timings (mmload.serverTimings.predicted_per_token_ms)",
  );
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const client = mean(whole.map((x) => x.metrics.inter_token_latency!.value as number));
  const server = mean(whole.map((x) => x.mmload.serverTimings!.predicted_per_token_ms!));
  const diffPct = ((client - server) / server) * 100;
  assert.ok(
    Math.abs(diffPct) <= 1,
    `ITL avg: mmload ${client.toFixed(3)} ms, server ${server.toFixed(3)} ms (${diffPct.toFixed(2)} %)`,
  );
});

test('/metrics: llamacpp:tokens_predicted_total grew by the output tokens mmload counted', async () => {
  const counted = records.reduce((a, x) => a + (x.mmload.outputTokens ?? 0), 0);
  // The counter is updated when a slot is released, which may follow the last byte sent by a moment.
  let delta = (await tokensPredicted(url)) - predictedBefore;
  for (let i = 0; i < 10 && delta !== counted; i++) {
    await sleep(200);
    delta = (await tokensPredicted(url)) - predictedBefore;
  }
  assert.equal(delta, counted);
});
