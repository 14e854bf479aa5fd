import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { Coordinator } from '../../src/server/coordinator/coordinator.js';
import { manualClock } from '../helpers/clock.js';

/** Just enough of a ws socket for the coordinator's keepalive. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  pings = 0;
  ping(): void {
    this.pings++;
  }
  close(): void {
    this.readyState = 3;
    this.emit('close');
  }
}

describe('Coordinator keepalive', () => {
  it('spreads pings over the interval: each socket once per interval, no tick pings them all', () => {
    const clock = manualClock();
    const coordinator = new Coordinator({ pingIntervalMs: 15_000, clock });
    const sockets = Array.from({ length: 600 }, () => new FakeSocket());
    sockets.forEach((ws, i) => {
      if (i % 2) coordinator.attachClient(`agent-${i}`, ws as unknown as WebSocket);
      else coordinator.attachAgent(`agent-${i}`, ws as unknown as WebSocket);
    });
    const total = (): number => sockets.reduce((n, ws) => n + ws.pings, 0);
    let most = 0;
    for (let t = 0; t < 15_000; t += 250) {
      const before = total();
      clock.advance(250);
      most = Math.max(most, total() - before);
      // Answer every ping so the socket is pinged again next interval.
      for (const ws of sockets) ws.emit('pong');
    }
    expect(sockets.every((ws) => ws.pings === 1)).toBe(true);
    expect(most).toBeLessThanOrEqual(10);
    clock.advance(15_000);
    expect(sockets.every((ws) => ws.pings === 2)).toBe(true);
    coordinator.close();
  });

  it('does not ping a socket that never answered, nor a closed one', () => {
    const clock = manualClock();
    const coordinator = new Coordinator({ pingIntervalMs: 1_000, clock });
    const silent = new FakeSocket();
    const gone = new FakeSocket();
    coordinator.attachAgent('a', silent as unknown as WebSocket);
    coordinator.attachAgent('b', gone as unknown as WebSocket);
    gone.close();
    clock.advance(3_000);
    expect(silent.pings).toBe(1);
    expect(gone.pings).toBe(0);
    coordinator.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
