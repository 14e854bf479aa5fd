import type { Rng } from '../../core/rng.js';

/** Waits `ms`; resolves true when the time passed, false as soon as `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<boolean>;

export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(0, ms));
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Exponential retry delays like coder/retry (`retry.New(floor, ceil)`): the first wait is the
 * floor, each further wait doubles, capped at the ceiling; `reset()` after a success.
 */
export class RetryBackoff {
  private current: number;

  constructor(
    private readonly floorMs: number,
    private readonly ceilMs: number,
  ) {
    this.current = floorMs;
  }

  next(): number {
    const delay = this.current;
    this.current = Math.min(this.ceilMs, this.current * 2);
    return delay;
  }

  reset(): void {
    this.current = this.floorMs;
  }
}

/** Picks a key with probability proportional to its weight (weights ≥ 0, sum > 0). One draw. */
export function pickWeighted<K extends string>(rng: Rng, weights: Readonly<Record<K, number>>): K {
  const entries = (Object.entries(weights) as Array<[K, number]>).filter(([, w]) => w > 0);
  if (entries.length === 0) throw new Error('pickWeighted: no positive weight');
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let roll = rng.next() * total;
  for (const [key, weight] of entries) {
    roll -= weight;
    if (roll < 0) return key;
  }
  return entries[entries.length - 1]![0];
}

/** A counting semaphore (bounds handshakes in flight). `acquire` resolves false if aborted. */
export class Gate {
  private active = 0;
  /** Insertion-ordered, so release() grants in FIFO order; delete() is O(1) on abort. */
  private readonly waiters = new Set<() => void>();

  constructor(private readonly limit: number) {}

  async acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return false;
    if (this.active < this.limit) {
      this.active++;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.active++;
        resolve(true);
      };
      const onAbort = (): void => {
        this.waiters.delete(grant);
        resolve(false);
      };
      this.waiters.add(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    this.active--;
    const next = this.waiters.values().next();
    if (!next.done) {
      this.waiters.delete(next.value);
      next.value();
    }
  }
}
