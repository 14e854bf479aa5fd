import type { Rng } from '../../core/rng.js';

/**
 * Which connections an action hits, deterministically for a seed.
 *
 * Connections open when the action starts: exactly `round(fraction × open)` of them, chosen by
 * a seeded shuffle of the open set in accept order (so 0.5 of 10 is always 5, and the same 5
 * for the same seed and the same accept order). Connections opened while it lasts: each one is
 * hit with probability `fraction`, drawn from the same stream in accept order.
 */
export function pickOpen<T extends { readonly id: number }>(open: Iterable<T>, fraction: number, rng: Rng): T[] {
  const sorted = [...open].sort((a, b) => a.id - b.id);
  const take = Math.round(fraction * sorted.length);
  if (take >= sorted.length) return sorted;
  // Partial Fisher–Yates: the first `take` slots end up a uniform sample.
  for (let i = 0; i < take; i++) {
    const j = rng.int(i, sorted.length - 1);
    [sorted[i], sorted[j]] = [sorted[j]!, sorted[i]!];
  }
  return sorted.slice(0, take);
}

/** Whether a connection opened during the action's window is hit. */
export function pickNew(fraction: number, rng: Rng): boolean {
  if (fraction >= 1) return true;
  if (fraction <= 0) return false;
  return rng.chance(fraction);
}
