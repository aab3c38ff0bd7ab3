import yargs, { type Argv, type CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';
import { fsErrorToUserError, fsReason } from '../util/fs-errors.js';
import {
  anyPipeClosed,
  CLOSED_PIPE_EXIT,
  isClosedPipe,
  stdoutFailure,
  watchClosedPipes,
} from '../util/pipe.js';
import { VERSION } from '../version.js';
import { numberCheckMiddleware, unknownArgumentsMessage } from './argv-checks.js';
import { commandsFor } from './commands.js';
import { helpWidth, wrapHelp } from './help.js';

/** The whole command line (main() and the help tests). */
async function buildParser(argv: string[]): Promise<Argv> {
  let parser = yargs(argv)
    .scriptName('mmload')
    .usage('$0 <command> [options]\n\nBenchmark multimodal LLM serving over OpenAI-compatible HTTP APIs.')
    .version(VERSION)
    .strict()
    .demandCommand(1, 'Name a command; `mmload --help` lists them.')
    .recommendCommands()
    // Unwrapped: help.ts lays it out without splitting words (yargs' own wrap cuts them).
    .wrap(null)
    .middleware(numberCheckMiddleware(argv) as never)
    .fail((msg, err) => {
      if (err) throw err;
      // recommendCommands replaces "Unknown argument: compar" by "Did you mean compare?".
      const command = argv.find((t) => !t.startsWith('-'));
      const text = msg.startsWith('Did you mean') ? `Unknown command: ${command}. ${msg}` : msg;
      throw new UserError(`${unknownArgumentsMessage(text, argv) ?? text}\nRun \`mmload --help\` for usage.`);
    });
  for (const c of await commandsFor(argv)) parser = parser.command(c as CommandModule);
  return parser;
}

/**
 * Parses argv and runs the command; yargs' own output (--help, --version) comes back as a string
 * instead of being printed and exiting, so that it can be laid out for the width.
 */
async function parse(argv: string[]): Promise<string> {
  let output = '';
  await (await buildParser(argv)).parseAsync(argv, {}, (_err, _args, out) => {
    output = out;
  });
  return output;
}

/** yargs' unwrapped help for `mmload <argv> --help` (for tests of the layout). */
export async function rawHelp(argv: string[]): Promise<string> {
  return parse([...argv, '--help']);
}

/** What `mmload <argv> --help` prints at `width` columns. */
export async function renderHelp(argv: string[], width: number): Promise<string> {
  return wrapHelp(await rawHelp(argv), width);
}

/** Parses argv, runs one command, and turns errors into a message and an exit code. */
export async function main(argv: string[]): Promise<void> {
  watchClosedPipes();
  try {
    const output = await parse(argv);
    if (output) process.stdout.write(`${wrapHelp(output, helpWidth())}\n`);
  } catch (err) {
    report(err);
  }
  // An EPIPE from the last write is emitted on a later tick.
  await new Promise((resolve) => setImmediate(resolve));
  const failed = stdoutFailure();
  if (failed && !process.exitCode) {
    process.stderr.write(`mmload: cannot write to stdout: ${fsReason(failed)}\n`);
    process.exitCode = 1;
  }
  // The reader went away (`| head`): the command itself succeeded, the output did not all arrive.
  if (anyPipeClosed() && !process.exitCode) process.exitCode = CLOSED_PIPE_EXIT;
}

function report(err: unknown): void {
  if (isClosedPipe(err)) {
    process.exitCode = CLOSED_PIPE_EXIT;
    return;
  }
  const user = err instanceof UserError ? err : fsErrorToUserError(err);
  if (user) {
    process.stderr.write(`mmload: ${user.message}\n`);
    process.exitCode = user.exitCode;
    return;
  }
  process.stderr.write(
    `mmload: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 70;
}
