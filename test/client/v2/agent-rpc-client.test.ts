import { afterEach, describe, expect, it } from 'vitest';
import { AgentRpcClient } from '../../../src/client/v2/agent-rpc-client.js';
import { isUnsupportedRpc, rpcErrorClass } from '../../../src/metrics/error-class.js';
import { METRIC } from '../../../src/metrics/names.js';
import { DrpcRouter } from '../../../src/protocol/v2/drpc-router.js';
import { AGENT_RPC } from '../../../src/protocol/v2/messages.js';
import { connectRpcClient, serveRpc, type RpcConnection } from '../../../src/protocol/v2/rpc-connection.js';
import { DrpcError, DrpcEofError, WsClosedError, YamuxGoAwayError, YamuxResetError } from '../../../src/protocol/v2/wire-errors.js';
import { recordingSink } from '../../helpers/sink.js';
import { manualClock } from '../../helpers/clock.js';
import { memoryPipe, settle } from '../../protocol/v2/helpers.js';

const open: RpcConnection[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function setup(router: DrpcRouter) {
  const [a, b] = memoryPipe();
  const server = serveRpc(b, router, { keepAliveIntervalMs: 0 });
  const conn = connectRpcClient(a, { keepAliveIntervalMs: 0 });
  open.push(server, conn);
  const clock = manualClock();
  const metrics = recordingSink();
  const client = new AgentRpcClient(conn.client, { metrics, clock }, 10_000);
  return { client, metrics, conn, server, advance: (ms: number) => clock.advance(ms) };
}

const endpoint = (m: keyof typeof AGENT_RPC) => `RPC ${AGENT_RPC[m].path}`;

describe('AgentRpcClient', () => {
  it('decodes the answer and records latency from the intended time on RPC <path>', async () => {
    const router = new DrpcRouter().unary(AGENT_RPC.UpdateStats.path, () => AGENT_RPC.UpdateStats.encodeResponse({ reportInterval: { seconds: 30n } }));
    const { client, metrics, advance } = setup(router);
    advance(100);
    const result = await client.call(AGENT_RPC.UpdateStats, {}, { intendedAt: 40 });
    expect(result.ok && result.value.reportInterval?.seconds).toBe(30n);
    // Headline from the intended time; the split: 60 ms queued (the late start), 0 ms service
    // (the manual clock does not move while the call is answered).
    const tags = { endpoint: endpoint('UpdateStats') };
    expect(metrics.samples).toEqual([
      { kind: 'trend', name: METRIC.request, value: 60, tags },
      { kind: 'trend', name: METRIC.requestQueued, value: 60, tags },
      { kind: 'trend', name: METRIC.requestService, value: 0, tags },
    ]);
    expect(client.inFlight).toBe(0);
  });

  it('classes a handler error drpc_<code> and an unknown optional RPC as rpc_unsupported', async () => {
    const router = new DrpcRouter().unary(AGENT_RPC.UpdateLifecycle.path, () => {
      throw new DrpcError(0, 'unknown lifecycle state "STATE_UNSPECIFIED"');
    });
    const { client, metrics } = setup(router);
    const failed = await client.call(AGENT_RPC.UpdateLifecycle, { lifecycle: {} });
    expect(failed).toMatchObject({ ok: false, errorClass: 'drpc_0', unsupported: false, aborted: false });
    const banners = await client.call(AGENT_RPC.GetAnnouncementBanners, {});
    expect(banners).toMatchObject({ ok: false, errorClass: 'drpc_0', unsupported: true });
    // A required RPC the server lacks is a plain error.
    const manifest = await client.call(AGENT_RPC.GetManifest, {});
    expect(manifest).toMatchObject({ ok: false, unsupported: true });
    expect(metrics.total(METRIC.error, { endpoint: endpoint('UpdateLifecycle'), class: 'drpc_0' })).toBe(1);
    expect(metrics.total(METRIC.rpcUnsupported, { endpoint: endpoint('GetAnnouncementBanners') })).toBe(1);
    expect(metrics.total(METRIC.error, { endpoint: endpoint('GetAnnouncementBanners') })).toBe(0);
    expect(metrics.total(METRIC.error, { endpoint: endpoint('GetManifest'), class: 'drpc_0' })).toBe(1);
  });

  it('records nothing for calls cut off by its own closing, and resolves whenIdle', async () => {
    const router = new DrpcRouter().unary(AGENT_RPC.GetManifest.path, () => new Promise<Uint8Array>(() => undefined));
    const { client, metrics, conn } = setup(router);
    const pending = client.call(AGENT_RPC.GetManifest, {});
    await settle();
    expect(client.inFlight).toBe(1);
    const idle = client.whenIdle();
    client.closing = true;
    conn.close();
    expect(await pending).toMatchObject({ ok: false, aborted: true, errorClass: 'yamux_closed' });
    await idle;
    expect(metrics.samples).toEqual([]);
  });
});

describe('v2 error classes', () => {
  it('uses the wire errors classes and finds "not supported"', () => {
    expect(rpcErrorClass(new DrpcError(12, 'Unimplemented'))).toBe('drpc_12');
    expect(rpcErrorClass(new YamuxResetError('stream reset'))).toBe('yamux_rst');
    expect(rpcErrorClass(new YamuxGoAwayError(0, true))).toBe('yamux_goaway');
    expect(rpcErrorClass(new WsClosedError(1011, 'boom'))).toBe('ws_close_1011');
    expect(rpcErrorClass(new DrpcEofError('eof'))).toBe('drpc_eof');
    expect(rpcErrorClass(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('reset');
    expect(isUnsupportedRpc(new DrpcError(12, 'Unimplemented'))).toBe(true);
    expect(isUnsupportedRpc(new DrpcError(0, 'protocol error: unknown rpc: "/coder.agent.v2.Agent/X"'))).toBe(true);
    expect(isUnsupportedRpc(new DrpcError(0, 'database is down'))).toBe(false);
    expect(isUnsupportedRpc(new Error('unknown rpc: x'))).toBe(false);
  });
});
