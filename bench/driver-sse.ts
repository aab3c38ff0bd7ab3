// SSE parse + content-chunk classification throughput (tinybench), main's SseParser.feed +
// classifyEvent. Goal: >= 1 M events/s. Also the whole stream of one short request as vLLM sends it
// (role, 16 tokens, the last token with its finish reason, usage, [DONE]; a read per event), in us
// per request: at small outputs its fixed events weigh as much as its tokens.
import { Bench } from 'tinybench';
import { classifyEvent, decodeEventData, type EventData, SseParser } from '../src/driver/sse.js';

const N = 1000;
const words = ['the', ' quick', ' brown', ' fox', ' "q"', ' ü'];
let stream =
  'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n';
for (let i = 0; i < N; i++) {
  const content = JSON.stringify(words[i % words.length]);
  stream += `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${content}},"finish_reason":null}]}\n\n`;
}
stream +=
  'data: {"id":"c","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":1000}}\n\ndata: [DONE]\n\n';
const buf = Buffer.from(stream);
// reads of ~4 KB, as a socket delivers them
const reads: Buffer[] = [];
for (let i = 0; i < buf.length; i += 4096) reads.push(buf.subarray(i, i + 4096));
// one read per event, as a streaming server with small writes delivers them
const perEvent = stream
  .split('\n\n')
  .filter((e) => e.length > 0)
  .map((e) => Buffer.from(`${e}\n\n`));
const events = N + 3;
const vllm = (delta: string, finish = 'null') =>
  `data: {"id":"chatcmpl-0a1b2c","object":"chat.completion.chunk","created":1795782355,"model":"Qwen/Qwen3-VL-30B-A3B-Instruct","choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish},"stop_reason":null}]}\n\n`;
const shortRequest = [
  vllm('{"role":"assistant","content":""}'),
  ...Array.from({ length: 15 }, (_, i) => vllm(`{"content":${JSON.stringify(words[i % words.length])}}`)),
  vllm('{"content":" end"}', '"length"'),
  'data: {"id":"chatcmpl-0a1b2c","object":"chat.completion.chunk","created":1795782355,"model":"Qwen/Qwen3-VL-30B-A3B-Instruct","choices":[],"usage":{"prompt_tokens":12,"total_tokens":28,"completion_tokens":16}}\n\n',
  'data: [DONE]\n\n',
].map((e) => Buffer.from(e));
const SHORT_REQUESTS = 100;

let sink = 0;
const onData = (d: EventData) => {
  if (classifyEvent(d).content) sink++;
};
const bench = new Bench({ time: 1500 });
bench.add('parse + classify (4 KB reads)', () => {
  const p = new SseParser();
  for (const r of reads) p.feed(r, onData);
});
bench.add('parse + classify (one read per event)', () => {
  const p = new SseParser();
  for (const r of perEvent) p.feed(r, onData);
});
bench.add(`one 16-token request's stream x${SHORT_REQUESTS}`, () => {
  for (let i = 0; i < SHORT_REQUESTS; i++) {
    const p = new SseParser();
    for (const r of shortRequest) p.feed(r, onData);
  }
});
bench.add('parse + JSON.parse every event (reference)', () => {
  const p = new SseParser();
  for (const r of reads)
    p.feed(r, (d) => {
      const s = decodeEventData(d);
      if (s !== '[DONE]' && JSON.parse(s).choices) sink++;
    });
});
await bench.run();
const rows = bench.tasks.map((t) => {
  const r = t.result as unknown as { latency?: { p50?: number; mean?: number } };
  const ms = r.latency?.p50 ?? r.latency?.mean ?? Number.NaN;
  const n = t.name.startsWith('one 16-token') ? SHORT_REQUESTS * shortRequest.length : events;
  return {
    task: t.name,
    'median ms per task': ms.toFixed(3),
    'M events/s': (n / ms / 1000).toFixed(2),
    'us per 16-token request': t.name.startsWith('one 16-token')
      ? ((ms * 1000) / SHORT_REQUESTS).toFixed(2)
      : '',
  };
});
console.table(rows);
if (sink < 0) console.log(sink);
