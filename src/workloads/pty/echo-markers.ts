/**
 * Echo markers: every write of a PTY session carries `{<seq in base 36>}`, and the first time that
 * token shows up in the session's output is its echo. The scanner reads output once, byte by
 * byte across message boundaries (never re-scanning a buffer); the pending table remembers the
 * intended send time of each marker still waiting for its echo, in a fixed-size ring.
 */

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
/** Longest seq accepted between the braces (36^10 writes is far beyond any run). */
const MAX_DIGITS = 10;

function digitValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30; // 0-9
  if (byte >= 0x61 && byte <= 0x7a) return byte - 0x61 + 10; // a-z
  return -1;
}

/**
 * Finds `{seq}` tokens in a byte stream. State survives between `scan` calls, so a token split
 * over two WebSocket messages is still found. Anything that is not a base-36 digit between the
 * braces (an escape sequence a line editor inserted, say) voids the token.
 */
export class MarkerScanner {
  /** -1: outside a token; otherwise the digits read so far. */
  private digits = -1;
  private value = 0;

  /** Calls `found(seq)` for every complete token in `bytes`, in order. */
  scan(bytes: Uint8Array, found: (seq: number) => void): void {
    let i = 0;
    const n = bytes.length;
    while (i < n) {
      if (this.digits < 0) {
        const open = bytes.indexOf(OPEN, i);
        if (open < 0) return;
        this.digits = 0;
        this.value = 0;
        i = open + 1;
        continue;
      }
      const byte = bytes[i]!;
      i++;
      if (byte === CLOSE && this.digits > 0) {
        this.digits = -1;
        found(this.value);
        continue;
      }
      const d = digitValue(byte);
      if (d < 0 || this.digits >= MAX_DIGITS) {
        // A new "{" starts a new token; anything else ends this one.
        this.digits = byte === OPEN ? 0 : -1;
        this.value = 0;
        continue;
      }
      this.value = this.value * 36 + d;
      this.digits++;
    }
  }

  /** Forgets a partly read token (the stream restarted). */
  reset(): void {
    this.digits = -1;
    this.value = 0;
  }
}

/**
 * Intended send times of the markers still waiting for their echo, by seq. Seqs are handed out
 * in order, so a ring of `capacity` slots indexed by seq holds them; when the oldest pending
 * marker is `capacity` seqs behind the newest it is given up as lost, which bounds memory
 * whatever the target does.
 */
export class PendingMarkers {
  private readonly times: Float64Array;
  private readonly mask: number;
  /** Lowest seq that may still be pending; every seq below it is settled. */
  private low = 0;
  /** Next seq to hand out. */
  private next = 0;
  private waiting = 0;
  /** Markers given up because the ring wrapped (their echo never came in time). */
  evicted = 0;

  constructor(capacity = 1 << 14) {
    let size = 1;
    while (size < capacity) size <<= 1;
    this.times = new Float64Array(size).fill(Number.NaN);
    this.mask = size - 1;
  }

  /** Markers sent and not echoed yet. */
  get size(): number {
    return this.waiting;
  }

  /** Registers the next marker, sent at (intended) time `at`; returns its seq. */
  add(at: number): number {
    if (this.next - this.low >= this.times.length) {
      // The ring is full: the oldest one is lost.
      if (!Number.isNaN(this.times[this.low & this.mask]!)) {
        this.times[this.low & this.mask] = Number.NaN;
        this.waiting--;
        this.evicted++;
      }
      this.low++;
      this.advance();
    }
    const seq = this.next++;
    this.times[seq & this.mask] = at;
    this.waiting++;
    return seq;
  }

  /** The send time of `seq` if it was pending (it is settled now), else undefined (unknown,
   * already echoed, or given up). */
  take(seq: number): number | undefined {
    if (seq < this.low || seq >= this.next) return undefined;
    const slot = seq & this.mask;
    const at = this.times[slot]!;
    if (Number.isNaN(at)) return undefined;
    this.times[slot] = Number.NaN;
    this.waiting--;
    this.advance();
    return at;
  }

  /** Gives up every pending marker; returns how many there were. */
  clear(): number {
    const n = this.waiting;
    this.times.fill(Number.NaN);
    this.waiting = 0;
    this.low = this.next;
    return n;
  }

  private advance(): void {
    while (this.low < this.next && Number.isNaN(this.times[this.low & this.mask]!)) this.low++;
  }
}

/** Letters and digits the filler is drawn from: never a brace, so it cannot form a marker. */
const FILLER_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** Shortest write that still holds `# {seq} ` and the Enter (see `writeData`). */
export const MIN_MESSAGE_SIZE = 16;

/**
 * The text of one write: `# {seq} <filler>\r`, exactly `size` bytes (ASCII). A shell comment,
 * so a real login shell runs nothing and echoes it once; the fleetsim shell answers
 * `#: command not found`, which does not repeat the marker. `filler` is a long random string
 * the caller makes once; each write takes a slice of it at `offset`.
 */
export function writeData(seq: number, size: number, filler: string, offset: number): string {
  const head = `# {${seq.toString(36)}} `;
  const fill = Math.max(0, size - head.length - 1);
  const start = offset % Math.max(1, filler.length - fill);
  return head + filler.slice(start, start + fill) + '\r';
}

/** A random filler of `length` characters from `next()` (uniform in [0, 1)). */
export function makeFiller(length: number, next: () => number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += FILLER_ALPHABET[Math.floor(next() * FILLER_ALPHABET.length)];
  return s;
}
