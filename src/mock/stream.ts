import type { ReasoningField } from './types.js';

/**
 * SSE writing in vLLM's shape. The constant parts of every chunk are built once per request, so
 * a token costs two string concatenations (no JSON.stringify per chunk). Words come from the
 * vocabulary (plain ASCII letters), so they need no JSON escaping.
 */
export class ChunkWriter {
  private readonly head: string;
  private readonly finishHead: string;

  constructor(
    readonly id: string,
    readonly created: number,
    readonly model: string,
  ) {
    const m = JSON.stringify(model);
    this.head = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${m},"choices":[{"index":0,"delta":`;
    this.finishHead = this.head;
  }

  /** First chunk: role, empty content (as vLLM sends it). */
  role(): string {
    return `${this.head}{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`;
  }

  /** One token; the last one carries finish_reason, as vLLM puts it on the final token's chunk. */
  token(piece: string, field: 'content' | ReasoningField, finish: string | null): string {
    let delta: string;
    if (field === 'both') delta = `{"reasoning_content":"${piece}","reasoning":"${piece}"}`;
    else delta = `{"${field}":"${piece}"}`;
    const fr = finish === null ? 'null' : `"${finish}"`;
    return `${this.finishHead}${delta},"logprobs":null,"finish_reason":${fr}}]}\n\n`;
  }

  /** A finish chunk with an empty delta, used only when there were zero output tokens. */
  finish(reason: string): string {
    return `${this.head}{"content":""},"logprobs":null,"finish_reason":"${reason}"}]}\n\n`;
  }

  usage(prompt: number, completion: number): string {
    return `data: {"id":"${this.id}","object":"chat.completion.chunk","created":${this.created},"model":${JSON.stringify(this.model)},"choices":[],"usage":{"prompt_tokens":${prompt},"total_tokens":${prompt + completion},"completion_tokens":${completion}}}\n\n`;
  }

  done(): string {
    return 'data: [DONE]\n\n';
  }
}

/** The non-stream response body. */
export function completionBody(
  id: string,
  created: number,
  model: string,
  reasoning: string,
  content: string,
  reasoningField: ReasoningField,
  finish: string,
  prompt: number,
  completion: number,
): string {
  const message: Record<string, unknown> = { role: 'assistant', content };
  if (reasoning.length > 0) {
    if (reasoningField !== 'reasoning') message.reasoning_content = reasoning;
    if (reasoningField !== 'reasoning_content') message.reasoning = reasoning;
  }
  return JSON.stringify({
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
    usage: { prompt_tokens: prompt, total_tokens: prompt + completion, completion_tokens: completion },
  });
}

/** OpenAI-style error body. */
export function errorBody(message: string, type: string, code: number): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}
