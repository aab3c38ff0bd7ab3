import type { ErrorDetailsCount } from './summary.js';

/**
 * Failed requests as people read them: the distinct error messages with their counts, most
 * frequent first, e.g. `HTTP 500 x4: image input is not supported - hint: ...`. The grouping
 * itself is AIPerf's (error_summary: one entry per distinct code, type and exact message, in the
 * order first seen); this module only chooses what to show of it, for the console table,
 * report.html and crosscheck alike.
 */

/** Longest message shown (characters); the rest is cut with "...". */
export const MESSAGE_MAX_CHARS = 160;

export interface ErrorLine {
  /** `HTTP 500`, or the error type when there is no status code (`timeout`, `connection`...). */
  label: string;
  count: number;
  /** The message as shown: the server's own text when the body is JSON, one line, trimmed. */
  text: string;
}

export interface ErrorList {
  lines: ErrorLine[];
  /** Distinct messages left out, and how many requests they stand for. */
  moreDistinct: number;
  moreRequests: number;
}

/** mmload's own prefix on HTTP errors (the driver writes `HTTP 500: <body>`). */
const HTTP_PREFIX = /^HTTP \d{3}: ?/;
/** A "message" string inside JSON that was cut short (the driver keeps the first 500 bytes). */
const HTML_TITLE = /<title[^>]*>([^<]*)<\/title>/i;
const MESSAGE_FIELD = /"(?:message|detail)"\s*:\s*("(?:[^"\\]|\\.)*")/;

function messageOf(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const o = doc as Record<string, unknown>;
  // OpenAI and llama.cpp: {"error": {"message": ...}}; vLLM: {"message": ...}; FastAPI: {"detail": ...}.
  if (typeof o.error === 'object' && o.error !== null) {
    const inner = messageOf(o.error);
    if (inner !== undefined) return inner;
  }
  for (const key of ['message', 'detail', 'error']) {
    const v = o[key];
    if (typeof v === 'string' && v.trim() !== '') return v;
  }
  return undefined;
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3).trimEnd()}...`;
}

/** The message as shown: a JSON error body reduced to its message, whitespace collapsed, cut to `max`. */
export function errorText(message: string, max = MESSAGE_MAX_CHARS): string {
  const body = message.replace(HTTP_PREFIX, '').trim();
  let text: string | undefined;
  if (body.startsWith('{')) {
    try {
      text = messageOf(JSON.parse(body));
    } catch {
      const m = MESSAGE_FIELD.exec(body);
      if (m) {
        try {
          text = JSON.parse(m[1] as string) as string;
        } catch {
          // an escape cut in half: show the body as it is
        }
      }
    }
  }
  if (text === undefined && body.startsWith('<')) {
    // An HTML error page (a proxy's 502, a framework's 500): its title, else its text.
    const title = HTML_TITLE.exec(body);
    text = title ? (title[1] as string) : body.replace(/<[^>]*>/g, ' ');
  }
  const shown = (text ?? body).replace(/\s+/g, ' ').trim();
  return cut(shown === '' ? '(no message)' : shown, max);
}

/** `HTTP 500` for a status code (with AIPerf's type when it is not mmload's `http`), else the type. */
export function errorLabel(d: Pick<ErrorDetailsCount, 'code' | 'type'>): string {
  if (d.code === null) return d.type || 'error';
  return d.type === 'http' || d.type === '' ? `HTTP ${d.code}` : `HTTP ${d.code} ${d.type}`;
}

/** The `max` most frequent distinct messages (ties: first seen first), and what was left out. */
export function topErrors(details: readonly ErrorDetailsCount[] | undefined, max: number): ErrorList {
  const all = [...(details ?? [])].filter((d) => d.count > 0);
  // Array.prototype.sort is stable: equal counts keep AIPerf's first-seen order.
  all.sort((a, b) => b.count - a.count);
  const shown = all.slice(0, max);
  const rest = all.slice(max);
  return {
    lines: shown.map((d) => ({ label: errorLabel(d), count: d.count, text: errorText(d.message) })),
    moreDistinct: rest.length,
    moreRequests: rest.reduce((n, d) => n + d.count, 0),
  };
}

export function formatErrorLine(l: ErrorLine): string {
  return `${l.label} x${l.count}: ${l.text}`;
}

/** `and 3 more distinct messages (7 requests)`, or undefined when nothing was left out. */
export function formatMore(e: ErrorList): string | undefined {
  if (e.moreDistinct === 0) return undefined;
  const what = e.moreDistinct === 1 ? 'distinct message' : 'distinct messages';
  const reqs = e.moreRequests === 1 ? 'request' : 'requests';
  return `and ${e.moreDistinct} more ${what} (${e.moreRequests} ${reqs})`;
}

/** The text lines of the list: one per message, then the "and K more" line. */
export function formatErrors(details: readonly ErrorDetailsCount[] | undefined, max: number): string[] {
  const e = topErrors(details, max);
  const more = formatMore(e);
  return [...e.lines.map(formatErrorLine), ...(more ? [more] : [])];
}
