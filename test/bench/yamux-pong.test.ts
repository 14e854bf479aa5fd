import { describe, expect, it } from 'vitest';
import { pongFor, YamuxPonger } from '../../bench/yamux-pong.js';
import { decodeYamuxHeader, encodeYamuxHeader, Flag, FrameType } from '../../src/protocol/v2/yamux-frame.js';

const ping = (opaque: number): Buffer => Buffer.from(encodeYamuxHeader(FrameType.Ping, Flag.SYN, 0, opaque));
const data = (stream: number, payload: Buffer): Buffer => Buffer.concat([Buffer.from(encodeYamuxHeader(FrameType.Data, 0, stream, payload.length)), payload]);

describe('raw v2 socket pongs', () => {
  it('answers a ping with an ACK carrying the same opaque value', () => {
    const [pong] = new YamuxPonger().feed(ping(7));
    expect(decodeYamuxHeader(pong!)).toMatchObject({ type: FrameType.Ping, flags: Flag.ACK, streamId: 0, length: 7 });
    expect(pongFor(0xffffffff).readUInt32BE(8)).toBe(0xffffffff);
  });

  it('does not answer a pong, and skips data payloads that look like pings', () => {
    const ponger = new YamuxPonger();
    expect(ponger.feed(pongFor(1))).toEqual([]);
    // The payload is itself the bytes of a ping: it must be skipped, not parsed.
    expect(ponger.feed(Buffer.concat([data(1, ping(99)), ping(5)])).map((p) => p.readUInt32BE(8))).toEqual([5]);
  });

  it('reassembles frames split across messages, byte by byte', () => {
    const ponger = new YamuxPonger();
    const bytes = Buffer.concat([ping(1), data(3, Buffer.alloc(20, 2)), ping(2)]);
    const pongs: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) pongs.push(...ponger.feed(bytes.subarray(i, i + 1)));
    expect(pongs.map((p) => p.readUInt32BE(8))).toEqual([1, 2]);
  });
});
