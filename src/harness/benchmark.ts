import { join } from 'node:path';
import { datasetFileSize } from '../dataset/reader.js';
import { type RunInput, type RunOptions, resolveRunOptions } from '../driver/options.js';
import { type RunHooks, type RunOutcome, runLoad } from '../driver/run.js';
import { FILES } from '../metrics/exporters.js';
import type { MockOptions } from '../mock/types.js';
import { startMockThread } from '../mock/worker.js';
import { serverMetricsObservers } from '../server-metrics/observer.js';
import { writeFileAtomic } from '../util/atomic.js';

/**
 * What surrounds the driver for a user's run: the embedded mock when no URL is given, and the
 * HTML report once the results are written. The driver itself only drives a URL; `mmload run`,
 * `demo` and `crosscheck` come through here.
 */

/** The embedded endpoint's latency model when `run` has no --url: visible, cache on. */
export const EMBEDDED_MOCK: Partial<MockOptions> = {
  ttftMs: 40,
  itlMs: 4,
  imageEncodeMs: 15,
  prefillUsPerToken: 2,
  cacheCapacity: 1024,
};

export type BenchmarkInput = Omit<RunInput, 'url'> & { url?: string };

export interface BenchmarkSettings {
  /** The embedded mock's settings over EMBEDDED_MOCK (only without a URL). */
  mock?: Partial<MockOptions>;
  /** Write report.html into the artifact dir (default true). */
  report?: boolean;
  /** Say on the log that the embedded mock was started (default true; off with --quiet). */
  announce?: boolean;
}

/**
 * Serves `fn` a URL: the given one, or an embedded mock started for it on a worker thread and
 * stopped after it (its counters go to `onStats`).
 */
export async function withEndpoint<T>(
  url: string | undefined,
  mock: Partial<MockOptions>,
  fn: (url: string, mockStats?: () => Promise<Record<string, unknown>>) => Promise<T>,
  log?: (line: string) => void,
): Promise<T> {
  if (url) return fn(url);
  const m = await startMockThread({ ...EMBEDDED_MOCK, ...mock, host: '127.0.0.1', port: 0 });
  log?.(`no --url: replaying against the embedded mock at ${m.url}`);
  try {
    return await fn(m.url, async () => ({ ...(await m.stats()) }));
  } finally {
    await m.close();
  }
}

/** Writes report.html for one result dir; returns its path, or undefined (and logs why) when it could not. */
export async function writeRunReport(dir: string, log: (line: string) => void): Promise<string | undefined> {
  const path = join(dir, 'report.html');
  try {
    // Loaded once the run is over: the report's modules are not on the way to its first request.
    const [{ loadReportRun }, { renderReport }] = await Promise.all([
      import('../report/from-results.js'),
      import('../report/html.js'),
    ]);
    await writeFileAtomic(path, renderReport([await loadReportRun(dir)]));
    return path;
  } catch (err) {
    log(`could not write report.html: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * One run of the engine as `mmload run` makes it: the server-metrics scraper among its observers,
 * what `annotate` adds to run_config (the embedded mock's counters), and report.html once the
 * summary is written. runBenchmark and every run of a plan come through here.
 */
export async function runWithReport(
  options: RunOptions,
  hooks: RunHooks,
  settings: { report?: boolean; annotate?: () => Promise<Record<string, unknown>> } = {},
): Promise<RunOutcome> {
  const log = hooks.log ?? (() => {});
  const outcome = await runLoad(options, {
    ...hooks,
    annotate: settings.annotate ?? hooks.annotate,
    observers: [...(hooks.observers ?? []), ...serverMetricsObservers(options)],
  });
  // The report is drawn from the written summary: none when it could not be written.
  if (settings.report !== false && outcome.files.some((f) => f.endsWith(FILES.json))) {
    const report = await writeRunReport(outcome.artifactDir, log);
    if (report) outcome.files.push(report);
  }
  return outcome;
}

/** A run against a URL or the embedded mock, with its report. */
export async function runBenchmark(
  input: BenchmarkInput,
  settings: BenchmarkSettings = {},
  hooks: RunHooks = {},
): Promise<RunOutcome> {
  const log = hooks.log ?? (() => {});
  // Bad options and a missing dataset are refused before a mock is started for them.
  resolveRunOptions({ ...input, url: input.url ?? 'http://127.0.0.1' });
  await datasetFileSize(input.dataset);
  return withEndpoint(
    input.url,
    { ...settings.mock, ...(input.model ? { model: input.model } : {}) },
    (url, mockStats) =>
      runWithReport(resolveRunOptions({ ...input, url }), hooks, {
        report: settings.report,
        annotate: mockStats ? async () => ({ embeddedMock: await mockStats() }) : undefined,
      }),
    settings.announce === false ? undefined : log,
  );
}
