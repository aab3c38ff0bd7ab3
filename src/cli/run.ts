import type { CommandModule } from 'yargs';
import { PLAN_DEFAULTS, resolvePlanOptions } from '../driver/options.js';
import type { RunOutcome, RunProgress } from '../driver/run.js';
import { EMBEDDED_MOCK, runBenchmark } from '../harness/benchmark.js';
import { planKind } from '../harness/plan-kind.js';
import { formatErrors } from '../metrics/errors.js';
import { stat } from '../metrics/summary.js';
import { formatRunTable } from '../metrics/table.js';
import { formatSearchTable, formatSweepTable, formatTrialsTable } from '../plan/format.js';
import type { PlanOutcome } from '../plan/run-plan.js';
import { serverMetricsBlock } from '../server-metrics/console.js';
import { formatDuration } from '../util/format.js';
import { createProgress } from '../util/progress.js';
import { type CliOnlyArgs, mockFromArgs, planFromArgs, withPlanFlags, withRunFlags } from './run-flags.js';

export function progressLine(p: RunProgress): string {
  const rps = p.elapsedS > 0 ? (p.done / p.elapsedS).toFixed(2) : '-';
  const of = p.total ? `/${p.total}` : '';
  const ttft = p.ttftP50Ms !== undefined ? `${p.ttftP50Ms.toFixed(1)} ms` : '-';
  return `${p.phase} ${p.done}${of} done, ${p.inFlight} in flight, ${p.failed} failed | ${rps} req/s | TTFT p50 ${ttft} | ${formatDuration(p.elapsedS)}`;
}

/**
 * SIGINT/SIGTERM: the first stops sending (in-flight requests get the grace period), the second
 * cancels what is in flight. The stop signal's reason names the signal, for the exit code (130/143).
 */
export function stopSignals(graceS?: number): {
  stop: AbortController;
  cancel: AbortController;
  dispose(): void;
} {
  const stop = new AbortController();
  const cancel = new AbortController();
  const on = (sig: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      const grace = graceS === undefined ? 'the grace period' : `${graceS} s (--grace)`;
      process.stderr.write(
        `\nmmload: ${sig}: stopping: no new requests; in-flight ones get ${grace} (${sig} again cancels them)\n`,
      );
      stop.abort(sig);
    } else cancel.abort(sig);
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    stop,
    cancel,
    dispose() {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}

/** One line that says how the run went (printed even with --quiet). */
export function finalLine(o: RunOutcome): string {
  const s = o.summary;
  const rps = stat(s, 'request_throughput', 'avg');
  const ttft = stat(s, 'time_to_first_token', 'p50');
  const resent = s.client?.resends ? `, ${s.client.resends} resent` : '';
  return (
    `${s.requestCount} ok, ${s.errorCount} failed${resent}` +
    ` | ${rps === undefined ? '-' : rps.toFixed(3)} req/s | TTFT p50 ${ttft === undefined ? '-' : `${ttft.toFixed(1)} ms`}` +
    ` | results in ${o.artifactDir}`
  );
}

/** Prints a finished run: the table (unless quiet), warnings, what could not be written, the final line; sets the exit code. */
export function printOutcome(o: RunOutcome, opts: { quiet: boolean; maxErrorRate: number }): void {
  const err = (line: string) => process.stderr.write(`mmload: ${line}\n`);
  if (!opts.quiet) process.stdout.write(`${formatRunTable(o.summary)}\n`);
  const server = opts.quiet ? undefined : serverMetricsBlock(o);
  if (server) process.stdout.write(`\n${server}`);
  // The table lists the failures' messages; --quiet still says what the server answered.
  else for (const line of formatErrors(o.summary.errorDetails, 5)) err(line);
  if (!opts.quiet) for (const w of o.summary.client?.warnings ?? []) err(`warning: ${w}`);
  if (o.abortReason) err(`run ended early: ${o.abortReason}`);
  for (const f of o.unwritten) err(`could not write ${f.path}: ${f.error}`);
  if (o.unwritten.length > 0)
    err('the summary above is complete; free the disk or fix the permissions and keep this output');
  if (o.exitCode === 1 && o.summary.errorCount > 0) {
    err(`${o.summary.errorCount} request(s) failed (above --max-error-rate ${opts.maxErrorRate})`);
  }
  err(finalLine(o));
  process.exitCode = o.exitCode;
}

/** Prints a finished plan: its table (unless quiet), what could not be written, one closing line; sets the exit code. */
export function printPlanOutcome(o: PlanOutcome, opts: { quiet: boolean; sloAttainment: number }): void {
  const err = (line: string) => process.stderr.write(`mmload: ${line}\n`);
  if (!opts.quiet) {
    const table =
      o.kind === 'trials'
        ? formatTrialsTable(o)
        : o.kind === 'sweep'
          ? formatSweepTable(o)
          : formatSearchTable(o, opts.sloAttainment);
    process.stdout.write(table);
  }
  for (const f of o.unwritten) err(`could not write ${f.path}: ${f.error}`);
  const failed = o.runs.filter((r) => r.outcome.exitCode === 1).length;
  if (failed > 0 && o.kind !== 'search')
    err(`${failed} run(s) failed requests above --max-error-rate (see each run's line above)`);
  if (o.interrupted)
    err(`stopped by ${o.signal}: the runs that finished are aggregated; the partial one is kept`);
  const found =
    o.kind === 'search'
      ? o.search?.feasibleMax !== undefined
        ? ` | max-goodput at ${o.param === 'concurrency' ? 'concurrency' : 'rate'} ${o.search.feasibleMax}`
        : ' | no load met the objective'
      : '';
  err(`${o.kind}: ${o.runs.length} run(s)${found} | results in ${o.artifactDir}`);
  process.exitCode = o.exitCode;
}

export const runCommand: CommandModule<object, CliOnlyArgs & Record<string, unknown>> = {
  command: 'run <dataset>',
  describe: 'Replay a single_turn JSONL against an endpoint, session by session, and measure TTFT, ITL, RPS',
  builder: (y) =>
    withPlanFlags(
      withRunFlags(
        y.positional('dataset', {
          type: 'string',
          demandOption: true,
          describe: 'AIPerf single_turn JSONL (streamed, any size)',
        }),
        { sweeps: true },
      ),
    )
      .example('$0 run data.jsonl', 'replay against the embedded mock')
      .example('$0 run data.jsonl --trials 5', 'five runs and the confidence interval of every metric')
      .example(
        '$0 run data.jsonl --concurrency 1,2,4,8,16,30',
        'a sweep: one run per concurrency, and the knee',
      )
      .example(
        '$0 run data.jsonl --search max-goodput --concurrency 1,64 --goodput "time_to_first_token:2000"',
        'the highest concurrency at which 90 % of requests have TTFT <= 2 s',
      )
      .example(
        '$0 run 30u_8t_5w_8000word_base64.jsonl --url http://127.0.0.1:8000 --model Qwen/Qwen3.6-35B-A3B-FP8 --preset qwen36',
        "the recipe's workload",
      ) as never,
  handler: async (args) => {
    const { input, plan, load } = planFromArgs(args, process.env);
    const quiet = args.quiet === true;
    // --trials 0 and the like are refused even when they would leave a single run.
    resolvePlanOptions(plan);
    if (planKind(plan, load) !== 'single') return runPlanCommand(args, input, plan, load, quiet);
    const signals = stopSignals(typeof input.graceS === 'number' ? input.graceS : undefined);
    let last: RunProgress = { phase: 'warmup', done: 0, failed: 0, inFlight: 0, elapsedS: 0 };
    const progress = createProgress(() => progressLine(last), { enabled: !quiet });
    try {
      const outcome = await runBenchmark(
        input,
        { mock: { ...EMBEDDED_MOCK, ...mockFromArgs(args) }, announce: !quiet },
        {
          stop: signals.stop.signal,
          cancel: signals.cancel.signal,
          log: (line) => process.stderr.write(`mmload: ${line}\n`),
          onProgress: (p) => {
            last = p;
            progress.update();
          },
        },
      );
      progress.done();
      printOutcome(outcome, { quiet, maxErrorRate: outcome.summary.config?.maxErrorRate as number });
    } finally {
      signals.dispose();
    }
  },
};

/** `mmload run` with --trials, a list of loads or --search: the plan, one closing summary. */
async function runPlanCommand(
  args: CliOnlyArgs & Record<string, unknown>,
  input: ReturnType<typeof planFromArgs>['input'],
  plan: ReturnType<typeof planFromArgs>['plan'],
  load: ReturnType<typeof planFromArgs>['load'],
  quiet: boolean,
): Promise<void> {
  const signals = stopSignals(typeof input.graceS === 'number' ? input.graceS : undefined);
  let last: RunProgress = { phase: 'warmup', done: 0, failed: 0, inFlight: 0, elapsedS: 0 };
  let title = '';
  // One progress line per run: each run's ends with its own figures.
  const newProgress = () => createProgress(() => `[${title}] ${progressLine(last)}`, { enabled: !quiet });
  let progress = newProgress();
  const log = (line: string) => process.stderr.write(`mmload: ${line}\n`);
  try {
    // The plan's engine is loaded only for a plan: a single run starts without it.
    const { runPlanBenchmark } = await import('../harness/plan.js');
    const outcome = await runPlanBenchmark(
      input,
      plan,
      load,
      { mock: { ...EMBEDDED_MOCK, ...mockFromArgs(args) }, announce: !quiet },
      {
        stop: signals.stop.signal,
        cancel: signals.cancel.signal,
        log,
        onProgress: (p) => {
          last = p;
          progress.update();
        },
        onRun: (e) => {
          if (e.phase === 'start') {
            title = `${e.ordinal}${e.planned ? `/${e.planned}` : ''} ${e.title}`;
            last = { phase: 'warmup', done: 0, failed: 0, inFlight: 0, elapsedS: 0 };
            progress = newProgress();
            return;
          }
          progress.done();
          const o = e.outcome!;
          if (!quiet) for (const l of formatErrors(o.summary.errorDetails, 3)) log(`[${e.title}] ${l}`);
          for (const f of o.unwritten) log(`[${e.title}] could not write ${f.path}: ${f.error}`);
          if (!quiet) log(`[${e.title}] ${finalLine(o)}`);
        },
      },
    );
    progress.done();
    printPlanOutcome(outcome, { quiet, sloAttainment: plan.sloAttainment ?? PLAN_DEFAULTS.sloAttainment });
  } finally {
    signals.dispose();
  }
}
