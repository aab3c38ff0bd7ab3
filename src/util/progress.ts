/**
 * Progress on stderr. On a terminal: one status line redrawn in place (\r) at most every
 * `intervalMs`. Without one (CI logs, Kubernetes pods, `2> file`): a plain line every
 * `plainIntervalMs` (5 s by default, MMLOAD_PROGRESS_INTERVAL_MS overrides it) once the first
 * update() came, and no \r that would garble the log.
 * `enabled: false` (--quiet) prints nothing at all.
 */
export interface Progress {
  /** New figures are available (cheap: a terminal redraw is throttled, a plain line is timed). */
  update(): void;
  /** Stops; on a terminal draws the last state. Prints `finalLine` after it. Idempotent. */
  done(finalLine?: string): void;
}

export interface ProgressOptions {
  /** false for --quiet. */
  enabled: boolean;
  /** Terminal redraw throttle, ms. */
  intervalMs?: number;
  /** Period of the plain line without a terminal, ms. */
  plainIntervalMs?: number;
  /** Where to write (tests); process.stderr by default. */
  stream?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

const DEFAULT_PLAIN_INTERVAL_MS = 5000;

/** The plain-line period: MMLOAD_PROGRESS_INTERVAL_MS when it is a positive number, else 5 s. */
export function plainIntervalFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.MMLOAD_PROGRESS_INTERVAL_MS);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_PLAIN_INTERVAL_MS;
}

export function createProgress(render: () => string, opts: ProgressOptions): Progress {
  const out = opts.stream ?? process.stderr;
  if (!opts.enabled) return { update() {}, done() {} };
  return out.isTTY === true
    ? terminalProgress(render, out, opts.intervalMs ?? 200)
    : plainProgress(render, out, opts.plainIntervalMs ?? plainIntervalFromEnv());
}

function terminalProgress(
  render: () => string,
  out: NonNullable<ProgressOptions['stream']>,
  interval: number,
): Progress {
  let last = 0;
  let finished = false;
  const draw = () => {
    const width = out.columns ?? 100;
    out.write(
      `\r${render()
        .slice(0, width - 1)
        .padEnd(width - 1)}`,
    );
  };
  return {
    update() {
      if (finished) return;
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      draw();
    },
    done(finalLine) {
      if (finished) return;
      finished = true;
      draw();
      out.write('\n');
      if (finalLine) out.write(`${finalLine}\n`);
    },
  };
}

function plainProgress(
  render: () => string,
  out: NonNullable<ProgressOptions['stream']>,
  interval: number,
): Progress {
  let started = false;
  let printed = false;
  let finished = false;
  // Lines come from a timer, not from update(), so that a stalled job still shows it is alive;
  // they start with the first update(), before which the figures mean nothing yet.
  const timer = setInterval(() => {
    if (!started) return;
    printed = true;
    out.write(`${render()}\n`);
  }, interval);
  // A job that ends without done() (an error) must not be kept alive by its progress line.
  timer.unref();
  return {
    update() {
      started = true;
    },
    done(finalLine) {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      // A job shorter than one period printed nothing and stays silent; a longer one ends its log
      // with the final figures.
      if (printed) out.write(`${render()}\n`);
      if (finalLine) out.write(`${finalLine}\n`);
    },
  };
}

/** Whether to show progress: unless --quiet (without a terminal it is a plain periodic line). */
export function shouldShowProgress(quiet: boolean | undefined): boolean {
  return !quiet;
}
