import { nowNsNumber } from '../util/clock.js';

/**
 * When the mock's loop found a request's bytes, for its ground-truth record.
 *
 * Node runs the HTTP parser and the request handler of each readable socket in turn, within one
 * poll phase. With 30 requests arriving together, the 30th handler runs after 29 others' work:
 * stamped there, its arrival read several ms late, and the mock's own TTFT (first token - arrival)
 * came out short by as much, which the accuracy bench then counted against the client. Every
 * socket handled in one poll phase was readable when epoll returned (the kernel had the request's
 * bytes by then), so all requests handled in the phase share the stamp its first handler took:
 * still an upper bound on each arrival, but one that no longer grows with the burst.
 *
 * The stamp is cleared by an immediate, which runs right after the poll phase. A request parsed
 * outside a poll phase (a pipelined one, resumed after its connection's earlier response) would
 * take a stamp that the poll right after it reuses; that poll does not block, as an immediate is
 * pending, so such a stamp is early by at most the callbacks run in between. libuv also polls again
 * within a phase when one epoll call returned 1,024 events. Neither happens with one request per
 * connection at a time and fewer than a thousand connections, which is how clients load a server.
 */
export class PollPhaseClock {
  private ns: number | undefined;

  now(): number {
    if (this.ns === undefined) {
      this.ns = nowNsNumber();
      setImmediate(this.reset);
    }
    return this.ns;
  }

  private readonly reset = (): void => {
    this.ns = undefined;
  };
}
