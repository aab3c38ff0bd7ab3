import type { CommandModule } from 'yargs';
import {
  type CompareFormat,
  compareSummaries,
  formatComparison,
  RESAMPLED_TAGS,
} from '../metrics/compare.js';
import { readResult, readSamplesOf } from '../metrics/readers.js';
import { DEFAULT_LEVEL, DEFAULT_RESAMPLES } from '../metrics/significance.js';
import { compareSweeps, formatSweepComparison } from '../metrics/sweep-compare.js';
import { isSweepSpec } from '../report/from-sweep.js';
import { withServerComparison } from '../server-metrics/compare-rows.js';
import { UserError } from '../util/errors.js';

interface CompareArgs {
  results: string[];
  baseline?: string;
  format: CompareFormat;
  'confidence-level': number;
  resamples: number;
  seed: number;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <results..>',
  describe:
    'Put several results side by side (mmload or AIPerf exports) with the change in % against a baseline, its interval and whether it is significant',
  builder: (y) =>
    y
      .positional('results', {
        describe:
          'Result to compare: an artifact directory or its profile_export_mmload.json / profile_export_aiperf.json, or a ' +
          "directory of trials (aggregate/profile_export_*_aggregate.json), or sweeps' directories (compared point by point); prefix with NAME= to label it (else it is named by the run's --label, else by its directory)",
        type: 'string',
        array: true,
      })
      .option('baseline', {
        defaultDescription: 'the first result',
        describe: 'Label of the result the others are compared with',
        type: 'string',
      })
      .option('format', {
        describe:
          'Output format: aligned table, Markdown, CSV (values, deltas and intervals in columns) or JSON',
        choices: ['table', 'md', 'csv', 'json'] as const,
        default: 'table' as CompareFormat,
      })
      .option('confidence-level', {
        type: 'number',
        default: DEFAULT_LEVEL,
        requiresArg: true,
        describe: 'Confidence level of the intervals (AIPerf --confidence-level)',
      })
      .option('resamples', {
        type: 'number',
        default: DEFAULT_RESAMPLES,
        requiresArg: true,
        describe: 'Bootstrap resamples over per-request records (results without trials)',
      })
      .option('seed', {
        type: 'number',
        default: 0,
        requiresArg: true,
        describe: 'Seed of the bootstrap: the same inputs and seed give the same intervals',
      })
      .example('$0 compare vllm=runs/a dynamo=runs/b', 'RPS, ITL and TTFT of b against a, with intervals')
      .example(
        '$0 compare fixtures/aiperf/recipe/h100/* --baseline vllm-serve --format md',
        "The recipe's H100 table with deltas against vllm-serve",
      ) as never,
  handler: async (args) => {
    if (!args.results || args.results.length === 0) throw new UserError('compare needs at least one RESULT');
    const level = args['confidence-level'];
    if (!(level > 0 && level < 1))
      throw new UserError(`--confidence-level ${level}: must be between 0 and 1 (e.g. 0.95)`);
    if (!Number.isInteger(args.resamples) || args.resamples < 100)
      throw new UserError(`--resamples ${args.resamples}: must be a whole number >= 100`);
    if (!Number.isInteger(args.seed)) throw new UserError(`--seed ${args.seed}: must be a whole number`);
    // Sweeps (mmload's or AIPerf's) are compared point by point, each load as below.
    const sweeps = await Promise.all(args.results.map(isSweepSpec));
    if (sweeps.every(Boolean)) {
      const c = await compareSweeps(args.results, {
        baseline: args.baseline,
        level,
        resamples: args.resamples,
        seed: args.seed,
      });
      process.stdout.write(formatSweepComparison(c, args.format));
      return;
    }
    if (sweeps.some(Boolean))
      throw new UserError('compare: give only sweeps (compared point by point) or only results, not both');
    const summaries = [];
    for (const spec of args.results) summaries.push(await readResult(spec));
    let comparison: ReturnType<typeof compareSummaries>;
    try {
      comparison = compareSummaries(summaries, args.baseline, {
        samples: await readSamplesOf(summaries, RESAMPLED_TAGS),
        level,
        resamples: args.resamples,
        seed: args.seed,
      });
    } catch (err) {
      throw new UserError((err as Error).message);
    }
    process.stdout.write(
      await withServerComparison(formatComparison(comparison, args.format), summaries, args.format),
    );
  },
};
