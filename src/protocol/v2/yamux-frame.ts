/**
 * yamux frame header codec and incremental parser (docs/protocol-v2.md §1.7).
 *
 * Header: 12 bytes big-endian — version u8 (0), type u8, flags u16, stream id u32, length u32.
 * Only Data frames carry a body (`length` bytes); for WindowUpdate the length is the window
 * delta, for Ping the opaque ping id, for GoAway the error code.
 */

export const YAMUX_VERSION = 0;
export const YAMUX_HEADER_SIZE = 12;
/** Initial (and, with the default config, maximum) per-stream window: 256 KiB (protocol-v2 §1.6). */
export const YAMUX_INITIAL_WINDOW = 256 * 1024;

/** Frame types. */
export const FrameType = { Data: 0, WindowUpdate: 1, Ping: 2, GoAway: 3 } as const;
/** Header flags (bit set). */
export const Flag = { SYN: 1, ACK: 2, FIN: 4, RST: 8 } as const;
/** GoAway codes. */
export const GoAwayCode = { Normal: 0, ProtocolError: 1, InternalError: 2 } as const;

/** A decoded header. */
export interface YamuxHeader {
  version: number;
  type: number;
  flags: number;
  streamId: number;
  length: number;
}

/** Writes a header at `offset` of `out` (12 bytes). */
export function writeYamuxHeader(out: Uint8Array, offset: number, type: number, flags: number, streamId: number, length: number): void {
  out[offset] = YAMUX_VERSION;
  out[offset + 1] = type;
  out[offset + 2] = (flags >>> 8) & 0xff;
  out[offset + 3] = flags & 0xff;
  writeU32(out, offset + 4, streamId);
  writeU32(out, offset + 8, length);
}

/** Encodes one header as a new 12-byte array. */
export function encodeYamuxHeader(type: number, flags: number, streamId: number, length: number): Uint8Array {
  const out = new Uint8Array(YAMUX_HEADER_SIZE);
  writeYamuxHeader(out, 0, type, flags, streamId, length);
  return out;
}

/** Decodes the 12 bytes at `offset` (no validation: see {@link YamuxFrameParser}). */
export function decodeYamuxHeader(bytes: Uint8Array, offset = 0): YamuxHeader {
  if (bytes.length - offset < YAMUX_HEADER_SIZE) throw new RangeError('yamux header needs 12 bytes');
  return {
    version: bytes[offset] as number,
    type: bytes[offset + 1] as number,
    flags: ((bytes[offset + 2] as number) << 8) | (bytes[offset + 3] as number),
    streamId: readU32(bytes, offset + 4),
    length: readU32(bytes, offset + 8),
  };
}

function writeU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = (value >>> 24) & 0xff;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] as number) * 0x1000000 + (((bytes[offset + 1] as number) << 16) | ((bytes[offset + 2] as number) << 8) | (bytes[offset + 3] as number));
}

/** Receiver of parsed frames. */
export interface YamuxFrameSink {
  /**
   * A complete, valid header. For a Data frame its body follows through `onFrameBody`.
   * Return false to stop parsing (the session is ending).
   */
  onFrameHeader(type: number, flags: number, streamId: number, length: number): boolean;
  /** A piece of the current Data frame's body; `last` marks its final piece. */
  onFrameBody(piece: Uint8Array, last: boolean): void;
  /** Invalid version or type: the session must end (hashicorp: "invalid protocol version"). */
  onFrameError(message: string): void;
}

/**
 * Incremental parser: accepts chunks cut anywhere (split headers, merged frames, bodies across
 * chunks) and hands body pieces out as zero-copy subarrays of the input.
 */
export class YamuxFrameParser {
  /** Partial header bytes, used only when a header straddles two chunks. */
  private partial: Uint8Array | null = null;
  private partialLen = 0;
  private bodyLeft = 0;
  private stopped = false;

  constructor(private readonly sink: YamuxFrameSink) {}

  /** Parses one chunk. */
  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n && !this.stopped) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, n - pos);
        this.bodyLeft -= take;
        this.sink.onFrameBody(chunk.subarray(pos, pos + take), this.bodyLeft === 0);
        pos += take;
        continue;
      }
      let hdr: Uint8Array;
      let at: number;
      if (this.partialLen === 0 && n - pos >= YAMUX_HEADER_SIZE) {
        hdr = chunk;
        at = pos;
        pos += YAMUX_HEADER_SIZE;
      } else {
        const partial = (this.partial ??= new Uint8Array(YAMUX_HEADER_SIZE));
        const take = Math.min(YAMUX_HEADER_SIZE - this.partialLen, n - pos);
        partial.set(chunk.subarray(pos, pos + take), this.partialLen);
        this.partialLen += take;
        pos += take;
        if (this.partialLen < YAMUX_HEADER_SIZE) return;
        this.partialLen = 0;
        hdr = partial;
        at = 0;
      }
      this.header(hdr, at);
    }
  }

  /** Stops parsing for good (after a fatal error). */
  stop(): void {
    this.stopped = true;
  }

  private header(bytes: Uint8Array, at: number): void {
    const version = bytes[at] as number;
    const type = bytes[at + 1] as number;
    if (version !== YAMUX_VERSION) return this.fail(`invalid protocol version ${version}`);
    if (type > FrameType.GoAway) return this.fail(`invalid msg type ${type}`);
    const flags = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    const streamId = readU32(bytes, at + 4);
    const length = readU32(bytes, at + 8);
    if (!this.sink.onFrameHeader(type, flags, streamId, length)) {
      this.stopped = true;
      return;
    }
    if (type === FrameType.Data) {
      if (length === 0) this.sink.onFrameBody(EMPTY, true);
      else this.bodyLeft = length;
    }
  }

  private fail(message: string): void {
    this.stopped = true;
    this.sink.onFrameError(message);
  }
}

const EMPTY = new Uint8Array(0);
