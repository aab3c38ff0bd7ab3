import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readDataset } from '../dataset/reader.js';
import { endpointOf } from '../driver/endpoints/endpoint.js';
import { type RunInput, resolveRunOptions } from '../driver/options.js';
import { type RunHooks, runLoad } from '../driver/run.js';
import { parseTarget } from '../driver/target.js';
import { EMBEDDED_MOCK, writeRunReport } from '../harness/benchmark.js';
import {
  CROSSCHECK_RESAMPLED,
  type Crosscheck,
  crosscheckRuns,
  type ServerTruth,
  type ToolRun,
} from '../metrics/crosscheck.js';
import { parseGoodput } from '../metrics/goodput.js';
import { readRecordLines, readResult } from '../metrics/readers.js';
import { computeStats, type Stats } from '../metrics/statistics.js';
import type { Summary } from '../metrics/summary.js';
import type { MockOptions, MockRecord } from '../mock/types.js';
import { startMockThread, type ThreadedMock } from '../mock/worker.js';
import { loadReportRun } from '../report/from-results.js';
import { renderReport } from '../report/html.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { makeDir } from '../util/make-dir.js';
import { AIPERF_VERSION, buildAiperfCommand } from './command.js';
import { locateAiperf, PROJECT_TOKENIZER_DIR } from './locate.js';
import { runAiperf } from './run.js';

/**
 * mmload and AIPerf on the same workload and endpoint, one after the other, with equivalent
 * settings: single_turn, streaming, the same concurrency, whole sessions (AIPerf's
 * --conversation-num, never a request count that cuts sessions), the same token limits and extra
 * inputs, no warm-up (AIPerf's warm-up consumes a session's first row and shifts what is
 * measured). Without --url each tool gets a fresh embedded mock with the same seed, so that
 * neither inherits the other's warm image cache.
 */
export interface CrosscheckOptions {
  /** The run's options; without `url`, each tool gets a fresh embedded mock. */
  run: Omit<RunInput, 'url'> & { url?: string };
  tolerancePct: number;
  /**
   * AIPerf's tokenizer (a local directory or a hub name). Without one, AIPerf counts tokens with
   * the word-level fixture against the embedded mock (exact there), and from the server's usage
   * (--use-server-token-count) against a real server, where the fixture would be wrong.
   */
  tokenizer?: string;
  /** Embedded mock settings (only without run.url). */
  mock: Partial<MockOptions>;
  aiperfTimeoutS: number;
  /**
   * Runs of each tool, alternated (mmload, AIPerf, mmload, AIPerf...): the rows are judged on the
   * per-trial values (Welch). Default 1.
   */
  trials?: number;
}

/** Where each tool's token counts (ISL, OSL) came from, for the table. */
export interface TokenSources {
  mmload: string;
  aiperf: string;
}

export interface CrosscheckOutcome {
  result: Crosscheck;
  tokenSources: TokenSources;
  /** The first trial's summaries. */
  mmload: Summary;
  aiperf: Summary;
  dir: string;
  warnings: string[];
}

/** The tags crosscheck resamples or joins with the server's records (ms). */
const PER_REQUEST_TAGS = [...new Set(CROSSCHECK_RESAMPLED.map((r) => r.tag as string))];

/** A tool's per-request values (successful measured requests) and the same by X-Request-ID. */
async function clientValues(
  file: string,
): Promise<{ values: Record<string, Float64Array>; byId: Map<string, Record<string, number>> }> {
  const lists: Record<string, number[]> = Object.fromEntries(PER_REQUEST_TAGS.map((t) => [t, []]));
  const byId = new Map<string, Record<string, number>>();
  for await (const r of readRecordLines(file)) {
    if (r.failed) continue;
    for (const t of PER_REQUEST_TAGS) if (r.values[t] !== undefined) lists[t]!.push(r.values[t]!);
    if (r.requestId) byId.set(r.requestId, r.values);
  }
  return { values: Object.fromEntries(PER_REQUEST_TAGS.map((t) => [t, Float64Array.from(lists[t]!)])), byId };
}

/**
 * The embedded mock's own view of a run (its record file): per successful stream the TTFT
 * (arrival to first token written), the request latency (arrival to last token) and the ITL, the
 * run's span (first arrival to last token) and counts; joined with the client's requests by
 * X-Request-ID where both have it.
 */
async function serverTruth(
  path: string,
  client: Map<string, Record<string, number>>,
): Promise<ServerTruth | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const lists: Record<string, number[]> = Object.fromEntries(PER_REQUEST_TAGS.map((t) => [t, []]));
  const pairs: Record<string, { client: number[]; server: number[] }> = Object.fromEntries(
    PER_REQUEST_TAGS.map((t) => [t, { client: [], server: [] }]),
  );
  let requests = 0;
  let outputTokens = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as MockRecord;
    if (r.status !== 200 || !r.stream || r.fault || r.aborted || r.firstTokenNs === undefined) continue;
    requests++;
    outputTokens += r.outputTokens;
    const end = r.lastTokenNs ?? r.firstTokenNs;
    first = Math.min(first, r.arrivalNs);
    last = Math.max(last, end);
    const own: Record<string, number | undefined> = {
      time_to_first_token: (r.firstTokenNs - r.arrivalNs) / 1e6,
      request_latency: (end - r.arrivalNs) / 1e6,
      inter_token_latency:
        r.outputTokens > 1 ? (end - r.firstTokenNs) / 1e6 / (r.outputTokens - 1) : undefined,
    };
    const theirs = r.requestId ? client.get(r.requestId) : undefined;
    for (const t of PER_REQUEST_TAGS) {
      const v = own[t];
      if (v === undefined) continue;
      lists[t]!.push(v);
      const c = theirs?.[t];
      if (c !== undefined) {
        pairs[t]!.client.push(c);
        pairs[t]!.server.push(v);
      }
    }
  }
  if (requests === 0) return undefined;
  return {
    requests,
    outputTokens,
    durationSec: last > first ? (last - first) / 1e9 : undefined,
    values: Object.fromEntries(PER_REQUEST_TAGS.map((t) => [t, Float64Array.from(lists[t]!)])),
    pairs: Object.fromEntries(
      PER_REQUEST_TAGS.map((t) => [
        t,
        { client: Float64Array.from(pairs[t]!.client), server: Float64Array.from(pairs[t]!.server) },
      ]),
    ),
  };
}

/** The mock's TTFT statistics over every trial of a tool (the table's ground-truth lines). */
function serverTtft(truths: Array<ServerTruth | undefined>): Stats | undefined {
  const all = truths.flatMap((t) => [...(t?.values.time_to_first_token ?? [])]);
  return all.length > 0 ? computeStats(all) : undefined;
}

/** Sessions in the file (AIPerf's --conversation-num counts them; more would wrap around). */
async function countSessions(path: string): Promise<number> {
  const ids = new Set<string>();
  for await (const row of readDataset(path)) ids.add(row.sessionId ?? `line-${row.line}`);
  return ids.size;
}

async function withEndpoint<T>(
  url: string | undefined,
  mock: Partial<MockOptions>,
  recordPath: string,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  if (url) return fn(url);
  // The mock opens its record file at start, before the run creates the artifact dir.
  await makeDir(dirname(recordPath));
  const m: ThreadedMock = await startMockThread({
    ...EMBEDDED_MOCK,
    ...mock,
    host: '127.0.0.1',
    port: 0,
    recordPath,
  });
  try {
    return await fn(m.url);
  } finally {
    await m.close();
  }
}

export async function runCrosscheck(o: CrosscheckOptions, hooks: RunHooks = {}): Promise<CrosscheckOutcome> {
  const log = hooks.log ?? (() => {});
  // Bad options are refused before either tool starts.
  const checked = resolveRunOptions({ ...o.run, url: o.run.url ?? 'http://127.0.0.1' });
  const aiperfExe = locateAiperf();
  if (checked.requestRate !== undefined)
    throw new UserError('crosscheck compares concurrency mode only (no --request-rate)');
  if (checked.endpoint !== endpointOf(checked.endpointType).path) {
    throw new UserError(
      `crosscheck drives AIPerf with --endpoint-type ${checked.endpointType} and its standard route: drop --endpoint ${checked.endpoint}`,
    );
  }
  const inFile = await countSessions(checked.dataset);
  const sessions = Math.min(checked.sessions ?? inFile, inFile);
  const dir = checked.artifactDir;
  const warnings: string[] = [];
  const real = o.run.url !== undefined;
  if (real) {
    warnings.push(
      'both tools ran against the same server one after the other: its caches (prefix, image embeddings) were warm for the second (AIPerf); send cache_prompt:false or equivalent where the server has one',
    );
  }
  const useServerTokenCount = real && o.tokenizer === undefined;
  const tokenSources: TokenSources = {
    mmload: "the server's usage (stream_options.include_usage), else one token per content chunk",
    aiperf: useServerTokenCount
      ? "the server's usage (--use-server-token-count: no --tokenizer was given for this model)"
      : o.tokenizer !== undefined
        ? `client-side tokenizer ${o.tokenizer}`
        : 'client-side word-level tokenizer fixtures/tokenizer (exact for the embedded mock)',
  };

  const trials = o.trials ?? 1;
  if (!Number.isInteger(trials) || trials < 1)
    throw new UserError(`--trials ${trials}: must be a whole number >= 1`);
  if (checked.goodput !== undefined) {
    const own = parseGoodput(checked.goodput).filter((x) => x.tag.startsWith('mmload_'));
    if (own.length > 0)
      throw new UserError(
        `--goodput ${checked.goodput}: crosscheck passes the objectives to AIPerf, which does not measure ${own.map((x) => x.tag).join(', ')}`,
      );
  }
  const steps = 2 * trials;
  const runs: { mmload: ToolRun[]; aiperf: ToolRun[] } = { mmload: [], aiperf: [] };
  const dirs: Array<{ mmload: string; aiperf: string }> = [];
  for (let i = 0; i < trials; i++) {
    // One trial in the dir itself; several in profile_runs/run_NNNN/ (AIPerf's multi-run layout).
    const base = trials === 1 ? dir : join(dir, 'profile_runs', `run_${String(i + 1).padStart(4, '0')}`);
    const trial = trials === 1 ? '' : ` (trial ${i + 1}/${trials})`;
    const pair = await runPair(
      base,
      `crosscheck ${2 * i + 1}/${steps}`,
      `crosscheck ${2 * i + 2}/${steps}`,
      trial,
    );
    runs.mmload.push(pair.mmload);
    runs.aiperf.push(pair.aiperf);
    dirs.push(pair.dirs);
  }

  const mmSummary = runs.mmload[0]!.summary;
  const aiSummary = runs.aiperf[0]!.summary;
  if (aiSummary.toolVersion && aiSummary.toolVersion !== AIPERF_VERSION) {
    warnings.push(`AIPerf ${aiSummary.toolVersion} ran; mmload's flags were verified on ${AIPERF_VERSION}`);
  }
  const failed = (t: 'mmload' | 'aiperf') => runs[t].reduce((n, r) => n + r.summary.errorCount, 0);
  if (failed('aiperf') > 0 || failed('mmload') > 0) {
    warnings.push(`failed requests: mmload ${failed('mmload')}, AIPerf ${failed('aiperf')}`);
  }
  const result = crosscheckRuns(runs, o.tolerancePct, {
    oslFromTokenizer: real && o.tokenizer !== undefined,
  });
  if (!real) {
    result.server = {
      mmload: serverTtft(runs.mmload.map((r) => r.truth)),
      aiperf: serverTtft(runs.aiperf.map((r) => r.truth)),
    };
  }
  await writeFileAtomic(
    join(dir, 'crosscheck.json'),
    `${JSON.stringify({ ...result, tokenSources, warnings }, null, 2)}\n`,
  );
  // The report compares the first trial's runs (each trial's artifacts stay in its own dir).
  const reportRuns = [
    await loadReportRun(`mmload=${dirs[0]!.mmload}`),
    await loadReportRun(`aiperf=${dirs[0]!.aiperf}`),
  ];
  await writeFileAtomic(
    join(dir, 'report.html'),
    renderReport(reportRuns, {
      title: `mmload vs AIPerf crosscheck${trials > 1 ? ' (trial 1)' : ''}`,
      baseline: 'aiperf',
    }),
  );
  return { result, tokenSources, mmload: mmSummary, aiperf: aiSummary, dir, warnings };

  /** mmload, then AIPerf, into base/mmload and base/aiperf, each against a fresh mock without --url. */
  async function runPair(base: string, step1: string, step2: string, trial: string) {
    log(`${step1}: mmload run (${sessions} sessions, concurrency ${checked.concurrency})${trial}`);
    const mockRecords = {
      mmload: join(base, 'mmload', 'mock_records.jsonl'),
      aiperf: join(base, 'aiperf', 'mock_records.jsonl'),
    };
    const mm = await withEndpoint(o.run.url, o.mock, mockRecords.mmload, (url) =>
      runLoad(
        {
          ...checked,
          url,
          sessions,
          warmupRequests: 0,
          // AIPerf opens its connections with its first requests: measure the same way.
          preconnect: false,
          artifactDir: join(base, 'mmload'),
          label: 'mmload',
        },
        hooks,
      ),
    );
    if (mm.interrupted)
      throw new UserError('interrupted during the mmload run; its artifacts are kept', mm.exitCode);
    await writeRunReport(mm.artifactDir, log);

    log(`${step2}: aiperf ${AIPERF_VERSION} (${aiperfExe.path})${trial}`);
    const aiperfDir = join(base, 'aiperf');
    const ai = await withEndpoint(o.run.url, o.mock, mockRecords.aiperf, async (url) => {
      const minTokens = checked.extraInputs.min_tokens;
      const ignoreEos = checked.extraInputs.ignore_eos;
      const { min_tokens: _m, ignore_eos: _i, ...otherExtra } = checked.extraInputs;
      const target = parseTarget(url);
      // AIPerf gets the URL without credentials and the credentials as a header (it redacts both in its exports).
      const headers: Record<string, string> = {};
      if (target.authorization && !checked.apiKey) headers.Authorization = target.authorization;
      const command = buildAiperfCommand({
        url: `${target.origin}${target.basePath}`,
        endpoint: checked.endpointType,
        model: checked.model,
        datasetPath: checked.dataset,
        concurrency: checked.concurrency,
        sessions,
        maxTokens: checked.maxTokens,
        minTokens: typeof minTokens === 'number' ? minTokens : undefined,
        ignoreEos: typeof ignoreEos === 'boolean' ? ignoreEos : undefined,
        // With a tokenizer AIPerf's OSL is client-side; asking for usage too gives its usage_* metrics.
        extraInputs:
          o.tokenizer !== undefined && checked.includeUsage
            ? { ...otherExtra, stream_options: { include_usage: true } }
            : otherExtra,
        tokenizer: o.tokenizer ?? PROJECT_TOKENIZER_DIR,
        useServerTokenCount,
        apiKey: checked.apiKey,
        headers,
        artifactDir: aiperfDir,
        requestTimeoutS: checked.timeoutS > 0 ? checked.timeoutS : undefined,
        datasetTimeoutS: Math.max(300, o.aiperfTimeoutS),
        goodput: checked.goodput,
      });
      return runAiperf({
        executable: aiperfExe.path,
        command,
        artifactDir: aiperfDir,
        timeoutMs: o.aiperfTimeoutS * 1000,
      });
    });
    if (ai.timedOut)
      throw new UserError(`AIPerf did not finish within ${o.aiperfTimeoutS} s; its log: ${ai.logPath}`, 1);
    if (ai.interrupted) throw new UserError('interrupted during the AIPerf run', 130);
    if (!ai.summaryPath) {
      throw new UserError(
        `AIPerf exited ${ai.exitCode} without a summary (every request failed?); its log: ${ai.logPath}`,
        1,
      );
    }
    const tool = async (
      label: 'mmload' | 'aiperf',
      artifactDir: string,
      records: string,
    ): Promise<ToolRun> => {
      const summary = await readResult(`${label}=${artifactDir}`);
      const file = join(artifactDir, records);
      const client = await clientValues(file).catch(() => undefined);
      const run: ToolRun = { summary };
      if (client) run.values = client.values;
      if (!real) run.truth = await serverTruth(mockRecords[label], client?.byId ?? new Map());
      return run;
    };
    return {
      mmload: await tool('mmload', mm.artifactDir, 'records.jsonl'),
      aiperf: await tool('aiperf', aiperfDir, 'profile_export.jsonl'),
      dirs: { mmload: mm.artifactDir, aiperf: aiperfDir },
    };
  }
}
