// `mmload run` scrapes llama-server's /metrics (started with --metrics by suite.ts) on its own:
// the generated-token counter's delta over the profiling window is the tokens mmload counted.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import {
  type Exec,
  mmload,
  type RecordLine,
  readRecords,
  realServer,
  shown,
  textDataset,
} from './helpers.js';

const SESSIONS = 8;
const TURNS = 2;
const MAX_TOKENS = 16;

interface ExportSeries {
  stats?: Record<string, number>;
}
interface ServerExport {
  summary: {
    endpoints_configured: string[];
    endpoint_info: Record<string, { failed_fetches: number; total_fetches: number }>;
  };
  metrics: Record<string, { type: string; series: ExportSeries[] }>;
}

let r: Exec;
let records: RecordLine[];
let exp: ServerExport;
let url: string;

before(
  async () => {
    const server = realServer();
    url = server.url;
    const { dir, path } = await textDataset(SESSIONS, TURNS);
    const out = join(dir, 'run');
    r = await mmload(
      [
        ...[
          'run',
          path,
          '--url',
          url,
          '--model',
          server.model,
          '--concurrency',
          '4',
          '--warmup-requests',
          '2',
        ],
        ...['--max-tokens', String(MAX_TOKENS), '--extra-inputs', 'ignore_eos:true', '--timeout', '120'],
        ...['--server-metrics-interval', '0.5', '--artifact-dir', out],
      ],
      600_000,
    );
    assert.equal(r.code, 0, `mmload run failed:\n${shown(r)}`);
    records = await readRecords(out);
    exp = JSON.parse(await readFile(join(out, 'server_metrics_export.json'), 'utf8')) as ServerExport;
  },
  { timeout: 660_000 },
);

test("server metrics: llama-server's /metrics scraped at the endpoint's own address, every scrape answered", () => {
  assert.deepEqual(exp.summary.endpoints_configured, [`${url}/metrics`]);
  const info = exp.summary.endpoint_info[`${url}/metrics`]!;
  assert.ok(info.total_fetches >= 4, `${info.total_fetches} scrapes`);
  assert.equal(info.failed_fetches, 0);
  assert.equal(exp.metrics['llamacpp:tokens_predicted']?.type, 'counter');
  assert.equal(exp.metrics['llamacpp:requests_processing']?.type, 'gauge');
});

test('server metrics: the generated-token counter delta over the profiling window equals the tokens mmload counted', () => {
  const measured = records.filter((x) => !x.mmload.warmup);
  assert.equal(measured.length, SESSIONS * TURNS);
  const counted = measured.reduce((a, x) => a + (x.mmload.outputTokens ?? 0), 0);
  assert.equal(counted, SESSIONS * TURNS * MAX_TOKENS);
  const delta = exp.metrics['llamacpp:tokens_predicted']!.series[0]!.stats!.total;
  assert.equal(delta, counted, 'the warm-up requests are outside the window');
  assert.match(r.stdout, /Generation tokens\s+256 /);
});
