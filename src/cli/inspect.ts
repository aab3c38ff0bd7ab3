import type { Argv, CommandModule } from 'yargs';
import { formatSummary, inspectDataset } from '../dataset/inspect.js';

interface InspectArgs {
  file: string;
  json: boolean;
  'image-root'?: string;
}

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: 'inspect <file>',
  describe: 'Validate and summarise an AIPerf single_turn JSONL file (streaming, any size)',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'The JSONL file to inspect' })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'Print the summary as JSON',
      })
      .option('image-root', {
        type: 'string',
        defaultDescription: "the dataset file's directory",
        describe:
          'Local image files must lie under this directory (symlinks resolved); a row naming one outside it is an error. / allows any file',
      })
      .epilog(
        'Stops at the first bad row with its file, line and field, exit code 2: bad JSON, unknown ' +
          'fields, a data URL or local file that is not a PNG, JPEG, WebP or GIF image, a local ' +
          'image outside --image-root.',
      ) as unknown as Argv<InspectArgs>,
  handler: async (a) => {
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      const summary = await inspectDataset(a.file, { signal: controller.signal, imageRoot: a['image-root'] });
      process.stdout.write(a.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
