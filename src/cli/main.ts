import yargs, { type CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { commands } from './commands.js';

/** Parses argv, runs one command, and turns errors into a message and an exit code. */
export async function main(argv: string[]): Promise<void> {
  let parser = yargs(argv)
    .scriptName('mmload')
    .usage('$0 <command> [options]\n\nBenchmark multimodal LLM serving over OpenAI-compatible HTTP APIs.')
    .version(VERSION)
    .strict()
    .demandCommand(1, 'Name a command; `mmload --help` lists them.')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      if (err) throw err;
      throw new UserError(`${msg}\nRun \`mmload --help\` for usage.`);
    });
  for (const c of commands) parser = parser.command(c as CommandModule);
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`mmload: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(
        `mmload: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 70;
    }
  }
}
