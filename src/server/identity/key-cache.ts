import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';

/**
 * Parsed trust objects by PEM. The exchange runs on every fake-agent reconnect and parsing a
 * PEM costs more than an RSA verification; TrustMaterial stays plain strings (worker-postable).
 */
const certs = new Map<string, X509Certificate>();
const keys = new Map<string, KeyObject>();

export function certificateFor(pem: string): X509Certificate {
  let c = certs.get(pem);
  if (!c) {
    c = new X509Certificate(pem);
    if (certs.size >= 64) certs.clear();
    certs.set(pem, c);
  }
  return c;
}

export function publicKeyFor(pem: string): KeyObject {
  let k = keys.get(pem);
  if (!k) {
    k = createPublicKey(pem);
    if (keys.size >= 64) keys.clear();
    keys.set(pem, k);
  }
  return k;
}
