import WebSocket from 'ws';
import type { Clock } from '../../core/clock.js';
import type { CredentialAgent, Credentials } from '../../protocol/credentials.js';
import type { ArrivalRecord, SendRecord } from './pair-load.js';

/**
 * The parts the coordinator benchmark's load halves share, v1 (pair-load.ts) and v2
 * (v2/pair-load-v2.ts): batched connects, the paced open-model send loop, the arrival log a peer
 * side keeps, and tearing sockets down.
 */

/**
 * An all-zero frame mask: ws then skips the XOR over every payload (a valid 32-bit masking key on
 * the wire, just not a random one). It trims the load generator's CPU, never the target's.
 */
export const ZERO_MASK = (): void => {};

/** Runs `each(0..count-1)`, `batch` at a time, so a large fleet does not dial all at once. */
export async function inBatches(count: number, batch: number, each: (i: number) => Promise<void>): Promise<void> {
  for (let from = 0; from < count; from += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - from) }, (_, j) => each(from + j)));
  }
}

/** `http(s)://host/` → `ws(s)://host`. */
export function wsBase(url: string): string {
  return url.replace(/^http/, 'ws').replace(/\/+$/, '');
}

/** Agent `i` of the credentials; throws when they hold fewer than the `agents` the load needs. */
export function agentAt(credentials: Credentials, agents: number, i: number): CredentialAgent {
  const agent = credentials.agents[i];
  if (!agent) throw new Error(`need ${agents} agents, credentials hold ${credentials.agents.length}`);
  return agent;
}

/**
 * Sends `rate` updates/s round-robin over `seqs.length` agents for `durationMs` (count-bounded),
 * each stamped with its intended send time (open model). `seqs` holds each agent's last sequence
 * number and is advanced in place; `send` puts one update on the wire.
 */
export async function pacedSends(
  seqs: number[],
  rate: number,
  durationMs: number,
  clock: Clock,
  send: (i: number, seq: number, intendedMs: number) => void,
): Promise<Omit<SendRecord, 'closes'>> {
  const sends: number[] = [];
  const total = Math.round((rate * durationMs) / 1000);
  const interval = 1000 / rate;
  const start = clock.now();
  const startMs = clock.wallNow();
  let k = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor((clock.now() - start) / interval) + 1);
      for (; k < due; k++) {
        const i = k % seqs.length;
        const seq = (seqs[i] = (seqs[i] as number) + 1);
        const intended = startMs + k * interval;
        sends.push(i, seq, intended);
        send(i, seq, intended);
      }
      if (k >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  return { startMs, windowMs: clock.now() - start, sends };
}

/** What a peer side records between two takes: tagged arrivals and socket closes. */
export class ArrivalLog {
  private arrivals: number[] = [];
  private closes: number[][] = [];
  private count = 0;

  /** Tagged arrivals since the last take. */
  arrived(): number {
    return this.count;
  }

  take(): ArrivalRecord {
    const record = { arrivals: this.arrivals, closes: this.closes };
    this.arrivals = [];
    this.closes = [];
    this.count = 0;
    return record;
  }

  protected recordArrival(i: number, seq: number, at: number): void {
    this.arrivals.push(i, seq, at);
    this.count++;
  }

  protected recordClose(i: number, at: number): void {
    this.closes.push([i, at]);
  }
}

/** Terminates every socket; resolves once each has closed. */
export function terminateAll(sockets: WebSocket[]): Promise<void> {
  return Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.terminate();
        }),
    ),
  ).then(() => undefined);
}
