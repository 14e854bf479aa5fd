/**
 * Inbound messages of one streaming RPC, consumed by `recv()`, async iteration or a listener.
 * Above `highWater` queued messages it asks its owner to pause the yamux stream, so a slow
 * consumer withholds window from the peer instead of buffering without bound.
 */

/** Callback-style consumer (no promise per message). */
export interface MessageListener {
  onMessage(message: Uint8Array): void;
  /** The stream ended: cleanly (`error` undefined) or with a typed error. */
  onEnd(error: Error | undefined): void;
}

/** What the queue needs from the RPC that owns it. */
export interface QueueOwner {
  pauseInbound(): void;
  resumeInbound(): void;
  /** The consumer started reading (drpc flushes a corked Invoke then). */
  recvStarted(): void;
  /** The consumer stopped iterating early (`break`): the RPC is cancelled. */
  abandon(): void;
}

interface Waiter {
  resolve(value: Uint8Array | undefined): void;
  reject(error: Error): void;
}

export class MessageQueue implements AsyncIterable<Uint8Array> {
  /** Queued messages from `head` on; the shared NO_ITEMS while none are (most streams are
   * listened to, so a queue per long-lived stream would stay empty for good). */
  private items: Uint8Array[] = NO_ITEMS;
  private head = 0;
  private waiter: Waiter | null = null;
  private ended = false;
  private error: Error | undefined;
  private listener: MessageListener | null = null;
  private paused = false;

  constructor(
    private readonly owner: QueueOwner,
    private readonly highWater = 16,
  ) {}

  /** True once the end (clean or not) was delivered or queued. */
  get isEnded(): boolean {
    return this.ended;
  }

  push(message: Uint8Array): void {
    if (this.ended) return;
    if (this.listener) return this.listener.onMessage(message);
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      return waiter.resolve(message);
    }
    if (this.items === NO_ITEMS) this.items = [message];
    else this.items.push(message);
    if (!this.paused && this.items.length - this.head >= this.highWater) {
      this.paused = true;
      this.owner.pauseInbound();
    }
  }

  end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    if (this.listener) return this.listener.onEnd(error);
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter && this.head === this.items.length) {
      if (error) waiter.reject(error);
      else waiter.resolve(undefined);
    }
  }

  /** Next message; `undefined` after a clean end; rejects with the stream's error. */
  recv(): Promise<Uint8Array | undefined> {
    this.owner.recvStarted();
    if (this.head < this.items.length) {
      const message = this.items[this.head] as Uint8Array;
      this.items[this.head++] = EMPTY;
      if (this.head === this.items.length) {
        this.items = NO_ITEMS;
        this.head = 0;
      }
      if (this.paused && this.items.length - this.head < this.highWater / 2) {
        this.paused = false;
        this.owner.resumeInbound();
      }
      return Promise.resolve(message);
    }
    if (this.ended) return this.error ? Promise.reject(this.error) : Promise.resolve(undefined);
    if (this.waiter) return Promise.reject(new Error('recv() already pending'));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Switches to callbacks: queued messages (and a queued end) are delivered first. */
  listen(listener: MessageListener): void {
    this.owner.recvStarted();
    this.listener = listener;
    const items = this.items.slice(this.head);
    this.items = NO_ITEMS;
    this.head = 0;
    if (this.paused) {
      this.paused = false;
      this.owner.resumeInbound();
    }
    for (const message of items) listener.onMessage(message);
    if (this.ended) listener.onEnd(this.error);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: async () => {
        const value = await this.recv();
        return value === undefined ? { done: true, value: undefined } : { done: false, value };
      },
      return: async () => {
        if (!this.ended) this.owner.abandon();
        return { done: true, value: undefined };
      },
    };
  }
}

const EMPTY = new Uint8Array(0);
/** Never pushed to (frozen, so a mistake throws). */
const NO_ITEMS: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];
