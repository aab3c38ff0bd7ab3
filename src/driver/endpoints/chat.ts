import { buildBody } from '../request.js';
import { classifyEvent } from '../sse.js';
import type { Endpoint } from './endpoint.js';

/** /v1/chat/completions: one user message of text and image parts; tokens in `choices[].delta.content`. */
export const chatEndpoint: Endpoint = {
  type: 'chat',
  path: '/v1/chat/completions',
  modelsPath: '/v1/models',
  buildBody,
  classify: classifyEvent,
};
