import { describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { binaryFrame } from '../../src/protocol/ws-frame.js';

/** ws's own framing (exported at runtime, not in its type declarations). */
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
};

describe('ws-frame: hand-built unmasked binary frames', () => {
  for (const size of [0, 1, 125, 126, 65_535, 65_536, 70_000]) {
    it(`are the bytes ws sends for a ${size}-byte payload`, () => {
      const payload = Buffer.alloc(size, 0x5a);
      const parts = Sender.frame(payload, { fin: true, opcode: 2, mask: false, readOnly: true, rsv1: false });
      expect(Buffer.compare(binaryFrame(payload), Buffer.concat(parts))).toBe(0);
    });
  }
});
