import { createHash } from 'node:crypto';

/**
 * A small seeded PRNG (sfc32) so the same scenario and seed give the same fleet, keys, jitter and
 * flapping schedule. `fork(label)` derives an independent stream, so adding draws in one
 * component does not shift the values another component sees.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** n pseudo-random bytes. */
  bytes(n: number): Buffer;
  /** A uniform random value in [base*(1-ratio), base*(1+ratio)]. */
  jitter(base: number, ratio: number): number;
  /** An independent stream derived from this seed and a label. */
  fork(label: string | number): Rng;
  readonly seed: string;
}

export function createRng(seed: string | number): Rng {
  const seedText = String(seed);
  const digest = createHash('sha256').update(seedText).digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  const nextU32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs: sfc32 needs a few rounds to mix a fresh state.
  for (let i = 0; i < 12; i++) nextU32();

  const rng: Rng = {
    seed: seedText,
    next: () => nextU32() / 4294967296,
    int: (min, max) => min + Math.floor(rng.next() * (max - min + 1)),
    chance: (p) => rng.next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick() from an empty array');
      return items[Math.floor(rng.next() * items.length)] as (typeof items)[number];
    },
    bytes: (n) => {
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i += 4) {
        const word = nextU32();
        for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (word >>> (j * 8)) & 0xff;
      }
      return out;
    },
    jitter: (base, ratio) => base * (1 - ratio + 2 * ratio * rng.next()),
    fork: (label) => createRng(`${seedText}/${label}`),
  };
  return rng;
}
