/**
 * Doubling retry delays with a cap, like coder/retry (`retry.New(floor, ceil)`) as the Go agent
 * and SDK use it: agents 100 ms → 10 s, peers 50 ms → 10 s, stats 100 ms → 1 min, lifecycle
 * 1 s → 15 s. `next()` returns the delay to wait now; `reset()` after a success.
 *
 * The Go agent adds no jitter: it builds its retrier with `retry.New(floor, ceil)` only (the
 * retrier of that era has no jitter at all; later versions have an optional `Jitter` field, zero
 * unless set, which the agent does not set). So a fleet that lost its sockets at one instant
 * retries in lock-step waves. {@link reconnectBackoff} can add full jitter to study the
 * difference (docs/protocol.md §7.5).
 */
export class Backoff {
  private current: number;

  /**
   * @param random when given, full jitter: each delay is uniform in [0, nominal delay), drawn
   *   from this source (a seeded stream, so runs replay); the nominal delays still double.
   */
  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random?: UniformSource,
  ) {
    this.current = initialMs;
  }

  next(): number {
    const delay = Math.min(this.current, this.maxMs);
    this.current = Math.min(this.current * 2, this.maxMs);
    return this.random ? delay * this.random.next() : delay;
  }

  reset(): void {
    this.current = this.initialMs;
  }
}

/** Uniform draws in [0, 1): an `Rng` or an agent's `SeededStream`. */
export interface UniformSource {
  next(): number;
}

/** `none`: the nominal doubling delays (what the Go agent does); `full`: uniform in [0, delay]. */
export type BackoffJitter = 'none' | 'full';

/** A reconnect policy as the scenario holds it (`agents.reconnect`, `peers.reconnect`; ms). */
export interface ReconnectPolicy {
  /** First delay after a drop or a failed attempt, ms (> 0). */
  readonly initial: number;
  /** Cap of the doubling, ms (≥ initial). */
  readonly max: number;
  readonly jitter: BackoffJitter;
}

/**
 * The backoff of one reconnecting client under `policy`. `random` is asked for lazily and only
 * with full jitter, so a policy without jitter draws nothing (the client's other seeded draws do
 * not shift when jitter is switched on or off).
 */
export function reconnectBackoff(policy: ReconnectPolicy, random: () => UniformSource): Backoff {
  return new Backoff(policy.initial, policy.max, policy.jitter === 'full' ? random() : undefined);
}

/** The same delays as an endless generator. */
export function* backoffDelays(initialMs: number, maxMs: number): Generator<number, never> {
  const backoff = new Backoff(initialMs, maxMs);
  for (;;) yield backoff.next();
}
