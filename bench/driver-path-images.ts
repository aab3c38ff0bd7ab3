// The recipe's path-mode dataset (360 PNGs of 7.8 MB named by path, 240 rows of 5) replayed at
// concurrency 30 against a separate mock: the client's peak RSS, event-loop delay and local-image
// reads, for each --image-cache-mb given (IMAGE_CACHE_MB=256,0; the recipe's images, over a MiB,
// are streamed whatever the budget), with the upload time and TTFT (streamed images are encoded
// while they upload). Needs `npm run build`. DATASET=<path.jsonl> reuses a dataset;
// otherwise one is generated into a temp dir (2.7 GB, ~10 s) and removed afterwards.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnMock } from './mock-child.js';
import { saveResult, table, timed } from './util.js';

const BIN = new URL('../bin/mmload', import.meta.url).pathname;
const budgets = (process.env.IMAGE_CACHE_MB ?? '256').split(',').map(Number);
const tmp = await mkdtemp(join(tmpdir(), 'mmload-path-bench-'));
let dataset = process.env.DATASET;
if (!dataset) {
  dataset = join(tmp, 'recipe.jsonl');
  const g = timed(process.execPath, [BIN, 'generate', '--image-mode', 'path', '-o', dataset, '--quiet']);
  if (g.code !== 0) throw new Error(`generate failed: ${g.stderr}`);
}
const mock = await spawnMock(['--ttft-ms', '20', '--itl-ms', '5']);
const rows: Array<Record<string, unknown>> = [];
try {
  for (const mb of budgets) {
    const out = join(tmp, `run-${mb}`);
    const r = timed(process.execPath, [
      ...[BIN, 'run', dataset, '--url', mock.url, '--concurrency', '30', '--max-tokens', '16'],
      ...['--image-cache-mb', String(mb), '--artifact-dir', out, '--quiet'],
    ]);
    if (r.code !== 0) throw new Error(`run failed (${r.code}): ${r.stderr}`);
    const s = JSON.parse(readFileSync(join(out, 'profile_export_mmload.json'), 'utf8'));
    const c = s.mmload.client;
    rows.push({
      imageCacheMb: mb,
      seconds: r.seconds,
      maxRssMB: r.maxRssMB,
      requests: s.request_count.avg,
      loopDelayMs: c.eventLoopDelayMs,
      localImages: c.localImages,
      // Streamed images are encoded while they upload: whether that slows the upload shows here.
      uploadMs: { p50: s.mmload_upload_time?.p50, p90: s.mmload_upload_time?.p90 },
      ttftMs: { p50: s.time_to_first_token.p50, p90: s.time_to_first_token.p90 },
      clientCores: c.cpu?.processCores,
    });
  }
} finally {
  await mock.stop();
  await rm(tmp, { recursive: true, force: true });
}
const f = (v: number) => v.toFixed(2);
console.log(
  table([
    [
      '--image-cache-mb',
      'wall s',
      'peak RSS MB',
      'requests',
      'loop p50/p99/max ms',
      'image reads (re-reads) streamed',
      'upload p50/p90 ms',
      'TTFT p50/p90 ms',
      'client cores',
    ],
    ...rows.map((r) => {
      const d = r.loopDelayMs as { p50: number; p99: number; max: number };
      const i = r.localImages as { reads: number; rereads: number; streamed?: number };
      const u = r.uploadMs as { p50: number; p90: number };
      const t = r.ttftMs as { p50: number; p90: number };
      return [
        String(r.imageCacheMb),
        f(r.seconds as number),
        (r.maxRssMB as number).toFixed(0),
        String(r.requests),
        `${f(d.p50)} / ${f(d.p99)} / ${f(d.max)}`,
        `${i.reads} (${i.rereads}) ${i.streamed ?? 0}`,
        `${f(u.p50)} / ${f(u.p90)}`,
        `${f(t.p50)} / ${f(t.p90)}`,
        f(r.clientCores as number),
      ];
    }),
  ]),
);
saveResult('driver-path-images', rows);
