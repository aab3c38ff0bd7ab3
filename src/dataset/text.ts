import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type TextMode = 'per-row' | 'per-user';
export const TEXT_MODES: readonly TextMode[] = ['per-row', 'per-user'];

let vocabulary: string[] | undefined;

/** The recipe's 208 common English words (data/vocabulary.txt, one per line). */
export function loadVocabulary(): string[] {
  vocabulary ??= readFileSync(new URL('../../data/vocabulary.txt', import.meta.url), 'utf8')
    .split(/\s+/)
    .filter((w) => w !== '');
  return vocabulary;
}

/**
 * A small seeded generator (sfc32) keyed by a string through SHA-256, so that every row's stream
 * is independent of every other's and of the order in which rows are produced.
 */
export function seededRandom(key: string): () => number {
  const h = createHash('sha256').update(key).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

/** `words` words drawn uniformly from the vocabulary, joined by single spaces. */
export function wordFiller(key: string, words: number, vocab = loadVocabulary()): string {
  const rnd = seededRandom(key);
  const out = new Array<string>(words);
  for (let i = 0; i < words; i++) out[i] = vocab[Math.floor(rnd() * vocab.length)]!;
  return out.join(' ');
}

/** The text of one row: fresh per row (the recipe), or one text per user (shared KV prefix). */
export function rowText(
  seed: number,
  mode: TextMode,
  words: number,
  row: { index: number; user: number },
): string {
  const key =
    mode === 'per-row' ? `mmload/text/${seed}/row/${row.index}` : `mmload/text/${seed}/user/${row.user}`;
  return wordFiller(key, words);
}
