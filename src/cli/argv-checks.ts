import { UserError } from '../util/errors.js';

/**
 * Checks on the raw command line that yargs does not make, or makes in words that do not name
 * what the user typed. Pure: tokens in, message out.
 */

/** A token that is an option (`--x`, `-x`, `--x=1`), not a value such as `-5` or `-`. */
function flagName(token: string): { name: string; inline?: string } | undefined {
  if (!token.startsWith('-') || token === '-' || token === '--' || isNumeric(token)) return undefined;
  const body = token.replace(/^--?/, '');
  const eq = body.indexOf('=');
  return eq >= 0 ? { name: body.slice(0, eq), inline: body.slice(eq + 1) } : { name: body };
}

function isNumeric(s: string): boolean {
  return s.trim() !== '' && Number.isFinite(Number(s));
}

function camel(name: string): string {
  return name.replace(/-+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
}

function dashed(token: string): string {
  const eq = token.indexOf('=');
  return eq >= 0 ? token.slice(0, eq) : token;
}

/**
 * yargs turns `--concurrency abc` into NaN, `--concurrency=` into 0 and a trailing
 * `--concurrency` into undefined, which later checks then report as "NaN" or never see. This
 * finds the first number option whose raw value is not a finite number and names it as typed:
 * `--concurrency abc: not a number`. `numberKeys` are the option names yargs parses as numbers
 * (with their aliases); `arrayKeys` those that take several values.
 */
export function badNumberOption(
  tokens: readonly string[],
  numberKeys: ReadonlySet<string>,
  arrayKeys: ReadonlySet<string> = new Set(),
): string | undefined {
  const end = tokens.indexOf('--');
  const args = end >= 0 ? tokens.slice(0, end) : tokens;
  for (let i = 0; i < args.length; i++) {
    const f = flagName(args[i]!);
    if (!f) continue;
    const key = numberKeys.has(f.name) ? f.name : numberKeys.has(camel(f.name)) ? camel(f.name) : undefined;
    if (key === undefined) continue;
    const flag = dashed(args[i]!);
    const values: string[] = [];
    if (f.inline !== undefined) values.push(f.inline);
    else {
      // Values follow until the next option: one, or all of them for an array option.
      while (i + 1 < args.length && !flagName(args[i + 1]!)) {
        values.push(args[++i]!);
        if (!arrayKeys.has(key)) break;
      }
      if (values.length === 0) return `${flag}: needs a number`;
    }
    for (const v of values) if (!isNumeric(v)) return `${flag} ${v === '' ? '""' : v}: not a number`;
  }
  return undefined;
}

/** yargs' middleware shape: runs after parsing, before the command's handler. */
export function numberCheckMiddleware(tokens: readonly string[]) {
  return (
    _argv: unknown,
    y: { getOptions(): { number: string[]; array: string[]; alias: Record<string, string[]> } },
  ): void => {
    const o = y.getOptions();
    const withAliases = (keys: string[]) =>
      new Set(keys.flatMap((k) => [k, camel(k), ...(o.alias[k] ?? []).flatMap((a) => [a, camel(a)])]));
    const bad = badNumberOption(tokens, withAliases(o.number), withAliases(o.array));
    if (bad) throw new UserError(bad);
  };
}

/**
 * yargs' strict mode says "Unknown arguments: foo-bar, fooBar" for one `--foo-bar` (it lists the
 * camel-case copy too) and drops the dashes. This names each unknown option once, as typed
 * (`Unknown argument: --foo-bar`); a name that matches no option token (an extra positional) is
 * kept as is.
 */
export function unknownArgumentsMessage(yargsMessage: string, tokens: readonly string[]): string | undefined {
  const m = /^Unknown arguments?: (.*)$/s.exec(yargsMessage);
  if (!m) return undefined;
  const end = tokens.indexOf('--');
  const args = end >= 0 ? tokens.slice(0, end) : tokens;
  const flags = args.filter((t) => flagName(t)).map((t) => ({ name: flagName(t)!.name, shown: dashed(t) }));
  const shown = new Set<string>();
  for (const name of m[1]!.split(', ')) {
    const hit = flags.find((f) => f.name === name || camel(f.name) === name);
    shown.add(hit ? hit.shown : name);
  }
  return `Unknown argument${shown.size > 1 ? 's' : ''}: ${[...shown].join(', ')}`;
}
