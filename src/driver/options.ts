import { goodputProblem } from '../metrics/goodput.js';
import { UserError } from '../util/errors.js';
import type { Arrival } from './arrivals.js';
import { ENDPOINT_TYPES, type EndpointType, endpointOf } from './endpoints/endpoint.js';
import { DEFAULT_IMAGE_CACHE_MB } from './local-images.js';
import { parseExtraInputs } from './request.js';
import { parseShard, type Shard } from './shard.js';
import { parseStartAt } from './start-at.js';
import { redactUrl } from './target.js';

/** Everything a run needs. Built by resolveRunOptions from a partial input (the CLI's flags, or a library caller's object). */
export interface RunOptions {
  dataset: string;
  /** Base URL of the server (the driver drives a URL; starting a mock is the caller's business). */
  url: string;
  /** AIPerf's --endpoint-type: the request body and stream format. */
  endpointType: EndpointType;
  /** Path of the route (default: the endpoint type's, e.g. /v1/chat/completions). */
  endpoint: string;
  model: string;
  /** Bearer token (from the environment; never logged or written). */
  apiKey?: string;
  /** Sessions in flight at most (concurrency mode); in rate mode a cap on requests in flight (Infinity: none). */
  concurrency: number;
  /** Requests per second; undefined = concurrency mode (a session's next turn right after the last). */
  requestRate?: number;
  /** Trace replay: rows leave at their `timestamp` / after their `delay` (AIPerf's --fixed-schedule). */
  fixedSchedule: boolean;
  /** Fixed schedule: the earliest first-turn timestamp is time zero. */
  fixedScheduleAutoOffset: boolean;
  /** Fixed schedule: time zero (ms of the trace); sessions starting earlier are skipped. */
  fixedScheduleStartOffset?: number;
  /** Fixed schedule: nothing stamped later than this (ms of the trace) is sent. */
  fixedScheduleEndOffset?: number;
  arrival: Arrival;
  burstiness: number;
  seed: number;
  warmupRequests: number;
  /** Measured requests to send at most (may cut sessions short, as AIPerf's --request-count). */
  requestCount?: number;
  /** Only the file's first N sessions (before sharding: shards split these N). */
  sessions?: number;
  /** Seconds after which no new request is sent. */
  durationS?: number;
  /** Per-request timeout in seconds (0 = none). */
  timeoutS: number;
  /** Seconds in-flight requests get after a stop (Ctrl-C, SIGTERM, --duration) before they are cancelled. */
  graceS: number;
  maxTokens?: number;
  useMaxCompletionTokens: boolean;
  includeUsage: boolean;
  extraInputs: Record<string, unknown>;
  artifactDir: string;
  /** Fraction of failed requests that still exits 0. */
  maxErrorRate: number;
  skipInvalid: boolean;
  shard?: Shard;
  /** Epoch ms at which the measured phase may start (--start-at). */
  startAtMs?: number;
  label?: string;
  /**
   * Service level objectives in AIPerf's --goodput syntax, "time_to_first_token:2000
   * inter_token_latency:30" (display units: ms): the run counts the requests that meet every one.
   */
  goodput?: string;
  /**
   * Open the connections (one GET of the models route each) before the first timed request, so
   * that no TTFT holds a TCP handshake. AIPerf does not: its first requests include the connect.
   */
  preconnect: boolean;
  /** PEM file of the CA that signed an https server's certificate. */
  caCert?: string;
  /** Accept any https server certificate. */
  insecure: boolean;
  /** Directory that local image paths of the dataset must lie in (default: the dataset's directory). */
  imageRoot?: string;
  /** MiB for the data URLs of small local images, kept or in flight (see ImagePathCache); 0 streams every one. */
  imageCacheMb: number;
  /** Bytes of read-ahead rows kept in memory. */
  readAheadBytes?: number;
  /**
   * Prometheus endpoints scraped during the run besides the endpoint's own /metrics (AIPerf's
   * --server-metrics); false scrapes none (--no-server-metrics).
   */
  serverMetrics: string[] | false;
  /** Seconds between scrapes. */
  serverMetricsInterval: number;
  /** Which server metrics files to write. */
  serverMetricsFormats: ServerMetricsFormat[];
}

/** Server metrics files (src/server-metrics/export.ts): AIPerf's json, csv and jsonl, and mmload's raw scrapes. */
export const SERVER_METRICS_FORMATS = ['json', 'csv', 'jsonl', 'raw'] as const;
export type ServerMetricsFormat = (typeof SERVER_METRICS_FORMATS)[number];

/**
 * One option, declared once: its key, its flag, its type, its default, its help and its check.
 * The CLI's flags and help (src/cli/run-flags.ts) and the library's resolveRunOptions /
 * resolvePlanOptions are built from RUN_OPTION_SPECS and PLAN_OPTION_SPECS, so that help text
 * cannot drift from behaviour.
 */
export interface FlagSpec<O, K extends keyof O> {
  key: K;
  /** CLI flag (without --); absent for library-only options. */
  flag?: string;
  /** How the CLI reads it. 'list': repeatable string; 'text': a string parsed by `parse`. */
  type: 'string' | 'number' | 'integer' | 'boolean' | 'choice' | 'list' | 'text';
  choices?: readonly string[];
  default?: O[K];
  /** The default as help shows it, when it is computed (artifacts/<timestamp>) or not a plain value. */
  defaultText?: string;
  help: string;
  /** CLI value -> option value (start-at, shard, extra-inputs). */
  parse?: (raw: never) => O[K];
  /** A message when the value is wrong (the flag and the value are prefixed). */
  check?: (v: NonNullable<O[K]>) => string | undefined;
  /**
   * `mmload run` also takes a comma list (`--concurrency 1,2,4`): several values make a sweep,
   * one run per value (src/plan). The option itself always holds one value.
   */
  sweep?: true;
  group:
    | 'Endpoint'
    | 'Workload'
    | 'Load'
    | 'Stop'
    | 'Output'
    | 'Server metrics'
    | 'Scale-out'
    | 'Trials, sweeps and search';
}

/** A run option's spec. */
export type OptionSpec<K extends keyof RunOptions = keyof RunOptions> = FlagSpec<RunOptions, K>;

const positiveInt = (v: number) =>
  Number.isInteger(v) && v >= 1 ? undefined : 'must be a whole number >= 1';
const nonNegativeInt = (v: number) =>
  Number.isInteger(v) && v >= 0 ? undefined : 'must be a whole number >= 0';
const positive = (v: number) => (v > 0 && Number.isFinite(v) ? undefined : 'must be > 0');
const nonNegative = (v: number) => (v >= 0 && Number.isFinite(v) ? undefined : 'must be >= 0');

/** An option's spec, keeping whether it has a default in its type (RUN_DEFAULTS is typed from that). */
function spec<K extends keyof RunOptions, D extends RunOptions[K] | undefined = undefined>(
  s: OptionSpec<K> & { default?: D },
): OptionSpec<K> & { default: D } {
  return s as OptionSpec<K> & { default: D };
}

export const RUN_OPTION_SPECS = [
  spec({
    key: 'url',
    flag: 'url',
    type: 'string',
    group: 'Endpoint',
    help: 'server base URL, e.g. http://127.0.0.1:8000; credentials in it are sent as Basic auth and never shown',
    check: (v) => {
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        return 'not a URL (e.g. http://127.0.0.1:8000)';
      }
      return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : 'must be http or https';
    },
  }),
  spec({
    key: 'endpointType',
    flag: 'endpoint-type',
    type: 'choice',
    choices: ENDPOINT_TYPES,
    group: 'Endpoint',
    default: 'chat',
    help: "AIPerf's endpoint types: chat (/v1/chat/completions, text and images) or completions (/v1/completions, text only)",
  }),
  spec({
    key: 'endpoint',
    flag: 'endpoint',
    type: 'string',
    group: 'Endpoint',
    defaultText: "the endpoint type's route",
    help: 'path of the route, when the server does not use the standard one',
    check: (v) => (v.startsWith('/') ? undefined : 'must start with /'),
  }),
  spec({
    key: 'model',
    flag: 'model',
    type: 'string',
    group: 'Endpoint',
    default: 'mmload-mock',
    help: 'model name sent in every request',
  }),
  spec({
    key: 'apiKey',
    type: 'string',
    group: 'Endpoint',
    help: 'bearer token (the CLI reads it from the variable named by --api-key-env; never logged or written)',
  }),
  spec({
    key: 'caCert',
    flag: 'ca-cert',
    type: 'string',
    group: 'Endpoint',
    help: 'https: PEM file of the certificate authority that signed the server certificate (requests and /metrics scrapes)',
  }),
  spec({
    key: 'insecure',
    flag: 'insecure',
    type: 'boolean',
    group: 'Endpoint',
    default: false,
    help: 'https: accept any server certificate (self-signed, other host name): encrypted, not authenticated (requests and /metrics scrapes)',
  }),
  spec({
    key: 'timeoutS',
    flag: 'timeout',
    type: 'number',
    group: 'Endpoint',
    default: 600,
    help: 'per-request timeout in seconds (0 = none)',
    check: nonNegative,
  }),
  spec({
    key: 'preconnect',
    flag: 'preconnect',
    type: 'boolean',
    group: 'Endpoint',
    default: true,
    help:
      'open the connections (one GET of /v1/models each, not counted) before the first timed request, so that no TTFT ' +
      'holds a TCP connect; AIPerf does not: --no-preconnect measures as it does',
  }),
  spec({
    key: 'maxTokens',
    flag: 'max-tokens',
    type: 'integer',
    group: 'Workload',
    help: 'output token limit per request',
    check: positiveInt,
  }),
  spec({
    key: 'useMaxCompletionTokens',
    flag: 'max-completion-tokens',
    type: 'boolean',
    group: 'Workload',
    default: false,
    help: 'send the limit as max_completion_tokens instead of max_tokens',
  }),
  spec({
    key: 'extraInputs',
    flag: 'extra-inputs',
    type: 'list',
    group: 'Workload',
    default: {},
    defaultText: 'none',
    help: "key:value merged into every body, AIPerf's syntax (min_tokens:1024 ignore_eos:true) or a JSON object",
    parse: (raw: string[]) => parseExtraInputs(raw),
  }),
  spec({
    key: 'includeUsage',
    flag: 'usage',
    type: 'boolean',
    group: 'Workload',
    default: true,
    help: 'ask for usage in the stream (stream_options.include_usage); --no-usage counts chunks instead',
  }),
  spec({
    key: 'imageRoot',
    flag: 'image-root',
    type: 'string',
    group: 'Workload',
    defaultText: "the dataset file's directory",
    help: 'local image paths of the dataset must lie in this directory (symlinks resolved); / allows any',
  }),
  spec({
    key: 'imageCacheMb',
    flag: 'image-cache-mb',
    type: 'integer',
    group: 'Workload',
    default: DEFAULT_IMAGE_CACHE_MB,
    help: 'MiB of memory for the data URLs of local images (path datasets) under 1 MiB, kept for the rows that name them again or held by uploads in flight; larger images, and those with no room, are streamed from their files as they upload. 0 streams every image',
    check: nonNegativeInt,
  }),
  spec({
    key: 'skipInvalid',
    flag: 'skip-invalid',
    type: 'boolean',
    group: 'Workload',
    default: false,
    help: 'skip bad dataset lines instead of failing',
  }),
  spec({
    key: 'warmupRequests',
    flag: 'warmup-requests',
    type: 'integer',
    group: 'Workload',
    default: 0,
    help:
      "requests sent before measuring, not counted: the file's first N rows. They warm the server, its caches " +
      "included: those rows' images are then cached when the measured replay sends them again",
    check: nonNegativeInt,
  }),
  spec({
    key: 'sessions',
    flag: 'sessions',
    type: 'integer',
    group: 'Workload',
    help: "only the file's first N sessions, each sent whole",
    check: positiveInt,
  }),
  spec({
    key: 'concurrency',
    flag: 'concurrency',
    type: 'integer',
    group: 'Load',
    default: 1,
    defaultText: '1; with --request-rate: no cap',
    help: 'sessions in flight at most (AIPerf meaning); with --request-rate, a cap on requests in flight',
    check: (v) => (v === Number.POSITIVE_INFINITY ? undefined : positiveInt(v)),
    sweep: true,
  }),
  spec({
    key: 'requestRate',
    flag: 'request-rate',
    type: 'number',
    group: 'Load',
    help: 'requests/s following a plan fixed in advance (rate mode)',
    check: (v) => (v > 0 && Number.isFinite(v) ? undefined : 'must be a positive number of requests/s'),
    sweep: true,
  }),
  spec({
    key: 'arrival',
    flag: 'arrival',
    type: 'choice',
    choices: ['constant', 'poisson', 'gamma'],
    group: 'Load',
    default: 'constant',
    help: 'rate mode: intervals between sends',
  }),
  spec({
    key: 'burstiness',
    flag: 'burstiness',
    type: 'number',
    group: 'Load',
    default: 1,
    help: 'gamma arrivals: shape (1 = Poisson, < 1 burstier)',
    check: positive,
  }),
  spec({
    key: 'fixedSchedule',
    flag: 'fixed-schedule',
    type: 'boolean',
    group: 'Load',
    default: false,
    help:
      "trace replay: each session's first row leaves at its timestamp (ms), later rows at theirs or after their delay, " +
      "each after the previous turn completed (AIPerf's --fixed-schedule)",
  }),
  spec({
    key: 'fixedScheduleAutoOffset',
    flag: 'fixed-schedule-auto-offset',
    type: 'boolean',
    group: 'Load',
    default: false,
    help: 'fixed schedule: the earliest timestamp is time zero (start at once)',
  }),
  spec({
    key: 'fixedScheduleStartOffset',
    flag: 'fixed-schedule-start-offset',
    type: 'integer',
    group: 'Load',
    help: 'fixed schedule: time zero in ms of the trace; sessions that start earlier are skipped',
    check: nonNegativeInt,
  }),
  spec({
    key: 'fixedScheduleEndOffset',
    flag: 'fixed-schedule-end-offset',
    type: 'integer',
    group: 'Load',
    help: 'fixed schedule: rows stamped later than this (ms of the trace) are not sent',
    check: nonNegativeInt,
  }),
  spec({
    key: 'seed',
    flag: 'seed',
    type: 'integer',
    group: 'Load',
    default: 0,
    help: 'seed of the arrival plan',
  }),
  spec({
    key: 'requestCount',
    flag: 'request-count',
    type: 'integer',
    group: 'Stop',
    help: 'stop after N measured requests (cuts sessions short, as AIPerf)',
    check: positiveInt,
  }),
  spec({
    key: 'durationS',
    flag: 'duration',
    type: 'number',
    group: 'Stop',
    help: 'stop sending after N seconds; in-flight requests get --grace',
    check: positive,
  }),
  spec({
    key: 'graceS',
    flag: 'grace',
    type: 'number',
    group: 'Stop',
    default: 30,
    help: 'seconds in-flight requests get after Ctrl-C, SIGTERM or --duration; then they are cancelled',
    check: nonNegative,
  }),
  spec({
    key: 'maxErrorRate',
    flag: 'max-error-rate',
    type: 'number',
    group: 'Stop',
    default: 0,
    help: 'fraction of failed requests that still exits 0',
    check: (v) => (v >= 0 && v <= 1 ? undefined : 'must be within 0..1'),
  }),
  spec({
    key: 'artifactDir',
    flag: 'artifact-dir',
    type: 'string',
    group: 'Output',
    defaultText: 'artifacts/<timestamp>',
    help: 'where results go (checked before the first request)',
  }),
  spec({
    key: 'label',
    flag: 'label',
    type: 'string',
    group: 'Output',
    defaultText: 'the artifact dir name',
    help: 'name of this result in compare and report',
  }),
  spec({
    key: 'serverMetrics',
    flag: 'server-metrics',
    type: 'list',
    group: 'Server metrics',
    default: [],
    defaultText: "the endpoint's own /metrics",
    help:
      "more Prometheus endpoints to scrape during the run besides the endpoint's own /metrics (repeatable: workers, " +
      'a router, a frontend; host:port means host:port/metrics); --no-server-metrics scrapes none',
    parse: (raw: Array<string | boolean>) =>
      raw.some((v) => v === false) ? false : raw.flatMap((v) => String(v).split(/[\s,]+/)).filter(Boolean),
    check: (v) => {
      if (v === false) return undefined;
      for (const u of v) {
        try {
          const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(u) ? u : `http://${u}`);
          if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${u}: must be http or https`;
        } catch {
          return `${u}: not a URL (e.g. 127.0.0.1:8081 or http://worker:9090/metrics)`;
        }
      }
      return undefined;
    },
  }),
  spec({
    key: 'serverMetricsInterval',
    flag: 'server-metrics-interval',
    type: 'number',
    group: 'Server metrics',
    default: 1,
    help: "seconds between scrapes of the server's metrics (AIPerf: AIPERF_SERVER_METRICS_COLLECTION_INTERVAL)",
    check: (v) => (v >= 0.05 && Number.isFinite(v) ? undefined : 'must be >= 0.05 s'),
  }),
  spec({
    key: 'serverMetricsFormats',
    flag: 'server-metrics-formats',
    type: 'list',
    group: 'Server metrics',
    default: ['json', 'csv', 'jsonl', 'raw'],
    defaultText: 'json csv jsonl raw',
    help:
      "server metrics files: json and csv (AIPerf's summary over the profiling window), jsonl (every scrape, AIPerf's " +
      'records), raw (the scrapes as the server sent them, gzipped); AIPerf writes only json and csv unless asked',
    parse: (raw: string[]) =>
      raw.flatMap((v) => String(v).split(/[\s,]+/)).filter(Boolean) as ServerMetricsFormat[],
    check: (v) => {
      const bad: string | undefined = v.find(
        (f) => !(SERVER_METRICS_FORMATS as readonly string[]).includes(f),
      );
      if (bad === 'parquet') return 'parquet is not written by mmload (json, csv, jsonl, raw)';
      return bad === undefined ? undefined : `${bad}: not one of ${SERVER_METRICS_FORMATS.join(', ')}`;
    },
  }),
  spec({
    key: 'goodput',
    flag: 'goodput',
    type: 'string',
    group: 'Output',
    help:
      "service level objectives, AIPerf's syntax: 'time_to_first_token:2000 inter_token_latency:30 request_latency:60000' " +
      '(ms; tokens/s for output_token_throughput_per_user, which must be at least its value): a valid request that ' +
      'meets all is good; reports good_request_count, goodput (good requests/s) and good_request_fraction',
    check: goodputProblem,
  }),
  spec({
    key: 'shard',
    flag: 'shard',
    type: 'text',
    group: 'Scale-out',
    help: 'i/N: run shard i of N (whole sessions, round-robin); in a Kubernetes Indexed Job, from JOB_COMPLETION_INDEX and MMLOAD_SHARD_COUNT',
    parse: (raw: string) => parseShard(raw),
  }),
  spec({
    key: 'startAtMs',
    flag: 'start-at',
    type: 'text',
    group: 'Scale-out',
    help: 'begin measuring at this time (ISO-8601, epoch s, or +SECONDS): shards start together',
    parse: (raw: string) => parseStartAt(raw, Date.now()),
  }),
  spec({
    key: 'dataset',
    type: 'string',
    group: 'Workload',
    help: 'AIPerf single_turn JSONL (streamed, any size)',
  }),
  spec({
    key: 'readAheadBytes',
    type: 'integer',
    group: 'Workload',
    help: 'bytes of read-ahead rows kept in memory (default 256 MiB)',
    check: positiveInt,
  }),
] as const;

// Every RunOptions key is declared exactly once above: adding a field without its spec does not compile.
type DeclaredKeys = (typeof RUN_OPTION_SPECS)[number]['key'];
const _everyKeyDeclared: Record<Exclude<keyof RunOptions, DeclaredKeys>, never> = {};
void _everyKeyDeclared;

/** Defaults of every option that has one. */
type Spec = (typeof RUN_OPTION_SPECS)[number];
export const RUN_DEFAULTS = Object.fromEntries(
  (RUN_OPTION_SPECS as readonly OptionSpec[])
    .filter((s) => s.default !== undefined)
    .map((s) => [s.key, s.default]),
) as { [S in Spec as S['default'] extends undefined ? never : S['key']]: RunOptions[S['key']] };

/**
 * `--preset qwen36`: the recipe's AIPerf flags (concurrency 30, max_tokens 1024, min_tokens
 * 1024, ignore_eos, 2 warm-up requests). Explicit options win over the preset.
 */
export const PRESETS: Record<string, Partial<RunOptions>> = {
  qwen36: {
    concurrency: 30,
    maxTokens: 1024,
    extraInputs: { min_tokens: 1024, ignore_eos: true },
    warmupRequests: 2,
  },
};

/** What a caller gives: the dataset, the URL and any option; the rest comes from the preset and the defaults. */
export type RunInput = Partial<RunOptions> & { dataset: string; url: string; preset?: string };

function flagName(s: OptionSpec): string {
  return s.flag ? `--${s.flag}` : s.key;
}

/** Checks every option against its spec; throws a UserError naming the flag and the value. */
export function validateRunOptions(o: RunOptions): void {
  for (const s of RUN_OPTION_SPECS as readonly OptionSpec[]) {
    const v = o[s.key];
    if (v === undefined || v === null) continue;
    if ((s.type === 'number' || s.type === 'integer') && (typeof v !== 'number' || Number.isNaN(v)))
      throw new UserError(`${flagName(s)} ${String(v)}: not a number`);
    const problem = s.check?.(v as never);
    if (problem) {
      const shown = s.key === 'url' ? redactUrl(String(v)) : String(v);
      throw new UserError(`${flagName(s)} ${shown}: ${problem}`);
    }
  }
  if (o.insecure && o.caCert) throw new UserError('--insecure and --ca-cert: choose one');
  if (o.fixedSchedule && o.requestRate !== undefined)
    throw new UserError('--fixed-schedule and --request-rate: the trace gives the send times; choose one');
  if (
    !o.fixedSchedule &&
    (o.fixedScheduleAutoOffset ||
      o.fixedScheduleStartOffset !== undefined ||
      o.fixedScheduleEndOffset !== undefined)
  )
    throw new UserError('--fixed-schedule-* options need --fixed-schedule');
  if (o.fixedScheduleAutoOffset && o.fixedScheduleStartOffset !== undefined)
    throw new UserError(
      '--fixed-schedule-auto-offset and --fixed-schedule-start-offset: choose one (as in AIPerf)',
    );
  if (
    o.fixedScheduleStartOffset !== undefined &&
    o.fixedScheduleEndOffset !== undefined &&
    o.fixedScheduleStartOffset > o.fixedScheduleEndOffset
  )
    throw new UserError('--fixed-schedule-start-offset must be <= --fixed-schedule-end-offset');
}

/**
 * The one way to a RunOptions: explicit values win over the preset, the preset over the
 * defaults; then every value is checked. The CLI and the library both come through here.
 */
export function resolveRunOptions(input: RunInput): RunOptions {
  const { preset: presetName, ...given } = input;
  const preset: Partial<RunOptions> | undefined = presetName === undefined ? {} : PRESETS[presetName];
  if (!preset)
    throw new UserError(`--preset ${presetName}: unknown (known: ${Object.keys(PRESETS).join(', ')})`);
  const defined = Object.fromEntries(
    Object.entries(given).filter(([, v]) => v !== undefined),
  ) as Partial<RunOptions>;
  // Rate and trace modes have no cap on requests in flight unless one is given.
  const rateMode = defined.requestRate !== undefined || defined.fixedSchedule === true;
  const o: RunOptions = {
    ...RUN_DEFAULTS,
    artifactDir: timestampDir(),
    ...preset,
    ...defined,
    endpoint: defined.endpoint ?? endpointOf(defined.endpointType ?? RUN_DEFAULTS.endpointType).path,
    extraInputs: { ...RUN_DEFAULTS.extraInputs, ...preset.extraInputs, ...defined.extraInputs },
    concurrency:
      defined.concurrency ??
      preset.concurrency ??
      (rateMode ? Number.POSITIVE_INFINITY : RUN_DEFAULTS.concurrency),
  } as RunOptions;
  validateRunOptions(o);
  return o;
}

/** artifacts/<UTC timestamp>, the default result directory. */
export function timestampDir(now = new Date()): string {
  return `artifacts/${now
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z')}`;
}

/** The options as written to run_config.json: no secret, no credentials in the URL. */
export function publicConfig(o: RunOptions): Record<string, unknown> {
  const { apiKey, ...rest } = o;
  return {
    ...rest,
    url: redactUrl(o.url),
    apiKey: apiKey ? '(from environment, not recorded)' : undefined,
  };
}

/**
 * How a plan repeats and varies runs (src/plan): trials, sweeps, the max-goodput search. Names
 * follow AIPerf 0.13's multi-run options where they mean the same (docs/run.md has the table).
 */
export interface PlanOptions {
  /** Runs of the same workload (AIPerf --num-profile-runs). */
  trials: number;
  /** Seconds between two trials (AIPerf --profile-run-cooldown-seconds). */
  trialCooldownS: number;
  /** Of the intervals over trials (AIPerf --confidence-level). */
  confidenceLevel: number;
  /**
   * 'first': warm-up requests before a point's first trial only (AIPerf's default,
   * --profile-run-disable-warmup-after-first); 'every': before each trial.
   */
  trialWarmup: 'first' | 'every';
  /**
   * 'same': every trial uses --seed (AIPerf's --set-consistent-seed, its default); 'vary': trial i
   * uses seed + i (AIPerf's --vary-seed-per-trial derives one by hashing instead).
   */
  trialSeed: 'same' | 'vary';
  /** Seconds between two points of a sweep or search (AIPerf --parameter-sweep-cooldown-seconds). */
  sweepCooldownS: number;
  /** 'max-goodput': AIPerf's max-goodput-under-slo recipe, by bisection (needs --goodput). */
  search?: 'max-goodput';
  /** Good requests / attempted requests a point must reach (AIPerf --slo-attainment-fraction). */
  sloAttainment: number;
  /** The search stops when its bracket is narrower than this fraction of its upper end. */
  searchPrecision: number;
}

const fraction01 = (v: number) => (v > 0 && v < 1 ? undefined : 'must be between 0 and 1 (exclusive)');

function planSpec<K extends keyof PlanOptions, D extends PlanOptions[K] | undefined = undefined>(
  s: FlagSpec<PlanOptions, K> & { default?: D },
): FlagSpec<PlanOptions, K> & { default: D } {
  return s as FlagSpec<PlanOptions, K> & { default: D };
}

export const PLAN_OPTION_SPECS = [
  planSpec({
    key: 'trials',
    flag: 'trials',
    type: 'integer',
    group: 'Trials, sweeps and search',
    default: 1,
    help:
      'run the workload N times (AIPerf --num-profile-runs): one sub-dir per trial and an aggregate with ' +
      "each metric's mean, std, min, max, cv and confidence interval",
    check: positiveInt,
  }),
  planSpec({
    key: 'trialCooldownS',
    flag: 'trial-cooldown',
    type: 'number',
    group: 'Trials, sweeps and search',
    default: 0,
    help: 'seconds to wait between trials (AIPerf --profile-run-cooldown-seconds)',
    check: nonNegative,
  }),
  planSpec({
    key: 'confidenceLevel',
    flag: 'confidence-level',
    type: 'number',
    group: 'Trials, sweeps and search',
    default: 0.95,
    help: 'of the intervals over trials (t-distribution, as AIPerf --confidence-level)',
    check: fraction01,
  }),
  planSpec({
    key: 'trialWarmup',
    flag: 'trial-warmup',
    type: 'choice',
    choices: ['first', 'every'],
    group: 'Trials, sweeps and search',
    default: 'first',
    help: "warm-up requests before each point's first trial only (as AIPerf) or before every trial",
  }),
  planSpec({
    key: 'trialSeed',
    flag: 'trial-seed',
    type: 'choice',
    choices: ['same', 'vary'],
    group: 'Trials, sweeps and search',
    default: 'same',
    help: 'every trial with --seed (the same arrivals: run-to-run noise only), or trial i with seed + i',
  }),
  planSpec({
    key: 'sweepCooldownS',
    flag: 'sweep-cooldown',
    type: 'number',
    group: 'Trials, sweeps and search',
    default: 0,
    help: 'seconds to wait between the points of a sweep or search (AIPerf --parameter-sweep-cooldown-seconds)',
    check: nonNegative,
  }),
  planSpec({
    key: 'search',
    flag: 'search',
    type: 'choice',
    choices: ['max-goodput'],
    group: 'Trials, sweeps and search',
    help:
      'max-goodput: the highest --concurrency LO,HI (or --request-rate LO,HI) at which at least --slo-attainment ' +
      'of the requests meet --goodput, by doubling then bisection; every point tried is kept',
  }),
  planSpec({
    key: 'sloAttainment',
    flag: 'slo-attainment',
    type: 'number',
    group: 'Trials, sweeps and search',
    default: 0.9,
    help: 'fraction of requests (failed ones count) that must meet every --goodput objective (AIPerf --slo-attainment-fraction)',
    check: (v) => (v > 0 && v <= 1 ? undefined : 'must be > 0 and <= 1'),
  }),
  planSpec({
    key: 'searchPrecision',
    flag: 'search-precision',
    type: 'number',
    group: 'Trials, sweeps and search',
    default: 0.05,
    help: 'the search stops when the load that met the objective and the one that did not are closer than this fraction',
    check: fraction01,
  }),
] as const;

// Every PlanOptions key is declared exactly once above.
type DeclaredPlanKeys = (typeof PLAN_OPTION_SPECS)[number]['key'];
const _everyPlanKeyDeclared: Record<Exclude<keyof PlanOptions, DeclaredPlanKeys>, never> = {};
void _everyPlanKeyDeclared;

/** A plan option's spec. */
export type PlanOptionSpec<K extends keyof PlanOptions = keyof PlanOptions> = FlagSpec<PlanOptions, K>;

export const PLAN_DEFAULTS = Object.fromEntries(
  (PLAN_OPTION_SPECS as readonly PlanOptionSpec[])
    .filter((s) => s.default !== undefined)
    .map((s) => [s.key, s.default]),
) as Omit<PlanOptions, 'search'>;

/** Defaults, then checks: the one way to a PlanOptions (the CLI and the library). */
export function resolvePlanOptions(input: Partial<PlanOptions> = {}): PlanOptions {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const o = { ...PLAN_DEFAULTS, ...defined } as PlanOptions;
  for (const s of PLAN_OPTION_SPECS as readonly PlanOptionSpec[]) {
    const v = o[s.key];
    if (v === undefined) continue;
    const name = s.flag ? `--${s.flag}` : s.key;
    if ((s.type === 'number' || s.type === 'integer') && (typeof v !== 'number' || Number.isNaN(v)))
      throw new UserError(`${name} ${String(v)}: not a number`);
    if (s.choices && !s.choices.includes(String(v)))
      throw new UserError(`${name} ${String(v)}: must be one of ${s.choices.join(', ')}`);
    const problem = s.check?.(v as never);
    if (problem) throw new UserError(`${name} ${String(v)}: ${problem}`);
  }
  return o;
}
