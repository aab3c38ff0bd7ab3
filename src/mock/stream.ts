import type { ReasoningField } from './types.js';

/** The two OpenAI routes the mock serves: chat completions and (text) completions. */
export type MockEndpoint = 'chat' | 'completions';

/**
 * SSE writing in vLLM's shape. The constant parts of every chunk are built once per request, so
 * a token costs two string concatenations (no JSON.stringify per chunk). Words come from the
 * vocabulary (plain ASCII letters), so they need no JSON escaping. Text completions carry tokens
 * in `choices[].text` (object text_completion) and have no role chunk, as vLLM's.
 */
export class ChunkWriter {
  private readonly head: string;
  private readonly object: string;

  constructor(
    readonly id: string,
    readonly created: number,
    readonly model: string,
    readonly endpoint: MockEndpoint = 'chat',
  ) {
    const m = JSON.stringify(model);
    this.object = endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    this.head = `data: {"id":"${id}","object":"${this.object}","created":${created},"model":${m},"choices":[{"index":0,${endpoint === 'chat' ? '"delta":' : '"text":'}`;
  }

  /** First chunk of a chat stream: role, empty content (as vLLM sends it); none for text completions. */
  role(): string {
    if (this.endpoint !== 'chat') return '';
    return `${this.head}{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`;
  }

  /** One token; the last one carries finish_reason, as vLLM puts it on the final token's chunk. */
  token(piece: string, field: 'content' | ReasoningField, finish: string | null): string {
    let delta: string;
    if (this.endpoint !== 'chat') delta = `"${piece}"`;
    else if (field === 'both') delta = `{"reasoning_content":"${piece}","reasoning":"${piece}"}`;
    else delta = `{"${field}":"${piece}"}`;
    const fr = finish === null ? 'null' : `"${finish}"`;
    return `${this.head}${delta},"logprobs":null,"finish_reason":${fr}}]}\n\n`;
  }

  /** A finish chunk with an empty delta, used only when there were zero output tokens. */
  finish(reason: string): string {
    const empty = this.endpoint === 'chat' ? '{"content":""}' : '""';
    return `${this.head}${empty},"logprobs":null,"finish_reason":"${reason}"}]}\n\n`;
  }

  usage(prompt: number, completion: number): string {
    return `data: {"id":"${this.id}","object":"${this.object}","created":${this.created},"model":${JSON.stringify(this.model)},"choices":[],"usage":{"prompt_tokens":${prompt},"total_tokens":${prompt + completion},"completion_tokens":${completion}}}\n\n`;
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
  endpoint: MockEndpoint = 'chat',
): string {
  const usage = { prompt_tokens: prompt, total_tokens: prompt + completion, completion_tokens: completion };
  if (endpoint !== 'chat') {
    return JSON.stringify({
      id,
      object: 'text_completion',
      created,
      model,
      choices: [{ index: 0, text: reasoning + content, logprobs: null, finish_reason: finish }],
      usage,
    });
  }
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
    usage,
  });
}

/** OpenAI-style error body. */
export function errorBody(message: string, type: string, code: number): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}
