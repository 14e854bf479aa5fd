/** Test helpers for the v2 wire stack: hex, an in-memory transport pair, settling the event loop. */
import type { ByteSink, ByteTransport } from '../../../src/protocol/v2/ws-byte-stream.js';

export function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-f]/gi, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** One end of an in-memory pipe. Writes reach the peer on a later macrotask (like a socket). */
export class MemoryTransport implements ByteTransport {
  peer!: MemoryTransport;
  sink: ByteSink | null = null;
  /** Every chunk written, in order. */
  readonly written: Uint8Array[] = [];
  closed = false;
  closeCode: number | undefined;
  private blocked = false;
  /** When set, inbound chunks are held instead of delivered (see `release`). */
  hold = false;
  private held: Uint8Array[] = [];

  start(sink: ByteSink): void {
    this.sink = sink;
  }

  get writable(): boolean {
    return !this.blocked;
  }

  write(chunk: Uint8Array): void {
    if (this.closed) return;
    const copy = new Uint8Array(chunk);
    this.written.push(copy);
    setImmediate(() => this.peer.receive(copy));
  }

  close(code = 1000): void {
    if (this.closed) return;
    this.closed = true;
    this.closeCode = code;
    setImmediate(() => {
      this.sink?.onTransportClose(undefined);
      this.peer.remoteClosed(code);
    });
  }

  /** Simulates a full socket buffer; `unblock` signals drain. */
  block(): void {
    this.blocked = true;
  }

  unblock(): void {
    this.blocked = false;
    this.sink?.onTransportDrain();
  }

  release(): void {
    this.hold = false;
    const held = this.held;
    this.held = [];
    for (const chunk of held) this.sink?.onTransportData(chunk);
  }

  /** Bytes written so far, concatenated. */
  allWritten(): Uint8Array {
    return concatBytes(this.written);
  }

  private receive(chunk: Uint8Array): void {
    if (this.closed) return;
    if (this.hold) this.held.push(chunk);
    else this.sink?.onTransportData(chunk);
  }

  private remoteClosed(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.sink?.onTransportClose(code === 1000 ? undefined : new Error(`closed ${code}`));
  }
}

export function memoryPipe(): [MemoryTransport, MemoryTransport] {
  const a = new MemoryTransport();
  const b = new MemoryTransport();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Lets setImmediate deliveries and microtasks run (bounded rounds). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Waits until `cond` holds, letting I/O run; fails after `rounds` turns. */
export async function until(cond: () => boolean, what: string, rounds = 2000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}
