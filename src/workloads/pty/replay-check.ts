/**
 * The replay check of a reconnect with the same reconnect id (protocol §8.2): the agent keeps the
 * last 64 KiB of the session's output and sends that ring first to every new connection, before
 * anything live. So, when the client received everything the session produced before it dropped
 * the connection (the session drains its echoes first, see pty-session.ts), the first bytes of
 * the new connection must be exactly the tail of what it had received: its last
 * min(received, 64 KiB) bytes.
 *
 * `push` consumes bytes as they arrive, compares them in place and hands back what follows the
 * replay (live output), so no copy of the stream is kept beyond the expected tail.
 */
export interface ReplayVerdict {
  ok: boolean;
  expected: number;
  /** Bytes of replay received (less than `expected` when it was cut short). */
  received: number;
  /** Offset in the replay of the first differing byte (or of the end of a short replay). */
  mismatchAt?: number;
  /** The byte expected and the one received there (hex), when a byte differed. */
  expectedByte?: string;
  receivedByte?: string;
}

export class ReplayCheck {
  private offset = 0;
  private mismatchAt: number | undefined;
  private gotByte: number | undefined;

  constructor(private readonly expected: Buffer) {}

  get done(): boolean {
    return this.offset >= this.expected.length;
  }

  /** Takes the replay's part of `bytes`; returns the rest (live output after the replay). */
  push(bytes: Uint8Array): Uint8Array {
    const want = this.expected.length - this.offset;
    const take = Math.min(want, bytes.length);
    if (this.mismatchAt === undefined && take > 0) {
      const got = bytes.subarray(0, take);
      const exp = this.expected.subarray(this.offset, this.offset + take);
      if (Buffer.compare(got, exp) !== 0) {
        let i = 0;
        while (i < take && got[i] === exp[i]) i++;
        this.mismatchAt = this.offset + i;
        this.gotByte = got[i];
      }
    }
    this.offset += take;
    return bytes.subarray(take);
  }

  /** The outcome; a check finished before the whole replay arrived is a (short) mismatch. */
  verdict(): ReplayVerdict {
    const base = { expected: this.expected.length, received: this.offset };
    if (this.mismatchAt !== undefined) {
      return {
        ok: false,
        ...base,
        mismatchAt: this.mismatchAt,
        expectedByte: hex(this.expected[this.mismatchAt]),
        receivedByte: hex(this.gotByte),
      };
    }
    if (!this.done) return { ok: false, ...base, mismatchAt: this.offset };
    return { ok: true, ...base };
  }
}

const hex = (b: number | undefined): string | undefined => (b === undefined ? undefined : `0x${b.toString(16).padStart(2, '0')}`);
