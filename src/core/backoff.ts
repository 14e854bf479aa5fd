/**
 * Doubling retry delays with a cap, like coder/retry (`retry.New(floor, ceil)`) as the Go agent
 * and SDK use it: agents 100 ms → 10 s, peers 50 ms → 10 s, stats 100 ms → 1 min, lifecycle
 * 1 s → 15 s. `next()` returns the delay to wait now; `reset()` after a success.
 */
export class Backoff {
  private current: number;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {
    this.current = initialMs;
  }

  next(): number {
    const delay = Math.min(this.current, this.maxMs);
    this.current = Math.min(this.current * 2, this.maxMs);
    return delay;
  }

  reset(): void {
    this.current = this.initialMs;
  }
}

/** The same delays as an endless generator. */
export function* backoffDelays(initialMs: number, maxMs: number): Generator<number, never> {
  const backoff = new Backoff(initialMs, maxMs);
  for (;;) yield backoff.next();
}
