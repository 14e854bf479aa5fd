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
import { wireNode, type WireNode } from './coordinate-wire.js';

/**
 * Between the Tailnet protobuf messages and the routing core's plain objects. A tunnel or
 * ready-for-handshake id that is not 16 bytes is a refusal, as `uuid.FromBytes` fails in coderd.
 */

export type DecodedRequest = { ok: true; request: CoordinateRequest<WireNode> } | { ok: false; reason: string };

function id(bytes: Uint8Array, what: string): { ok: true; uuid: string } | { ok: false; reason: string } {
  const parsed = uuidFromBytes(bytes);
  return parsed.ok ? parsed : { ok: false, reason: `parse ${what} id: ${parsed.error}` };
}

/** `nodeBytes`: the bytes `update_self.node` was decoded from, when known (else it is encoded once). */
export function fromProtoRequest(req: ProtoRequest, nodeBytes?: Uint8Array): DecodedRequest {
  const out: CoordinateRequest<WireNode> = {};
  if (req.updateSelf) {
    const node = req.updateSelf.node;
    out.updateSelf = { node: node === undefined ? undefined : wireNode(node, nodeBytes) };
  }
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

/** The response as a protobuf-es message (the reference coordinate-wire.ts's encoder is tested against). */
export function toProtoResponse(res: CoordinateResponse<WireNode>): ProtoResponse {
  return create(CoordinateResponseSchema, {
    peerUpdates: res.peerUpdates.map((u) =>
      create(CoordinateResponse_PeerUpdateSchema, { id: uuidToBytes(u.id), node: u.node?.node, kind: KIND[u.kind], reason: u.reason }),
    ),
    error: res.error ?? '',
  });
}

/**
 * proto.Equal on two nodes: protobuf-es `equals(NodeSchema, a, b)` written out for the Node's
 * fields (the coordinator compares nodes on every update, and reflection costs microseconds
 * each time). The same rules: unknown fields are ignored; implicit-presence fields compare by
 * value (a zero value is "unset"); `as_of` is unset only when absent; maps compare key sets and
 * values; doubles with `===` (NaN differs from itself, -0 equals 0). Fields that change most
 * often (`as_of`, endpoints) are compared first. A Node from another schema version falls back
 * to `equals`.
 */
export function nodesEqual(a: Node, b: Node): boolean {
  if (a === b) return true;
  if (a.$typeName !== NodeSchema.typeName || b.$typeName !== NodeSchema.typeName) return false;
  if (NODE_FIELDS !== NodeSchema.fields.length) return equals(NodeSchema, a, b);
  return (
    timestampsEqual(a.asOf, b.asOf) &&
    a.id === b.id &&
    listsEqual(a.endpoints, b.endpoints) &&
    a.preferredDerp === b.preferredDerp &&
    mapsEqual(a.derpLatency, b.derpLatency) &&
    bytesEqual(a.key, b.key) &&
    a.disco === b.disco &&
    listsEqual(a.addresses, b.addresses) &&
    listsEqual(a.allowedIps, b.allowedIps) &&
    mapsEqual(a.derpForcedWebsocket, b.derpForcedWebsocket)
  );
}

/** Fields `nodesEqual` compares (id, as_of, key, disco, preferred_derp, two maps, three lists). */
const NODE_FIELDS = 10;

function timestampsEqual(a: Node['asOf'], b: Node['asOf']): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.seconds === b.seconds && a.nanos === b.nanos;
}

function listsEqual(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function mapsEqual<V>(a: { [key: string | number]: V }, b: { [key: string | number]: V }): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    if (!Object.hasOwn(b, k) || a[k] !== b[k]) return false;
  }
  return true;
}
