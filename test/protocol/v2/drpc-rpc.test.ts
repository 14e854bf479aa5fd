import { describe, expect, it } from 'vitest';
import { connectRpcClient, serveRpc } from '../../../src/protocol/v2/rpc-connection.js';
import { DrpcRouter } from '../../../src/protocol/v2/drpc-router.js';
import { YamuxSession } from '../../../src/protocol/v2/yamux-session.js';
import { YamuxFrameParser } from '../../../src/protocol/v2/yamux-frame.js';
import { decodeFrames } from '../../../src/protocol/v2/drpc-frame.js';
import {
  DrpcEofError,
  DrpcError,
  RpcAbortedError,
  RpcTimeoutError,
  YamuxClosedError,
  YamuxGoAwayError,
  YamuxResetError,
  wireErrorClass,
} from '../../../src/protocol/v2/wire-errors.js';
import type { TimerClock } from '../../../src/core/clock.js';
import { manualClock } from '../../helpers/clock.js';
import { type MemoryTransport, concatBytes, hex, memoryPipe, settle, toHex, until } from './helpers.js';

const UPDATE_STATS = '/coder.agent.v2.Agent/UpdateStats';
const COORDINATE = '/coder.tailnet.v2.Tailnet/Coordinate';
const DERP = '/coder.tailnet.v2.Tailnet/StreamDERPMaps';

/** Data frame bodies per stream id a transport wrote, concatenated. */
function dataByStream(t: MemoryTransport): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>();
  let current = 0;
  const p = new YamuxFrameParser({
    onFrameHeader: (type, _flags, id) => {
      current = type === 0 ? id : 0;
      return true;
    },
    onFrameBody: (piece) => {
      if (piece.length) (out.get(current) ?? out.set(current, []).get(current))?.push(new Uint8Array(piece));
    },
    onFrameError: (m) => {
      throw new Error(m);
    },
  });
  for (const c of t.written) p.push(c);
  return out;
}

function setup(router: DrpcRouter, clientTimers?: TimerClock) {
  const [ct, st] = memoryPipe();
  const client = connectRpcClient(ct, { keepAliveIntervalMs: 0, timers: clientTimers });
  const server = serveRpc(st, router, { keepAliveIntervalMs: 0 });
  return {
    ct,
    st,
    client,
    server,
    close() {
      client.close();
      server.close();
    },
  };
}

describe('dRPC over yamux', () => {
  it('unary UpdateStats: the exact client and server bytes of docs/protocol-v2.md §8', async () => {
    const router = new DrpcRouter().unary(UPDATE_STATS, (req) => {
      expect(req.length).toBe(0);
      return hex('0a 02 08 1e');
    });
    const t = setup(router);
    const response = await t.client.client.unary(UPDATE_STATS, new Uint8Array(0));
    expect(toHex(response)).toBe('0a 02 08 1e');
    await until(() => t.client.session.streamCount === 0 && t.server.session.streamCount === 0, 'stream closed both ways');
    // Client: SYN, then one Data frame of 45 bytes (header 00 00 00 00 00 00 00 01 00 00 00 2d).
    expect(toHex(t.ct.written[0]?.subarray(0, 24) as Uint8Array)).toBe('00 01 00 01 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 2d');
    const clientData = dataByStream(t.ct).get(1) ?? [];
    expect(toHex(clientData[0] as Uint8Array)).toBe(toHex(concatBytes([hex('03 01 01 21'), Buffer.from(UPDATE_STATS), hex('05 01 02 00 0d 01 03 00')])));
    // Server: Message(1) and CloseSend(2) as separate data frames, as Go flushes them.
    expect((dataByStream(t.st).get(1) ?? []).map(toHex)).toEqual(['05 01 01 04 0a 02 08 1e', '0d 01 02 00']);
    // Both CloseSends were seen, so the client sent no Close packet: just the 45 bytes, then FIN.
    expect(clientData).toHaveLength(1);
    t.close();
  });

  it('sends Close(4) when the server response comes without CloseSend, then FIN', async () => {
    // A server that answers Message and keeps the rpc open (raw yamux server).
    const [ct, st] = memoryPipe();
    const client = connectRpcClient(ct, { keepAliveIntervalMs: 0 });
    const server = new YamuxSession(st, {
      role: 'server',
      keepAliveIntervalMs: 0,
      onStream: (s) => {
        s.setHandler({ onStreamData: () => void s.write(hex('05 01 01 04 0a 02 08 1e')), onStreamEnd: () => s.close(), onStreamError: () => undefined });
      },
    });
    expect(toHex(await client.client.unary(UPDATE_STATS, new Uint8Array(0)))).toBe('0a 02 08 1e');
    await until(() => client.session.streamCount === 0, 'closed');
    expect((dataByStream(ct).get(1) ?? []).map(toHex).at(-1)).toBe('0b 01 04 00');
    client.close();
    server.close();
  });

  it('unknown method: code 0 "protocol error: unknown rpc"; unimplemented(): the code-12 vector bytes', async () => {
    const router = new DrpcRouter().unimplemented('/coder.agent.v2.Agent/PushContextState');
    const t = setup(router);
    const unknown = await t.client.client.unary('/nope/Nope', new Uint8Array(0)).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(DrpcError);
    expect((unknown as DrpcError).code).toBe(0);
    expect((unknown as DrpcError).message).toBe('protocol error: unknown rpc: "/nope/Nope"');
    expect(wireErrorClass(unknown)).toBe('drpc_0');
    const unimpl = await t.client.client.unary('/coder.agent.v2.Agent/PushContextState', new Uint8Array(0)).catch((e: unknown) => e);
    expect([(unimpl as DrpcError).code, (unimpl as DrpcError).message, wireErrorClass(unimpl)]).toEqual([12, 'Unimplemented', 'drpc_12']);
    await until(() => t.server.session.streamCount === 0, 'closed');
    expect(toHex((dataByStream(t.st).get(3) ?? [])[0] as Uint8Array)).toBe('07 01 01 15 00 00 00 00 00 00 00 0c 55 6e 69 6d 70 6c 65 6d 65 6e 74 65 64');
    t.close();
  });

  it('handler errors keep their code; plain errors are code 0; undefined response is EOF for the client', async () => {
    const router = new DrpcRouter()
      .unary('/a', () => {
        throw new DrpcError(7, 'denied');
      })
      .unary('/b', async () => {
        throw new Error('unknown lifecycle state "STATE_UNSPECIFIED"');
      })
      .unary('/c', () => undefined);
    const t = setup(router);
    const a = (await t.client.client.unary('/a', new Uint8Array(0)).catch((e: unknown) => e)) as DrpcError;
    expect([a.code, a.message]).toEqual([7, 'denied']);
    const b = (await t.client.client.unary('/b', new Uint8Array(0)).catch((e: unknown) => e)) as DrpcError;
    expect([b.code, b.message]).toEqual([0, 'unknown lifecycle state "STATE_UNSPECIFIED"']);
    const c = await t.client.client.unary('/c', new Uint8Array(0)).catch((e: unknown) => e);
    expect(c).toBeInstanceOf(DrpcEofError);
    expect(wireErrorClass(c)).toBe('drpc_eof');
    t.close();
  });

  it('server streaming: messages then Close (StreamDERPMaps style); client reads to a clean end', async () => {
    const router = new DrpcRouter().serverStream(DERP, async (req, stream) => {
      for (let i = 0; i < 5; i++) await stream.send(Uint8Array.of(req[0] as number, i));
      stream.close();
    });
    const t = setup(router);
    const got: string[] = [];
    for await (const m of t.client.client.serverStream(DERP, Uint8Array.of(9))) got.push(toHex(m));
    expect(got).toEqual(['09 00', '09 01', '09 02', '09 03', '09 04']);
    await until(() => t.client.session.streamCount === 0 && t.server.session.streamCount === 0, 'closed');
    t.close();
  });

  it('bidi: Invoke corked until the first send; echo with CloseSend both ways', async () => {
    const router = new DrpcRouter().bidi(COORDINATE, async (stream) => {
      for await (const m of stream) await stream.send(Uint8Array.from([...m].reverse()));
    });
    const t = setup(router);
    const call = t.client.client.bidi(COORDINATE);
    await settle(3);
    expect(dataByStream(t.ct).get(1)).toBeUndefined(); // corked
    await call.send(hex('01 02'));
    await call.send(hex('03 04 05'));
    const first = await call.recv();
    expect(toHex(first as Uint8Array)).toBe('02 01');
    await call.closeSend();
    const rest: string[] = [];
    for await (const m of call) rest.push(toHex(m));
    expect(rest).toEqual(['05 04 03']);
    const frames = decodeFrames(concatBytes(dataByStream(t.ct).get(1) ?? []));
    expect(frames.map((f) => [f.kind, f.messageId])).toEqual([
      [1, 1],
      [2, 2],
      [2, 3],
      [6, 4],
    ]);
    await until(() => t.client.session.streamCount === 0 && t.server.session.streamCount === 0, 'closed');
    t.close();
  });

  it('bidi with callbacks; cancel aborts the server handler signal and closes the stream (no Cancel packet)', async () => {
    let serverSignal: AbortSignal | undefined;
    const router = new DrpcRouter().bidi(COORDINATE, async (stream, ctx) => {
      serverSignal = ctx.signal;
      await stream.send(hex('aa'));
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
    });
    const t = setup(router);
    const call = t.client.client.bidi(COORDINATE);
    const seen: string[] = [];
    let ended: Error | undefined | null = null;
    call.listen({ onMessage: (m) => seen.push(toHex(m)), onEnd: (e) => (ended = e) });
    await until(() => seen.length === 1, 'first message');
    call.cancel('bye');
    expect(ended).toBeInstanceOf(RpcAbortedError);
    await until(() => serverSignal?.aborted === true, 'server handler aborted');
    await until(() => t.server.session.streamCount === 0, 'server closed its side');
    expect(decodeFrames(concatBytes(dataByStream(t.ct).get(1) ?? [])).map((f) => f.kind)).toEqual([1]);
    await expect(call.send(hex('00'))).rejects.toBeTruthy();
    t.close();
  });

  it('timeoutMs (on the session clock) and AbortSignal reject with typed errors', async () => {
    const router = new DrpcRouter().unary(
      '/slow',
      (_req, ctx) => new Promise<Uint8Array>((resolve) => ctx.signal.addEventListener('abort', () => resolve(new Uint8Array(0)))),
    );
    const clock = manualClock();
    const t = setup(router, clock);
    let outcome: unknown = 'pending';
    // A minute: only the manual clock can make it expire within the test.
    const call = t.client.client.unary('/slow', new Uint8Array(0), { timeoutMs: 60_000 }).catch((e: unknown) => e);
    void call.then((e) => (outcome = e));
    await until(() => t.server.session.streamCount === 1, 'call reached the server');
    clock.advance(59_999);
    await settle(3);
    expect(outcome).toBe('pending');
    clock.advance(1);
    const timedOut = await call;
    expect(timedOut).toBeInstanceOf(RpcTimeoutError);
    expect((timedOut as Error).message).toBe('rpc timed out after 60000 ms');
    expect(wireErrorClass(timedOut)).toBe('timeout');
    const ac = new AbortController();
    const pending = t.client.client.unary('/slow', new Uint8Array(0), { signal: ac.signal });
    ac.abort();
    const aborted = await pending.catch((e: unknown) => e);
    expect(wireErrorClass(aborted)).toBe('aborted');
    await until(() => t.server.session.streamCount === 0 && t.client.session.streamCount === 0, 'both streams gone');
    t.close();
  });

  it('classifies RST, GoAway and session loss on calls', async () => {
    let reset: (() => void) | undefined;
    const router = new DrpcRouter().unary('/hang', () => new Promise<Uint8Array>(() => undefined));
    const [ct, st] = memoryPipe();
    const client = connectRpcClient(ct, { keepAliveIntervalMs: 0 });
    const rawServer = new YamuxSession(st, {
      role: 'server',
      keepAliveIntervalMs: 0,
      onStream: (s) => {
        reset = () => s.reset();
        s.setHandler({ onStreamData: () => undefined, onStreamEnd: () => undefined, onStreamError: () => undefined });
      },
    });
    const p = client.client.unary('/x', new Uint8Array(0));
    await until(() => reset !== undefined, 'accepted');
    reset?.();
    const rst = await p.catch((e: unknown) => e);
    expect(rst).toBeInstanceOf(YamuxResetError);
    expect(wireErrorClass(rst)).toBe('yamux_rst');
    rawServer.goAway(0);
    await settle(3);
    const ga = await client.client.unary('/x', new Uint8Array(0)).catch((e: unknown) => e);
    expect(ga).toBeInstanceOf(YamuxGoAwayError);
    expect(wireErrorClass(ga)).toBe('yamux_goaway');
    client.close();
    rawServer.close();

    const t = setup(router);
    const hanging = t.client.client.unary('/hang', new Uint8Array(0));
    await until(() => t.server.session.streamCount === 1, 'in flight');
    t.server.close();
    const lost = await hanging.catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(YamuxClosedError);
    expect(await t.client.closed).toBeInstanceOf(YamuxClosedError);
    t.close();
  });

  it('carries 300 KiB requests and responses (window and 64 KiB splits) and many concurrent calls', async () => {
    const router = new DrpcRouter().unary('/echo', (req) => req);
    const t = setup(router);
    const big = new Uint8Array(300 * 1024).map((_, i) => (i * 31) & 0xff);
    const echoed = await t.client.client.unary('/echo', big);
    expect(Buffer.compare(echoed, big)).toBe(0);
    const calls = Array.from({ length: 100 }, (_, i) => t.client.client.unary('/echo', Uint8Array.of(i, i + 1)));
    const results = await Promise.all(calls);
    results.forEach((r, i) => {
      expect([...r]).toEqual([i, i + 1]);
    });
    await until(() => t.client.session.streamCount === 0 && t.server.session.streamCount === 0, 'all closed');
    t.close();
  });

  it('backpressure: a bidi reader that does not read pauses the stream instead of buffering without bound', async () => {
    const router = new DrpcRouter().bidi(COORDINATE, async (stream) => {
      for (let i = 0; i < 200; i++) await stream.send(new Uint8Array(4096));
    });
    const t = setup(router);
    const call = t.client.client.bidi(COORDINATE);
    await call.send(new Uint8Array(1));
    await settle(30);
    const received = (dataByStream(t.st).get(1) ?? []).reduce((n, c) => n + c.length, 0);
    expect(received).toBeLessThan(200 * 4096); // the handler is stuck on the window
    let count = 0;
    while (count < 200) {
      const m = await call.recv();
      if (!m) break;
      count++;
    }
    expect(count).toBe(200);
    call.cancel();
    t.close();
  });
});
