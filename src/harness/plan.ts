import { join } from 'node:path';
import { datasetFileSize } from '../dataset/reader.js';
import { type PlanOptions, resolvePlanOptions, resolveRunOptions } from '../driver/options.js';
import type { RunOutcome } from '../driver/run.js';
import { type PlanHooks, type PlanOutcome, runSweep, runTrials, searchMaxGoodput } from '../plan/run-plan.js';
import { loadReportRun } from '../report/from-results.js';
import { loadSweepForReport } from '../report/from-sweep.js';
import { renderReport } from '../report/html.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { type BenchmarkInput, type BenchmarkSettings, runWithReport, withEndpoint } from './benchmark.js';
import { type PlanLoad, planKind } from './plan-kind.js';

/**
 * A plan (trials, a sweep or a search) as a user runs it: one embedded mock for the whole plan
 * when there is no URL (a server that stays up between runs, as a real one does), each run's
 * report.html, and the mock's counters of each run in its run_config.json.
 */

/** after - before for every counter (the mock's stats are cumulative over the plan). */
function counterDelta(after: unknown, before: unknown): unknown {
  if (typeof after === 'number' && typeof before === 'number') return after - before;
  if (typeof after === 'object' && after !== null && typeof before === 'object' && before !== null) {
    return Object.fromEntries(
      Object.entries(after).map(([k, v]) => [k, counterDelta(v, (before as Record<string, unknown>)[k])]),
    );
  }
  return after;
}

/** Runs the plan the options and load describe (they must describe one: see planKind). */
export async function runPlanBenchmark(
  input: BenchmarkInput,
  planInput: Partial<PlanOptions>,
  load: PlanLoad,
  settings: BenchmarkSettings = {},
  hooks: PlanHooks = {},
): Promise<PlanOutcome> {
  const plan = resolvePlanOptions(planInput);
  const kind = planKind(plan, load);
  if (kind === 'single') throw new UserError('not a plan: give --trials N, a list of loads, or --search');
  if (kind === 'search' && !load.search)
    throw new UserError(
      '--search max-goodput: give its bounds as --concurrency LO,HI or --request-rate LO,HI',
    );
  // Bad options and a missing dataset are refused before a mock is started for them.
  resolveRunOptions({ ...input, url: input.url ?? 'http://127.0.0.1' });
  await datasetFileSize(input.dataset);
  const log = hooks.log ?? (() => {});
  return withEndpoint(
    input.url,
    { ...settings.mock, ...(input.model ? { model: input.model } : {}) },
    async (url, mockStats) => {
      const base = resolveRunOptions({ ...input, url });
      const runPoint = async (o: typeof base, h: PlanHooks): Promise<RunOutcome> => {
        const before = mockStats ? await mockStats() : undefined;
        const annotate = mockStats
          ? async () => ({ embeddedMock: counterDelta(await mockStats(), before) })
          : h.annotate;
        if (hooks.runPoint) return hooks.runPoint(o, { ...h, annotate });
        return runWithReport(o, h, { report: settings.report, annotate });
      };
      const planHooks: PlanHooks = { ...hooks, runPoint };
      const outcome =
        kind === 'search'
          ? await searchMaxGoodput(base, load.search!, plan, planHooks)
          : kind === 'sweep'
            ? await runSweep(base, load.sweep!, plan, planHooks)
            : await runTrials(base, plan, planHooks);
      if (settings.report !== false && outcome.runs.length > 0) {
        const report = await writePlanReport(outcome, log);
        if (report) outcome.files.push(report);
      }
      return outcome;
    },
    settings.announce === false ? undefined : log,
  );
}

/**
 * The plan's own report.html in its directory: a sweep's or search's curve and points, or the
 * trials' aggregate with its intervals. Returns its path, or undefined (and logs why).
 */
export async function writePlanReport(
  o: PlanOutcome,
  log: (line: string) => void,
): Promise<string | undefined> {
  const path = join(o.artifactDir, 'report.html');
  try {
    if (o.kind === 'trials') {
      await writeFileAtomic(path, renderReport([await loadReportRun(o.artifactDir)]));
    } else {
      const s = await loadSweepForReport(o.artifactDir);
      const title = `mmload ${o.kind === 'search' ? 'search' : 'sweep'} report: ${s.curve.sweep.label}`;
      await writeFileAtomic(path, renderReport(s.runs, { title, sweeps: [s.curve] }));
    }
    return path;
  } catch (err) {
    log(`could not write ${path}: ${(err as Error).message}`);
    return undefined;
  }
}
