import { describe, expect, it } from 'vitest';
import { MarkerScanner, MIN_MESSAGE_SIZE, PendingMarkers, makeFiller, writeData } from '../../../src/workloads/pty/echo-markers.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('MarkerScanner', () => {
  it('finds tokens across chunk boundaries and ignores broken ones', () => {
    const scanner = new MarkerScanner();
    const found: number[] = [];
    const push = (s: string) => scanner.scan(bytes(s), (seq) => found.push(seq));
    push('$ # {a} xx\r\n# {1');
    push('b');
    push('} yy {z\x1b[Kq} {} {{c} {0123456789a}');
    expect(found).toEqual([10, 36 + 11, 12]);
  });

  it('reset drops a token in progress', () => {
    const scanner = new MarkerScanner();
    const found: number[] = [];
    scanner.scan(bytes('{12'), (s) => found.push(s));
    scanner.reset();
    scanner.scan(bytes('3}'), (s) => found.push(s));
    expect(found).toEqual([]);
  });
});

describe('PendingMarkers', () => {
  it('settles each seq once, in any order', () => {
    const p = new PendingMarkers(4);
    expect([p.add(10), p.add(20), p.add(30)]).toEqual([0, 1, 2]);
    expect(p.take(1)).toBe(20);
    expect(p.take(1)).toBeUndefined();
    expect(p.take(0)).toBe(10);
    expect(p.take(7)).toBeUndefined();
    expect(p.size).toBe(1);
  });

  it('gives up the oldest marker when the ring is full', () => {
    const p = new PendingMarkers(4);
    for (let i = 0; i < 6; i++) p.add(i);
    expect(p.evicted).toBe(2);
    expect(p.take(0)).toBeUndefined();
    expect(p.take(2)).toBe(2);
    expect(p.clear()).toBe(3);
    expect(p.size).toBe(0);
  });
});

describe('writeData', () => {
  it('is exactly the message size, a comment line with one marker', () => {
    const filler = makeFiller(512, Math.random);
    for (const size of [MIN_MESSAGE_SIZE, 64, 300]) {
      for (const seq of [0, 35, 36 ** 5, 36 ** 9]) {
        const data = writeData(seq, size, filler, seq * 7);
        expect(data).toHaveLength(size);
        expect(data.startsWith(`# {${seq.toString(36)}} `)).toBe(true);
        expect(data.endsWith('\r')).toBe(true);
        expect(data.match(/[{}]/g)).toHaveLength(2);
      }
    }
  });
});
