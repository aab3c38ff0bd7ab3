import type { UnwrittenFile } from './finish.js';

/**
 * Observers watch a run from the side, on their own time (the server-metrics scraper is one):
 * told before the warm-up, at each phase boundary and after the drain. The engine waits for each
 * call, so that a boundary can be marked before the next phase's first request; an observer that
 * fails is logged and left out, never the run's failure.
 */
export type ObservedPhase = 'warmup' | 'profiling';

export interface ObserverStart {
  /** The artifact directory (shard directory included), ready for writing. */
  dir: string;
  /** Added to the monotonic clock (src/util/clock.ts) gives epoch ns, the run's own anchor. */
  monoToEpochNs: number;
  log: (line: string) => void;
}

export interface ObserverResult {
  /** Files the observer wrote into the artifact directory. */
  files?: string[];
  unwritten?: UnwrittenFile[];
  /** Joins run_config under the observer's name. */
  config?: Record<string, unknown>;
  /** Goes to RunOutcome.observed under the observer's name (e.g. the server metrics export). */
  result?: unknown;
}

export interface RunObserver {
  readonly name: string;
  start?(ctx: ObserverStart): Promise<void>;
  phase?(phase: ObservedPhase): Promise<void>;
  /** After the drain; `interrupted`: a signal stopped the run (finish fast). */
  stop?(ctx: { interrupted: boolean }): Promise<ObserverResult>;
}

export interface ObservedRun {
  files: string[];
  unwritten: UnwrittenFile[];
  config: Record<string, unknown>;
  results: Record<string, unknown>;
}

/** The run's observers, each call guarded. */
export class Observers {
  private live: RunObserver[];
  constructor(
    list: readonly RunObserver[] | undefined,
    private readonly log: (line: string) => void,
  ) {
    this.live = [...(list ?? [])];
  }

  private drop(o: RunObserver, what: string, err: unknown): void {
    this.log(
      `${o.name}: ${what} failed (${err instanceof Error ? err.message : String(err)}); the run goes on without it`,
    );
    this.live = this.live.filter((x) => x !== o);
  }

  async start(ctx: ObserverStart): Promise<void> {
    for (const o of [...this.live]) await o.start?.(ctx).catch((err) => this.drop(o, 'start', err));
  }

  async phase(p: ObservedPhase): Promise<void> {
    for (const o of [...this.live]) await o.phase?.(p).catch((err) => this.drop(o, p, err));
  }

  async stop(ctx: { interrupted: boolean }): Promise<ObservedRun> {
    const out: ObservedRun = { files: [], unwritten: [], config: {}, results: {} };
    for (const o of [...this.live]) {
      try {
        const r = (await o.stop?.(ctx)) ?? {};
        out.files.push(...(r.files ?? []));
        out.unwritten.push(...(r.unwritten ?? []));
        if (r.config) out.config[o.name] = r.config;
        if (r.result !== undefined) out.results[o.name] = r.result;
      } catch (err) {
        this.drop(o, 'stop', err);
      }
    }
    return out;
  }
}
