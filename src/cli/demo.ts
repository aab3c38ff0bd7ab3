import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { generateDataset, RECIPE_DEFAULTS } from '../dataset/generate.js';
import type { RunProgress } from '../driver/run.js';
import { runBenchmark } from '../harness/benchmark.js';
import { makeDir } from '../util/make-dir.js';
import { createProgress } from '../util/progress.js';
import { printOutcome, progressLine, stopSignals } from './run.js';

interface DemoArgs {
  dir: string;
}

/**
 * `npm start`: the whole pipeline on a small workload in a few seconds: generate a sliding-window
 * dataset (the recipe's shape, scaled down), replay it against the embedded mock (visible
 * latency, embedding cache on), print the table, write the artifacts and the HTML report.
 */
export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe:
    'Generate a small sliding-window dataset and replay it against the embedded mock (what `npm start` runs)',
  builder: (y) =>
    y.option('dir', {
      type: 'string',
      default: 'artifacts/demo',
      describe: 'where the dataset and results go',
    }) as never,
  handler: async (args) => {
    const dataset = join(args.dir, 'demo_6u_4t_3w.jsonl');
    const out = process.stderr;
    out.write(
      `mmload demo: generating ${dataset} (6 users x 4 turns, window 3, 320x240 noise PNGs, 300 words)\n`,
    );
    await makeDir(args.dir);
    await generateDataset({
      ...RECIPE_DEFAULTS,
      users: 6,
      turns: 4,
      window: 3,
      words: 300,
      width: 320,
      height: 240,
      output: dataset,
      force: true,
    });
    const runDir = join(args.dir, `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    out.write(
      'mmload demo: replaying it against the embedded mock (TTFT 40 ms + prefill + 15 ms per uncached image, ITL 4 ms)\n',
    );
    const signals = stopSignals();
    let last: RunProgress = { phase: 'warmup', done: 0, failed: 0, inFlight: 0, elapsedS: 0 };
    const progress = createProgress(() => progressLine(last), { enabled: true });
    try {
      const outcome = await runBenchmark(
        {
          dataset,
          concurrency: 6,
          maxTokens: 32,
          extraInputs: { min_tokens: 32, ignore_eos: true },
          warmupRequests: 0,
          artifactDir: runDir,
          label: 'demo',
        },
        {},
        {
          stop: signals.stop.signal,
          cancel: signals.cancel.signal,
          log: (l) => out.write(`mmload: ${l}\n`),
          onProgress: (p) => {
            last = p;
            progress.update();
          },
        },
      );
      progress.done();
      printOutcome(outcome, { quiet: false, maxErrorRate: 0 });
      const mock = (outcome.summary.config as { embeddedMock?: { imageHits?: number; imageMisses?: number } })
        .embeddedMock;
      if (mock?.imageHits !== undefined) {
        process.stdout.write(
          `Embedded mock image cache: ${mock.imageHits} hits, ${mock.imageMisses} misses (the sliding window reuses images)\n`,
        );
      }
      process.stdout.write(
        `\nArtifacts: ${outcome.artifactDir}/ (report.html, profile_export_mmload.json, records.jsonl, histograms.hlog)\n` +
          `Next: mmload report ${outcome.artifactDir} -o report.html, or mmload run <your.jsonl> --url http://127.0.0.1:8000\n`,
      );
    } finally {
      signals.dispose();
    }
  },
};
