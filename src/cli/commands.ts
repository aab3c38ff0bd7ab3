import type { CommandModule } from 'yargs';
import { compareCommand } from './compare.js';
import { crosscheckCommand } from './crosscheck.js';
import { demoCommand } from './demo.js';
import { generateCommand } from './generate.js';
import { inspectCommand } from './inspect.js';
import { mergeCommand } from './merge.js';
import { mockCommand } from './mock.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';

/** Every subcommand, one module each. Add a command by adding its module here. */
// biome-ignore lint/suspicious/noExplicitAny: yargs command modules have heterogeneous argument types
export const commands: CommandModule<any, any>[] = [
  demoCommand,
  generateCommand,
  inspectCommand,
  runCommand,
  mockCommand,
  compareCommand,
  crosscheckCommand,
  reportCommand,
  mergeCommand,
];
