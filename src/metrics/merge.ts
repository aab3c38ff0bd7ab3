import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { UserError } from '../util/errors.js';
import { makeDir } from '../util/make-dir.js';
import { MetricsCollector } from './collector.js';
import { FILES, RecordsWriter, writeRunArtifacts } from './exporters.js';
import { HistogramSet } from './histograms.js';
import type { RequestRecord } from './record.js';
import type { Summary } from './summary.js';

/**
 * Shards of one run (`mmload run --shard i/N`, e.g. the pods of a Kubernetes Indexed Job) merged
 * into one result with the files of a single run. Exact: HDR histograms are added (never averaged
 * percentiles), and the summary's statistics are recomputed from the concatenated per-request
 * records. Shards may run on different machines, whose monotonic clocks are unrelated: every
 * record is moved onto the wall clock through its own shard's epoch anchor (records.jsonl keeps
 * both the epoch start and the monotonic one).
 */

/** Settings that must be equal across shards for their numbers to describe one workload. */
export const MUST_MATCH = [
  'dataset.sha256',
  'url',
  'endpoint',
  'model',
  'maxTokens',
  'useMaxCompletionTokens',
  'extraInputs',
  'includeUsage',
  'concurrency',
  'requestRate',
  'arrival',
  'burstiness',
  'warmupRequests',
  'timeoutS',
  'shard.count',
] as const;

export interface ShardInput {
  dir: string;
  config: Record<string, unknown>;
  dataset?: Record<string, unknown>;
}

function pick(obj: Record<string, unknown> | undefined, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.split('.'))
    v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** Pure: what differs between shards' settings (empty when they may be merged). */
export function incompatibilities(shards: ShardInput[]): string[] {
  const problems: string[] = [];
  const first = shards[0];
  if (!first) return problems;
  const view = (s: ShardInput) => ({
    ...s.config,
    dataset: { ...(s.config.dataset as object), ...s.dataset },
  });
  for (const key of MUST_MATCH) {
    const want = JSON.stringify(pick(view(first), key));
    for (const s of shards.slice(1)) {
      const got = JSON.stringify(pick(view(s), key));
      if (got !== want)
        problems.push(`${key} differs: ${first.dir} has ${want ?? 'none'}, ${s.dir} has ${got ?? 'none'}`);
    }
  }
  const indices = shards.map((s) => pick(s.config, 'shard.index'));
  const dup = indices.find((v, i) => v !== undefined && indices.indexOf(v) !== i);
  if (dup !== undefined) problems.push(`shard ${dup} appears twice`);
  return problems;
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

async function hasResult(dir: string): Promise<boolean> {
  return (await stat(join(dir, FILES.json)).catch(() => undefined))?.isFile() ?? false;
}

/** Each input is a shard's artifact dir, or a run dir whose `shard-*` subdirectories are shards. */
export async function findShardDirs(inputs: string[]): Promise<string[]> {
  const dirs: string[] = [];
  for (const input of inputs) {
    if (!(await isDir(input)))
      throw new UserError(`${input}: not a directory (give shard artifact dirs or their parent)`);
    if (await hasResult(input)) {
      dirs.push(input);
      continue;
    }
    const children = (await readdir(input)).filter((n) => n.startsWith('shard-')).sort();
    const found = [];
    for (const c of children) if (await hasResult(join(input, c))) found.push(join(input, c));
    if (found.length === 0)
      throw new UserError(`${input}: holds no ${FILES.json} and no shard-* result dirs`);
    dirs.push(...found);
  }
  return dirs;
}

async function readJson(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserError(`${path}: missing (${what}); was this directory written by \`mmload run\`?`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

interface RecordLine {
  metadata?: { request_start_ns?: number };
  mmload?: RequestRecord;
}

/** Streams a shard's records, each with the epoch-minus-monotonic offset of its shard's clock. */
async function* shardRecords(dir: string): AsyncGenerator<{ rec: RequestRecord; offsetNs: number }> {
  const path = join(dir, FILES.records);
  // A read error (records.jsonl a directory) would carry no path: name it here.
  if (!(await stat(path).catch(() => undefined))?.isFile())
    throw new UserError(`${path}: missing or not a file`);
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    let parsed: RecordLine;
    try {
      parsed = JSON.parse(line) as RecordLine;
    } catch {
      throw new UserError(
        `${path}:${n}: not valid JSON (a truncated last line means the shard was killed hard)`,
      );
    }
    const rec = parsed.mmload;
    const epochStart = parsed.metadata?.request_start_ns;
    if (!rec || typeof rec.startNs !== 'number' || typeof epochStart !== 'number') {
      throw new UserError(`${path}:${n} field "mmload": not an mmload per-request record`);
    }
    yield { rec, offsetNs: epochStart - rec.startNs };
  }
}

const TIME_FIELDS = [
  'intendedNs',
  'startNs',
  'sentNs',
  'headersNs',
  'firstChunkNs',
  'lastChunkNs',
  'endNs',
  'firstContentNs',
] as const;

/** A record moved by `shiftNs` (every timestamp, chunks included). */
export function shiftRecord(rec: RequestRecord, shiftNs: number): RequestRecord {
  const out: RequestRecord = { ...rec, chunkNs: rec.chunkNs.map((t) => t + shiftNs) };
  for (const f of TIME_FIELDS) {
    const v = rec[f];
    if (typeof v === 'number') out[f] = v + shiftNs;
  }
  return out;
}

export interface MergeOptions {
  inputs: string[];
  outDir: string;
  label?: string;
  /** Warn when shards' first requests started further apart than this (seconds). */
  maxStartSkewS?: number;
}

export interface MergeResult {
  summary: Summary;
  shards: string[];
  warnings: string[];
  histograms: HistogramSet;
}

export async function mergeShards(opts: MergeOptions): Promise<MergeResult> {
  const dirs = await findShardDirs(opts.inputs);
  const shards: ShardInput[] = [];
  for (const dir of dirs) {
    const config = await readJson(join(dir, FILES.config), 'the run configuration');
    const dataset = await readJson(join(dir, FILES.dataset), 'the dataset manifest').catch(() => undefined);
    shards.push({ dir, config, dataset });
  }
  const problems = incompatibilities(shards);
  if (problems.length > 0) {
    throw new UserError(`refusing to merge runs of different settings:\n  ${problems.join('\n  ')}`);
  }

  // Pass 1: each shard's clock offset and first start, to put all records on one time line whose
  // origin is the earliest shard's monotonic clock (keeps numbers small and exact).
  const offsets: number[] = [];
  const firstStartEpoch: number[] = [];
  for (const dir of dirs) {
    let offset: number | undefined;
    let first = Number.POSITIVE_INFINITY;
    for await (const { rec, offsetNs } of shardRecords(dir)) {
      offset ??= offsetNs;
      if (!rec.warmup) first = Math.min(first, rec.startNs + offsetNs);
    }
    if (offset === undefined) throw new UserError(`${join(dir, FILES.records)}: no records`);
    offsets.push(offset);
    firstStartEpoch.push(first);
  }
  const base = offsets[0]!;
  const warnings: string[] = [];
  const skewS = (Math.max(...firstStartEpoch) - Math.min(...firstStartEpoch)) / 1e9;
  if (skewS > (opts.maxStartSkewS ?? 5)) {
    warnings.push(
      `shards started ${skewS.toFixed(1)} s apart (first requests); their load did not overlap fully: use --start-at`,
    );
  }

  await makeDir(opts.outDir);
  // The shards ran one configuration: its --goodput objectives judge the merged requests alike.
  const goodput = shards[0]!.config.goodput;
  const collector = new MetricsCollector({ goodput: typeof goodput === 'string' ? goodput : undefined });
  const writer = new RecordsWriter(join(opts.outDir, FILES.records), base);
  try {
    for (const [i, dir] of dirs.entries()) {
      const shift = offsets[i]! - base;
      for await (const { rec } of shardRecords(dir)) {
        const moved = shiftRecord(rec, shift);
        collector.add(moved);
        writer.write(moved);
      }
    }
  } finally {
    await writer.close();
  }

  // The histograms are the shards' own, added: exactly those of the concatenated records.
  const histograms = new HistogramSet();
  for (const dir of dirs) {
    const log = await readFile(join(dir, FILES.hlog), 'utf8').catch(() => undefined);
    if (log === undefined) throw new UserError(`${join(dir, FILES.hlog)}: missing`);
    histograms.add(HistogramSet.fromIntervalLog(log));
  }

  const config0 = shards[0]!.config;
  const config = {
    ...config0,
    shard: undefined,
    mergedFrom: dirs.map((d, i) => ({ dir: d, shard: shards[i]!.config.shard })),
  };
  const summary = collector.summarize({
    label: opts.label ?? basename(opts.outDir),
    config,
    dataset: shards[0]!.dataset as Summary['dataset'],
    client: { warnings },
  });
  const startEpochMs = Math.min(...firstStartEpoch) / 1e6;
  await writeRunArtifacts(opts.outDir, {
    summary,
    histograms,
    startEpochMs,
    config,
    datasetManifest: shards[0]!.dataset,
  });
  return { summary, shards: dirs, warnings, histograms };
}
