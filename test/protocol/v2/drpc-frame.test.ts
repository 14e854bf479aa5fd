import { describe, expect, it } from 'vitest';
import { decodeUvarint, encodeUvarint, uvarintSize, writeUvarint } from '../../../src/protocol/v2/drpc-varint.js';
import { DrpcReader, PacketKind, decodeFrames, encodeFrame, encodePacket, packetSize } from '../../../src/protocol/v2/drpc-frame.js';
import { decodeErrorData, encodeErrorData, encodeSequence, methodBytes } from '../../../src/protocol/v2/drpc-packets.js';
import { DrpcError, DrpcProtocolError } from '../../../src/protocol/v2/wire-errors.js';
import { createRng } from '../../../src/core/rng.js';
import { concatBytes, hex, toHex } from './helpers.js';

const UPDATE_STATS = '/coder.agent.v2.Agent/UpdateStats';
const EMPTY = new Uint8Array(0);

function readPackets(chunks: Uint8Array[], max?: number): { packets: Array<[number, number, number, boolean, string]>; errors: string[] } {
  const packets: Array<[number, number, number, boolean, string]> = [];
  const errors: string[] = [];
  const reader = new DrpcReader(
    {
      onPacket: (kind, s, m, control, data) => packets.push([kind, s, m, control, Buffer.from(data).toString('hex')]),
      onReaderError: (e) => errors.push(e.message),
    },
    max,
  );
  for (const c of chunks) reader.push(c);
  return { packets, errors };
}

describe('dRPC varints', () => {
  it('matches the vectors 300, 16384, 2^64-1', () => {
    expect(toHex(encodeUvarint(300))).toBe('ac 02');
    expect(toHex(encodeUvarint(16384))).toBe('80 80 01');
    expect(toHex(encodeUvarint(2n ** 64n - 1n))).toBe('ff ff ff ff ff ff ff ff ff 01');
    expect(decodeUvarint(hex('ac 02'))).toEqual({ value: 300n, next: 2 });
    expect(decodeUvarint(hex('80 80 01'))).toEqual({ value: 16384n, next: 3 });
    expect(decodeUvarint(hex('ff ff ff ff ff ff ff ff ff 01'))).toEqual({ value: 2n ** 64n - 1n, next: 10 });
  });

  it('rejects too long, overflowing and out-of-range values; reports truncation', () => {
    expect(() => decodeUvarint(hex('ff ff ff ff ff ff ff ff ff ff 01'))).toThrow('varint too long');
    expect(() => decodeUvarint(hex('ff ff ff ff ff ff ff ff ff 02'))).toThrow(/overflows/);
    expect(decodeUvarint(hex('80 80'))).toBeNull();
    expect(() => encodeUvarint(2n ** 64n)).toThrow(RangeError);
    expect(() => encodeUvarint(-1)).toThrow(RangeError);
  });

  it('number and bigint codecs agree (seeded)', () => {
    const rng = createRng('varint');
    const out = new Uint8Array(10);
    for (let i = 0; i < 500; i++) {
      const v = Math.floor(rng.next() * 2 ** rng.int(0, 53));
      const end = writeUvarint(out, 0, v);
      expect(end).toBe(uvarintSize(v));
      expect(toHex(out.subarray(0, end))).toBe(toHex(encodeUvarint(v)));
      expect(decodeUvarint(out)).toEqual({ value: BigInt(v), next: end });
    }
    for (let i = 0; i < 200; i++) {
      const v = BigInt.asUintN(64, BigInt(`0x${rng.bytes(8).toString('hex')}`) >> BigInt(rng.int(0, 63)));
      expect(decodeUvarint(encodeUvarint(v))?.value).toBe(v);
    }
  });
});

describe('dRPC frame vectors (docs/protocol-v2.md §8)', () => {
  it('client unary UpdateStats({}) is 45 bytes: Invoke(1) Message(2) CloseSend(3)', () => {
    expect(methodBytes(UPDATE_STATS).length).toBe(33);
    const bytes = encodeSequence(1, 1, PacketKind.Invoke, methodBytes(UPDATE_STATS), PacketKind.Message, EMPTY, PacketKind.CloseSend, EMPTY);
    const expected = concatBytes([hex('03 01 01 21'), Buffer.from(UPDATE_STATS), hex('05 01 02 00 0d 01 03 00')]);
    expect(toHex(bytes)).toBe(toHex(expected));
    expect(bytes.length).toBe(45);
    expect(decodeFrames(bytes).map((f) => [f.kind, f.done, f.streamId, f.messageId, f.data.length])).toEqual([
      [PacketKind.Invoke, true, 1, 1, 33],
      [PacketKind.Message, true, 1, 2, 0],
      [PacketKind.CloseSend, true, 1, 3, 0],
    ]);
  });

  it('server Message with UpdateStatsResponse{30s}, server CloseSend, client Close(4)', () => {
    expect(toHex(encodePacket(PacketKind.Message, 1, 1, hex('0a 02 08 1e')))).toBe('05 01 01 04 0a 02 08 1e');
    expect(toHex(encodePacket(PacketKind.CloseSend, 1, 2))).toBe('0d 01 02 00');
    expect(toHex(encodePacket(PacketKind.Close, 1, 4))).toBe('0b 01 04 00');
  });

  it('server Error(Unimplemented): code 12 big-endian + text', () => {
    const expected = '07 01 01 15 00 00 00 00 00 00 00 0c 55 6e 69 6d 70 6c 65 6d 65 6e 74 65 64';
    expect(toHex(encodePacket(PacketKind.Error, 1, 1, encodeErrorData(12, 'Unimplemented')))).toBe(expected);
    const [frame] = decodeFrames(hex(expected));
    const err = decodeErrorData(frame?.data ?? EMPTY);
    expect(err).toBeInstanceOf(DrpcError);
    expect([err.code, err.message, err.errorClass]).toEqual([12, 'Unimplemented', 'drpc_12']);
  });

  it('error payload round-trips code 5 "test" (drpcwire error_test) and full uint64 codes', () => {
    const e = decodeErrorData(encodeErrorData(5, 'test'));
    expect([e.code, e.message]).toEqual([5, 'test']);
    expect(decodeErrorData(encodeErrorData(2n ** 64n - 1n, 'x')).rawCode).toBe(2n ** 64n - 1n);
  });

  it('Cancel with the control bit', () => {
    expect(toHex(encodePacket(PacketKind.Cancel, 1, 4, EMPTY, true))).toBe('89 01 04 00');
    expect(decodeFrames(hex('89 01 04 00'))).toEqual([{ kind: PacketKind.Cancel, done: true, control: true, streamId: 1, messageId: 4, data: EMPTY }]);
  });

  it('drpcstream TestStream_CorkUntilFirstRead frame (upstream literal, stream 0)', () => {
    const f = { kind: PacketKind.Message, done: true, control: false, streamId: 0, messageId: 1, data: Buffer.from('write') };
    expect(toHex(encodeFrame(f))).toBe('05 00 01 05 77 72 69 74 65');
    const [decoded] = decodeFrames(hex('05 00 01 05 77 72 69 74 65'));
    expect(decoded?.streamId).toBe(0);
    expect(Buffer.from(decoded?.data ?? EMPTY).toString()).toBe('write');
    // A real reader starts at (1, 1) and rejects stream 0.
    expect(readPackets([hex('05 00 01 05 77 72 69 74 65')]).errors).toEqual(['protocol error: id monotonicity violation']);
  });

  it('splits a 70000-byte message into 65536 + 4464 with the vector headers', () => {
    const data = new Uint8Array(70000).map((_, i) => (i * 7) & 0xff);
    const bytes = encodePacket(PacketKind.Message, 1, 2, data);
    expect(bytes.length).toBe(65542 + 4469);
    expect(packetSize(1, 2, 70000)).toBe(bytes.length);
    expect(toHex(bytes.subarray(0, 6))).toBe('04 01 02 80 80 04');
    expect(toHex(bytes.subarray(65542, 65542 + 5))).toBe('05 01 02 f0 22');
    expect(bytes[65542 + 5]).toBe(data[65536]);
    expect(data[65536]).toBe(0); // the vector's "first byte 00"
    const { packets } = readPackets([bytes]);
    expect(packets).toHaveLength(1);
    expect(packets[0]?.[4]).toBe(Buffer.from(data).toString('hex'));
  });
});

describe('dRPC reader rules', () => {
  it('discards a partial packet when a higher id starts', () => {
    const partial = encodeFrame({ kind: PacketKind.Message, done: false, control: false, streamId: 1, messageId: 1, data: hex('aa') });
    const next = encodePacket(PacketKind.Message, 1, 2, hex('bb'));
    expect(readPackets([partial, next]).packets).toEqual([[PacketKind.Message, 1, 2, false, 'bb']]);
  });

  it('rejects a kind change inside a packet, lower ids, and overflow', () => {
    const a = encodeFrame({ kind: PacketKind.Message, done: false, control: false, streamId: 1, messageId: 1, data: hex('aa') });
    const b = encodeFrame({ kind: PacketKind.Error, done: true, control: false, streamId: 1, messageId: 1, data: hex('bb') });
    expect(readPackets([a, b]).errors).toEqual(['protocol error: packet kind change']);
    expect(readPackets([encodePacket(2, 1, 2, EMPTY), encodePacket(2, 1, 2, EMPTY)]).errors).toEqual(['protocol error: id monotonicity violation']);
    expect(readPackets([encodePacket(2, 1, 0, EMPTY)]).errors).toEqual(['protocol error: id monotonicity violation']);
    const big = encodePacket(PacketKind.Message, 1, 1, new Uint8Array(100), false, 40);
    expect(readPackets([big], 99).errors).toEqual(['protocol error: data overflow']);
    expect(readPackets([big], 100).packets).toHaveLength(1);
  });

  it('accepts exactly 4 MiB and refuses one byte more', () => {
    const max = 4 * 1024 * 1024;
    expect(readPackets([encodePacket(PacketKind.Message, 1, 1, new Uint8Array(max))]).packets).toHaveLength(1);
    expect(readPackets([encodePacket(PacketKind.Message, 1, 1, new Uint8Array(max + 1))]).errors).toEqual(['protocol error: data overflow']);
  });

  it('reassembles the same packets for any chunking (seeded round trip)', () => {
    const rng = createRng('drpc-split');
    for (let round = 0; round < 30; round++) {
      const expected: Array<[number, number, number, boolean, string]> = [];
      const parts: Uint8Array[] = [];
      let stream = 1;
      let message = 1;
      for (let i = rng.int(1, 8); i > 0; i--) {
        if (rng.chance(0.2)) {
          stream++;
          message = 1;
        }
        const kind = rng.int(1, 7);
        const size = rng.chance(0.1) ? rng.int(65530, 140000) : rng.int(0, 300);
        const data = new Uint8Array(rng.bytes(size));
        const control = rng.chance(0.1);
        parts.push(encodePacket(kind, stream, message, data, control, rng.chance(0.5) ? 65536 : rng.int(1, 500)));
        expected.push([kind, stream, message, control, Buffer.from(data).toString('hex')]);
        message += rng.int(1, 3);
      }
      const all = concatBytes(parts);
      const chunks: Uint8Array[] = [];
      for (let pos = 0; pos < all.length; ) {
        const n = Math.min(all.length - pos, rng.chance(0.5) ? rng.int(1, 6) : rng.int(1, 70000));
        chunks.push(all.subarray(pos, pos + n));
        pos += n;
      }
      const { packets, errors } = readPackets(chunks);
      expect(errors).toEqual([]);
      expect(packets).toEqual(expected);
    }
  });

  it('reports a varint longer than 10 bytes in a header', () => {
    const { errors } = readPackets([hex('05 ff ff ff ff ff ff ff ff ff ff 01')]);
    expect(errors).toEqual(['protocol error: varint too long']);
    expect(new DrpcProtocolError('x').errorClass).toBe('drpc_protocol');
  });
});
