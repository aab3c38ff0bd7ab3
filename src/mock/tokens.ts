import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let cached: readonly string[] | undefined;

/** The project's 208-word vocabulary (data/vocabulary.txt; same relative path from src/ and dist/). */
export function vocabulary(): readonly string[] {
  if (!cached) {
    const path = fileURLToPath(new URL('../../data/vocabulary.txt', import.meta.url));
    cached = readFileSync(path, 'utf8')
      .split(/\s+/)
      .filter((w) => w.length > 0);
  }
  return cached;
}

/**
 * Output token i as streamed: the first word bare, later words with a leading space, so the
 * concatenated text has exactly `count` whitespace-separated words (a word-level tokenizer counts
 * the output exactly).
 */
export function outputPieces(count: number, rand: () => number): string[] {
  const vocab = vocabulary();
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const w = vocab[Math.floor(rand() * vocab.length)]!;
    out[i] = i === 0 ? w : ` ${w}`;
  }
  return out;
}

/** Words of a text (runs of non-whitespace), counted without allocating an array. */
export function countWords(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xa0;
    if (space) inWord = false;
    else if (!inWord) {
      inWord = true;
      n++;
    }
  }
  return n;
}

/** Prompt tokens = words of the text + a fixed count per image. */
export function promptTokens(text: string, images: number, imageTokens: number): number {
  return countWords(text) + images * imageTokens;
}

export interface LengthRequest {
  maxTokens?: number;
  minTokens?: number;
  ignoreEos?: boolean;
}

/**
 * Output length: exactly max with ignore_eos (as a real server that never samples EOS); otherwise
 * a seeded length uniform in [max(min, 1), max], standing in for the point where the model would
 * stop. At least one token: an empty answer is a server failure mode (fault injection has its own),
 * not something a short max_tokens should produce one time in max + 1.
 */
export function outputLength(req: LengthRequest, defaultMax: number, rand: () => number): number {
  const max = Math.max(0, Math.floor(req.maxTokens ?? defaultMax));
  const min = Math.min(max, Math.max(1, Math.floor(req.minTokens ?? 0)));
  if (req.ignoreEos) return max;
  return min + Math.floor(rand() * (max - min + 1));
}
