import { objectivesOf } from '../metrics/goodput.js';
import { readResult } from '../metrics/readers.js';
import { pointDirName } from '../plan/layout.js';
import { findSweepFile, readSweep } from '../plan/read-sweep.js';
import { loadReportRun } from './from-results.js';
import type { ReportRun } from './model.js';
import type { SweepCurve } from './sweep-chart.js';

/**
 * A sweep for the report (mmload's or AIPerf's, `name=path` sets its label): its curve, and each
 * point as a result of its own (labelled "<sweep> <param>_<value>") for the tables and curves.
 */
export async function loadSweepForReport(spec: string): Promise<{ curve: SweepCurve; runs: ReportRun[] }> {
  const sweep = await readSweep(spec);
  const runs: ReportRun[] = [];
  for (const p of sweep.points) {
    if (!p.dir) continue;
    runs.push(await loadReportRun(`${sweep.label} ${pointDirName(sweep.param, p.load)}=${p.dir}`));
  }
  const first = sweep.points.find((p) => p.dir);
  const objectives = first ? objectivesOf(await readResult(first.dir!)) : undefined;
  return { curve: { sweep, ...(objectives ? { objectives } : {}) }, runs };
}

/** Whether a report or compare argument names a sweep rather than one result. */
export async function isSweepSpec(spec: string): Promise<boolean> {
  if (await findSweepFile(spec)) return true;
  const eq = spec.indexOf('=');
  return eq > 0 && (await findSweepFile(spec.slice(eq + 1))) !== undefined;
}
