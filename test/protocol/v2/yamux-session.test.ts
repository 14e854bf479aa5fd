import { describe, expect, it } from 'vitest';
import { YamuxSession, type YamuxSessionOptions } from '../../../src/protocol/v2/yamux-session.js';
import type { YamuxStream, YamuxStreamHandler } from '../../../src/protocol/v2/yamux-stream.js';
import { Flag, FrameType, YamuxFrameParser, encodeYamuxHeader } from '../../../src/protocol/v2/yamux-frame.js';
import { YamuxClosedError, YamuxGoAwayError, YamuxProtocolError, YamuxResetError, YamuxTimeoutError } from '../../../src/protocol/v2/wire-errors.js';
import { createRng } from '../../../src/core/rng.js';
import { manualClock } from '../../helpers/clock.js';
import { type MemoryTransport, concatBytes, hex, memoryPipe, settle, toHex, until } from './helpers.js';

const WINDOW = 256 * 1024;

/** Collects a stream's events. */
class Sink implements YamuxStreamHandler {
  chunks: Uint8Array[] = [];
  ended = false;
  error: Error | null = null;
  get bytes(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }
  data(): Uint8Array {
    return concatBytes(this.chunks);
  }
  onStreamData(chunk: Uint8Array): void {
    this.chunks.push(new Uint8Array(chunk));
  }
  onStreamEnd(): void {
    this.ended = true;
  }
  onStreamError(error: Error): void {
    this.error = error;
  }
}

function pair(serverOpts: Partial<YamuxSessionOptions> = {}, clientOpts: Partial<YamuxSessionOptions> = {}) {
  const [ct, st] = memoryPipe();
  const accepted: Array<{ stream: YamuxStream; sink: Sink }> = [];
  const closes: Array<[string, Error | undefined]> = [];
  const keep = { keepAliveIntervalMs: 0 };
  const client = new YamuxSession(ct, { ...keep, role: 'client', onClose: (e) => closes.push(['client', e]), ...clientOpts });
  const server = new YamuxSession(st, {
    ...keep,
    role: 'server',
    onStream: (stream) => {
      const sink = new Sink();
      stream.setHandler(sink);
      accepted.push({ stream, sink });
    },
    onClose: (e) => closes.push(['server', e]),
    ...serverOpts,
  });
  return { ct, st, client, server, accepted, closes };
}

/** Frames a transport wrote, as [type, flags, id, length]. */
function framesOf(t: MemoryTransport): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  const p = new YamuxFrameParser({
    onFrameHeader: (type, flags, id, length) => {
      out.push([type, flags, id, length]);
      return true;
    },
    onFrameBody: () => undefined,
    onFrameError: (m) => {
      throw new Error(m);
    },
  });
  for (const c of t.written) p.push(c);
  return out;
}

describe('yamux session', () => {
  it('opens with WindowUpdate+SYN, the acceptor ACKs, FIN both ways removes the stream (vector bytes)', async () => {
    const { ct, st, client, server, accepted } = pair();
    const s = client.open();
    expect(s.id).toBe(1);
    const sink = new Sink();
    s.setHandler(sink);
    s.write(Buffer.from('hi'));
    await until(() => accepted.length === 1 && accepted[0]?.sink.bytes === 2, 'accept');
    // The SYN, the data header and the data left in one transport write.
    expect(ct.written).toHaveLength(1);
    expect(toHex(ct.written[0] as Uint8Array)).toBe('00 01 00 01 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 02 68 69');
    expect(toHex(st.written[0] as Uint8Array)).toBe('00 01 00 02 00 00 00 01 00 00 00 00');
    s.close();
    await until(() => accepted[0]?.sink.ended === true, 'server sees FIN');
    expect(toHex(ct.written.at(-1) as Uint8Array)).toBe('00 01 00 04 00 00 00 01 00 00 00 00');
    expect(server.streamCount).toBe(1);
    accepted[0]?.stream.close();
    await until(() => sink.ended && client.streamCount === 0 && server.streamCount === 0, 'both closed');
    expect(s.acked).toBe(true);
    expect(client.open().id).toBe(3);
    client.close();
    server.close();
  });

  it('uses even ids when the server opens', async () => {
    const [ct, st] = memoryPipe();
    const got: number[] = [];
    const client = new YamuxSession(ct, { role: 'client', keepAliveIntervalMs: 0, onStream: (s) => got.push(s.id) });
    const server = new YamuxSession(st, { role: 'server', keepAliveIntervalMs: 0 });
    expect([server.open().id, server.open().id]).toEqual([2, 4]);
    await until(() => got.length === 2, 'client accepts');
    expect(got).toEqual([2, 4]);
    client.close();
    server.close();
  });

  it('refuses inbound streams with RST when nobody accepts them', async () => {
    const { client, server } = pair({ onStream: undefined });
    const s = client.open();
    const sink = new Sink();
    s.setHandler(sink);
    await until(() => sink.error !== null, 'refused');
    expect(sink.error).toBeInstanceOf(YamuxResetError);
    expect((sink.error as YamuxResetError).errorClass).toBe('yamux_rst');
    expect(client.streamCount).toBe(0);
    client.close();
    server.close();
  });

  it('blocks a writer at an exhausted window and resumes on WindowUpdate', async () => {
    const { ct, client, server, accepted } = pair();
    const s = client.open();
    const payload = new Uint8Array(WINDOW + 100_000).map((_, i) => i & 0xff);
    // Hold the consumer: the receiver buffers and grants no window.
    const done = s.write(payload);
    expect(done).toBe(false);
    expect(s.sendWindow).toBe(0);
    await until(() => accepted.length === 1, 'accepted');
    const server1 = accepted[0] as { stream: YamuxStream; sink: Sink };
    await until(() => server1.sink.bytes >= WINDOW, 'first window delivered');
    // The consumer took everything at once, so the receiver granted window and the rest flowed.
    await s.whenWritten();
    await until(() => server1.sink.bytes === payload.length, 'all delivered');
    expect(Buffer.compare(server1.sink.data(), payload)).toBe(0);
    const dataFrames = framesOf(ct).filter((f) => f[0] === FrameType.Data);
    expect(dataFrames.map((f) => f[3])).toEqual([WINDOW, 100_000]);
    client.close();
    server.close();
  });

  it('a paused reader withholds window: the writer stays blocked until resume', async () => {
    const { client, server, accepted, st } = pair();
    const s = client.open();
    s.write(new Uint8Array(1));
    await until(() => accepted.length === 1, 'accepted');
    const srv = accepted[0] as { stream: YamuxStream; sink: Sink };
    srv.stream.pause();
    s.write(new Uint8Array(WINDOW - 1));
    s.write(new Uint8Array(5000));
    await settle(10);
    expect(s.sendWindow).toBe(0);
    expect(s.flushed).toBe(false);
    expect(framesOf(st).filter((f) => f[0] === FrameType.WindowUpdate && f[3] > 0)).toHaveLength(0);
    srv.stream.resume();
    await s.whenWritten();
    await until(() => srv.sink.bytes === WINDOW + 5000, 'rest delivered');
    // One WindowUpdate for the whole window once it was consumed (delta >= half the max).
    expect(
      framesOf(st)
        .filter((f) => f[0] === FrameType.WindowUpdate && f[3] > 0)
        .map((f) => f[3]),
    ).toEqual([WINDOW]);
    client.close();
    server.close();
  });

  it('refuses data beyond the receive window with GoAway(protocol error)', async () => {
    const [ct, st] = memoryPipe();
    let closed: Error | undefined;
    const server = new YamuxSession(st, { role: 'server', keepAliveIntervalMs: 0, onStream: (s) => s.setHandler(new Sink()), onClose: (e) => (closed = e) });
    ct.start({ onTransportData: () => undefined, onTransportDrain: () => undefined, onTransportClose: () => undefined });
    ct.write(concatBytes([encodeYamuxHeader(FrameType.WindowUpdate, Flag.SYN, 1, 0), encodeYamuxHeader(FrameType.Data, 0, 1, WINDOW + 1)]));
    await until(() => closed !== undefined, 'session ends');
    expect(closed).toBeInstanceOf(YamuxProtocolError);
    expect(closed?.message).toMatch(/recv window exceeded/);
    expect(framesOf(st).at(-1)).toEqual([FrameType.GoAway, 0, 0, 1]);
    server.close();
  });

  it('interleaves many streams both ways without mixing bytes (seeded)', async () => {
    const rng = createRng('interleave');
    const { client, server, accepted } = pair();
    const streams: Array<{ s: YamuxStream; sink: Sink; sent: Uint8Array[] }> = [];
    for (let i = 0; i < 20; i++) {
      const s = client.open();
      const sink = new Sink();
      s.setHandler(sink);
      streams.push({ s, sink, sent: [] });
    }
    for (let round = 0; round < 200; round++) {
      const e = rng.pick(streams);
      const chunk = new Uint8Array(rng.bytes(rng.int(1, 20_000)));
      e.sent.push(chunk);
      e.s.write(chunk);
      if (round % 25 === 0) await settle(1);
    }
    await Promise.all(streams.map((e) => e.s.whenWritten()));
    for (const e of streams) e.s.close();
    await until(() => accepted.length === 20 && accepted.every((a) => a.sink.ended), 'all FINs');
    for (const e of streams) {
      const a = accepted.find((x) => x.stream.id === e.s.id) as { stream: YamuxStream; sink: Sink };
      expect(Buffer.compare(a.sink.data(), concatBytes(e.sent))).toBe(0);
      // echo back on the server side
      a.stream.write(a.sink.data());
      a.stream.close();
    }
    await until(() => streams.every((e) => e.sink.ended), 'echo done');
    for (const e of streams) expect(Buffer.compare(e.sink.data(), concatBytes(e.sent))).toBe(0);
    expect(client.streamCount).toBe(0);
    expect(server.streamCount).toBe(0);
    client.close();
    server.close();
  });

  it('RST mid-stream fails pending writes and the peer with yamux_rst; other streams go on', async () => {
    const { client, server, accepted } = pair();
    const a = client.open();
    const b = client.open();
    const aSink = new Sink();
    a.setHandler(aSink);
    b.setHandler(new Sink());
    a.write(new Uint8Array(10));
    b.write(new Uint8Array(10));
    await until(() => accepted.length === 2, 'both accepted');
    a.write(new Uint8Array(WINDOW * 2)); // blocks at the window
    const pending = a.whenWritten();
    const srvA = accepted.find((x) => x.stream.id === a.id) as { stream: YamuxStream; sink: Sink };
    srvA.stream.pause();
    srvA.stream.reset();
    await expect(pending).rejects.toBeInstanceOf(YamuxResetError);
    expect(aSink.error).toBeInstanceOf(YamuxResetError);
    expect(() => a.write(new Uint8Array(1))).toThrow(YamuxResetError);
    const srvB = accepted.find((x) => x.stream.id === b.id) as { stream: YamuxStream; sink: Sink };
    b.write(Buffer.from('still here'));
    await until(() => srvB.sink.bytes === 20, 'b still works');
    client.close();
    server.close();
  });

  it('GoAway normal stops new streams (typed yamux_goaway), existing ones continue', async () => {
    const { client, server, accepted } = pair();
    const s = client.open();
    s.write(new Uint8Array(1));
    await until(() => accepted.length === 1, 'accepted');
    server.goAway(0);
    await settle(5);
    let error: unknown;
    try {
      client.open();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(YamuxGoAwayError);
    expect((error as YamuxGoAwayError).errorClass).toBe('yamux_goaway');
    expect((error as YamuxGoAwayError).message).toBe('remote end is not accepting connections');
    s.write(new Uint8Array(4));
    await until(() => accepted[0]?.sink.bytes === 5, 'old stream works');
    client.close();
    server.close();
  });

  it('GoAway protocol/internal error ends the session with a typed error on every stream', async () => {
    for (const code of [1, 2]) {
      const { client, server, accepted, closes } = pair();
      const s = client.open();
      const sink = new Sink();
      s.setHandler(sink);
      s.write(new Uint8Array(1));
      await until(() => accepted.length === 1, 'accepted');
      server.goAway(code);
      await until(() => sink.error !== null, 'client stream fails');
      expect(sink.error).toBeInstanceOf(YamuxGoAwayError);
      expect((sink.error as YamuxGoAwayError).code).toBe(code);
      expect((sink.error as YamuxGoAwayError).remote).toBe(true);
      expect(client.closed).toBe(true);
      expect(() => client.open()).toThrow(YamuxGoAwayError);
      expect(closes.find((c) => c[0] === 'server')?.[1]).toBeInstanceOf(YamuxGoAwayError);
      client.close();
      server.close();
    }
  });

  it('duplicate SYN is a protocol error answered with GoAway(1)', async () => {
    const [ct, st] = memoryPipe();
    let closed: Error | undefined;
    const server = new YamuxSession(st, { role: 'server', keepAliveIntervalMs: 0, onStream: (s) => s.setHandler(new Sink()), onClose: (e) => (closed = e) });
    ct.start({ onTransportData: () => undefined, onTransportDrain: () => undefined, onTransportClose: () => undefined });
    const syn = encodeYamuxHeader(FrameType.WindowUpdate, Flag.SYN, 1, 0);
    ct.write(concatBytes([syn, syn]));
    await until(() => closed !== undefined, 'ends');
    expect(closed?.message).toMatch(/duplicate stream id 1/);
    expect(toHex(concatBytes(st.written))).toContain('00 03 00 00 00 00 00 00 00 00 00 01');
    server.close(); // already ended by the protocol error; close() is idempotent
  });

  it('answers pings promptly with the same id and measures its own', async () => {
    const [ct, st] = memoryPipe();
    const server = new YamuxSession(st, { role: 'server', keepAliveIntervalMs: 0 });
    const replies: Uint8Array[] = [];
    ct.start({ onTransportData: (c) => replies.push(c), onTransportDrain: () => undefined, onTransportClose: () => undefined });
    ct.write(hex('00 02 00 01 00 00 00 00 00 00 00 00'));
    ct.write(encodeYamuxHeader(FrameType.Ping, Flag.SYN, 0, 0xdeadbeef));
    await until(() => replies.length >= 1 && concatBytes(replies).length === 24, 'pongs');
    expect(toHex(concatBytes(replies))).toBe('00 02 00 02 00 00 00 00 00 00 00 00 00 02 00 02 00 00 00 00 de ad be ef');
    server.close();

    const p = pair();
    const rtt = await p.client.ping();
    expect(rtt).toBeGreaterThanOrEqual(0);
    p.client.close();
    p.server.close();
  });

  it('keepalive pings on its interval and ends the session when a ping goes unanswered', async () => {
    const timers = manualClock();
    const [ct, st] = memoryPipe();
    let closed: Error | undefined;
    const client = new YamuxSession(ct, { role: 'client', timers, keepAliveIntervalMs: 30_000, pingTimeoutMs: 10_000, onClose: (e) => (closed = e) });
    const server = new YamuxSession(st, { role: 'server', keepAliveIntervalMs: 0 });
    timers.advance(30_000);
    await until(() => framesOf(st).some((f) => f[0] === FrameType.Ping && f[1] === Flag.ACK), 'pong');
    await settle(3); // the pong reaches the client
    timers.advance(10_000); // answered: no timeout
    expect(closed).toBeUndefined();
    expect(
      framesOf(ct)
        .filter((f) => f[0] === FrameType.Ping)
        .map((f) => f[3]),
    ).toEqual([0]);
    st.hold = true; // the peer stops answering
    timers.advance(20_000);
    await settle(3);
    expect(
      framesOf(ct)
        .filter((f) => f[0] === FrameType.Ping)
        .map((f) => f[3]),
    ).toEqual([0, 1]);
    timers.advance(10_000);
    expect(closed).toBeInstanceOf(YamuxTimeoutError);
    expect((closed as YamuxTimeoutError).errorClass).toBe('yamux_timeout');
    expect(timers.pendingTimers).toBe(0);
    client.close();
    server.close();
  });

  it('a SYN never ACKed ends the session after the open timeout; an unanswered FIN becomes RST', async () => {
    const timers = manualClock();
    const [ct, st] = memoryPipe();
    st.hold = true; // the peer reads nothing
    let closed: Error | undefined;
    const client = new YamuxSession(ct, { role: 'client', timers, keepAliveIntervalMs: 0, onClose: (e) => (closed = e) });
    client.open();
    timers.advance(74_999);
    expect(closed).toBeUndefined();
    timers.advance(1);
    expect(closed?.message).toBe('yamux: stream open timeout');

    const t2 = manualClock();
    const p = pair({}, { timers: t2 });
    const s = p.client.open();
    const sink = new Sink();
    s.setHandler(sink);
    s.write(new Uint8Array(1));
    await until(() => p.accepted.length === 1 && s.acked, 'acked');
    s.close(); // the server never closes its side
    await settle(3);
    t2.advance(300_000);
    expect(sink.error).toBeInstanceOf(YamuxResetError);
    await until(() => p.accepted[0]?.sink.error instanceof YamuxResetError, 'peer sees RST');
    expect(p.client.streamCount).toBe(0);
    p.client.close();
    p.server.close();
  });

  it('waits for transport drain before sending more data', async () => {
    const { ct, client, server, accepted } = pair();
    const s = client.open();
    ct.block();
    expect(s.write(new Uint8Array(100))).toBe(false);
    await settle(3);
    expect(framesOf(ct).filter((f) => f[0] === FrameType.Data)).toHaveLength(0);
    ct.unblock();
    await s.whenWritten();
    await until(() => accepted[0]?.sink.bytes === 100, 'delivered after drain');
    client.close();
    server.close();
  });

  it('transport EOF fails open streams with yamux_closed', async () => {
    const { ct, client, accepted } = pair();
    const s = client.open();
    const sink = new Sink();
    s.setHandler(sink);
    s.write(new Uint8Array(1));
    await until(() => accepted.length === 1, 'accepted');
    ct.peer.close();
    await until(() => sink.error !== null, 'fails');
    expect(sink.error).toBeInstanceOf(YamuxClosedError);
    expect(client.closed).toBe(true);
  });

  it('discards data for unknown streams', async () => {
    const [ct, st] = memoryPipe();
    let closed = false;
    const server = new YamuxSession(st, { role: 'server', keepAliveIntervalMs: 0, onClose: () => (closed = true) });
    ct.start({ onTransportData: () => undefined, onTransportDrain: () => undefined, onTransportClose: () => undefined });
    ct.write(concatBytes([encodeYamuxHeader(FrameType.Data, 0, 7, 3), hex('01 02 03'), hex('00 02 00 01 00 00 00 00 00 00 00 05')]));
    await until(() => framesOf(st).length === 1, 'ping answered after the discarded frame');
    expect(framesOf(st)[0]).toEqual([FrameType.Ping, Flag.ACK, 0, 5]);
    expect(closed).toBe(false);
    server.close();
  });
});
