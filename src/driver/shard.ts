import { UserError } from '../util/errors.js';

/**
 * Sharding splits a dataset's sessions across N client processes (e.g. the pods of a Kubernetes
 * Indexed Job). Whole sessions only: a session's turns depend on each other's completion, so a
 * session never splits. Sessions are dealt round-robin in order of first appearance in the file,
 * which every shard sees identically: deterministic, and balanced to within one session.
 */
export interface Shard {
  /** 0-based index of this shard. */
  index: number;
  /** Number of shards. */
  count: number;
}

/** Parses `i/N` (0 <= i < N). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m)
    throw new UserError(`--shard "${text}": expected i/N, e.g. 0/4 (shard index 0-based, then shard count)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new UserError(`--shard "${text}": the shard count must be at least 1`);
  if (index >= count)
    throw new UserError(`--shard "${text}": the index must be below the count (0..${count - 1})`);
  return { index, count };
}

/**
 * The shard of a Kubernetes Indexed Job pod: JOB_COMPLETION_INDEX is set by Kubernetes; the
 * count is not exposed to the pod, so the manifest passes it as MMLOAD_SHARD_COUNT (the Job's
 * `completions`). Returns undefined outside an Indexed Job.
 */
export function shardFromEnv(env: NodeJS.ProcessEnv): Shard | undefined {
  const index = env.JOB_COMPLETION_INDEX;
  if (index === undefined || index === '') return undefined;
  const count = env.MMLOAD_SHARD_COUNT;
  if (count === undefined || count === '') {
    throw new UserError(
      "JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job) but MMLOAD_SHARD_COUNT is not: set it to the Job's completions, or pass --shard i/N",
    );
  }
  return parseShard(`${index}/${count}`);
}

/** Whether the session that appeared `ordinal`-th (0-based) in the file belongs to `shard`. */
export function sessionInShard(ordinal: number, shard: Shard): boolean {
  return ordinal % shard.count === shard.index;
}

/**
 * A streaming filter over session ids in file order: remembers each session's ordinal on first
 * sight (memory grows with the number of distinct sessions, not rows).
 */
export function createShardFilter(shard: Shard): (sessionId: string) => boolean {
  const ordinals = new Map<string, number>();
  return (sessionId) => {
    let ordinal = ordinals.get(sessionId);
    if (ordinal === undefined) {
      ordinal = ordinals.size;
      ordinals.set(sessionId, ordinal);
    }
    return sessionInShard(ordinal, shard);
  };
}

/** Subdirectory of the run's artifact dir that a shard writes into; `mmload merge` looks for these. */
export function shardDirName(shard: Shard): string {
  return `shard-${shard.index}-of-${shard.count}`;
}
