import type { Rng } from '../../core/rng.js';
import type { StopSignal } from '../../client/stop-signal.js';

/**
 * A small seeded stream (mulberry32) for an agent's ongoing draws (update jitter, flapping):
 * seeded once from the agent's Rng, with prototype methods so thousands of agents stay cheap.
 */
export class SeededStream {
  private state: number;

  /** Seeded from an agent's Rng, or from another stream (a sub-stream that leaves the Rng's draws alone). */
  constructor(rng: Pick<Rng, 'next'>) {
    this.state = Math.floor(rng.next() * 4294967296) >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniform value in [base × (1 − ratio), base × (1 + ratio)]. */
  jitter(base: number, ratio: number): number {
    return base * (1 - ratio + 2 * ratio * this.next());
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

  async acquire(signal: StopSignal): Promise<boolean> {
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
