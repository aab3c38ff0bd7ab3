import type { Argv, Options } from 'yargs';
import { type OptionSpec, PRESETS, RUN_OPTION_SPECS, type RunInput } from '../driver/options.js';
import { shardFromEnv } from '../driver/shard.js';
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
}

function defaultText(s: OptionSpec): string | undefined {
  if (s.defaultText) return s.defaultText;
  if (s.default === undefined) return undefined;
  if (typeof s.default === 'object') return undefined;
  return String(s.default);
}

/** The help line of an option: its text, then its default in one form for every command. */
export function helpText(help: string, dflt: string | undefined): string {
  return dflt === undefined ? help : `${help} [default: ${dflt}]`;
}

function readNumber(flag: string, integer: boolean) {
  return (raw: unknown) => {
    if (raw === undefined) return undefined;
    const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    const text = String(last).trim();
    const v = text === '' ? Number.NaN : Number(text);
    if (Number.isNaN(v)) throw new UserError(`--${flag} ${text || '""'}: not a number`);
    if (integer && !Number.isInteger(v)) throw new UserError(`--${flag} ${text}: must be a whole number`);
    return v;
  };
}

function yargsOption(s: OptionSpec): Options {
  const describe = helpText(s.help, defaultText(s));
  const group = `${s.group}:`;
  switch (s.type) {
    case 'boolean':
      return { type: 'boolean', describe, group };
    case 'number':
    case 'integer':
      return { describe, group, requiresArg: true, coerce: readNumber(s.flag!, s.type === 'integer') };
    case 'choice':
      return { type: 'string', choices: s.choices as string[], describe, group };
    case 'list':
      return { type: 'string', array: true, describe, group };
    default:
      return { type: 'string', requiresArg: true, describe, group };
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
      group: 'Embedded mock (without --url):',
      requiresArg: true,
      coerce: readNumber('mock-ttft-ms', false),
      describe: helpText('base time to first token', '40'),
    })
    .option('mock-itl-ms', {
      group: 'Embedded mock (without --url):',
      requiresArg: true,
      coerce: readNumber('mock-itl-ms', false),
      describe: helpText('inter-token latency', '4'),
    })
    .option('quiet', {
      type: 'boolean',
      group: 'Output:',
      describe: helpText('no progress and no table: only errors and the final summary line', 'false'),
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

/** The embedded mock's settings from the --mock-* flags. */
export function mockFromArgs(a: CliOnlyArgs): { ttftMs?: number; itlMs?: number } {
  return {
    ...(a['mock-ttft-ms'] !== undefined ? { ttftMs: a['mock-ttft-ms'] } : {}),
    ...(a['mock-itl-ms'] !== undefined ? { itlMs: a['mock-itl-ms'] } : {}),
  };
}
