import type { Rng } from '../../core/rng.js';
import { formatGoTime } from '../../protocol/go-time.js';
import { CLIENT_IP_PREFIX, type TailnetNode } from '../../protocol/tailnet-node.js';

/**
 * A seeded client (peer) Node like tailnet.IP() + a fresh WireGuard/disco key pair would give
 * (spec §7.2): random positive 63-bit id, `fd7a:115c:a1e0:` + 10 random bytes as a /128, DERP
 * region 999 (the embedded DERP id), one LAN endpoint. Keys are random bytes, never used for
 * crypto: peers only exercise the coordinator.
 */
export function seededClientNode(rng: Rng, nowWallMs = Date.now()): TailnetNode {
  const idBytes = rng.bytes(8);
  idBytes[0] = (idBytes[0] as number) & 0x7f;
  const id = idBytes.readBigUInt64BE(0) || 1n;
  const tail = rng.bytes(10).toString('hex');
  const groups: string[] = [];
  for (let i = 0; i < tail.length; i += 4) groups.push(tail.slice(i, i + 4).replace(/^0{1,3}/, ''));
  const prefix = `${CLIENT_IP_PREFIX}${groups.join(':')}/128`;
  return {
    id,
    as_of: formatGoTime(nowWallMs),
    key: `nodekey:${rng.bytes(32).toString('hex')}`,
    disco: `discokey:${rng.bytes(32).toString('hex')}`,
    preferred_derp: 999,
    derp_latency: { '999-v4': 0.001 },
    addresses: [prefix],
    allowed_ips: [prefix],
    endpoints: [`192.168.${rng.int(0, 255)}.${rng.int(1, 254)}:${rng.int(1024, 65535)}`],
  };
}
