/**
 * The open-loop senders of `bench:proxy`'s fixed-rate legs: REST requests and WebSocket messages
 * sent at a fixed rate whatever the answers do, each answer timed with a sub-millisecond clock
 * from the moment it was handed to the socket (autocannon's own `overallRate` sends each
 * connection's quota in a burst at the top of every second and records whole milliseconds, so
 * it measures neither a steady rate nor a sub-millisecond difference; a full client such as
 * undici costs the generator so much CPU per request that on 2 cores the sender, not the path,
 * saturated first).
 */
import { performance } from 'node:perf_hooks';
import { connect } from 'node:net';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { terminateAll } from '../src/workloads/peers/pair-sides.js';
import { ResponseFramer } from './http-response-framer.js';
import { FixedRateSchedule, type FixedTurn } from './proxy-measure.js';

/** Scheduler tick, ms: the sends owed are released every tick. */
const TICK_MS = 2;
/** How long a turn waits for late answers after its send window, ms. */
const DRAIN_MS = 2000;

/** Runs `send` on the schedule for `seconds`; resolves when the window is over. */
function runSchedule(rate: number, seconds: number, send: () => void): Promise<number> {
  const schedule = new FixedRateSchedule(rate, performance.now());
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      for (let n = schedule.due(performance.now()); n > 0; n--) send();
    }, TICK_MS);
    setTimeout(() => {
      clearInterval(timer);
      resolve(schedule.total);
    }, seconds * 1000);
  });
}

/** Waits until `pending()` is 0 or DRAIN_MS passed. */
async function drain(pending: () => number): Promise<void> {
  const until = performance.now() + DRAIN_MS;
  while (pending() > 0 && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * `rate` GETs a second over `connections` keep-alive sockets (opened before the clock starts),
 * round-robin, each a prebuilt request written to a raw socket; a socket still waiting for an
 * answer gets the next request pipelined behind it, as an open-loop sender must.
 */
export async function restFixedTurn(
  url: string,
  headers: Record<string, string>,
  rate: number,
  seconds: number,
  connections: number,
): Promise<Omit<FixedTurn, 'proxyCpuUs'>> {
  const { hostname, port, pathname } = new URL(url);
  const head = Object.entries({ host: `${hostname}:${port}`, ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const request = Buffer.from(`GET ${pathname} HTTP/1.1\r\n${head}\r\n`);
  const latenciesMs: number[] = [];
  let inFlight = 0;
  let failed = 0;
  const sockets = await Promise.all(
    Array.from({ length: connections }, async () => {
      const socket = connect({ host: hostname, port: Number(port), noDelay: true });
      await once(socket, 'connect');
      const framer = new ResponseFramer();
      const sentAt: number[] = [];
      socket.on('data', (chunk: Buffer) => {
        for (const status of framer.push(chunk)) {
          inFlight--;
          if (status === 200) latenciesMs.push(performance.now() - sentAt.shift()!);
          else failed++;
        }
      });
      socket.on('error', () => void failed++);
      return { socket, sentAt };
    }),
  );
  try {
    let next = 0;
    const send = (): void => {
      const c = sockets[next++ % sockets.length]!;
      inFlight++;
      c.sentAt.push(performance.now());
      c.socket.write(request);
    };
    const sent = await runSchedule(rate, seconds, send);
    await drain(() => inFlight);
    if (failed > 0) throw new Error(`${url}: ${failed} requests failed`);
    return { sent, done: latenciesMs.length, seconds, latenciesMs };
  } finally {
    for (const { socket } of sockets) socket.destroy();
  }
}

/** `clients` WebSockets to the echo at `url`, open (no compression, as the bench's servers). */
export function openEchoClients(url: string, clients: number): Promise<WebSocket[]> {
  return Promise.all(
    Array.from({ length: clients }, () => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      return new Promise<WebSocket>((resolve, reject) => {
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    }),
  );
}

/** `rate` messages of `size` bytes a second, round-robin over `clients` echo sockets. */
export async function wsFixedTurn(url: string, rate: number, seconds: number, clients: number, size: number): Promise<Omit<FixedTurn, 'proxyCpuUs'>> {
  const payload = Buffer.alloc(size, 0x62);
  const sockets = await openEchoClients(url, clients);
  try {
    const latenciesMs: number[] = [];
    // An echo keeps each socket's order, so its answers match its sends first in, first out.
    const sentAt = sockets.map(() => [] as number[]);
    let inFlight = 0;
    for (const [i, ws] of sockets.entries()) {
      ws.on('message', () => {
        inFlight--;
        latenciesMs.push(performance.now() - sentAt[i]!.shift()!);
      });
    }
    let next = 0;
    const send = (): void => {
      const i = next++ % sockets.length;
      inFlight++;
      sentAt[i]!.push(performance.now());
      sockets[i]!.send(payload);
    };
    const sent = await runSchedule(rate, seconds, send);
    await drain(() => inFlight);
    return { sent, done: latenciesMs.length, seconds, latenciesMs };
  } finally {
    await terminateAll(sockets);
  }
}
