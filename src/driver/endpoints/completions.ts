import type { DatasetRow } from '../../dataset/types.js';
import { InputError } from '../../util/errors.js';
import { type BodySettings, bodyTail, type RequestBody } from '../request.js';
import { classifyCompletionEvent } from '../sse.js';
import type { Endpoint } from './endpoint.js';

/**
 * /v1/completions for text-only model servers, as AIPerf's `completions` endpoint type builds it
 * (aiperf/endpoints/openai_completions.py): `prompt` is the row's text (a list when it has
 * several), then the same fields as chat; tokens in `choices[].text`. A row with images is
 * refused: sending its text alone would measure a different workload without saying so.
 */
export function completionsBody(row: DatasetRow, s: BodySettings): RequestBody {
  if (row.images.length > 0) {
    throw new InputError(
      row.file,
      row.line,
      'images',
      'the completions endpoint sends text only; use --endpoint-type chat, or a text-only dataset (mmload generate --images-per-row 0)',
    );
  }
  const texts = row.texts.filter((t) => t.length > 0);
  const prompt = texts.length === 1 ? texts[0] : texts;
  const body = Buffer.from(
    `{"prompt":${JSON.stringify(prompt)},${JSON.stringify(bodyTail(row, s)).slice(1)}`,
  );
  return { parts: [body], length: body.length };
}

export const completionsEndpoint: Endpoint = {
  type: 'completions',
  path: '/v1/completions',
  modelsPath: '/v1/models',
  buildBody: async (row, s) => completionsBody(row, s),
  classify: classifyCompletionEvent,
};
