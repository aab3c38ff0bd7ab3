// Shared helpers for the driver tests (not a test file).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset, RECIPE_DEFAULTS } from '../src/dataset/generate.js';
import { type RunOptions, resolveRunOptions } from '../src/driver/options.js';

/** A small sliding-window dataset in the recipe's layout (turn-interleaved), tiny images. */
export async function smallDataset(
  users: number,
  turns: number,
  window = 2,
): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-drv-'));
  const path = join(dir, `ds_${users}u_${turns}t.jsonl`);
  await generateDataset({
    ...RECIPE_DEFAULTS,
    users,
    turns,
    window,
    words: 20,
    width: 16,
    height: 8,
    output: path,
    threads: 2,
  });
  return { dir, path };
}

export function runOptions(
  dataset: string,
  artifactDir: string,
  over: Partial<RunOptions> & { url: string },
): RunOptions {
  return resolveRunOptions({
    dataset,
    artifactDir,
    maxTokens: 8,
    extraInputs: { ignore_eos: true },
    ...over,
  });
}
