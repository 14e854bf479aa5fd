/**
 * dRPC frames and packets (docs/protocol-v2.md §2.1, §2.2).
 *
 * frame = control u8 | stream id uvarint | message id uvarint | length uvarint | data.
 * control = bit0 done, bits1-6 kind, bit7 "control" (ignorable if the kind is unknown).
 * A packet is one or more frames with the same ids and kind, split at 64 KiB; the last has done.
 */
import { DrpcProtocolError } from './wire-errors.js';
import { MAX_VARINT_BYTES, uvarintSize, writeUvarint } from './drpc-varint.js';

/** Packet kinds. */
export const PacketKind = { Invoke: 1, Message: 2, Error: 3, Cancel: 4, Close: 5, CloseSend: 6, InvokeMetadata: 7 } as const;

/** Data per frame above which a packet is split (drpc's SplitSize default). */
export const DRPC_SPLIT_SIZE = 64 * 1024;
/** Largest packet a reader accepts (drpc MaximumBufferSize, Coder's MaxMessageSize): 4 MiB. */
export const DRPC_MAX_PACKET_SIZE = 4 * 1024 * 1024;

/** One frame. */
export interface DrpcFrame {
  kind: number;
  done: boolean;
  control: boolean;
  streamId: number;
  messageId: number;
  data: Uint8Array;
}

/** Bytes the frames of one packet take on the wire. */
export function packetSize(streamId: number, messageId: number, dataLength: number, splitSize = DRPC_SPLIT_SIZE): number {
  const ids = 1 + uvarintSize(streamId) + uvarintSize(messageId);
  let total = 0;
  let left = dataLength;
  do {
    const n = Math.min(left, splitSize);
    total += ids + uvarintSize(n) + n;
    left -= n;
  } while (left > 0);
  return total;
}

/** Writes one packet's frames at `pos` (room from {@link packetSize}); returns the end position. */
export function writePacket(
  out: Uint8Array,
  pos: number,
  kind: number,
  streamId: number,
  messageId: number,
  data: Uint8Array,
  control = false,
  splitSize = DRPC_SPLIT_SIZE,
): number {
  let offset = 0;
  do {
    const n = Math.min(data.length - offset, splitSize);
    const done = offset + n === data.length;
    out[pos++] = (done ? 1 : 0) | ((kind & 0x3f) << 1) | (control ? 0x80 : 0);
    pos = writeUvarint(out, pos, streamId);
    pos = writeUvarint(out, pos, messageId);
    pos = writeUvarint(out, pos, n);
    out.set(n === data.length ? data : data.subarray(offset, offset + n), pos);
    pos += n;
    offset += n;
  } while (offset < data.length);
  return pos;
}

/**
 * Encodes one packet as a new array: a `Buffer.allocUnsafe` one (writePacket fills every byte), so
 * a small packet is a slice of Node's pool rather than an off-heap allocation of its own.
 */
export function encodePacket(
  kind: number,
  streamId: number,
  messageId: number,
  data: Uint8Array = EMPTY,
  control = false,
  splitSize = DRPC_SPLIT_SIZE,
): Uint8Array {
  const out = Buffer.allocUnsafe(packetSize(streamId, messageId, data.length, splitSize));
  writePacket(out, 0, kind, streamId, messageId, data, control, splitSize);
  return out;
}

/** Encodes one frame exactly as given (tests, unusual frames). */
export function encodeFrame(frame: DrpcFrame): Uint8Array {
  const out = new Uint8Array(1 + 3 * MAX_VARINT_BYTES + frame.data.length);
  out[0] = (frame.done ? 1 : 0) | ((frame.kind & 0x3f) << 1) | (frame.control ? 0x80 : 0);
  let pos = writeUvarint(out, 1, frame.streamId);
  pos = writeUvarint(out, pos, frame.messageId);
  pos = writeUvarint(out, pos, frame.data.length);
  out.set(frame.data, pos);
  return out.subarray(0, pos + frame.data.length);
}

/** Receives complete packets from a {@link DrpcReader}. */
export interface DrpcPacketSink {
  onPacket(kind: number, streamId: number, messageId: number, control: boolean, data: Uint8Array): void;
  /** Framing broke; the reader stops. */
  onReaderError(error: DrpcProtocolError): void;
}

const H_CONTROL = 0;
const H_STREAM = 1;
const H_MESSAGE = 2;
const H_LENGTH = 3;
const BODY = 4;

/**
 * Incremental frame parser and packet assembler for one transport (one yamux stream), with
 * drpc's reader rules: ids start at (1, 1) and never go down; a higher id abandons a partial
 * packet; a kind change inside a packet and packets above the maximum size are errors.
 * `onFrame`, if set, sees every frame (tests and tracing).
 */
/** Never pushed to (frozen, so a mistake throws). */
const NO_PARTS: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];

export class DrpcReader {
  onFrame: ((frame: DrpcFrame) => void) | null = null;
  private phase = H_CONTROL;
  private varValue = 0;
  private varShift = 1;
  private varBytes = 0;
  private fControl = 0;
  private fStream = 0;
  private fMessage = 0;
  private bodyLeft = 0;
  private bodyParts: Uint8Array[] | null = null; // body of the current frame, when split across chunks
  private curStream = 1;
  private curMessage = 1;
  private inPacket = false;
  private pktKind = 0;
  private pktControl = false;
  /** Data frames of the current packet; the shared NO_PARTS while there are none (a reader per
   * long-lived stream would otherwise hold an empty array for good). */
  private pktParts: Uint8Array[] = NO_PARTS;
  private pktLength = 0;
  private failed = false;

  constructor(
    private readonly sink: DrpcPacketSink,
    private readonly maxPacketSize = DRPC_MAX_PACKET_SIZE,
    /** False: only parse frames (no id/kind rules, no packets). */
    private readonly packetRules = true,
  ) {}

  /** True between frames (no partial frame buffered). */
  get atFrameBoundary(): boolean {
    return this.phase === H_CONTROL;
  }

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n && !this.failed) {
      if (this.phase === BODY) {
        const take = Math.min(this.bodyLeft, n - pos);
        const piece = chunk.subarray(pos, pos + take);
        pos += take;
        this.bodyLeft -= take;
        if (this.bodyLeft > 0) {
          (this.bodyParts ??= []).push(piece);
          continue;
        }
        const parts = this.bodyParts;
        this.bodyParts = null;
        this.frame(parts === null ? piece : concat([...parts, piece]));
        continue;
      }
      const b = chunk[pos++] as number;
      if (this.phase === H_CONTROL) {
        this.fControl = b;
        this.phase = H_STREAM;
        this.varValue = 0;
        this.varShift = 1;
        this.varBytes = 0;
        continue;
      }
      this.varValue += (b & 0x7f) * this.varShift;
      this.varShift *= 128;
      if (++this.varBytes > MAX_VARINT_BYTES) return this.fail('varint too long');
      if (b & 0x80) continue;
      const value = this.varValue;
      this.varValue = 0;
      this.varShift = 1;
      this.varBytes = 0;
      if (this.phase === H_STREAM) {
        this.fStream = value;
        this.phase = H_MESSAGE;
      } else if (this.phase === H_MESSAGE) {
        this.fMessage = value;
        this.phase = H_LENGTH;
      } else {
        if (value > this.maxPacketSize) return this.fail('data overflow');
        this.bodyLeft = value;
        this.phase = BODY;
        if (value === 0) {
          this.bodyLeft = 0;
          this.frame(EMPTY);
        }
      }
    }
  }

  private frame(data: Uint8Array): void {
    this.phase = H_CONTROL;
    const control = this.fControl;
    const kind = (control >> 1) & 0x3f;
    const done = (control & 1) === 1;
    const isControl = (control & 0x80) !== 0;
    const s = this.fStream;
    const m = this.fMessage;
    this.onFrame?.({ kind, done, control: isControl, streamId: s, messageId: m, data });
    if (!this.packetRules) return;
    if (s < this.curStream || (s === this.curStream && m < this.curMessage)) return this.fail('id monotonicity violation');
    if (s !== this.curStream || m !== this.curMessage) {
      this.curStream = s;
      this.curMessage = m;
      this.inPacket = false;
    }
    if (!this.inPacket) {
      this.inPacket = true;
      this.pktKind = kind;
      this.pktControl = isControl;
      this.pktParts = NO_PARTS;
      this.pktLength = 0;
    } else if (kind !== this.pktKind) return this.fail('packet kind change');
    if (data.length > 0) {
      this.pktLength += data.length;
      if (this.pktLength > this.maxPacketSize) return this.fail('data overflow');
      if (this.pktParts === NO_PARTS) this.pktParts = [data];
      else this.pktParts.push(data);
    }
    if (!done) return;
    const parts = this.pktParts;
    const body = parts.length === 0 ? EMPTY : parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts);
    this.pktParts = NO_PARTS;
    this.inPacket = false;
    this.curMessage = m + 1;
    this.sink.onPacket(this.pktKind, s, m, this.pktControl, body);
  }

  private fail(message: string): void {
    this.failed = true;
    this.sink.onReaderError(new DrpcProtocolError(`protocol error: ${message}`));
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const EMPTY = new Uint8Array(0);

/** Decodes a complete byte string into frames (tests, tracing); throws on malformed input. */
export function decodeFrames(bytes: Uint8Array): DrpcFrame[] {
  const frames: DrpcFrame[] = [];
  let error: Error | null = null;
  const reader = new DrpcReader({ onPacket: () => undefined, onReaderError: (e) => (error = e) }, Number.MAX_SAFE_INTEGER, false);
  reader.onFrame = (f) => frames.push(f);
  reader.push(bytes);
  if (error) throw error;
  if (!reader.atFrameBoundary) throw new DrpcProtocolError('truncated frame');
  return frames;
}
