/**
 * mmload as a library: the same functions the `mmload` command runs, for scripts and notebooks
 * that generate datasets, drive endpoints and compare results in code. Everything not exported
 * here is internal and may change between versions.
 *
 * @example
 * ```ts
 * import { generateDataset, RECIPE_DEFAULTS, resolveRunOptions, runLoad, startMock, stat } from 'mmload';
 *
 * await generateDataset({ ...RECIPE_DEFAULTS, users: 2, turns: 2, width: 64, height: 32, output: 'small.jsonl' });
 * const mock = await startMock({ ttftMs: 20, itlMs: 2 });
 * const outcome = await runLoad(resolveRunOptions({ dataset: 'small.jsonl', url: mock.url, artifactDir: 'out' }));
 * console.log(stat(outcome.summary, 'time_to_first_token', 'p99'));
 * await mock.close();
 * ```
 */

// Datasets: generate (the recipe's sliding-window workload), read rows as a stream, inspect.
export {
  type GenerateOptions,
  type GenerateProgress,
  type GenerateResult,
  generateDataset,
  RECIPE_DEFAULTS,
} from './dataset/generate.js';
export {
  formatSummary as formatInspectSummary,
  type InspectSummary,
  inspectDataset,
} from './dataset/inspect.js';
export { readDataset } from './dataset/reader.js';
export type { DatasetRow, ImageRef } from './dataset/types.js';
export type { Arrival } from './driver/arrivals.js';
export { ENDPOINT_TYPES, type EndpointType } from './driver/endpoints/endpoint.js';
export { EXIT } from './driver/finish.js';
// Runs: options (one table for the CLI and the library), the engine against a URL, and the
// embedded mock or a real URL with the HTML report (what `mmload run` does).
export {
  PLAN_DEFAULTS,
  PLAN_OPTION_SPECS,
  type PlanOptions,
  PRESETS,
  RUN_DEFAULTS,
  RUN_OPTION_SPECS,
  type RunInput,
  type RunOptions,
  resolvePlanOptions,
  resolveRunOptions,
} from './driver/options.js';
export {
  type ObservedPhase,
  type ObserverResult,
  type ObserverStart,
  type RunHooks,
  type RunObserver,
  type RunOutcome,
  type RunProgress,
  runLoad,
} from './driver/run.js';
export {
  type BenchmarkInput,
  type BenchmarkSettings,
  EMBEDDED_MOCK,
  runBenchmark,
} from './harness/benchmark.js';
// Plans: repeated trials with confidence intervals, sweeps over concurrency or rate, the
// max-goodput search; each run a normal run, the aggregates in AIPerf's multi-run layout.
export { runPlanBenchmark } from './harness/plan.js';
export type { PlanLoad } from './harness/plan-kind.js';
// Results: AIPerf-compatible summaries of either tool, comparison, merge of shards.
export {
  type CompareFormat,
  type Comparison,
  compareSummaries,
  formatComparison,
} from './metrics/compare.js';
export { type MergeOptions, type MergeResult, mergeShards } from './metrics/merge.js';
export { readResult } from './metrics/readers.js';
export type { ErrorKind, RequestError, RequestRecord } from './metrics/record.js';
export { type MetricSummary, type StatName, type Summary, stat } from './metrics/summary.js';
export { compareSweeps, formatSweepComparison, type SweepComparison } from './metrics/sweep-compare.js';
export { formatRunTable } from './metrics/table.js';
// The embedded OpenAI-compatible endpoint (latency model, image cache, faults, its own records).
export { startMock } from './mock/server.js';
export type { MockHandle, MockOptions, MockRecord, MockStats } from './mock/types.js';
export { readSweep, type SweepResult } from './plan/read-sweep.js';
export {
  type PlanHooks,
  type PlanOutcome,
  runSweep,
  runTrials,
  type SearchSpec,
  type SweepSpec,
  searchMaxGoodput,
} from './plan/run-plan.js';
export { loadReportRun } from './report/from-results.js';
// Report: one self-contained HTML file for any mix of results.
export { renderReport } from './report/html.js';
export { COMMON_VIEW, type CommonView, commonView } from './server-metrics/common-view.js';
export type { ServerMetricsExport } from './server-metrics/export.js';
export { ServerMetricsObserver, serverMetricsObservers } from './server-metrics/observer.js';
export { parsePrometheusText } from './server-metrics/parse.js';
export { readServerMetricsExport } from './server-metrics/read.js';
export { InputError, UserError } from './util/errors.js';
