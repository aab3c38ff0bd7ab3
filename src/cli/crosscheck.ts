import type { CommandModule } from 'yargs';
import { runCrosscheck } from '../aiperf/crosscheck.js';
import { timestampDir } from '../driver/options.js';
import { EMBEDDED_MOCK } from '../harness/benchmark.js';
import { formatCrosscheck } from '../metrics/crosscheck.js';
import { stopSignals } from './run.js';
import { type CliOnlyArgs, mockFromArgs, runInputFromArgs, withRunFlags } from './run-flags.js';

interface CrosscheckArgs {
  dataset: string;
  tolerance: number;
  'aiperf-timeout': number;
  // biome-ignore lint/suspicious/noExplicitAny: the run flags are typed in cli/run.ts
  [k: string]: any;
}

export const crosscheckCommand: CommandModule<object, CrosscheckArgs> = {
  command: 'crosscheck <dataset>',
  describe: 'Run mmload, then AIPerf, on the same workload and endpoint, and compare their numbers',
  builder: (y) =>
    withRunFlags(
      y.positional('dataset', { type: 'string', demandOption: true, describe: 'AIPerf single_turn JSONL' }),
    )
      .option('tolerance', {
        type: 'number',
        default: 5,
        describe:
          "largest difference in % counted as agreement (times also agree within 2 ms, ITL within 0.2 ms); a row differs only when its difference is also beyond the runs' noise",
      })
      .option('aiperf-timeout', {
        type: 'number',
        default: 900,
        describe: 'seconds AIPerf may take, dataset loading included',
      })
      .option('trials', {
        type: 'number',
        default: 1,
        requiresArg: true,
        describe:
          "run each tool N times, alternated (mmload, AIPerf, mmload...): rows are judged on the per-trial values (Welch's t)",
      })
      .option('tokenizer', {
        type: 'string',
        requiresArg: true,
        describe: "AIPerf's tokenizer for the model: a local Hugging Face tokenizer directory or a hub name",
        defaultDescription:
          "with --url: the server's usage counts; without: the word-level fixture (exact for the mock)",
      })
      .example('$0 crosscheck data.jsonl', 'both tools against fresh embedded mocks')
      .example(
        '$0 crosscheck data.jsonl --url http://127.0.0.1:8000 --model M --concurrency 8',
        'against a server',
      )
      .epilog(
        'AIPerf comes from `npm run setup:aiperf` (project venv) or PATH. Its token counts: against the mocks, the local ' +
          "word-level tokenizer in fixtures/tokenizer (exact, no hub download); with --url, the server's usage, or the " +
          "--tokenizer given (its OSL is then shown, and the server's usage counts judged). Whole sessions are run (AIPerf --conversation-num), " +
          'without warm-up. With --goodput, AIPerf gets the same objectives and both goodputs are compared. Exit 0 when ' +
          'they agree, 1 when they differ or a run fails.',
      ) as never,
  handler: async (args) => {
    const run = runInputFromArgs(args, process.env);
    if (!args['artifact-dir'])
      run.artifactDir = timestampDir().replace(/^artifacts\//, 'artifacts/crosscheck-');
    const signals = stopSignals();
    try {
      const out = await runCrosscheck(
        {
          run,
          tolerancePct: args.tolerance,
          tokenizer: args.tokenizer,
          // AIPerf stamps all SSE events of one read alike: tokens need a gap to be told apart.
          mock: {
            ...EMBEDDED_MOCK,
            itlMs: Math.max(5, EMBEDDED_MOCK.itlMs ?? 0),
            ...mockFromArgs(args as CliOnlyArgs),
            ...(run.model ? { model: run.model } : {}),
          },
          aiperfTimeoutS: args['aiperf-timeout'],
          trials: args.trials,
        },
        {
          stop: signals.stop.signal,
          cancel: signals.cancel.signal,
          log: (l) => process.stderr.write(`mmload: ${l}\n`),
        },
      );
      process.stdout.write(formatCrosscheck(out.result));
      process.stdout.write(
        `Token counts (ISL, OSL): mmload from ${out.tokenSources.mmload}; AIPerf from ${out.tokenSources.aiperf}\n`,
      );
      for (const w of out.warnings) process.stderr.write(`mmload: warning: ${w}\n`);
      process.stderr.write(`mmload: both runs' artifacts, crosscheck.json and report.html in ${out.dir}\n`);
      process.exitCode = out.result.agree ? 0 : 1;
    } finally {
      signals.dispose();
    }
  },
};
