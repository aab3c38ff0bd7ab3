import type { CommandModule } from 'yargs';
import { type CompareFormat, compareSummaries, formatComparison } from '../metrics/compare.js';
import { readResult } from '../metrics/readers.js';
import { withServerComparison } from '../server-metrics/compare-rows.js';
import { UserError } from '../util/errors.js';

interface CompareArgs {
  results: string[];
  baseline?: string;
  format: CompareFormat;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <results..>',
  describe:
    'Put several results side by side (mmload or AIPerf exports) with the change in % against a baseline',
  builder: (y) =>
    y
      .positional('results', {
        describe:
          'Result to compare: an artifact directory or its profile_export_mmload.json / profile_export_aiperf.json; ' +
          "prefix with NAME= to label it (else it is named by the run's --label, else by its directory)",
        type: 'string',
        array: true,
      })
      .option('baseline', {
        defaultDescription: 'the first result',
        describe: 'Label of the result the others are compared with',
        type: 'string',
      })
      .option('format', {
        describe: 'Output format: aligned table, Markdown, CSV (values and deltas in columns) or JSON',
        choices: ['table', 'md', 'csv', 'json'] as const,
        default: 'table' as CompareFormat,
      })
      .example('$0 compare vllm=runs/a dynamo=runs/b', 'RPS, ITL and TTFT of b against a')
      .example(
        '$0 compare fixtures/aiperf/recipe/h100/* --baseline vllm-serve --format md',
        "The recipe's H100 table with deltas against vllm-serve",
      ) as never,
  handler: async (args) => {
    if (!args.results || args.results.length === 0) throw new UserError('compare needs at least one RESULT');
    const summaries = [];
    for (const spec of args.results) summaries.push(await readResult(spec));
    let comparison: ReturnType<typeof compareSummaries>;
    try {
      comparison = compareSummaries(summaries, args.baseline);
    } catch (err) {
      throw new UserError((err as Error).message);
    }
    process.stdout.write(
      await withServerComparison(formatComparison(comparison, args.format), summaries, args.format),
    );
  },
};
