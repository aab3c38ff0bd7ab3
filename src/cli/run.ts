import type { Argv, CommandModule } from 'yargs';
import type { Arrival } from '../driver/arrivals.js';
import { PRESETS, RUN_DEFAULTS, type RunOptions } from '../driver/options.js';
import { parseExtraInputs } from '../driver/request.js';
import { type RunProgress, runLoad } from '../driver/run.js';
import { parseShard, shardFromEnv } from '../driver/shard.js';
import { parseStartAt } from '../driver/start-at.js';
import { formatRunTable } from '../metrics/table.js';
import { UserError } from '../util/errors.js';
import { formatDuration } from '../util/format.js';
import { createProgress } from '../util/progress.js';

interface RunArgs {
  dataset: string;
  url?: string;
  endpoint?: string;
  model?: string;
  'api-key-env'?: string;
  concurrency?: number;
  'request-rate'?: number;
  arrival: Arrival;
  burstiness: number;
  seed: number;
  'warmup-requests'?: number;
  'request-count'?: number;
  sessions?: number;
  duration?: number;
  timeout: number;
  grace: number;
  'max-tokens'?: number;
  'max-completion-tokens': boolean;
  'extra-inputs': string[];
  usage: boolean;
  'artifact-dir'?: string;
  'max-error-rate': number;
  'skip-invalid': boolean;
  preconnect: boolean;
  preset?: string;
  shard?: string;
  'start-at'?: string;
  label?: string;
  quiet: boolean;
  'mock-ttft-ms'?: number;
  'mock-itl-ms'?: number;
}

function timestampDir(): string {
  return `artifacts/${new Date()
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z')}`;
}

/** Flags -> RunOptions: explicit flags win over the preset, the preset over the defaults. */
export function runOptionsFromArgs(a: RunArgs, env: NodeJS.ProcessEnv): RunOptions {
  const preset = a.preset ? PRESETS[a.preset] : {};
  if (!preset)
    throw new UserError(`--preset ${a.preset}: unknown (known: ${Object.keys(PRESETS).join(', ')})`);
  let apiKey: string | undefined;
  if (a['api-key-env']) {
    apiKey = env[a['api-key-env']];
    if (!apiKey)
      throw new UserError(`--api-key-env ${a['api-key-env']}: that environment variable is not set or empty`);
  }
  const rateMode = a['request-rate'] !== undefined;
  const extra = { ...preset.extraInputs, ...parseExtraInputs(a['extra-inputs'] ?? []) };
  const shard = a.shard ? parseShard(a.shard) : shardFromEnv(env);
  return {
    ...RUN_DEFAULTS,
    ...preset,
    dataset: a.dataset,
    url: a.url,
    endpoint: a.endpoint ?? RUN_DEFAULTS.endpoint,
    model: a.model ?? RUN_DEFAULTS.model,
    apiKey,
    concurrency:
      a.concurrency ?? preset.concurrency ?? (rateMode ? Number.POSITIVE_INFINITY : RUN_DEFAULTS.concurrency),
    requestRate: a['request-rate'],
    arrival: a.arrival,
    burstiness: a.burstiness,
    seed: a.seed,
    warmupRequests: a['warmup-requests'] ?? preset.warmupRequests ?? RUN_DEFAULTS.warmupRequests,
    requestCount: a['request-count'],
    sessions: a.sessions,
    durationS: a.duration,
    timeoutS: a.timeout,
    graceS: a.grace,
    maxTokens: a['max-tokens'] ?? preset.maxTokens,
    useMaxCompletionTokens: a['max-completion-tokens'],
    includeUsage: a.usage,
    extraInputs: extra,
    artifactDir: a['artifact-dir'] ?? timestampDir(),
    maxErrorRate: a['max-error-rate'],
    skipInvalid: a['skip-invalid'],
    preconnect: a.preconnect,
    shard,
    startAtMs: a['start-at'] ? parseStartAt(a['start-at'], Date.now()) : undefined,
    label: a.label,
    mock: {
      ...(a['mock-ttft-ms'] !== undefined ? { ttftMs: a['mock-ttft-ms'] } : {}),
      ...(a['mock-itl-ms'] !== undefined ? { itlMs: a['mock-itl-ms'] } : {}),
    },
  };
}

export function progressLine(p: RunProgress): string {
  const rps = p.elapsedS > 0 ? (p.done / p.elapsedS).toFixed(2) : '-';
  const of = p.total ? `/${p.total}` : '';
  const ttft = p.ttftP50Ms !== undefined ? `${p.ttftP50Ms.toFixed(1)} ms` : '-';
  return `${p.phase} ${p.done}${of} done, ${p.inFlight} in flight, ${p.failed} failed | ${rps} req/s | TTFT p50 ${ttft} | ${formatDuration(p.elapsedS)}`;
}

/** SIGINT/SIGTERM: the first stops sending (grace for in-flight), the second cancels in flight. */
export function stopSignals(): { stop: AbortController; cancel: AbortController; dispose(): void } {
  const stop = new AbortController();
  const cancel = new AbortController();
  const on = () => {
    if (!stop.signal.aborted) {
      process.stderr.write(
        '\nmmload: stopping: no new requests; in-flight ones get the grace period (Ctrl-C again to cancel them)\n',
      );
      stop.abort();
    } else cancel.abort();
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

/** The run flags, shared by `run` and `crosscheck`. */
// biome-ignore lint/suspicious/noExplicitAny: yargs builders are typed per command
export function withRunOptions(y: Argv<any>): Argv<any> {
  return y
    .option('url', {
      type: 'string',
      describe: 'server base URL, e.g. http://127.0.0.1:8000 (none: the embedded mock)',
    })
    .option('endpoint', {
      type: 'string',
      describe: 'chat completions path [default: /v1/chat/completions]',
    })
    .option('model', {
      type: 'string',
      describe: 'model name sent in every request [default: mmload-mock]',
    })
    .option('api-key-env', {
      type: 'string',
      describe: 'environment variable holding a bearer token (never logged)',
    })
    .option('preset', {
      type: 'string',
      choices: Object.keys(PRESETS),
      describe:
        "the recipe's AIPerf flags: qwen36 = concurrency 30, max_tokens 1024, min_tokens 1024, ignore_eos, 2 warm-up requests",
    })
    .option('concurrency', {
      type: 'number',
      describe:
        'sessions in flight at most (AIPerf meaning); with --request-rate, a cap on requests in flight [default: 1]',
    })
    .option('request-rate', {
      type: 'number',
      describe: 'requests/s following a plan fixed in advance (rate mode)',
    })
    .option('arrival', {
      choices: ['constant', 'poisson', 'gamma'] as const,
      default: 'constant' as Arrival,
      describe: 'rate mode: intervals between sends',
    })
    .option('burstiness', {
      type: 'number',
      default: 1,
      describe: 'gamma arrivals: shape (1 = Poisson, < 1 burstier)',
    })
    .option('seed', { type: 'number', default: 0, describe: 'seed of the arrival plan' })
    .option('warmup-requests', {
      type: 'number',
      describe:
        'requests sent before measuring, not counted: the first N rows of the file. They warm the server, ' +
        "including its caches: those rows' images are then cached when the measured replay sends them again [default: 0]",
    })
    .option('request-count', {
      type: 'number',
      describe: 'stop after N measured requests (cuts sessions short, as AIPerf)',
    })
    .option('sessions', { type: 'number', describe: "only the file's first N sessions, each sent whole" })
    .option('duration', {
      type: 'number',
      describe: 'stop sending after N seconds; in-flight requests finish',
    })
    .option('timeout', {
      type: 'number',
      default: 600,
      describe: 'per-request timeout in seconds (0 = none)',
    })
    .option('grace', {
      type: 'number',
      default: 30,
      describe: 'seconds in-flight requests get after Ctrl-C or --duration',
    })
    .option('max-tokens', { type: 'number', describe: 'output token limit per request' })
    .option('max-completion-tokens', {
      type: 'boolean',
      default: false,
      describe: 'send the limit as max_completion_tokens instead of max_tokens',
    })
    .option('extra-inputs', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe:
        "key:value merged into every body, AIPerf's syntax (min_tokens:1024 ignore_eos:true) or a JSON object",
    })
    .option('usage', {
      type: 'boolean',
      default: true,
      describe:
        'ask for usage in the stream (stream_options.include_usage); --no-usage counts chunks instead',
    })
    .option('artifact-dir', {
      type: 'string',
      describe: 'where results go [default: artifacts/<timestamp>]',
    })
    .option('max-error-rate', {
      type: 'number',
      default: 0,
      describe: 'fraction of failed requests that still exits 0',
    })
    .option('skip-invalid', {
      type: 'boolean',
      default: false,
      describe: 'skip bad dataset lines instead of failing',
    })
    .option('preconnect', {
      type: 'boolean',
      default: true,
      describe:
        'open the connections (one GET of /v1/models each, not counted) before the first timed request, so no TTFT holds a TCP connect; AIPerf does not, its first requests include the connect: --no-preconnect to measure that way',
    })
    .option('shard', {
      type: 'string',
      describe:
        'i/N: run shard i of N (whole sessions, round-robin); in a Kubernetes Indexed Job, from JOB_COMPLETION_INDEX and MMLOAD_SHARD_COUNT',
    })
    .option('start-at', {
      type: 'string',
      describe: 'begin measuring at this time (ISO-8601, epoch s, or +SECONDS): shards start together',
    })
    .option('label', {
      type: 'string',
      describe: 'name of this result in compare and report [default: artifact dir name]',
    })
    .option('mock-ttft-ms', {
      type: 'number',
      describe: 'embedded mock only: base time to first token [default: 40]',
    })
    .option('mock-itl-ms', {
      type: 'number',
      describe: 'embedded mock only: inter-token latency [default: 4]',
    })
    .option('quiet', {
      type: 'boolean',
      default: false,
      describe: 'no progress line and no table, only errors',
    });
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <dataset>',
  describe: 'Replay a single_turn JSONL against an endpoint, session by session, and measure TTFT, ITL, RPS',
  builder: (y) =>
    withRunOptions(
      y.positional('dataset', {
        type: 'string',
        demandOption: true,
        describe: 'AIPerf single_turn JSONL (streamed, any size)',
      }),
    )
      .example('$0 run data.jsonl', 'replay against the embedded mock')
      .example(
        '$0 run 30u_8t_5w_8000word_base64.jsonl --url http://127.0.0.1:8000 --model Qwen/Qwen3.6-35B-A3B-FP8 --preset qwen36',
        "the recipe's workload",
      ) as never,
  handler: async (args) => {
    const options = runOptionsFromArgs(args, process.env);
    const signals = stopSignals();
    const progress = createProgress(() => progressLine(last), { enabled: !args.quiet });
    let last: RunProgress = { phase: 'warmup', done: 0, failed: 0, inFlight: 0, elapsedS: 0 };
    try {
      const outcome = await runLoad(options, {
        stop: signals.stop.signal,
        cancel: signals.cancel.signal,
        log: (line) => process.stderr.write(`mmload: ${line}\n`),
        onProgress: (p) => {
          last = p;
          progress.update();
        },
      });
      progress.done();
      if (!args.quiet) process.stdout.write(`${formatRunTable(outcome.summary)}\n`);
      for (const w of outcome.summary.client?.warnings ?? []) process.stderr.write(`mmload: warning: ${w}\n`);
      if (outcome.abortReason) process.stderr.write(`mmload: run ended early: ${outcome.abortReason}\n`);
      process.stderr.write(
        `mmload: artifacts in ${outcome.artifactDir} (report.html, profile_export_mmload.json, records.jsonl, ...)\n`,
      );
      if (outcome.exitCode === 1 && outcome.summary.errorCount > 0) {
        process.stderr.write(
          `mmload: ${outcome.summary.errorCount} request(s) failed (above --max-error-rate ${options.maxErrorRate})\n`,
        );
      }
      process.exitCode = outcome.exitCode;
    } finally {
      signals.dispose();
    }
  },
};
