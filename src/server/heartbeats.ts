/**
 * The connection heartbeat of protocol §5.10/§6 for every connected agent, on one timer per server
 * instead of one setInterval per socket. All entries share one interval, so a FIFO is already
 * in due order: the timer is armed for the head only, and an entry that fires goes back to the
 * tail due `now + interval` (setInterval's rescheduling rule). Cancelled entries are dropped
 * when they reach the head.
 */
export interface Beat {
  /** Called every interval until cancelled. */
  beat(): void;
}

interface Entry {
  target: Beat;
  due: number;
  cancelled: boolean;
  next: Entry | undefined;
}

/** Beats per timer run (see `run`). */
export const BEATS_PER_RUN = 64;

export class Heartbeats {
  private head: Entry | undefined;
  private tail: Entry | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly fire = (): void => this.run();

  constructor(
    readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Starts beating `target` one interval from now; returns the handle to cancel it. */
  add(target: Beat): { cancel(): void } {
    const entry: Entry = { target, due: this.now() + this.intervalMs, cancelled: false, next: undefined };
    this.push(entry);
    if (this.timer === undefined) this.arm();
    return { cancel: () => void (entry.cancelled = true) };
  }

  /** Stops the timer and forgets every entry. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.head = this.tail = undefined;
  }

  private push(entry: Entry): void {
    entry.next = undefined;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
  }

  private arm(): void {
    while (this.head?.cancelled) this.shift();
    const head = this.head;
    if (!head) {
      this.timer = undefined;
      return;
    }
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(head.due - this.now())));
    this.timer.unref();
  }

  private shift(): Entry | undefined {
    const entry = this.head;
    if (!entry) return undefined;
    this.head = entry.next;
    if (!this.head) this.tail = undefined;
    entry.next = undefined;
    return entry;
  }

  private run(): void {
    this.timer = undefined;
    const now = this.now();
    // Entries added during this run are due an interval later, so the loop ends. At most
    // BEATS_PER_RUN beats per run: agents that connected together are due together, and a
    // thousand beats (each a ping and a socket write) in one go would stall every socket's I/O
    // for tens of ms; the rest run on the next timer, 1 ms later, after pending I/O. Each entry's
    // next beat is due an interval after its own run, so a burst spreads out and stays spread.
    let error: unknown;
    let beaten = 0;
    while (this.head && this.head.due <= now && beaten < BEATS_PER_RUN) {
      const entry = this.shift() as Entry;
      if (entry.cancelled) continue;
      beaten++;
      entry.due = now + this.intervalMs;
      this.push(entry);
      try {
        entry.target.beat();
      } catch (e) {
        error ??= e;
      }
    }
    this.arm();
    // Like a throwing setInterval callback: surfaces as an uncaught error, the others still ran.
    if (error !== undefined) throw error;
  }
}
