/**
 * A single live status line on stderr, redrawn at most every `intervalMs`. Disabled (a no-op)
 * when stderr is not a TTY or the user asked for --quiet, so logs and CI output stay clean.
 */
export interface Progress {
  update(): void;
  done(finalLine?: string): void;
}

export function createProgress(
  render: () => string,
  opts: { enabled: boolean; intervalMs?: number },
): Progress {
  const enabled = opts.enabled && process.stderr.isTTY === true;
  const interval = opts.intervalMs ?? 200;
  let last = 0;
  const draw = () => {
    const width = process.stderr.columns ?? 100;
    process.stderr.write(
      `\r${render()
        .slice(0, width - 1)
        .padEnd(width - 1)}`,
    );
  };
  return {
    update() {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      draw();
    },
    done(finalLine) {
      if (!enabled) return;
      draw();
      process.stderr.write('\n');
      if (finalLine) process.stderr.write(`${finalLine}\n`);
    },
  };
}

export function shouldShowProgress(quiet: boolean | undefined): boolean {
  return !quiet && process.stderr.isTTY === true;
}
