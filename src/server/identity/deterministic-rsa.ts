/**
 * RSA key generation from a seed. node:crypto cannot seed its key generator and node-forge's
 * seeded generator takes ~1.8 s per 2048-bit key in pure JS, so we draw prime candidates from a
 * SHA-256 counter stream and let OpenSSL test primality (checkPrimeSync): ~50 ms per 2048-bit
 * key. Same seed and label → same PKCS#8 PEM. This is test material, not for production use.
 */
import { checkPrimeSync, createHash, createPrivateKey } from 'node:crypto';

const E = 65537n;
/** Odd primes below 2000, to sieve candidates before asking OpenSSL. */
const SMALL_PRIMES: number[] = (() => {
  const out: number[] = [];
  for (let i = 3; i < 2000; i += 2) {
    if (out.every((p) => p * p > i || i % p !== 0)) out.push(i);
  }
  return out;
})();

/** A deterministic byte stream: SHA-256(seed ‖ 0 ‖ label ‖ 0 ‖ counter). */
function byteStream(seed: string, label: string): (n: number) => Buffer {
  let counter = 0;
  return (n) => {
    const parts: Buffer[] = [];
    let len = 0;
    while (len < n) {
      const block = createHash('sha256').update(`${seed}\0${label}\0${counter++}`).digest();
      parts.push(block);
      len += block.length;
    }
    return Buffer.concat(parts).subarray(0, n);
  };
}

function toBigInt(buf: Buffer): bigint {
  return BigInt(`0x${buf.toString('hex')}`);
}

function randomPrime(draw: (n: number) => Buffer, bits: number): bigint {
  for (;;) {
    const b = draw(bits / 8);
    b[0] = (b[0] ?? 0) | 0xc0; // top two bits set: p*q has exactly 2*bits bits
    b[b.length - 1] = (b[b.length - 1] ?? 0) | 1;
    const base = toBigInt(b);
    // Residues of the base once (BigInt), then base + 2k is sieved with plain number math.
    const residues = SMALL_PRIMES.map((s) => Number(base % BigInt(s)));
    const eResidue = Number((base - 1n) % E);
    for (let k = 0; k < 4096; k++) {
      const step = 2 * k;
      let composite = false;
      for (let i = 0; i < SMALL_PRIMES.length; i++) {
        const s = SMALL_PRIMES[i] as number;
        if (((residues[i] as number) + step) % s === 0) {
          composite = true;
          break;
        }
      }
      if (composite || (eResidue + step) % 65537 === 0) continue; // e must be invertible mod p-1
      const x = base + BigInt(step);
      if (checkPrimeSync(x)) return x;
    }
  }
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new Error('modInverse: not invertible');
  return ((oldS % m) + m) % m;
}

function b64url(x: bigint): string {
  let hex = x.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
}

/** A 2048-bit (by default) RSA private key as PKCS#8 PEM, fully determined by seed and label. */
export function deterministicRsaKeyPem(seed: string, label: string, bits = 2048): string {
  const draw = byteStream(seed, label);
  const half = bits / 2;
  let p = randomPrime(draw, half);
  let q = randomPrime(draw, half);
  while (p === q) q = randomPrime(draw, half);
  if (p < q) [p, q] = [q, p];
  const n = p * q;
  const phi = (p - 1n) * (q - 1n);
  const d = modInverse(E, phi);
  const jwk = {
    kty: 'RSA',
    n: b64url(n),
    e: b64url(E),
    d: b64url(d),
    p: b64url(p),
    q: b64url(q),
    dp: b64url(d % (p - 1n)),
    dq: b64url(d % (q - 1n)),
    qi: b64url(modInverse(q, p)),
  };
  return createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }).toString();
}
