// Ingestion of a 60 MB chat body (five ~12 MB noise-image data URLs): the byte scan used by the
// mock vs whole-body JSON.parse (both hash every image). Goal: >= 1 GB/s.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { ingestBody, ingestBodyByParse } from '../src/mock/body.js';
import { median } from './mock-child.js';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const images = Array.from(
  { length: 5 },
  () => `data:image/png;base64,${randomBytes(9_000_000).toString('base64')}`,
);
const words = Array.from({ length: 8000 }, (_, i) => ['the', 'be', 'to', 'of'][i % 4]).join(' ');
const body = Buffer.from(
  JSON.stringify({
    model: 'mmload-mock',
    stream: true,
    max_tokens: 1024,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: words },
          ...images.map((url) => ({ type: 'image_url', image_url: { url } })),
        ],
      },
    ],
  }),
);

function time(fn: (b: Buffer) => unknown): number[] {
  const out: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    fn(body);
    out.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return out;
}

// Interleave warm-up of both so neither benefits from running second.
time(ingestBody);
time(ingestBodyByParse);
const scan = time(ingestBody);
const parse = time(ingestBodyByParse);
const gbps = (s: number): number => body.length / s / 1e9;
console.log(`body: ${(body.length / 1e6).toFixed(1)} MB, ${images.length} images, ${ROUNDS} rounds each`);
console.log('method               median ms   GB/s');
console.log(
  `byte scan + sha1     ${(median(scan) * 1000).toFixed(1).padStart(9)}  ${gbps(median(scan)).toFixed(2).padStart(5)}`,
);
console.log(
  `JSON.parse + sha1    ${(median(parse) * 1000).toFixed(1).padStart(9)}  ${gbps(median(parse)).toFixed(2).padStart(5)}`,
);
console.log(`scan is ${(median(parse) / median(scan)).toFixed(1)}x faster (goal >= 1 GB/s)`);
mkdirSync(new URL('results', import.meta.url), { recursive: true });
writeFileSync(
  new URL('results/mock-body.json', import.meta.url),
  JSON.stringify(
    {
      bytes: body.length,
      scanS: scan,
      parseS: parse,
      scanGBps: gbps(median(scan)),
      parseGBps: gbps(median(parse)),
    },
    null,
    2,
  ),
);
