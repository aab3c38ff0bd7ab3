import type { CommandModule } from 'yargs';
import { FILES } from '../metrics/exporters.js';
import { mergeShards } from '../metrics/merge.js';
import { formatRunTable } from '../metrics/table.js';
import { exists } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { checkOutputDir } from '../util/output-path.js';

interface MergeArgs {
  inputs: string[];
  output: string;
  label?: string;
  force: boolean;
  'max-start-skew': number;
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <inputs..>',
  describe:
    'Merge the shards of one run (`run --shard i/N`) into one result: HDR histograms added, stats recomputed',
  builder: (y) =>
    y
      .positional('inputs', {
        type: 'string',
        array: true,
        describe: 'shard artifact dirs, or the run dir holding shard-<i>-of-<N>/ subdirectories',
      })
      .option('output', {
        alias: 'o',
        type: 'string',
        demandOption: true,
        describe: 'directory for the merged result',
      })
      .option('label', {
        type: 'string',
        defaultDescription: 'the output dir name',
        describe: 'label of the merged result',
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'overwrite a result already in the output dir',
      })
      .option('max-start-skew', {
        type: 'number',
        default: 5,
        describe: 'warn when the shards started more than this many seconds apart',
      })
      .example(
        '$0 merge /data/runs/qwen36 -o /data/runs/qwen36/merged',
        'merge every shard-* dir of a run',
      ) as never,
  handler: async (args) => {
    await checkOutputDir(args.output);
    if (!args.force && (await exists(`${args.output}/${FILES.json}`))) {
      throw new UserError(`${args.output} already holds a result; pass --force to overwrite it`);
    }
    const r = await mergeShards({
      inputs: args.inputs,
      outDir: args.output,
      label: args.label,
      maxStartSkewS: args['max-start-skew'],
    });
    for (const w of r.warnings) process.stderr.write(`mmload: warning: ${w}\n`);
    process.stdout.write(
      `${formatRunTable(r.summary)}\nmerged ${r.shards.length} shards into ${args.output}\n`,
    );
  },
};
