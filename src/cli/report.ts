import type { CommandModule } from 'yargs';
import { loadReportRun } from '../report/from-results.js';
import { renderReport } from '../report/html.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { checkOutputFile } from '../util/output-path.js';

interface ReportArgs {
  results: string[];
  output: string;
  baseline?: string;
  title?: string;
  force: boolean;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <results..>',
  describe:
    'Write one self-contained HTML report (percentile curves, TTFT over the run, throughput, comparison)',
  builder: (y) =>
    y
      .positional('results', {
        type: 'string',
        array: true,
        demandOption: true,
        describe:
          "mmload artifact dirs, AIPerf artifact dirs, or their JSON exports; `name=path` sets the label (else the run's --label, else the directory name)",
      })
      .option('output', {
        alias: 'o',
        type: 'string',
        default: 'report.html',
        describe: 'HTML file to write',
      })
      .option('baseline', {
        type: 'string',
        defaultDescription: 'the first result',
        describe: 'label of the result the others are compared against',
      })
      .option('title', { type: 'string', describe: 'report title' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite an existing output file' })
      .example('$0 report vllm=runs/a dynamo=runs/b -o compare.html', 'compare two runs')
      .example('$0 report artifacts/2026-11-24T12-00-00', 'report of one run') as never,
  handler: async (args) => {
    await checkOutputFile(args.output, args.force);
    const runs = [];
    for (const spec of args.results) runs.push(await loadReportRun(spec));
    if (args.baseline && !runs.some((r) => r.label === args.baseline)) {
      throw new UserError(
        `--baseline ${args.baseline}: no result has that label (have: ${runs.map((r) => r.label).join(', ')})`,
      );
    }
    await writeFileAtomic(args.output, renderReport(runs, { baseline: args.baseline, title: args.title }));
    process.stdout.write(`wrote ${args.output} (${runs.length} result${runs.length === 1 ? '' : 's'})\n`);
  },
};
