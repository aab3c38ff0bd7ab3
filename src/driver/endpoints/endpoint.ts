import type { DatasetRow } from '../../dataset/types.js';
import type { ImagePathCache } from '../local-images.js';
import type { BodySettings, RequestBody } from '../request.js';
import type { EventData, EventInfo } from '../sse.js';
import { chatEndpoint } from './chat.js';
import { completionsEndpoint } from './completions.js';

/**
 * What differs between the OpenAI endpoints mmload drives, in one place per endpoint: the route,
 * how a dataset row becomes a request body, and what each streamed event means for the metrics.
 * Names are AIPerf's --endpoint-type values.
 */
export interface Endpoint {
  type: EndpointType;
  /** Route under the server's base URL. */
  path: string;
  /** The models route, for pre-connecting (any cheap GET). */
  modelsPath: string;
  buildBody(row: DatasetRow, s: BodySettings, images: ImagePathCache): Promise<RequestBody>;
  classify(data: EventData): Readonly<EventInfo>;
}

export const ENDPOINT_TYPES = ['chat', 'completions'] as const;
export type EndpointType = (typeof ENDPOINT_TYPES)[number];

export function endpointOf(type: EndpointType): Endpoint {
  return type === 'completions' ? completionsEndpoint : chatEndpoint;
}
