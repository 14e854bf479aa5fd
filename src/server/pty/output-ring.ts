/**
 * The last `capacity` bytes of a session's output (the agent's 64 KiB replay buffer, protocol
 * §8.2). Chunks are kept as written and trimmed from the front, so appending is O(1) amortised.
 */
export class OutputRing {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.size;
  }

  append(chunk: Buffer): void {
    if (this.capacity <= 0 || chunk.length === 0) return;
    if (chunk.length >= this.capacity) {
      this.chunks = [Buffer.from(chunk.subarray(chunk.length - this.capacity))];
      this.size = this.capacity;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.capacity) {
      const first = this.chunks[0] as Buffer;
      const excess = this.size - this.capacity;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  /** A copy of the buffered bytes, oldest first. */
  contents(): Buffer {
    const all = Buffer.concat(this.chunks, this.size);
    this.chunks = all.length > 0 ? [all] : [];
    return all;
  }
}
