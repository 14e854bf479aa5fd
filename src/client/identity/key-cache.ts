import { createPrivateKey, type KeyObject } from 'node:crypto';

/**
 * Parsed private keys by PEM: the signers run on every reconnect of every fake agent, and PEM
 * parsing costs more than the signature itself. Bounded so a long run with rotating material
 * cannot grow it without limit.
 */
const keys = new Map<string, KeyObject>();

export function privateKeyFor(pem: string): KeyObject {
  let key = keys.get(pem);
  if (!key) {
    key = createPrivateKey(pem);
    if (keys.size >= 32) keys.clear();
    keys.set(pem, key);
  }
  return key;
}
