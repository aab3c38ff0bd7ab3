import type { Argv, Options } from 'yargs';
import {
  type FlagSpec,
  type OptionSpec,
  PLAN_OPTION_SPECS,
  type PlanOptionSpec,
  type PlanOptions,
  PRESETS,
  RUN_OPTION_SPECS,
  type RunInput,
} from '../driver/options.js';
import { shardFromEnv } from '../driver/shard.js';
import { EMBEDDED_MOCK } from '../harness/benchmark.js';
import type { PlanLoad } from '../harness/plan-kind.js';
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

// biome-ignore lint/suspicious/noExplicitAny: one renderer for the run and the plan tables
type AnySpec = FlagSpec<any, any>;

function defaultText(s: AnySpec): string | undefined {
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
function yargsOption(s: AnySpec, sweeps = false): Options {
  const base: Options = { describe: s.help, group: `${s.group}:`, defaultDescription: defaultText(s) };
  // A list of loads ("1,2,4") is read here, not by yargs (which would make it NaN).
  if (sweeps && s.sweep)
    return {
      ...base,
      describe: `${s.help}; a comma list (${s.type === 'integer' ? '1,2,4,8' : '0.5,1,2'}) sweeps: one run per value`,
      type: 'string',
      requiresArg: true,
    };
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

/** `sweeps`: --concurrency and --request-rate take a list (mmload run; crosscheck takes one value). */
// biome-ignore lint/suspicious/noExplicitAny: yargs builders are typed per command
export function withRunFlags(y: Argv<any>, opts: { sweeps?: boolean } = {}): Argv<any> {
  let out = y;
  for (const s of RUN_OPTION_SPECS as readonly OptionSpec[]) {
    if (!s.flag) continue;
    out = out.option(s.flag, yargsOption(s, opts.sweeps));
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

/** The trials, sweep and search flags (`mmload run` only), from the plan option table. */
// biome-ignore lint/suspicious/noExplicitAny: yargs builders are typed per command
export function withPlanFlags(y: Argv<any>): Argv<any> {
  let out = y;
  for (const s of PLAN_OPTION_SPECS as readonly PlanOptionSpec[])
    if (s.flag) out = out.option(s.flag, yargsOption(s));
  return out;
}

/**
 * The values of a load flag that takes a list: "4" or "1,2,4" (also given twice). Each value is
 * checked as the option checks one, and named as typed.
 */
export function parseLoadList(s: OptionSpec, raw: unknown): number[] {
  const text = (Array.isArray(raw) ? raw : [raw]).map(String).join(',');
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => p === ''))
    throw new UserError(
      `--${s.flag} ${text === '' ? '""' : text}: ${parts.length > 1 ? 'an empty value in the list' : 'needs a number'}`,
    );
  return parts.map((p) => {
    const v = Number(p);
    if (!Number.isFinite(v))
      throw new UserError(
        parts.length > 1 ? `--${s.flag} ${text}: ${p} is not a number` : `--${s.flag} ${p}: not a number`,
      );
    const problem = s.check?.(v as never);
    if (problem) throw new UserError(`--${s.flag} ${p}: ${problem}`);
    return v;
  });
}

type LoadLists = Partial<Record<'concurrency' | 'requestRate', number[]>>;

function readRunInput(
  a: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  lists?: LoadLists,
): Omit<RunInput, 'url'> & { url?: string } {
  const input: Record<string, unknown> = { dataset: a.dataset };
  for (const s of RUN_OPTION_SPECS as readonly OptionSpec[]) {
    if (!s.flag) continue;
    const raw = a[s.flag];
    if (raw === undefined) continue;
    if (s.type === 'list' && Array.isArray(raw) && raw.length === 0) continue;
    if (s.sweep) {
      const values = parseLoadList(s, raw);
      if (values.length === 1) input[s.key] = values[0];
      else if (lists) lists[s.key as keyof LoadLists] = values;
      else
        throw new UserError(
          `--${s.flag} ${values.join(',')}: several values make a sweep, which \`mmload run\` does; give one value here`,
        );
      continue;
    }
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

/** Parsed flags -> the run's input (the URL may be missing: the caller then starts the embedded mock). One value per load flag. */
export function runInputFromArgs(
  a: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Omit<RunInput, 'url'> & { url?: string } {
  return readRunInput(a, env);
}

/**
 * `mmload run`'s flags -> the run's input, the plan options and the loads to run: a list of
 * --concurrency or --request-rate values is a sweep, or with --search the search's bounds LO,HI.
 */
export function planFromArgs(
  a: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { input: Omit<RunInput, 'url'> & { url?: string }; plan: Partial<PlanOptions>; load: PlanLoad } {
  const lists: LoadLists = {};
  const input = readRunInput(a, env, lists);
  const plan: Record<string, unknown> = {};
  for (const s of PLAN_OPTION_SPECS as readonly PlanOptionSpec[]) {
    if (s.flag && a[s.flag] !== undefined) plan[s.key] = a[s.flag];
  }
  if (lists.concurrency && lists.requestRate)
    throw new UserError(
      '--concurrency and --request-rate: sweep one of them at a time (the other takes one value)',
    );
  const flag = lists.concurrency ? 'concurrency' : 'request-rate';
  const values = lists.concurrency ?? lists.requestRate;
  const param = lists.concurrency ? 'concurrency' : 'rate';
  const load: PlanLoad = {};
  if (plan.search !== undefined) {
    if (values?.length !== 2)
      throw new UserError(
        `--search ${String(plan.search)}: give its bounds as --concurrency LO,HI or --request-rate LO,HI` +
          (values ? ` (got ${values.length} values)` : ''),
      );
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    if (lo === hi) throw new UserError(`--${flag} ${values.join(',')}: the bounds must differ`);
    load.search = { param, lo, hi };
  } else if (values) load.sweep = { param, values };
  return { input, plan: plan as Partial<PlanOptions>, load };
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
