import type { CommandModule } from 'yargs';
import { loadReportRun } from '../report/from-results.js';
import { isSweepSpec, loadSweepForReport } from '../report/from-sweep.js';
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
          "mmload artifact dirs, AIPerf artifact dirs, or their JSON exports; a sweep's directory (mmload's or AIPerf's) draws latency against throughput with one curve per sweep; `name=path` sets the label (else the run's --label, else the directory name)",
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
    const sweeps = [];
    for (const spec of args.results) {
      // A sweep (mmload's or AIPerf's) is drawn as a curve, and each of its points is a result.
      if (await isSweepSpec(spec)) {
        const s = await loadSweepForReport(spec);
        sweeps.push(s.curve);
        runs.push(...s.runs);
      } else runs.push(await loadReportRun(spec));
    }
    if (args.baseline && !runs.some((r) => r.label === args.baseline)) {
      throw new UserError(
        `--baseline ${args.baseline}: no result has that label (have: ${runs.map((r) => r.label).join(', ')})`,
      );
    }
    const title =
      args.title ??
      (sweeps.length > 0 ? `mmload sweep report: ${sweeps.map((c) => c.sweep.label).join(', ')}` : undefined);
    await writeFileAtomic(args.output, renderReport(runs, { baseline: args.baseline, title, sweeps }));
    process.stdout.write(`wrote ${args.output} (${runs.length} result${runs.length === 1 ? '' : 's'})\n`);
  },
};
