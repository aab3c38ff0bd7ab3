import { mulberry32 } from '../util/random.js';

export { mulberry32 };

/** A per-request stream derived from the server seed and the request index, independent of timing. */
export function requestRng(seed: number, index: number): () => number {
  return mulberry32((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0);
}
