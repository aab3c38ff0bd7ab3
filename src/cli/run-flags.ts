import type { Argv, Options } from 'yargs';
import { type OptionSpec, PRESETS, RUN_OPTION_SPECS, type RunInput } from '../driver/options.js';
import { shardFromEnv } from '../driver/shard.js';
import { EMBEDDED_MOCK } from '../harness/benchmark.js';
import type { MockOptions } from '../mock/types.js';
import { UserError } from '../util/errors.js';

/**
 * The run flags of `run` and `crosscheck`, built from the option table (driver/options.ts): one
 * declaration per option gives the flag, its help, its default as help shows it, and its check.
 * Numbers are read here rather than by yargs, so that `--concurrency abc` is named as it was typed.
 */

/** Flags that exist only on the command line (they turn into options, or concern the caller). */
export interface CliOnlyArgs {
  'api-key-env'?: string;
  preset?: string;
  quiet?: boolean;
  'mock-ttft-ms'?: number;
  'mock-itl-ms'?: number;
  'mock-jitter-ms'?: number;
  'mock-capacity'?: number;
  'mock-queue-ms'?: number;
}

function defaultText(s: OptionSpec): string | undefined {
  if (s.defaultText) return s.defaultText;
  if (s.default === undefined) return undefined;
  if (typeof s.default === 'object') return undefined;
  return String(s.default);
}

/**
 * The option as yargs declares it. Defaults are shown as yargs' own `[default: x]` hint
 * (`defaultDescription`), never set as yargs defaults: an option the user did not give stays
 * undefined, so that a preset can fill it before the table's default does (resolveRunOptions).
 * Numbers are yargs numbers: the CLI's middleware names a value that is not one as it was typed.
 */
function yargsOption(s: OptionSpec): Options {
  const base: Options = { describe: s.help, group: `${s.group}:`, defaultDescription: defaultText(s) };
  switch (s.type) {
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'number':
    case 'integer':
      return { ...base, type: 'number', requiresArg: true };
    case 'choice':
      return { ...base, type: 'string', choices: s.choices as string[] };
    case 'list':
      return { ...base, type: 'string', array: true };
    default:
      return { ...base, type: 'string', requiresArg: true };
  }
}

// biome-ignore lint/suspicious/noExplicitAny: yargs builders are typed per command
export function withRunFlags(y: Argv<any>): Argv<any> {
  let out = y;
  for (const s of RUN_OPTION_SPECS as readonly OptionSpec[]) {
    if (!s.flag) continue;
    out = out.option(s.flag, yargsOption(s));
  }
  return out
    .option('api-key-env', {
      type: 'string',
      requiresArg: true,
      group: 'Endpoint:',
      describe: 'environment variable holding a bearer token (never logged or written)',
    })
    .option('preset', {
      type: 'string',
      choices: Object.keys(PRESETS),
      group: 'Load:',
      describe:
        "the recipe's AIPerf flags: qwen36 = concurrency 30, max_tokens 1024, min_tokens 1024, ignore_eos, 2 warm-up requests",
    })
    .option('mock-ttft-ms', {
      type: 'number',
      group: 'Embedded mock (without --url):',
      requiresArg: true,
      defaultDescription: String(EMBEDDED_MOCK.ttftMs),
      describe: 'base time to first token',
    })
    .option('mock-itl-ms', {
      type: 'number',
      group: 'Embedded mock (without --url):',
      requiresArg: true,
      defaultDescription: String(EMBEDDED_MOCK.itlMs),
      describe: 'inter-token latency',
    })
    .option('mock-jitter-ms', {
      type: 'number',
      group: 'Embedded mock (without --url):',
      requiresArg: true,
      defaultDescription: String(EMBEDDED_MOCK.jitterMs ?? 0),
      describe: 'seeded uniform [0, J) ms added to TTFT and to each token',
    })
    .option('mock-capacity', {
      type: 'number',
      group: 'Embedded mock (without --url):',
      requiresArg: true,
      defaultDescription: 'no limit',
      describe:
        'requests served at once; beyond it each one in flight adds --mock-queue-ms to TTFT (a known saturation point)',
    })
    .option('mock-queue-ms', {
      type: 'number',
      group: 'Embedded mock (without --url):',
      requiresArg: true,
      defaultDescription: String(EMBEDDED_MOCK.queueMsPerRequest ?? 0),
      describe: 'TTFT added per request in flight beyond --mock-capacity',
    })
    .option('quiet', {
      type: 'boolean',
      group: 'Output:',
      defaultDescription: 'false',
      describe: 'no progress and no table: only errors and the final summary line',
    });
}

/** Parsed flags -> the run's input (the URL may be missing: the caller then starts the embedded mock). */
export function runInputFromArgs(
  a: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Omit<RunInput, 'url'> & { url?: string } {
  const input: Record<string, unknown> = { dataset: a.dataset };
  for (const s of RUN_OPTION_SPECS as readonly OptionSpec[]) {
    if (!s.flag) continue;
    const raw = a[s.flag];
    if (raw === undefined) continue;
    if (s.type === 'list' && Array.isArray(raw) && raw.length === 0) continue;
    input[s.key] = s.parse ? (s.parse as (r: unknown) => unknown)(raw) : raw;
  }
  input.shard ??= shardFromEnv(env);
  const keyEnv = a['api-key-env'];
  if (typeof keyEnv === 'string') {
    const key = env[keyEnv];
    if (!key) throw new UserError(`--api-key-env ${keyEnv}: that environment variable is not set or empty`);
    input.apiKey = key;
  }
  if (typeof a.preset === 'string') input.preset = a.preset;
  return input as Omit<RunInput, 'url'> & { url?: string };
}

const MOCK_FLAGS = [
  ['mock-ttft-ms', 'ttftMs'],
  ['mock-itl-ms', 'itlMs'],
  ['mock-jitter-ms', 'jitterMs'],
  ['mock-capacity', 'capacity'],
  ['mock-queue-ms', 'queueMsPerRequest'],
] as const;

/** The embedded mock's settings from the --mock-* flags (a negative or fractional capacity is refused). */
export function mockFromArgs(a: CliOnlyArgs): Partial<MockOptions> {
  const out: Partial<MockOptions> = {};
  for (const [flag, key] of MOCK_FLAGS) {
    const v = a[flag];
    if (v === undefined) continue;
    if (!(v >= 0) || !Number.isFinite(v)) throw new UserError(`--${flag} ${v}: must be >= 0`);
    if (key === 'capacity' && !Number.isInteger(v))
      throw new UserError(`--${flag} ${v}: must be a whole number`);
    out[key] = v;
  }
  return out;
}
