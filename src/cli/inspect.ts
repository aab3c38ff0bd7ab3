import type { Argv, CommandModule } from 'yargs';
import { formatSummary, inspectDataset } from '../dataset/inspect.js';

interface InspectArgs {
  file: string;
  json: boolean;
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
      }) as unknown as Argv<InspectArgs>,
  handler: async (a) => {
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      const summary = await inspectDataset(a.file, { signal: controller.signal });
      process.stdout.write(a.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
