/**
 * The typed Agent/Tailnet RPC client of one v2 session (docs/protocol-v2.md §3-§4): encodes a
 * request with the method's codec, makes the unary dRPC call on its own yamux stream, decodes
 * the answer, and records it like every v1 request: a latency sample on endpoint
 * `RPC <method path>` (from the intended send time when the caller passes one) and, for a
 * failure, an error sample classified by the wire error (`drpc_<code>`, `yamux_rst`, …).
 *
 * A call never throws: it resolves with an {@link RpcResult}.
 */
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { Clock } from '../../core/clock.js';
import { isUnsupportedRpc, rpcErrorClass } from '../../metrics/error-class.js';
import { METRIC, rpcEndpoint } from '../../metrics/names.js';
import type { MetricSink } from '../../metrics/sink.js';
import { recordRequestTiming } from '../../metrics/request-timing.js';
import type { DrpcClient, DrpcClientStream } from '../../protocol/v2/drpc-client.js';
import { AGENT_RPC, TAILNET_RPC, type RpcCodec } from '../../protocol/v2/messages.js';

/** The outcome of one call. */
export type RpcResult<T> = { ok: true; value: T } | RpcFailure;

export interface RpcFailure {
  ok: false;
  /** The `class` tag recorded (`drpc_0`, `yamux_closed`, `timeout`, `decode`…). */
  errorClass: string;
  /** The server does not have this RPC (code 12 / unknown rpc). */
  unsupported: boolean;
  /** The session was being closed by this side: nothing was recorded. */
  aborted: boolean;
  error: unknown;
}

export interface RpcCallOptions {
  /** Monotonic ms the call was meant to go out (periodic calls); default now. */
  intendedAt?: number;
}

/** What the client records into. */
export interface RpcClientEnv {
  metrics: MetricSink;
  clock: Clock;
}

type Codec = RpcCodec<DescMessage, DescMessage>;

/** Endpoint names, computed once per method. */
const ENDPOINTS = new Map<string, string>();
function endpointOf(path: string): string {
  let name = ENDPOINTS.get(path);
  if (name === undefined) ENDPOINTS.set(path, (name = rpcEndpoint(path)));
  return name;
}

export class AgentRpcClient {
  /** Set by the owner just before it closes the session: failures from then on are not samples. */
  closing = false;
  /** Unary calls sent and not yet answered. */
  inFlight = 0;
  private idle: (() => void) | undefined;

  constructor(
    readonly rpc: DrpcClient,
    private readonly env: RpcClientEnv,
    private readonly timeoutMs: number,
  ) {}

  /** One unary call with `codec`. */
  async call<I extends DescMessage, O extends DescMessage>(
    codec: RpcCodec<I, O>,
    request: MessageInitShape<I>,
    options?: RpcCallOptions,
  ): Promise<RpcResult<MessageShape<O>>> {
    const { metrics, clock } = this.env;
    const now = clock.now();
    const intended = options?.intendedAt;
    const startedAt = intended !== undefined && intended < now ? intended : now;
    const endpoint = endpointOf(codec.path);
    const timing = new CallTiming(clock);
    let bytes: Uint8Array;
    this.inFlight++;
    try {
      bytes = await this.rpc.unary(codec.path, codec.encodeRequest(request), { timeoutMs: this.timeoutMs, onWritten: timing.written });
    } catch (error) {
      this.answered();
      return this.failed(codec, error, startedAt, timing.writtenAt);
    }
    this.answered();
    const tags = { endpoint };
    const doneAt = clock.now();
    metrics.trend(METRIC.request, doneAt - startedAt, tags);
    if (timing.writtenAt >= 0) recordRequestTiming(metrics, tags, timing.writtenAt - startedAt, doneAt - timing.writtenAt);
    try {
      return { ok: true, value: codec.decodeResponse(bytes) };
    } catch (error) {
      metrics.count(METRIC.error, 1, { endpoint, class: 'decode' });
      return { ok: false, errorClass: 'decode', unsupported: false, aborted: false, error };
    }
  }

  /** Resolves once no unary call is in flight (at once when none is). */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idle = resolve));
  }

  /** Tailnet.Coordinate (bidi); the Invoke goes out with the first send. */
  coordinate(): DrpcClientStream {
    return this.rpc.bidi(TAILNET_RPC.Coordinate.path);
  }

  /** Tailnet.StreamDERPMaps (server stream). */
  streamDerpMaps(): DrpcClientStream {
    return this.rpc.serverStream(TAILNET_RPC.StreamDERPMaps.path, TAILNET_RPC.StreamDERPMaps.encodeRequest({}));
  }

  /** Records a failure observed outside `call` (a stream that broke) on `path`. */
  recordFailure(path: string, errorClass: string): void {
    if (this.closing) return;
    this.env.metrics.count(METRIC.error, 1, { endpoint: endpointOf(path), class: errorClass });
  }

  private answered(): void {
    if (--this.inFlight > 0 || !this.idle) return;
    const idle = this.idle;
    this.idle = undefined;
    idle();
  }

  private failed(codec: Codec, error: unknown, startedAt: number, writtenAt: number): RpcFailure {
    const errorClass = rpcErrorClass(error);
    if (this.closing) return { ok: false, errorClass, unsupported: false, aborted: true, error };
    const { metrics, clock } = this.env;
    const endpoint = endpointOf(codec.path);
    const unsupported = isUnsupportedRpc(error);
    const tags = { endpoint };
    const doneAt = clock.now();
    metrics.trend(METRIC.request, doneAt - startedAt, tags);
    if (writtenAt >= 0) recordRequestTiming(metrics, tags, writtenAt - startedAt, doneAt - writtenAt);
    if (unsupported && OPTIONAL.has(codec.path)) metrics.count(METRIC.rpcUnsupported, 1, { endpoint });
    else metrics.count(METRIC.error, 1, { endpoint, class: errorClass });
    return { ok: false, errorClass, unsupported, aborted: false, error };
  }
}

/** When one call's request was written to its stream (-1 until then). */
class CallTiming {
  writtenAt = -1;
  readonly written = (): void => {
    this.writtenAt = this.clock.now();
  };
  constructor(private readonly clock: Clock) {}
}

/**
 * RPCs a fake agent calls although an older server may lack them (docs/protocol-v2.md, "Which
 * protocol for which Coder version"): unsupported there means "skip", never a session teardown.
 */
const OPTIONAL = new Set<string>([
  AGENT_RPC.GetAnnouncementBanners.path,
  AGENT_RPC.ScriptCompleted.path,
  AGENT_RPC.ReportConnection.path,
  AGENT_RPC.GetResourcesMonitoringConfiguration.path,
  AGENT_RPC.PushResourcesMonitoringUsage.path,
  TAILNET_RPC.PostTelemetry.path,
]);

/** True for an RPC the agent treats as optional (see {@link AgentRpcClient}). */
export function isOptionalRpc(path: string): boolean {
  return OPTIONAL.has(path);
}
