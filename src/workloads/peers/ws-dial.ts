import WebSocket from 'ws';
import { encodeNode } from '../../protocol/node-codec.js';
import type { TailnetNode } from '../../protocol/tailnet-node.js';
import type { PeerDial, PeerDialOptions, PeerSocket } from './peer.js';

const ID_RE = /"id":(-?\d+)/g;

/**
 * Decodes a server → client/agent message (one JSON array of Nodes, protocol §7.1) fast: the int64
 * ids are turned into strings before JSON.parse so they keep every digit, then into bigint. It
 * trusts the coordinator's (json.Marshal) output and does not validate fields like the strict
 * node codec does: peers only need the id and the tag (as_of, endpoints).
 */
export function decodeNodesFast(text: string): TailnetNode[] {
  const parsed = JSON.parse(text.replace(ID_RE, '"id":"$1"')) as unknown;
  if (!Array.isArray(parsed)) return [];
  const nodes: TailnetNode[] = [];
  for (const item of parsed as Array<Record<string, unknown> | null>) {
    if (!item || typeof item !== 'object') continue;
    const id = typeof item.id === 'string' ? BigInt(item.id) : 0n;
    nodes.push({ ...(item as unknown as TailnetNode), id });
  }
  return nodes;
}

/**
 * What a v1 coordinate socket needs: the part of {@link PeerDialOptions} that is not about the
 * peer (the v1 wire carries no tunnel, so `agentId` and `node` are unused). Enough for an
 * agent's `/me/coordinate` socket too (benchmarks, scripted test agents).
 */
export type WsCoordinateDialOptions = Pick<PeerDialOptions, 'url' | 'token' | 'tokenIn' | 'onNodes' | 'onClose' | 'localAddress'>;

/**
 * A lightweight coordinate socket on `ws` (peers, agent sockets in benchmarks): token in the
 * `coder_session_token` cookie (like the Go SDK) or the `Coder-Session-Token` header, no
 * compression (the SDK turns it off), one binary frame per Node out, one array per message in
 * (what coderd and the reference server send). Resolves once open; rejects with the ws error
 * (an HTTP refusal reads "Unexpected server response: <status>").
 */
export const wsCoordinateDial = (options: WsCoordinateDialOptions): Promise<PeerSocket> =>
  new Promise<PeerSocket>((resolve, reject) => {
    const headers: Record<string, string> =
      options.tokenIn === 'header' ? { 'Coder-Session-Token': options.token } : { Cookie: `coder_session_token=${options.token}` };
    const ws = new WebSocket(options.url, {
      headers,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    let opened = false;
    const socket: PeerSocket = {
      sendNode(node) {
        if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.from(encodeNode(node)));
      },
      close(code = 1000) {
        if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
        else ws.close(code);
      },
      get open() {
        return ws.readyState === WebSocket.OPEN;
      },
    };
    ws.on('open', () => {
      opened = true;
      resolve(socket);
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        ws.close(1003); // like nhooyr's NetConn: a text frame is unsupported data (protocol §7.1)
        return;
      }
      let nodes: TailnetNode[];
      try {
        nodes = decodeNodesFast(data.toString());
      } catch {
        ws.close(1007);
        return;
      }
      options.onNodes(nodes, Date.now());
    });
    ws.on('error', (error) => {
      if (!opened) reject(error);
    });
    ws.on('close', (code, reason) => {
      if (opened) options.onClose(code, reason.toString());
      else reject(new Error('WebSocket closed before it opened'));
    });
  });

/** The v1 peer dial: {@link wsCoordinateDial} (a v1 peer's node goes out with `sendNode`). */
export const wsPeerDial: PeerDial = wsCoordinateDial;
