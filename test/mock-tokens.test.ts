import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startMock } from '../src/mock/server.js';
import { countWords, outputLength } from '../src/mock/tokens.js';
import type { MockHandle } from '../src/mock/types.js';
import { chatBody, chunksOf, post } from './mock-helpers.js';

let m: MockHandle;
before(async () => {
  m = await startMock({ defaultMaxTokens: 9 });
});
after(async () => {
  await m.close();
});

async function streamed(
  extra: Record<string, unknown>,
): Promise<{ words: number; usage: number; finish: string }> {
  const r = await post(
    m.url,
    chatBody('x', { stream: true, stream_options: { include_usage: true }, ...extra }),
  );
  const { chunks } = chunksOf(r);
  const text = chunks
    .slice(1, -1)
    .map((c) => c.choices[0].delta.content as string)
    .join('');
  const finish = chunks[chunks.length - 2].choices[0].finish_reason as string;
  return { words: countWords(text), usage: chunks[chunks.length - 1].usage.completion_tokens, finish };
}

test('ignore_eos gives exactly max_tokens, and a word-level count of the text equals usage', async () => {
  for (const max of [0, 1, 16, 300]) {
    const r = await streamed({ max_tokens: max, ignore_eos: true });
    assert.equal(r.words, max);
    assert.equal(r.usage, max);
    assert.equal(r.finish, 'length');
  }
});

test('max_completion_tokens is honoured and wins over max_tokens', async () => {
  const r = await streamed({ max_completion_tokens: 4, max_tokens: 50, ignore_eos: true });
  assert.equal(r.usage, 4);
});

test('without ignore_eos the length is seeded in [min_tokens, max_tokens]', async () => {
  const seen = new Set<number>();
  for (let i = 0; i < 40; i++) {
    const r = await streamed({ max_tokens: 12, min_tokens: 5 });
    assert.ok(r.usage >= 5 && r.usage <= 12, `${r.usage} in [5, 12]`);
    assert.equal(r.words, r.usage);
    assert.equal(r.finish, r.usage === 12 ? 'length' : 'stop');
    seen.add(r.usage);
  }
  assert.ok(seen.size > 1, 'lengths vary');
});

test('defaultMaxTokens applies when the request gives no limit', async () => {
  const r = await streamed({ ignore_eos: true });
  assert.equal(r.usage, 9);
});

test('prompt tokens = words of the text + imageTokens per image', async () => {
  const m2 = await startMock({ imageTokens: 100 });
  try {
    const r = await post(
      m2.url,
      chatBody('alpha  beta\ngamma', { max_tokens: 1 }, [
        'data:image/png;base64,AA',
        'data:image/png;base64,BB',
      ]),
    );
    const j = JSON.parse(r.chunks.map((c) => c.text).join(''));
    assert.equal(j.usage.prompt_tokens, 3 + 200);
  } finally {
    await m2.close();
  }
});

test('outputLength is pure: min clamps to max, and the same seed stream gives the same length', () => {
  const fixed = () => 0.999;
  assert.equal(outputLength({ maxTokens: 3, minTokens: 10 }, 5, fixed), 3);
  assert.equal(
    outputLength({ maxTokens: 10, minTokens: 2 }, 5, () => 0),
    2,
  );
  assert.equal(outputLength({ maxTokens: 10, minTokens: 2 }, 5, fixed), 10);
  assert.equal(
    outputLength({ maxTokens: 10 }, 5, () => 0),
    1,
    'no min_tokens: still one token',
  );
  assert.equal(
    outputLength({ maxTokens: 0 }, 5, () => 0),
    0,
    'max_tokens 0 is honoured',
  );
});
