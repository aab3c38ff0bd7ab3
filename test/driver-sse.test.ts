import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  classifyCompletionEvent,
  classifyEvent,
  classifyObject,
  decodeEventData,
  SseParser,
} from '../src/driver/sse.js';

function parseAll(reads: string[]): string[] {
  const p = new SseParser();
  const out: string[] = [];
  for (const r of reads) p.feed(Buffer.from(r), (d) => out.push(decodeEventData(d)));
  return out;
}

test('events split across reads, several per read, LF / CRLF / CR, comments, multi-line data', () => {
  const stream =
    'data: {"a":1}\n\n: keep-alive\n\ndata: x\r\n\r\ndata: line1\ndata: line2\n\nevent: e\ndata:y\r\rdata: [DONE]\n\n';
  const whole = parseAll([stream]);
  assert.deepEqual(whole, ['{"a":1}', 'x', 'line1\nline2', 'y', '[DONE]']);
  // Every split point, including between CR and LF, gives the same events.
  for (let i = 1; i < stream.length; i++) {
    assert.deepEqual(parseAll([stream.slice(0, i), stream.slice(i)]), whole, `split at ${i}`);
  }
  assert.deepEqual(parseAll(stream.split('')), whole, 'one byte per read');
});

test('UTF-8 split inside a character at any byte comes out whole', () => {
  const bytes = Buffer.from('data: {"choices":[{"delta":{"content":"über 日本 🚀"}}]}\n\n');
  for (let i = 1; i < bytes.length; i++) {
    const p = new SseParser();
    const out: string[] = [];
    p.feed(bytes.subarray(0, i), (d) => out.push(decodeEventData(d)));
    p.feed(bytes.subarray(i), (d) => out.push(decodeEventData(d)));
    assert.deepEqual(out, ['{"choices":[{"delta":{"content":"über 日本 🚀"}}]}'], `split at byte ${i}`);
  }
  const e = ev('{"error":{"message":"überlastet"}}');
  assert.equal(e.error, 'überlastet');
});

test('an event without its blank line yet is held back', () => {
  assert.deepEqual(parseAll(['data: a\n']), []);
  assert.deepEqual(parseAll(['data: a\n', '\n']), ['a']);
});

const ev = (o: unknown) =>
  classifyEvent(Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('latin1'));
const delta = (d: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: 'c',
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta: d, finish_reason: null }],
  ...extra,
});

test('content chunks as AIPerf counts them', () => {
  assert.deepEqual(ev('[DONE]'), { done: true, content: false, output: false, finish: false });
  assert.equal(ev(delta({ role: 'assistant', content: '' })).content, false, 'role-only with empty content');
  assert.equal(ev(delta({ role: 'assistant' })).content, false);
  assert.equal(ev(delta({ content: null })).content, false);
  assert.equal(ev(delta({ content: ' the' })).content, true);
  assert.equal(ev(delta({ content: '"' })).content, true, 'escaped quote is non-empty content');
  assert.equal(ev(delta({ content: '\\' })).output, true);
  const r = ev(delta({ reasoning_content: 'hmm' }));
  assert.equal(r.content, true);
  assert.equal(r.output, false, 'reasoning is not output content');
  assert.equal(ev(delta({ reasoning: 'x', content: '' })).content, true);
  assert.equal(
    ev(delta({ tool_calls: [{ index: 0, function: { arguments: '{"content":"x"}' } }] })).content,
    true,
  );
  assert.equal(ev(delta({ tool_calls: [] })).content, false);
  const u = ev({
    choices: [],
    usage: { prompt_tokens: 5, completion_tokens: 7, completion_tokens_details: { reasoning_tokens: 2 } },
  });
  assert.equal(u.content, false);
  assert.deepEqual(u.usage, { completionTokens: 7, promptTokens: 5, reasoningTokens: 2 });
  assert.equal(ev(delta({ content: 'x' }, { usage: null })).content, true);
  assert.equal(ev({ choices: [{ delta: { content: 'end' }, finish_reason: 'length' }] }).finish, true);
  assert.equal(ev('{"error":{"message":"overloaded"}}').error, 'overloaded');
  assert.equal(ev('{not json').malformed, true);
  // Spaces after the colons (Python's json.dumps) take the exact path and agree.
  assert.equal(ev('{"choices": [{"delta": {"content": "a"}}]}').content, true);
  assert.equal(ev('{"choices": [{"delta": {"content": ""}}]}').content, false);
});

test('the byte fast path agrees with the JSON path on every event shape', () => {
  const contents = ['x', ' the', '"', '\\', 'ü', '"content":"', 'usage', '"reasoning', ''];
  const shapes = (c: string) => [
    delta({ content: c }),
    delta({ content: c }, { usage: null }),
    delta({ content: c }, { usage: { prompt_tokens: 1, completion_tokens: 2 } }),
    { choices: [{ index: 0, delta: { content: c }, finish_reason: 'stop' }] },
    delta({ content: c, reasoning_content: 'r' }),
    delta({ content: c, tool_calls: [{ index: 0 }] }),
    { choices: [{ delta: { role: 'assistant', content: c } }], error: null },
    // A stream's last chunk: the finish reason with the last token (vLLM) or with an empty delta.
    {
      choices: [
        { index: 0, delta: { content: c }, logprobs: null, finish_reason: 'length', stop_reason: null },
      ],
    },
    {
      choices: [
        { index: 0, delta: { content: '' }, finish_reason: 'stop' },
        { index: 1, delta: { content: c }, finish_reason: null },
      ],
    },
    { choices: [{ index: 0, delta: { content: c }, finish_reason: 'stop' }], timings: { predicted_n: 3 } },
  ];
  for (const c of contents) {
    for (const shape of shapes(c)) {
      const json = JSON.stringify(shape);
      assert.deepEqual(ev(json), classifyObject(JSON.parse(json)), json);
    }
  }
});

test('last chunks without content: from their bytes when nothing else is in them, else by JSON', () => {
  const lasts: unknown[] = [
    { choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'length' }] },
    { choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: 'stop' }] },
    { choices: [{ index: 0, delta: { content: null }, finish_reason: 'stop' }] },
    { choices: [{ index: 0, delta: { content: ['part'] }, finish_reason: 'stop' }] },
    { choices: [{ index: 0, delta: { content: [] }, finish_reason: 'stop' }] },
    { choices: [{ index: 0, text: 'x', finish_reason: 'stop' }] },
    { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { completion_tokens: 4 } },
    { choices: [{ index: 0, delta: { reasoning_content: 'r' }, finish_reason: 'stop' }] },
    { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], timings: { predicted_ms: 1.5 } },
  ];
  for (const o of lasts) {
    const json = JSON.stringify(o);
    assert.deepEqual(ev(json), classifyObject(o), json);
  }
  assert.deepEqual(ev(lasts[0]), { done: false, content: false, output: false, finish: true });
  // A last chunk cut short is not JSON, whatever keys it shows.
  assert.equal(ev('{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]').malformed, true);
  // Text completions: the same from `text`.
  for (const o of [
    { choices: [{ index: 0, text: ' end', finish_reason: 'length' }] },
    { choices: [{ index: 0, text: '', finish_reason: 'length' }] },
    { choices: [{ index: 0, finish_reason: 'stop' }] },
  ]) {
    const json = JSON.stringify(o);
    assert.deepEqual(classifyCompletionEvent(json), classifyObject(o), json);
  }
});

test('event data decodes to the same text, ASCII or not', () => {
  for (const text of ['{"a":"plain"}', '{"a":"über 日本 🚀"}', '']) {
    assert.equal(decodeEventData(Buffer.from(text).toString('latin1')), text);
  }
});

test('an empty opening content is no chunk, but a second choice with content is', () => {
  assert.equal(ev(delta({ role: 'assistant', content: '' })).content, false);
  const two = {
    choices: [
      { index: 0, delta: { content: '' } },
      { index: 1, delta: { content: 'x' } },
    ],
  };
  assert.equal(ev(two).content, true);
  assert.deepEqual(ev(two), classifyObject(two));
});
