import type { CommandModule } from 'yargs';
import { compareCommand } from './compare.js';
import { mergeCommand } from './merge.js';
import { reportCommand } from './report.js';

/** Every subcommand, one module each. Add a command by adding its module here. */
// biome-ignore lint/suspicious/noExplicitAny: yargs command modules have heterogeneous argument types
export const commands: CommandModule<any, any>[] = [compareCommand, mergeCommand, reportCommand];
