import { writeFileAtomic } from '../util/atomic.js';
import type { MockRecord } from './types.js';

/** Session id: an X-Session-Id header if the client sent one, else the first words of the text. */
export function sessionIdOf(header: string | string[] | undefined, text: string): string {
  if (typeof header === 'string' && header.length > 0) return header;
  return text.slice(0, 200).split(/\s+/).filter(Boolean).slice(0, 8).join(' ');
}

/** Writes the records as JSONL in one atomic write (temp file + rename). */
export async function writeRecords(path: string, records: readonly MockRecord[]): Promise<void> {
  let s = '';
  for (const r of records) s += `${JSON.stringify(r)}\n`;
  await writeFileAtomic(path, s);
}
