import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readDataset } from '../dataset/reader.js';
import { type RunInput, resolveRunOptions } from '../driver/options.js';
import { type RunHooks, runLoad } from '../driver/run.js';
import { parseTarget } from '../driver/target.js';
import { EMBEDDED_MOCK, writeRunReport } from '../harness/benchmark.js';
import { type Crosscheck, crosscheck } from '../metrics/crosscheck.js';
import { readResult } from '../metrics/readers.js';
import { computeStats, type Stats } from '../metrics/statistics.js';
import type { Summary } from '../metrics/summary.js';
import type { MockOptions, MockRecord } from '../mock/types.js';
import { startMockThread, type ThreadedMock } from '../mock/worker.js';
import { loadReportRun } from '../report/from-results.js';
import { renderReport } from '../report/html.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
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
}

/** Where each tool's token counts (ISL, OSL) came from, for the table. */
export interface TokenSources {
  mmload: string;
  aiperf: string;
}

export interface CrosscheckOutcome {
  result: Crosscheck;
  tokenSources: TokenSources;
  mmload: Summary;
  aiperf: Summary;
  dir: string;
  warnings: string[];
}

/** The embedded mock's own TTFT (request arrival to first token written), ms, of successful streams. */
async function serverTtft(path: string): Promise<Stats | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const ttfts: number[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as MockRecord;
    if (r.status === 200 && r.stream && !r.fault && r.firstTokenNs !== undefined)
      ttfts.push((r.firstTokenNs - r.arrivalNs) / 1e6);
  }
  return ttfts.length > 0 ? computeStats(ttfts) : undefined;
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
  await mkdir(dirname(recordPath), { recursive: true });
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
  if (checked.endpoint !== '/v1/chat/completions') {
    throw new UserError(
      'crosscheck drives AIPerf with --endpoint-type chat: keep --endpoint /v1/chat/completions',
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

  log(`crosscheck 1/2: mmload run (${sessions} sessions, concurrency ${checked.concurrency})`);
  const mockRecords = {
    mmload: join(dir, 'mmload', 'mock_records.jsonl'),
    aiperf: join(dir, 'aiperf', 'mock_records.jsonl'),
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
        artifactDir: join(dir, 'mmload'),
        label: 'mmload',
      },
      hooks,
    ),
  );
  if (mm.interrupted)
    throw new UserError('interrupted during the mmload run; its artifacts are kept', mm.exitCode);
  await writeRunReport(mm.artifactDir, log);

  log(`crosscheck 2/2: aiperf ${AIPERF_VERSION} (${aiperfExe.path})`);
  const aiperfDir = join(dir, 'aiperf');
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

  const mmSummary = await readResult(`mmload=${mm.artifactDir}`);
  const aiSummary = await readResult(`aiperf=${aiperfDir}`);
  if (aiSummary.toolVersion && aiSummary.toolVersion !== AIPERF_VERSION) {
    warnings.push(`AIPerf ${aiSummary.toolVersion} ran; mmload's flags were verified on ${AIPERF_VERSION}`);
  }
  if (aiSummary.errorCount > 0 || mmSummary.errorCount > 0) {
    warnings.push(`failed requests: mmload ${mmSummary.errorCount}, AIPerf ${aiSummary.errorCount}`);
  }
  const result = crosscheck(mmSummary, aiSummary, o.tolerancePct);
  if (!real) {
    result.server = {
      mmload: await serverTtft(mockRecords.mmload),
      aiperf: await serverTtft(mockRecords.aiperf),
    };
  }
  await writeFileAtomic(
    join(dir, 'crosscheck.json'),
    `${JSON.stringify({ ...result, tokenSources, warnings }, null, 2)}\n`,
  );
  const runs = [await loadReportRun(`mmload=${mm.artifactDir}`), await loadReportRun(`aiperf=${aiperfDir}`)];
  await writeFileAtomic(
    join(dir, 'report.html'),
    renderReport(runs, { title: 'mmload vs AIPerf crosscheck', baseline: 'aiperf' }),
  );
  return { result, tokenSources, mmload: mmSummary, aiperf: aiSummary, dir, warnings };
}
