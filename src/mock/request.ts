import { createHash } from 'node:crypto';
import type { IngestedBody } from './body.js';

/** What the mock needs from a chat-completions request. */
export interface ChatRequest {
  stream: boolean;
  includeUsage: boolean;
  maxTokens?: number;
  minTokens?: number;
  ignoreEos: boolean;
  /** All text parts of all messages, joined by spaces. */
  text: string;
  /** Image identities (sha256 of the URL bytes), in order. */
  images: string[];
}

export class RequestError extends Error {}

const PLACEHOLDER = /^data:#(\d+)$/;

/** Validates the fields the mock uses; anything else in the body is ignored, as servers do. */
export function toChatRequest(body: IngestedBody): ChatRequest {
  const j = body.json;
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw new RequestError('body must be a JSON object');
  const o = j as Record<string, unknown>;
  if (!Array.isArray(o.messages)) throw new RequestError("'messages' must be an array");
  const texts: string[] = [];
  const images: string[] = [];
  for (const [i, m] of o.messages.entries()) {
    if (!m || typeof m !== 'object') throw new RequestError(`messages[${i}] must be an object`);
    const content = (m as Record<string, unknown>).content;
    if (typeof content === 'string') texts.push(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (!part || typeof part !== 'object') continue;
        const p = part as Record<string, unknown>;
        if (p.type === 'text' && typeof p.text === 'string') texts.push(p.text);
        else if (p.type === 'image_url') {
          const iu = p.image_url as Record<string, unknown> | string | undefined;
          const url = typeof iu === 'string' ? iu : iu && typeof iu.url === 'string' ? iu.url : undefined;
          if (url === undefined) throw new RequestError(`messages[${i}]: image_url part without a url`);
          const ph = PLACEHOLDER.exec(url);
          const hash = ph ? body.imageHashes[Number(ph[1])] : undefined;
          images.push(hash ?? createHash('sha256').update(url).digest('hex'));
        }
      }
    } else if (content !== null && content !== undefined) {
      throw new RequestError(`messages[${i}].content must be a string or an array`);
    }
  }
  return withLimits(o, texts, images);
}

/**
 * A text completions request (/v1/completions): `prompt` is a string or a list of strings; the
 * same limits and flags as chat. Images have no place in it.
 */
export function toCompletionRequest(body: IngestedBody): ChatRequest {
  const j = body.json;
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw new RequestError('body must be a JSON object');
  const o = j as Record<string, unknown>;
  const p = o.prompt;
  const texts =
    typeof p === 'string' ? [p] : Array.isArray(p) && p.every((x) => typeof x === 'string') ? p : undefined;
  if (!texts) throw new RequestError("'prompt' must be a string or an array of strings");
  return withLimits(o, texts as string[], []);
}

function withLimits(o: Record<string, unknown>, texts: string[], images: string[]): ChatRequest {
  const maxTokens = optInt(o, 'max_completion_tokens') ?? optInt(o, 'max_tokens');
  const minTokens = optInt(o, 'min_tokens');
  const so = o.stream_options as Record<string, unknown> | undefined;
  return {
    stream: o.stream === true,
    includeUsage: !!so && typeof so === 'object' && so.include_usage === true,
    maxTokens,
    minTokens,
    ignoreEos: o.ignore_eos === true,
    text: texts.join(' '),
    images,
  };
}

function optInt(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new RequestError(`'${key}' must be a non-negative integer`);
  }
  return v;
}
