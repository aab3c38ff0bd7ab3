import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Summary } from '../metrics/summary.js';
import { UserError } from '../util/errors.js';
import { SERVER_METRICS_FILES, type ServerMetricsExport } from './export.js';

/**
 * The server metrics export beside a result (mmload's or AIPerf's server_metrics_export.json:
 * one layout), or undefined when the run scraped none. A file that is there but unreadable is the
 * user's to know about.
 */
export async function readServerMetricsExport(resultDir: string): Promise<ServerMetricsExport | undefined> {
  const path = join(resultDir, SERVER_METRICS_FILES.json);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  let e: ServerMetricsExport;
  try {
    e = JSON.parse(text) as ServerMetricsExport;
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (!e || typeof e !== 'object' || typeof e.metrics !== 'object' || e.metrics === null)
    throw new UserError(`${path}: no "metrics" object (not a server metrics export)`);
  return e;
}

/** The export beside a summary read from disk. */
export function serverExportOf(s: Summary): Promise<ServerMetricsExport | undefined> {
  return s.path ? readServerMetricsExport(dirname(s.path)) : Promise.resolve(undefined);
}
