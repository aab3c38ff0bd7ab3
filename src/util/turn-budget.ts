/**
 * A budget of operations per event-loop turn. Uploading a 52 MB body is a file read and a
 * socket write per slice, each of which holds the thread for its memory copy (~0.5 ms per MiB on
 * the build machine); when 30 uploads' reads completed in the same poll phase, their writes ran
 * back to back for 10-15 ms, and a token that arrived meanwhile was stamped that late. With the
 * budget, at most `perTurn` slices go per turn: the rest wait for the next turn (setImmediate, after
 * the poll phase), so the reads that carry tokens are served in between. The mock paces the
 * uploads it reads the same way, so that its token timers run between them.
 */
export class TurnBudget {
  private used = 0;
  private resetting = false;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly perTurn: number) {}

  /** Undefined when the operation may go now; else a promise that resolves on a later turn. */
  take(): Promise<void> | undefined {
    this.scheduleReset();
    if (this.used < this.perTurn && this.waiting.length === 0) {
      this.used++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private scheduleReset(): void {
    if (this.resetting) return;
    this.resetting = true;
    setImmediate(this.reset);
  }

  private readonly reset = (): void => {
    this.resetting = false;
    this.used = 0;
    while (this.used < this.perTurn && this.waiting.length > 0) {
      this.used++;
      this.waiting.shift()!();
    }
    if (this.waiting.length > 0 || this.used > 0) this.scheduleReset();
  };
}
