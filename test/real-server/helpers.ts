import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, runCli } from '../cli-helpers.js';

export interface RealServer {
  url: string;
  model: string;
  /** Hugging Face tokenizer directory rebuilt from the model's GGUF (scripts/gguf-tokenizer.py). */
  tokenizer: string;
  log: string;
}

/** The server that `npm run test:real-server` started; a clear failure when run any other way. */
export function realServer(): RealServer {
  const { MMLOAD_REAL_URL: url, MMLOAD_REAL_MODEL: model, MMLOAD_REAL_TOKENIZER: tokenizer } = process.env;
  if (!url || !model || !tokenizer) {
    throw new Error(
      'llama-server: these tests need the server that `npm run test:real-server` builds and starts ' +
        '(MMLOAD_REAL_URL, MMLOAD_REAL_MODEL and MMLOAD_REAL_TOKENIZER are not set)',
    );
  }
  return { url, model, tokenizer, log: process.env.MMLOAD_REAL_LOG ?? '' };
}

export type Exec = CliResult;

/** `node bin/mmload ARGS` as a user would run it (after npm run build); killed after `timeoutMs`. */
export function mmload(args: string[], timeoutMs: number): Promise<Exec> {
  return runCli(args, { timeoutMs });
}

/** For assertion messages: what a failed command printed. */
export function shown(r: Exec): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

// Short prompts that ask for more text than max_tokens allows, so that answers rarely end early.
const TOPICS = ['a lighthouse', 'the first snow', 'a small robot', 'an old bridge', 'a night market'];

/**
 * A text-only single_turn JSONL: `sessions` users of `turns` rows each, interleaved by turn as the
 * generator writes them, every row a different short prompt.
 */
export async function textDataset(sessions: number, turns: number): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-real-'));
  const path = join(dir, `text_${sessions}u_${turns}t.jsonl`);
  const rows: string[] = [];
  for (let t = 0; t < turns; t++) {
    for (let u = 0; u < sessions; u++) {
      const topic = TOPICS[(u + t) % TOPICS.length];
      rows.push(
        JSON.stringify({
          session_id: `user-${u}`,
          text: `User ${u}, turn ${t}: write a long story about ${topic}.`,
        }),
      );
    }
  }
  await writeFile(path, `${rows.join('\n')}\n`);
  return { dir, path };
}

/** One line of records.jsonl (AIPerf's record shape, plus mmload's raw record). */
export interface RecordLine {
  metrics: Record<string, { value: number | number[]; unit: string }>;
  error: { code: number | null; type: string; message: string } | null;
  mmload: {
    index: number;
    warmup: boolean;
    chunkNs: number[];
    outputTokens?: number;
    outputTokensSource?: 'usage' | 'chunks';
    /** The `timings` object of the stream's last chunk, as llama-server sent it. */
    serverTimings?: { predicted_n?: number; predicted_ms?: number; predicted_per_token_ms?: number };
  };
}

export async function readRecords(artifactDir: string): Promise<RecordLine[]> {
  const text = await readFile(join(artifactDir, 'records.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RecordLine);
}

export async function readSummary(artifactDir: string): Promise<Record<string, Record<string, number>>> {
  return JSON.parse(await readFile(join(artifactDir, 'profile_export_mmload.json'), 'utf8'));
}
