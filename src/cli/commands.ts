import type { CommandModule } from 'yargs';

// biome-ignore lint/suspicious/noExplicitAny: yargs command modules have heterogeneous argument types
type AnyCommand = CommandModule<any, any>;

/**
 * Every subcommand, one module each, loaded only when needed: a command line that names one
 * command loads that module alone. Loading them all costs ~0.75 s of start-up on the build
 * machine (sharp for generate, undici and the HDR histograms for run...) and triples the heap of a
 * `mmload mock`, whose garbage collections then take longer while it keeps token deadlines.
 * Add a command by adding its entry here.
 */
export const COMMANDS: ReadonlyArray<{ name: string; load: () => Promise<AnyCommand> }> = [
  { name: 'demo', load: async () => (await import('./demo.js')).demoCommand },
  { name: 'generate', load: async () => (await import('./generate.js')).generateCommand },
  { name: 'inspect', load: async () => (await import('./inspect.js')).inspectCommand },
  { name: 'run', load: async () => (await import('./run.js')).runCommand },
  { name: 'mock', load: async () => (await import('./mock.js')).mockCommand },
  { name: 'compare', load: async () => (await import('./compare.js')).compareCommand },
  { name: 'crosscheck', load: async () => (await import('./crosscheck.js')).crosscheckCommand },
  { name: 'report', load: async () => (await import('./report.js')).reportCommand },
  { name: 'merge', load: async () => (await import('./merge.js')).mergeCommand },
];

/** The command modules a command line needs: the one it names, else all (help, a typo, none). */
export async function commandsFor(argv: readonly string[]): Promise<AnyCommand[]> {
  const first = argv.find((t) => !t.startsWith('-'));
  const named = COMMANDS.find((c) => c.name === first);
  return named ? [await named.load()] : Promise.all(COMMANDS.map((c) => c.load()));
}
