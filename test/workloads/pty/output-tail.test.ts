import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { OutputTail } from '../../../src/workloads/pty/output-tail.js';
import { ReplayCheck } from '../../../src/workloads/pty/replay-check.js';

describe('OutputTail', () => {
  it('keeps exactly the last capacity bytes for any chunking', () => {
    const rng = createRng('tail');
    for (let round = 0; round < 50; round++) {
      const cap = rng.int(1, 9000);
      const tail = new OutputTail(cap);
      const all: Buffer[] = [];
      for (let i = 0; i < 40; i++) {
        const chunk = rng.bytes(rng.int(0, Math.floor(cap * 1.5)));
        all.push(chunk);
        tail.append(chunk);
        const whole = Buffer.concat(all);
        expect(tail.contents().equals(whole.subarray(Math.max(0, whole.length - cap)))).toBe(true);
        expect(tail.total).toBe(whole.length);
      }
    }
  });

  it('clear starts over', () => {
    const tail = new OutputTail(8);
    tail.append(Buffer.from('0123456789'));
    tail.clear();
    tail.append(Buffer.from('ab'));
    expect(tail.contents().toString()).toBe('ab');
  });
});

describe('ReplayCheck', () => {
  it('passes the expected bytes split anywhere and hands back what follows', () => {
    const check = new ReplayCheck(Buffer.from('hello world'));
    expect(Buffer.from(check.push(Buffer.from('hel'))).toString()).toBe('');
    expect(Buffer.from(check.push(Buffer.from('lo world$ live'))).toString()).toBe('$ live');
    expect(check.verdict()).toEqual({ ok: true, expected: 11, received: 11 });
  });

  it('reports the first differing byte, and a short replay', () => {
    const bad = new ReplayCheck(Buffer.from('abcdef'));
    bad.push(Buffer.from('abcXeZ'));
    expect(bad.verdict()).toEqual({ ok: false, expected: 6, received: 6, mismatchAt: 3, expectedByte: '0x64', receivedByte: '0x58' });
    const short = new ReplayCheck(Buffer.from('abcdef'));
    short.push(Buffer.from('abc'));
    expect(short.done).toBe(false);
    expect(short.verdict()).toEqual({ ok: false, expected: 6, received: 3, mismatchAt: 3 });
  });
});
