/** Finding the `aiperf` executable: the project's venv (npm run setup:aiperf) first, then PATH. */
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.js';

/** The repository root (this file is src/aiperf/locate.ts or dist/aiperf/locate.js). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where scripts/setup-aiperf.sh puts the venv (MMLOAD_AIPERF_VENV overrides, as in the script). */
export function projectVenv(env: NodeJS.ProcessEnv = process.env): string {
  return env.MMLOAD_AIPERF_VENV ?? join(PROJECT_ROOT, '.venv', 'aiperf');
}

/** The word-level tokenizer that makes AIPerf's token counts equal the mock's word counts. */
export const PROJECT_TOKENIZER_DIR = join(PROJECT_ROOT, 'fixtures', 'tokenizer');

export interface LocateOptions {
  env?: NodeJS.ProcessEnv;
  /** Venv to look in first (default: projectVenv(env)). */
  venv?: string;
}

export interface AiperfLocation {
  path: string;
  source: 'venv' | 'PATH';
}

/** Whether `path` is a file this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function locateAiperf(opts: LocateOptions = {}): AiperfLocation {
  const env = opts.env ?? process.env;
  const venv = opts.venv ?? projectVenv(env);
  const inVenv = join(venv, 'bin', 'aiperf');
  if (isExecutable(inVenv)) return { path: inVenv, source: 'venv' };
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'aiperf');
    if (isExecutable(candidate)) return { path: candidate, source: 'PATH' };
  }
  throw new UserError(
    `AIPerf not found (looked in ${inVenv} and on PATH). Install it with \`npm run setup:aiperf\` ` +
      '(creates .venv/aiperf with the pinned release from PyPI).',
  );
}
