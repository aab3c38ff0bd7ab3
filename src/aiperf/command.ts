/**
 * AIPerf's command line for mmload's workload (pure: settings in, argv + env out).
 * Flags verified against the pinned AIPerf 0.13.0 (see docs/aiperf-notes.md).
 */

/** The AIPerf release that scripts/setup-aiperf.sh installs and these flags were verified on. */
export const AIPERF_VERSION = '0.13.0';

export interface AiperfSettings {
  /** Base URL of the server, e.g. http://127.0.0.1:8000 (AIPerf appends /v1/chat/completions). */
  url: string;
  model: string;
  /** AIPerf --endpoint-type; mmload's workload is `chat`. */
  endpoint?: string;
  /** A single_turn JSONL file. */
  datasetPath: string;
  /** Sessions in flight (omitted with a fixed schedule unless given). */
  concurrency?: number;
  /** Trace replay (AIPerf --fixed-schedule and its offsets, ms). */
  fixedSchedule?: { autoOffset: boolean; startOffsetMs?: number; endOffsetMs?: number };
  /**
   * Whole sessions to run (AIPerf --conversation-num). With single_turn it counts sessions, each
   * sent completely; without it AIPerf sends a request count (default 10) that cuts sessions.
   */
  sessions?: number;
  /** Cut by request count instead (AIPerf --request-count); may cut a session short. */
  requestCount?: number;
  maxTokens?: number;
  minTokens?: number;
  ignoreEos?: boolean;
  /** Merged into every request body (sent as one JSON --extra-inputs so that types survive). */
  extraInputs?: Record<string, unknown>;
  /** Warm-up requests (AIPerf --warmup-request-count); they consume the first session's first row. */
  warmup?: number;
  /** AIPerf --tokenizer: a local Hugging Face tokenizer directory (fixtures/tokenizer for the mock), or a hub name. */
  tokenizer: string;
  /** Bearer token (AIPerf --api-key; AIPerf redacts it in its exports). */
  apiKey?: string;
  /** Extra request headers (AIPerf --header Name:Value; redacted in its exports). */
  headers?: Record<string, string>;
  artifactDir: string;
  useServerTokenCount?: boolean;
  /** AIPerf's per-request timeout in seconds (--request-timeout-seconds). */
  requestTimeoutS?: number;
  /** Service level objectives in AIPerf's own syntax (--goodput "time_to_first_token:2000 ..."). */
  goodput?: string;
  /** Seconds AIPerf may take to load the dataset (AIPERF_DATASET_CONFIGURATION_TIMEOUT, default 300). */
  datasetTimeoutS?: number;
}

export interface AiperfCommand {
  /** Arguments after the executable (starting with `profile`). */
  args: string[];
  /** Variables to add to the environment. */
  env: Record<string, string>;
}

function positiveInt(name: string, v: number): string {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return String(v);
}

/** The request-body additions as one JSON object: limits first, then the user's extra inputs. */
export function extraInputsJson(s: AiperfSettings): string | undefined {
  const extra: Record<string, unknown> = {};
  if (s.maxTokens !== undefined) extra.max_tokens = s.maxTokens;
  if (s.minTokens !== undefined) extra.min_tokens = s.minTokens;
  if (s.ignoreEos !== undefined) extra.ignore_eos = s.ignoreEos;
  Object.assign(extra, s.extraInputs);
  return Object.keys(extra).length > 0 ? JSON.stringify(extra) : undefined;
}

export function buildAiperfCommand(s: AiperfSettings): AiperfCommand {
  if (s.sessions !== undefined && s.requestCount !== undefined) {
    throw new RangeError('give either sessions or requestCount, not both');
  }
  const args = [
    'profile',
    '--model',
    s.model,
    '--url',
    s.url,
    '--endpoint-type',
    s.endpoint ?? 'chat',
    '--streaming',
    '--custom-dataset-type',
    'single_turn',
    '--input-file',
    s.datasetPath,
    '--tokenizer',
    s.tokenizer,
    '--artifact-dir',
    s.artifactDir,
    '--ui-type',
    'none',
    // Otherwise AIPerf polls <url>/metrics (Prometheus) during the run.
    '--no-server-metrics',
    '--no-gpu-telemetry',
  ];
  if (s.concurrency !== undefined) args.push('--concurrency', positiveInt('concurrency', s.concurrency));
  if (s.fixedSchedule) {
    args.push('--fixed-schedule');
    if (s.fixedSchedule.autoOffset) args.push('--fixed-schedule-auto-offset');
    if (s.fixedSchedule.startOffsetMs !== undefined)
      args.push('--fixed-schedule-start-offset', String(s.fixedSchedule.startOffsetMs));
    if (s.fixedSchedule.endOffsetMs !== undefined)
      args.push('--fixed-schedule-end-offset', String(s.fixedSchedule.endOffsetMs));
  }
  if (s.sessions !== undefined) args.push('--conversation-num', positiveInt('sessions', s.sessions));
  if (s.requestCount !== undefined) args.push('--request-count', positiveInt('requestCount', s.requestCount));
  if (s.warmup !== undefined && s.warmup > 0)
    args.push('--warmup-request-count', positiveInt('warmup', s.warmup));
  const extra = extraInputsJson(s);
  if (extra !== undefined) args.push('--extra-inputs', extra);
  if (s.useServerTokenCount) args.push('--use-server-token-count');
  if (s.apiKey) args.push('--api-key', s.apiKey);
  for (const [name, value] of Object.entries(s.headers ?? {})) args.push('--header', `${name}:${value}`);
  if (s.requestTimeoutS !== undefined) args.push('--request-timeout-seconds', String(s.requestTimeoutS));
  if (s.goodput !== undefined && s.goodput.trim() !== '') args.push('--goodput', s.goodput.trim());

  const env: Record<string, string> = {
    // NOT HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE: with either set, AIPerf 0.13.0 looks a local
    // tokenizer directory up in the hub cache and fails (common/tokenizer.py _from_pretrained_local).
    // A local directory loads without any network access; these keep the hub client quiet too.
    HF_HUB_DISABLE_TELEMETRY: '1',
    HF_HUB_DISABLE_UPDATE_CHECK: '1',
    // The rich console must not wrap log lines at 80 columns in the log file.
    COLUMNS: '200',
    NO_COLOR: '1',
  };
  if (s.datasetTimeoutS !== undefined) {
    env.AIPERF_DATASET_CONFIGURATION_TIMEOUT = String(s.datasetTimeoutS);
    // AIPerf refuses to start unless the profile-configure timeout is at least the dataset one.
    env.AIPERF_SERVICE_PROFILE_CONFIGURE_TIMEOUT = String(Math.max(600, s.datasetTimeoutS));
  }
  return { args, env };
}
