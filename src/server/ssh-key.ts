import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';

/**
 * The workspace owner's git SSH key (protocol §5.6), ed25519 in real OpenSSH formats:
 * `ssh-ed25519 AAAA…\n` (authorized_keys, no comment) and an unencrypted
 * `-----BEGIN OPENSSH PRIVATE KEY-----` (openssh-key-v1) block. Derived from a 32-byte seed so
 * the same fixtures seed gives the same key.
 */
export interface GitSshKey {
  publicKey: string;
  privateKey: string;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function ed25519GitSshKey(seed: Buffer): GitSshKey {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const pub = Buffer.from(jwk.x as string, 'base64url');
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const publicKey = `ssh-ed25519 ${pubBlob.toString('base64')}\n`;

  const check = createHash('sha256').update(seed).update('check').digest().readUInt32BE(0);
  let section = Buffer.concat([
    u32(check),
    u32(check),
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed.subarray(0, 32), pub])),
    sshString(''),
  ]);
  const pad: number[] = [];
  for (let i = 1; (section.length + pad.length) % 8 !== 0; i++) pad.push(i);
  section = Buffer.concat([section, Buffer.from(pad)]);
  const blob = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    u32(1),
    sshString(pubBlob),
    sshString(section),
  ]);
  const b64 = blob.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  const privatePem = `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
  return { publicKey, privateKey: privatePem };
}
