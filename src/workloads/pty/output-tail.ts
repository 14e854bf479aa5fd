/**
 * The last `capacity` bytes a PTY session received, for the replay check. One contiguous
 * circular buffer that grows on demand up to `capacity`, so a quiet session costs little and a
 * busy one never more than the capacity (64 KiB, the agent's replay ring, protocol §8.2).
 */
export class OutputTail {
  private buf: Buffer;
  /** Where the next byte goes once the buffer is full (the oldest byte lives here). */
  private head = 0;
  private size = 0;
  /** Every byte ever appended since the last clear (for offsets in logs). */
  total = 0;

  constructor(readonly capacity: number) {
    this.buf = Buffer.alloc(Math.min(capacity, 4096));
  }

  get length(): number {
    return this.size;
  }

  append(bytes: Uint8Array): void {
    const cap = this.capacity;
    this.total += bytes.length;
    if (cap <= 0 || bytes.length === 0) return;
    if (bytes.length >= cap) {
      this.grow(cap);
      this.buf.set(bytes.subarray(bytes.length - cap), 0);
      this.head = 0;
      this.size = cap;
      return;
    }
    if (this.size + bytes.length <= this.buf.length && this.size < cap) {
      // Still filling a linear buffer: head stays 0.
      this.buf.set(bytes, this.size);
      this.size += bytes.length;
      return;
    }
    if (this.size < cap) {
      this.grow(Math.min(cap, Math.max(this.buf.length * 2, this.size + bytes.length)));
      if (this.size + bytes.length <= this.buf.length) {
        this.buf.set(bytes, this.size);
        this.size += bytes.length;
        if (this.size === cap) this.head = 0;
        return;
      }
    }
    // Full circular buffer (buf.length === cap): overwrite from head, wrapping.
    const fill = cap - this.size; // free room when not yet full
    let src = 0;
    if (fill > 0) {
      this.buf.set(bytes.subarray(0, fill), this.size);
      this.size = cap;
      this.head = 0;
      src = fill;
    }
    while (src < bytes.length) {
      const n = Math.min(bytes.length - src, cap - this.head);
      this.buf.set(bytes.subarray(src, src + n), this.head);
      this.head = (this.head + n) % cap;
      src += n;
    }
  }

  /** A copy of the kept bytes, oldest first. */
  contents(): Buffer {
    if (this.size < this.buf.length || this.head === 0) return Buffer.from(this.buf.subarray(0, this.size));
    return Buffer.concat([this.buf.subarray(this.head), this.buf.subarray(0, this.head)], this.size);
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
    this.total = 0;
  }

  private grow(to: number): void {
    if (to <= this.buf.length) return;
    const next = Buffer.alloc(to);
    this.buf.copy(next, 0, 0, this.size); // only called while linear (head 0)
    this.buf = next;
  }
}
