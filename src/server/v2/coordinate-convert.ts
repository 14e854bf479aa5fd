import { create, equals } from '@bufbuild/protobuf';
import {
  CoordinateResponse_PeerUpdate_Kind,
  CoordinateResponse_PeerUpdateSchema,
  CoordinateResponseSchema,
  NodeSchema,
  type CoordinateRequest as ProtoRequest,
  type CoordinateResponse as ProtoResponse,
  type Node,
} from '../../protocol/v2/gen/coder/tailnet/v2/tailnet_pb.js';
import { uuidFromBytes, uuidToBytes } from './go-format.js';
import type { CoordinateRequest, CoordinateResponse, PeerUpdateKind } from './tailnet-core.js';

/**
 * Between the Tailnet protobuf messages and the routing core's plain objects. A tunnel or
 * ready-for-handshake id that is not 16 bytes is a refusal, as `uuid.FromBytes` fails in coderd.
 */

export type DecodedRequest = { ok: true; request: CoordinateRequest<Node> } | { ok: false; reason: string };

function id(bytes: Uint8Array, what: string): { ok: true; uuid: string } | { ok: false; reason: string } {
  const parsed = uuidFromBytes(bytes);
  return parsed.ok ? parsed : { ok: false, reason: `parse ${what} id: ${parsed.error}` };
}

export function fromProtoRequest(req: ProtoRequest): DecodedRequest {
  const out: CoordinateRequest<Node> = {};
  if (req.updateSelf) out.updateSelf = { node: req.updateSelf.node };
  if (req.addTunnel) {
    const parsed = id(req.addTunnel.id, 'add tunnel');
    if (!parsed.ok) return parsed;
    out.addTunnel = parsed.uuid;
  }
  if (req.removeTunnel) {
    const parsed = id(req.removeTunnel.id, 'remove tunnel');
    if (!parsed.ok) return parsed;
    out.removeTunnel = parsed.uuid;
  }
  if (req.disconnect) out.disconnect = true;
  // A repeated field has no presence: empty means "none", as for Go's nil slice.
  if (req.readyForHandshake.length > 0) {
    const ids: string[] = [];
    for (const rfh of req.readyForHandshake) {
      const parsed = id(rfh.id, 'ready for handshake');
      if (!parsed.ok) return parsed;
      ids.push(parsed.uuid);
    }
    out.readyForHandshake = ids;
  }
  return { ok: true, request: out };
}

const KIND: Record<PeerUpdateKind, CoordinateResponse_PeerUpdate_Kind> = {
  NODE: CoordinateResponse_PeerUpdate_Kind.NODE,
  DISCONNECTED: CoordinateResponse_PeerUpdate_Kind.DISCONNECTED,
  LOST: CoordinateResponse_PeerUpdate_Kind.LOST,
  READY_FOR_HANDSHAKE: CoordinateResponse_PeerUpdate_Kind.READY_FOR_HANDSHAKE,
};

export function toProtoResponse(res: CoordinateResponse<Node>): ProtoResponse {
  return create(CoordinateResponseSchema, {
    peerUpdates: res.peerUpdates.map((u) =>
      create(CoordinateResponse_PeerUpdateSchema, { id: uuidToBytes(u.id), node: u.node, kind: KIND[u.kind], reason: u.reason }),
    ),
    error: res.error ?? '',
  });
}

/** proto.Equal on two nodes. */
export function nodesEqual(a: Node, b: Node): boolean {
  return a === b || equals(NodeSchema, a, b);
}
