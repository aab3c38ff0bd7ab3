import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { startMock } from '../src/mock/server.js';
import { vocabulary } from '../src/mock/tokens.js';
import type { MockHandle } from '../src/mock/types.js';
import { chatBody, chunksOf, post } from './mock-helpers.js';

let m: MockHandle;
before(async () => {
  m = await startMock({ model: 'test-model' });
});
after(async () => {
  await m.close();
});

test('streams vLLM-shaped chunks: role first, one token per chunk, finish, usage, [DONE]', async () => {
  const r = await post(
    m.url,
    chatBody('one two three', {
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 7,
      ignore_eos: true,
    }),
  );
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/event-stream/);
  const { chunks } = chunksOf(r);
  const vocab = new Set(vocabulary());
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks[0].choices[0].delta.content, '');
  const tokens = chunks.slice(1, -1);
  assert.equal(tokens.length, 7);
  for (const [i, c] of tokens.entries()) {
    assert.equal(c.object, 'chat.completion.chunk');
    assert.equal(c.model, 'test-model');
    assert.equal(c.id, chunks[0].id);
    const piece: string = c.choices[0].delta.content;
    assert.equal(piece.trim().split(/\s+/).length, 1, 'one word per chunk');
    assert.ok(vocab.has(piece.trim()), `${piece} in vocabulary`);
    assert.equal(c.choices[0].finish_reason, i === 6 ? 'length' : null);
  }
  const usage = chunks[chunks.length - 1];
  assert.deepEqual(usage.choices, []);
  assert.deepEqual(usage.usage, { prompt_tokens: 3, total_tokens: 10, completion_tokens: 7 });
});

test('no usage chunk without stream_options.include_usage', async () => {
  const { chunks } = chunksOf(
    await post(m.url, chatBody('x', { stream: true, max_tokens: 2, ignore_eos: true })),
  );
  assert.equal(chunks.length, 3);
  assert.ok(chunks.every((c) => c.usage === undefined));
});

test('non-stream returns one chat.completion with usage', async () => {
  const r = await post(m.url, chatBody('a b c d', { max_tokens: 5, ignore_eos: true }));
  assert.equal(r.status, 200);
  const j = JSON.parse(r.chunks.map((c) => c.text).join(''));
  assert.equal(j.object, 'chat.completion');
  assert.equal(j.choices[0].message.role, 'assistant');
  assert.equal(j.choices[0].message.content.split(' ').length, 5);
  assert.equal(j.choices[0].finish_reason, 'length');
  assert.deepEqual(j.usage, { prompt_tokens: 4, total_tokens: 9, completion_tokens: 5 });
});

test('reasoning tokens stream first, as reasoning_content, and count in usage', async () => {
  const r2 = await startMock({ reasoningTokens: 3, reasoningField: 'both' });
  try {
    const { chunks } = chunksOf(
      await post(
        r2.url,
        chatBody('x', {
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: 5,
          ignore_eos: true,
        }),
      ),
    );
    const deltas = chunks.slice(1, -1).map((c) => c.choices[0].delta);
    assert.equal(deltas.length, 5);
    for (const d of deltas.slice(0, 3)) {
      assert.equal(typeof d.reasoning_content, 'string');
      assert.equal(d.reasoning, d.reasoning_content);
      assert.equal(d.content, undefined);
    }
    for (const d of deltas.slice(3)) assert.equal(typeof d.content, 'string');
    assert.equal(chunks[chunks.length - 1].usage.completion_tokens, 5);
  } finally {
    await r2.close();
  }
});

test('GET /v1/models, /health, /metrics', async () => {
  const models = await request(`${m.url}/v1/models`);
  assert.equal(models.statusCode, 200);
  const j = (await models.body.json()) as { data: { id: string }[] };
  assert.equal(j.data[0]!.id, 'test-model');
  const health = await request(`${m.url}/health`);
  assert.equal(health.statusCode, 200);
  await health.body.dump();
  const metrics = await request(`${m.url}/metrics`);
  const text = await metrics.body.text();
  assert.match(text, /^mmload_mock_requests_total \d+$/m);
  assert.match(text, /^mmload_mock_faults_injected_total\{kind="http500"\} 0$/m);
});

test('bad requests get 4xx with an OpenAI-style error body, and the server keeps serving', async () => {
  const cases: [string, unknown, number][] = [
    ['malformed JSON', '{"messages": [', 400],
    ['not an object', '[1,2]', 400],
    ['no messages', '{"model":"x"}', 400],
    ['bad max_tokens', JSON.stringify(chatBody('x', { max_tokens: -1 })), 400],
    ['bad content', '{"messages":[{"role":"user","content":5}]}', 400],
    ['empty body', '', 400],
  ];
  for (const [name, body, status] of cases) {
    const r = await post(m.url, body as string);
    assert.equal(r.status, status, name);
    const j = JSON.parse(r.chunks.map((c) => c.text).join(''));
    assert.equal(typeof j.error.message, 'string', name);
    assert.equal(j.error.code, status, name);
  }
  const nf = await request(`${m.url}/v2/nothing`);
  assert.equal(nf.statusCode, 404);
  assert.match(((await nf.body.json()) as { error: { message: string } }).error.message, /not found/);
  const get = await request(`${m.url}/v1/chat/completions`);
  assert.equal(get.statusCode, 405);
  await get.body.dump();
  const ok = await post(m.url, chatBody('still alive', { max_tokens: 1 }));
  assert.equal(ok.status, 200);
});

test('garbage on the socket gets 400, not a crash', async () => {
  const { connect } = await import('node:net');
  const reply = await new Promise<string>((resolve, reject) => {
    const s = connect(m.port, '127.0.0.1', () => s.write('NOT HTTP AT ALL\r\n\r\n'));
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
  assert.match(reply, /^HTTP\/1.1 400/);
  assert.equal((await post(m.url, chatBody('x', { max_tokens: 1 }))).status, 200);
});
