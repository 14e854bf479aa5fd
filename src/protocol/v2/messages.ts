/**
 * The typed face of the v2 protobuf messages (docs/protocol-v2.md §3–§4): method paths, a codec
 * per RPC that turns messages into bytes and back, and the small conversions every caller needs
 * (UUID text ↔ 16 bytes, ms ↔ Duration/Timestamp, the metadata-description unit quirk).
 *
 * The yamux/dRPC layers stay byte-oriented: they move `Uint8Array`s and look up an RPC by its
 * path; only this module knows about schemas. Generated types come from src/protocol/v2/gen
 * (`npm run gen`).
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { DurationSchema, TimestampSchema } from '@bufbuild/protobuf/wkt';
import type { Duration, Timestamp } from '@bufbuild/protobuf/wkt';
import { Agent } from './gen/coder/agent/v2/agent_pb.js';
import { Tailnet } from './gen/coder/tailnet/v2/tailnet_pb.js';

export * as agentpb from './gen/coder/agent/v2/agent_pb.js';
export * as tailnetpb from './gen/coder/tailnet/v2/tailnet_pb.js';
export { uuidFromBytes, uuidToBytes, isNilUuid, NIL_UUID, EXTERNAL_LOG_SOURCE_ID } from './uuid-bytes.js';

// ---------------------------------------------------------------------------------------------
// Method paths (protocol-v2 §2.4: the Invoke packet carries exactly this text)
// ---------------------------------------------------------------------------------------------

export const AGENT_SERVICE = 'coder.agent.v2.Agent';
export const TAILNET_SERVICE = 'coder.tailnet.v2.Tailnet';

/** Every Agent RPC fleetsim speaks, by method name (docs/protocol-v2.md §3.1). */
export const AGENT_METHODS = {
  GetManifest: '/coder.agent.v2.Agent/GetManifest',
  GetServiceBanner: '/coder.agent.v2.Agent/GetServiceBanner',
  UpdateStats: '/coder.agent.v2.Agent/UpdateStats',
  UpdateLifecycle: '/coder.agent.v2.Agent/UpdateLifecycle',
  BatchUpdateAppHealths: '/coder.agent.v2.Agent/BatchUpdateAppHealths',
  UpdateStartup: '/coder.agent.v2.Agent/UpdateStartup',
  BatchUpdateMetadata: '/coder.agent.v2.Agent/BatchUpdateMetadata',
  BatchCreateLogs: '/coder.agent.v2.Agent/BatchCreateLogs',
  GetAnnouncementBanners: '/coder.agent.v2.Agent/GetAnnouncementBanners',
  ScriptCompleted: '/coder.agent.v2.Agent/ScriptCompleted',
  GetResourcesMonitoringConfiguration: '/coder.agent.v2.Agent/GetResourcesMonitoringConfiguration',
  PushResourcesMonitoringUsage: '/coder.agent.v2.Agent/PushResourcesMonitoringUsage',
  ReportConnection: '/coder.agent.v2.Agent/ReportConnection',
} as const;

/**
 * Agent RPCs that exist in coderd's service (API 2.6–2.13) but that fleetsim has no messages
 * for. A server should answer them with dRPC error code 12 (Unimplemented), not "unknown rpc",
 * so that a newer client treats them as "not supported" (docs/protocol-v2.md §2.5, §9.1).
 */
export const AGENT_UNIMPLEMENTED_METHODS = [
  '/coder.agent.v2.Agent/CreateSubAgent',
  '/coder.agent.v2.Agent/DeleteSubAgent',
  '/coder.agent.v2.Agent/ListSubAgents',
  '/coder.agent.v2.Agent/ReportBoundaryLogs',
  '/coder.agent.v2.Agent/UpdateAppStatus',
  '/coder.agent.v2.Agent/PushContextState',
] as const;

/** Every Tailnet RPC (docs/protocol-v2.md §4). */
export const TAILNET_METHODS = {
  PostTelemetry: '/coder.tailnet.v2.Tailnet/PostTelemetry',
  StreamDERPMaps: '/coder.tailnet.v2.Tailnet/StreamDERPMaps',
  RefreshResumeToken: '/coder.tailnet.v2.Tailnet/RefreshResumeToken',
  Coordinate: '/coder.tailnet.v2.Tailnet/Coordinate',
  WorkspaceUpdates: '/coder.tailnet.v2.Tailnet/WorkspaceUpdates',
} as const;

export type AgentMethodName = keyof typeof AGENT_METHODS;
export type TailnetMethodName = keyof typeof TAILNET_METHODS;

/**
 * The field set of fleetsim's .proto files: Agent API 2.13 (docs/protocol-v2.md §1.3). A
 * server built on them can claim this version; a client should request the lowest version
 * that covers the RPCs it calls (see {@link METHOD_SINCE_MINOR}).
 */
export const PROTO_API_VERSION = '2.13';

/**
 * The API minor version (major 2) that added each RPC (docs/protocol-v2.md §1.3, §3.1, §4).
 * The negotiated version only admits or refuses the session; one dRPC mux then serves every
 * method the server has. So this says what a client may expect, not what a server refuses.
 */
export const METHOD_SINCE_MINOR: Readonly<Record<AgentMethodName | TailnetMethodName, number>> = {
  GetManifest: 0,
  GetServiceBanner: 0,
  UpdateStats: 0,
  UpdateLifecycle: 0,
  BatchUpdateAppHealths: 0,
  UpdateStartup: 0,
  BatchUpdateMetadata: 0,
  BatchCreateLogs: 0,
  GetAnnouncementBanners: 1,
  // Shipped in Coder v2.16 while the API still said 2.2; numbered 2.3 later.
  ScriptCompleted: 3,
  GetResourcesMonitoringConfiguration: 4,
  PushResourcesMonitoringUsage: 4,
  ReportConnection: 4,
  StreamDERPMaps: 0,
  Coordinate: 0,
  PostTelemetry: 2,
  // Shipped in Coder v2.15 while the API still said 2.2.
  RefreshResumeToken: 3,
  WorkspaceUpdates: 3,
};

// ---------------------------------------------------------------------------------------------
// Codecs
// ---------------------------------------------------------------------------------------------

/** dRPC call shape: unary, or which side streams (docs/protocol-v2.md §2.4). */
export type RpcKind = 'unary' | 'server_streaming' | 'client_streaming' | 'bidi_streaming';

/**
 * Bytes ↔ messages for one RPC. `encode*` accept either a created message or a plain init
 * object (missing fields take proto3 defaults; absent sub-messages stay absent on the wire).
 * `decode*` throw on malformed protobuf; unknown fields are kept and written back.
 */
export interface RpcCodec<I extends DescMessage, O extends DescMessage> {
  readonly path: string;
  readonly kind: RpcKind;
  readonly requestSchema: I;
  readonly responseSchema: O;
  encodeRequest(message: MessageInitShape<I>): Uint8Array;
  decodeRequest(bytes: Uint8Array): MessageShape<I>;
  encodeResponse(message: MessageInitShape<O>): Uint8Array;
  decodeResponse(bytes: Uint8Array): MessageShape<O>;
}

type CodecsOf<S extends GenServiceMethods> = {
  readonly [K in keyof S & string as Capitalize<K>]: RpcCodec<S[K]['input'], S[K]['output']>;
};

function codec<I extends DescMessage, O extends DescMessage>(path: string, kind: RpcKind, input: I, output: O): RpcCodec<I, O> {
  return {
    path,
    kind,
    requestSchema: input,
    responseSchema: output,
    encodeRequest: (message) => toBinary(input, create(input, message)),
    decodeRequest: (bytes) => fromBinary(input, bytes),
    encodeResponse: (message) => toBinary(output, create(output, message)),
    decodeResponse: (bytes) => fromBinary(output, bytes),
  };
}

function codecsOf<S extends GenServiceMethods>(service: GenService<S>): CodecsOf<S> {
  const out: Record<string, RpcCodec<DescMessage, DescMessage>> = {};
  for (const method of service.methods) {
    out[method.name] = codec(`/${service.typeName}/${method.name}`, method.methodKind, method.input, method.output);
  }
  return out as CodecsOf<S>;
}

/** One codec per Agent RPC, keyed like {@link AGENT_METHODS}: `AGENT_RPC.UpdateStats.encodeRequest({})`. */
export const AGENT_RPC = codecsOf(Agent);
/** One codec per Tailnet RPC, keyed like {@link TAILNET_METHODS}. */
export const TAILNET_RPC = codecsOf(Tailnet);

const BY_PATH = new Map<string, RpcCodec<DescMessage, DescMessage>>();
for (const table of [AGENT_RPC, TAILNET_RPC] as Record<string, RpcCodec<DescMessage, DescMessage>>[]) {
  for (const c of Object.values(table)) BY_PATH.set(c.path, c);
}

/** The codec for an Invoke path, or undefined for a path fleetsim does not implement. */
export function rpcByPath(path: string): RpcCodec<DescMessage, DescMessage> | undefined {
  return BY_PATH.get(path);
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

/**
 * A Duration from milliseconds. Sub-millisecond fractions are kept to the nanosecond; seconds
 * and nanos share the sign, as the Duration contract requires.
 */
export function msToDuration(ms: number): Duration {
  if (!Number.isFinite(ms)) throw new RangeError(`duration must be finite, got ${ms}`);
  const seconds = Math.trunc(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return create(DurationSchema, { seconds: BigInt(seconds), nanos: nanos === 0 ? 0 : nanos });
}

/** Milliseconds of a Duration (absent → 0), fractional below 1 ms. */
export function durationToMs(d: Duration | undefined): number {
  if (d === undefined) return 0;
  return Number(d.seconds) * 1000 + d.nanos / 1e6;
}

/** A Timestamp from Unix milliseconds (nanos always in [0, 1e9)). */
export function msToTimestamp(ms: number): Timestamp {
  if (!Number.isFinite(ms)) throw new RangeError(`timestamp must be finite, got ${ms}`);
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  return create(TimestampSchema, { seconds: BigInt(seconds), nanos });
}

/** Unix milliseconds of a Timestamp, or undefined when absent. */
export function timestampToMs(t: Timestamp | undefined): number | undefined {
  if (t === undefined) return undefined;
  return Number(t.seconds) * 1000 + t.nanos / 1e6;
}

/**
 * True when a Timestamp is absent or the zero instant. coderd substitutes its own clock for
 * both in UpdateLifecycle (docs/protocol-v2.md §5.3).
 */
export function isZeroTimestamp(t: Timestamp | undefined): boolean {
  return t === undefined || (t.seconds === 0n && t.nanos === 0);
}

/**
 * The Duration coderd writes for a metadata description's interval/timeout: the stored whole
 * seconds go into the nanosecond count (Go `durationpb.New(time.Duration(seconds))`), so 10 s
 * travels as `{seconds: 0, nanos: 10}` (docs/protocol-v2.md §5.1). A server talking to the Go
 * agent must send this form.
 */
export function metadataSecondsToDuration(seconds: number): Duration {
  if (!Number.isSafeInteger(seconds)) throw new RangeError(`metadata seconds must be an integer, got ${seconds}`);
  const whole = Math.trunc(seconds / 1e9);
  return create(DurationSchema, { seconds: BigInt(whole), nanos: seconds - whole * 1e9 });
}

/** Inverse of {@link metadataSecondsToDuration}: how the Go agent reads those fields back. */
export function metadataDurationToSeconds(d: Duration | undefined): number {
  if (d === undefined) return 0;
  return Number(d.seconds) * 1e9 + d.nanos;
}
