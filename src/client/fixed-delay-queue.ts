/**
 * One timer for many deadlines of the same length (every socket's next ping, every outstanding
 * pong deadline). Entries with one fixed delay fall due in the order they were added, so a
 * doubly linked FIFO and a single `setTimeout` for its head replace one Node timer (Timeout
 * object, closure, context) per socket — a fleet holds tens of thousands of sockets.
 *
 * Entries due within `slackMs` of the head are run in the same tick (1 % of the delay, at most
 * 100 ms: a 30 s ping may go out up to 100 ms early). The timer is cleared when the queue
 * empties, so an idle queue keeps no process alive.
 */
export class QueueEntry<T> {
  prev: QueueEntry<T> | undefined = undefined;
  next: QueueEntry<T> | undefined = undefined;
  dueAt = 0;
  queued = false;

  constructor(readonly owner: T) {}
}

export class FixedDelayQueue<T> {
  private head: QueueEntry<T> | undefined;
  private tail: QueueEntry<T> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly slackMs: number;

  constructor(
    readonly delayMs: number,
    private readonly due: (owner: T) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.slackMs = Math.min(delayMs / 100, 100);
  }

  /** (Re)schedules `entry` to fall due `delayMs` from now. */
  add(entry: QueueEntry<T>): void {
    if (entry.queued) this.unlink(entry);
    entry.dueAt = this.now() + this.delayMs;
    entry.queued = true;
    entry.prev = this.tail;
    entry.next = undefined;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    if (!this.timer) this.arm();
  }

  remove(entry: QueueEntry<T>): void {
    if (!entry.queued) return;
    this.unlink(entry);
    if (!this.head && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private unlink(entry: QueueEntry<T>): void {
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = entry.next = undefined;
    entry.queued = false;
  }

  private arm(): void {
    const head = this.head;
    if (!head) return;
    this.timer = setTimeout(FixedDelayQueue.fire, Math.max(0, head.dueAt - this.now()), this);
  }

  private static fire<U>(self: FixedDelayQueue<U>): void {
    self.timer = undefined;
    const limit = self.now() + self.slackMs;
    // Entries added while running are due a full delay later, so the loop ends.
    let entry = self.head;
    while (entry && entry.dueAt <= limit) {
      self.unlink(entry);
      try {
        self.due(entry.owner);
      } catch (error) {
        // Surface like a timer callback's throw, after re-arming for the rest.
        queueMicrotask(() => {
          throw error;
        });
      }
      entry = self.head;
    }
    if (!self.timer) self.arm();
  }
}
