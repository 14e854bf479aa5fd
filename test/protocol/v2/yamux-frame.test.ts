import { describe, expect, it } from 'vitest';
import {
  Flag,
  FrameType,
  GoAwayCode,
  YAMUX_HEADER_SIZE,
  YamuxFrameParser,
  decodeYamuxHeader,
  encodeYamuxHeader,
} from '../../../src/protocol/v2/yamux-frame.js';
import { createRng } from '../../../src/core/rng.js';
import { concatBytes, hex, toHex } from './helpers.js';

// docs/protocol-v2.md §8: the first is upstream's TestEncodeDecode header, the rest derived.
const VECTORS: Array<[string, number, number, number, number, string]> = [
  ['TestEncodeDecode', FrameType.WindowUpdate, Flag.ACK | Flag.RST, 1234, 4321, '00 01 00 0a 00 00 04 d2 00 00 10 e1'],
  ['SYN open stream 1', FrameType.WindowUpdate, Flag.SYN, 1, 0, '00 01 00 01 00 00 00 01 00 00 00 00'],
  ['ACK stream 1', FrameType.WindowUpdate, Flag.ACK, 1, 0, '00 01 00 02 00 00 00 01 00 00 00 00'],
  ['FIN stream 1', FrameType.WindowUpdate, Flag.FIN, 1, 0, '00 01 00 04 00 00 00 01 00 00 00 00'],
  ['RST stream 3', FrameType.WindowUpdate, Flag.RST, 3, 0, '00 01 00 08 00 00 00 03 00 00 00 00'],
  ['ping SYN id0', FrameType.Ping, Flag.SYN, 0, 0, '00 02 00 01 00 00 00 00 00 00 00 00'],
  ['ping ACK id0', FrameType.Ping, Flag.ACK, 0, 0, '00 02 00 02 00 00 00 00 00 00 00 00'],
  ['goaway normal', FrameType.GoAway, 0, 0, GoAwayCode.Normal, '00 03 00 00 00 00 00 00 00 00 00 00'],
  ['goaway proto err', FrameType.GoAway, 0, 0, GoAwayCode.ProtocolError, '00 03 00 00 00 00 00 00 00 00 00 01'],
  ['data hdr for the 45-byte unary call', FrameType.Data, 0, 1, 45, '00 00 00 00 00 00 00 01 00 00 00 2d'],
];

interface Seen {
  type: number;
  flags: number;
  streamId: number;
  length: number;
  body: Uint8Array[];
}

function collect(): { frames: Seen[]; errors: string[]; parser: YamuxFrameParser } {
  const frames: Seen[] = [];
  const errors: string[] = [];
  const parser = new YamuxFrameParser({
    onFrameHeader(type, flags, streamId, length) {
      frames.push({ type, flags, streamId, length, body: [] });
      return true;
    },
    onFrameBody(piece) {
      frames[frames.length - 1]?.body.push(new Uint8Array(piece));
    },
    onFrameError(message) {
      errors.push(message);
    },
  });
  return { frames, errors, parser };
}

describe('yamux header codec', () => {
  it('constants match hashicorp (TestConst)', () => {
    expect([FrameType.Data, FrameType.WindowUpdate, FrameType.Ping, FrameType.GoAway]).toEqual([0, 1, 2, 3]);
    expect([Flag.SYN, Flag.ACK, Flag.FIN, Flag.RST]).toEqual([1, 2, 4, 8]);
    expect([GoAwayCode.Normal, GoAwayCode.ProtocolError, GoAwayCode.InternalError]).toEqual([0, 1, 2]);
    expect(YAMUX_HEADER_SIZE).toBe(12);
  });

  for (const [name, type, flags, id, length, bytes] of VECTORS) {
    it(`encodes and decodes: ${name}`, () => {
      expect(toHex(encodeYamuxHeader(type, flags, id, length))).toBe(bytes);
      expect(decodeYamuxHeader(hex(bytes))).toEqual({ version: 0, type, flags, streamId: id, length });
    });
  }

  it('round-trips the extremes of id and length', () => {
    const h = encodeYamuxHeader(FrameType.Data, 0xffff, 0xffffffff, 0xfffffffe);
    expect(decodeYamuxHeader(h)).toEqual({ version: 0, type: 0, flags: 0xffff, streamId: 0xffffffff, length: 0xfffffffe });
  });
});

describe('yamux frame parser', () => {
  it('parses every vector merged into one chunk', () => {
    const { frames, parser } = collect();
    parser.push(concatBytes([...VECTORS.slice(0, 9).map((v) => hex(v[5])), hex('00 00 00 00 00 00 00 01 00 00 00 03 61 62 63')]));
    expect(frames.map((f) => [f.type, f.flags, f.streamId, f.length])).toEqual([...VECTORS.slice(0, 9).map((v) => [v[1], v[2], v[3], v[4]]), [0, 0, 1, 3]]);
    expect(toHex(concatBytes(frames[9]?.body ?? []))).toBe('61 62 63');
  });

  it('rejects a bad version and a bad type', () => {
    const a = collect();
    a.parser.push(hex('01 00 00 00 00 00 00 01 00 00 00 00'));
    expect(a.errors).toEqual(['invalid protocol version 1']);
    const b = collect();
    b.parser.push(hex('00 04 00 00 00 00 00 01 00 00 00 00'));
    expect(b.errors).toEqual(['invalid msg type 4']);
    b.parser.push(hex('00 02 00 01 00 00 00 00 00 00 00 00'));
    expect(b.frames).toHaveLength(0); // stopped for good
  });

  it('gives the same frames for any split of the input (seeded)', () => {
    const rng = createRng('yamux-split');
    for (let round = 0; round < 50; round++) {
      const expected: Array<[number, number, number, Uint8Array]> = [];
      const parts: Uint8Array[] = [];
      for (let i = rng.int(1, 12); i > 0; i--) {
        const type = rng.int(0, 3);
        const body = type === 0 ? new Uint8Array(rng.bytes(rng.int(0, 3000))) : new Uint8Array(0);
        const length = type === 0 ? body.length : rng.int(0, 0xffffffff);
        const flags = rng.int(0, 15);
        const id = rng.int(0, 1000);
        expected.push([type, flags, id, body]);
        parts.push(encodeYamuxHeader(type, flags, id, length), body);
      }
      const all = concatBytes(parts);
      const { frames, errors, parser } = collect();
      for (let pos = 0; pos < all.length; ) {
        const n = Math.min(all.length - pos, rng.chance(0.3) ? rng.int(1, 13) : rng.int(1, 4000));
        parser.push(all.subarray(pos, pos + n));
        pos += n;
      }
      expect(errors).toEqual([]);
      expect(frames.map((f) => [f.type, f.flags, f.streamId])).toEqual(expected.map((e) => [e[0], e[1], e[2]]));
      frames.forEach((f, i) => {
        if (f.type === 0) expect(Buffer.compare(concatBytes(f.body), (expected[i] as [number, number, number, Uint8Array])[3])).toBe(0);
      });
    }
  });
});
