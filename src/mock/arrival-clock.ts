import { nowNsNumber } from '../util/clock.js';

/**
 * When the mock's loop found a request's bytes, for its ground-truth record.
 *
 * Node runs the HTTP parser and the request handler of each readable socket in turn, within one
 * poll phase. With 30 requests arriving together, the 30th handler runs after 29 others' work:
 * stamped there, its arrival reads several ms late, and the mock's own TTFT (first token - arrival)
 * comes out short by as much, which the accuracy bench then counts against the client. Every
 * socket handled in one poll phase was readable when the phase began (the kernel had the bytes when
 * epoll returned it), so all requests handled in the phase share the stamp taken by its first
 * handler: still an upper bound on each one's arrival, but one that no longer grows with the burst.
 */
export class PollPhaseClock {
  private ns: number | undefined;

  now(): number {
    if (this.ns === undefined) {
      this.ns = nowNsNumber();
      // Immediates run in the check phase, right after this poll phase's callbacks.
      setImmediate(this.reset);
    }
    return this.ns;
  }

  private readonly reset = (): void => {
    this.ns = undefined;
  };
}
