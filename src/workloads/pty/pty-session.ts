import type WebSocket from 'ws';
import { Backoff } from '../../core/backoff.js';
import type { Clock } from '../../core/clock.js';
import type { Rng } from '../../core/rng.js';
import { wsCloseClass, wsDialErrorClass } from '../../metrics/error-class.js';
import { ENDPOINT, METRIC } from '../../metrics/names.js';
import type { MetricSink } from '../../metrics/sink.js';
import { MarkerScanner, PendingMarkers, makeFiller, writeData } from './echo-markers.js';
import { OutputTail } from './output-tail.js';
import type { PtyConnection, PtyDialOptions } from './pty-dial.js';
import { ReplayCheck, type ReplayVerdict } from './replay-check.js';
import type { Cancel, Timers } from './timers.js';
import { Typist } from './typist.js';

const PTY_TAGS = { endpoint: ENDPOINT.pty } as const;
/** Redial backoff after a failed dial or a drop (a user reopening the terminal). */
const REDIAL_MIN_MS = 250;
const REDIAL_MAX_MS = 5_000;
/** Before a planned drop: output must have been quiet this long with every echo in... */
const QUIET_MS = 50;
/** ...or the drop happens anyway after this. Also the bound on draining at the end. */
const DRAIN_MAX_MS = 2_000;
/** A replay that has not fully arrived by then is a mismatch (cut short). */
const REPLAY_TIMEOUT_MS = 5_000;
/** Skip writes while the socket has this much queued: the target is not reading. */
const MAX_BUFFERED = 1 << 20;

export interface PtySessionDeps {
  /** Dial options except nothing: the session redials with the same reconnect id. */
  dialOptions: PtyDialOptions;
  dial: (options: PtyDialOptions) => Promise<PtyConnection>;
  bytesPerSecond: number;
  messageSize: number;
  jitter: number;
  /** Planned drop-and-reopen period in ms (undefined: never). */
  reconnectEvery?: number;
  /** The agent's replay ring size (64 KiB). */
  replayBytes: number;
  clock: Clock;
  timers: Timers;
  rng: Rng;
  metrics: MetricSink;
  /** A replay check failed (the workload logs the first one). */
  onMismatch(verdict: ReplayVerdict, streamOffset: number): void;
  /** A dial failed (the workload logs the first one of each class). */
  onDialError(error: unknown, errorClass: string): void;
}

type Outcome = { kind: 'planned'; expected: Buffer; streamOffset: number } | { kind: 'dropped' | 'failed' | 'stopped' };

/**
 * One reconnecting-PTY session (protocol §8): a reconnect id that is dialed, typed into, dropped
 * and reopened until `stop()`. Measures echo latency through markers in every write, counts bytes
 * both ways, and on every planned reconnect checks the replay against what it had received.
 * Failures are samples; nothing throws. `stop()` drains outstanding echoes (bounded), closes the
 * socket and resolves once every timer is cancelled.
 */
export class PtySession {
  private readonly pending = new PendingMarkers();
  private readonly scanner = new MarkerScanner();
  private readonly tail: OutputTail | undefined;
  private readonly filler: string;
  private fillerOffset = 0;
  private stopping = false;
  private opens = 0;
  private wake: (() => void) | undefined;
  private stopCurrent: (() => void) | undefined;
  private dialing: Promise<PtyConnection> | undefined;
  private done: Promise<void> | undefined;

  constructor(private readonly d: PtySessionDeps) {
    this.tail = d.reconnectEvery !== undefined ? new OutputTail(d.replayBytes) : undefined;
    this.filler = makeFiller(Math.max(256, d.messageSize * 2), () => d.rng.next());
  }

  /** Starts the session; idempotent. */
  start(): Promise<void> {
    this.done ??= this.loop();
    return this.done;
  }

  /** Drains, closes and resolves when everything is released. */
  stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.stopCurrent?.();
    void this.dialing?.then(
      (c) => c.ws.close(1000),
      () => {},
    );
    return this.done ?? Promise.resolve();
  }

  private async loop(): Promise<void> {
    const backoff = new Backoff(REDIAL_MIN_MS, REDIAL_MAX_MS);
    let check: { expected: Buffer; streamOffset: number } | undefined;
    while (!this.stopping) {
      const outcome = await this.connectOnce(check);
      check = undefined;
      if (outcome.kind === 'stopped' || this.stopping) break;
      if (outcome.kind === 'planned') {
        check = { expected: outcome.expected, streamOffset: outcome.streamOffset };
        backoff.reset();
        continue;
      }
      if (outcome.kind === 'dropped') backoff.reset();
      // Unplanned: whatever was in flight is unknown, so the next connection starts a new
      // stream (its replay is read as output) and is not checked.
      this.tail?.clear();
      this.scanner.reset();
      await this.sleep(backoff.next());
    }
    const lost = this.pending.clear() + this.pending.evicted;
    if (lost > 0) this.d.metrics.count(METRIC.ptyEchoLost, lost);
  }

  private async connectOnce(check: { expected: Buffer; streamOffset: number } | undefined): Promise<Outcome> {
    const { clock, metrics } = this.d;
    const startedAt = clock.now();
    let conn: PtyConnection;
    try {
      this.dialing = this.d.dial(this.d.dialOptions);
      conn = await this.dialing;
    } catch (error) {
      metrics.trend(METRIC.request, clock.now() - startedAt, PTY_TAGS);
      if (this.stopping) return { kind: 'stopped' };
      const cls = wsDialErrorClass(error);
      metrics.count(METRIC.error, 1, { ...PTY_TAGS, class: cls });
      metrics.count(METRIC.ptyFailed, 1);
      this.d.onDialError(error, cls);
      return { kind: 'failed' };
    } finally {
      this.dialing = undefined;
    }
    metrics.trend(METRIC.request, clock.now() - startedAt, PTY_TAGS);
    metrics.count(METRIC.ptyOpened, 1);
    metrics.count(this.opens++ === 0 ? METRIC.ptySessions : METRIC.ptyReconnects, 1);
    return this.serve(conn, check);
  }

  /** Runs one open connection until it closes. */
  private serve(conn: PtyConnection, planned: { expected: Buffer; streamOffset: number } | undefined): Promise<Outcome> {
    const { clock, metrics, timers } = this.d;
    const openedAt = clock.now();
    const ws = conn.ws;
    return new Promise<Outcome>((resolve) => {
      let check = planned ? new ReplayCheck(planned.expected) : undefined;
      let closing: 'planned' | 'stop' | undefined;
      let closed = false;
      let draining: 'planned' | 'stop' | undefined;
      const timers_: Record<'replay' | 'reconnect' | 'quiet' | 'drain', Cancel | undefined> = {
        replay: undefined,
        reconnect: undefined,
        quiet: undefined,
        drain: undefined,
      };
      const cancel = (name: keyof typeof timers_): void => {
        timers_[name]?.();
        timers_[name] = undefined;
      };

      const typist = new Typist({
        bytesPerSecond: this.d.bytesPerSecond,
        messageSize: this.d.messageSize,
        jitter: this.d.jitter,
        clock,
        rng: this.d.rng,
        timers,
        write: (intendedAt) => this.write(ws, intendedAt),
      });

      const closeNow = (why: 'planned' | 'stop'): void => {
        if (closing) return;
        closing = why;
        typist.stop();
        for (const name of Object.keys(timers_) as (keyof typeof timers_)[]) cancel(name);
        ws.close(1000);
      };
      const armQuiet = (): void => {
        cancel('quiet');
        if (this.pending.size > 0) return;
        timers_.quiet = timers.after(draining === 'stop' ? 0 : QUIET_MS, () => closeNow(draining!));
      };
      const drain = (why: 'planned' | 'stop'): void => {
        if (closing || draining === 'stop') return;
        draining = why;
        typist.stop();
        cancel('reconnect');
        if (check) return closeNow(why); // still reading a replay: nothing of ours in flight
        cancel('drain');
        timers_.drain = timers.after(DRAIN_MAX_MS, () => closeNow(why));
        armQuiet();
      };
      this.stopCurrent = () => drain('stop');

      const finishCheck = (): void => {
        cancel('replay');
        const verdict = check!.verdict();
        check = undefined;
        metrics.count(METRIC.ptyReplayChecks, 1);
        if (!verdict.ok) {
          metrics.count(METRIC.ptyReplayMismatches, 1);
          this.d.onMismatch(verdict, planned!.streamOffset);
        }
        if (!closing && !draining && !closed) startTyping();
      };
      const startTyping = (): void => {
        // A resize message first, like a terminal that fits itself after (re)connecting.
        this.send(ws, JSON.stringify({ height: this.d.dialOptions.height, width: this.d.dialOptions.width }));
        typist.start();
        if (this.d.reconnectEvery !== undefined) timers_.reconnect = timers.after(this.d.reconnectEvery, () => drain('planned'));
      };

      const onMessage = (bytes: Buffer): void => {
        metrics.count(METRIC.ptyBytesReceived, bytes.length);
        let rest: Uint8Array = bytes;
        if (check) {
          rest = check.push(bytes);
          if (check.done) finishCheck();
        }
        if (rest.length > 0) this.output(rest);
        if (draining && !closing) armQuiet();
      };
      ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
        onMessage(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));
      });
      ws.on('error', () => {
        // 'close' follows with the code (1006 for a broken connection).
      });
      ws.once('close', (code: number) => {
        closed = true;
        this.stopCurrent = undefined;
        typist.stop();
        for (const name of Object.keys(timers_) as (keyof typeof timers_)[]) cancel(name);
        if (check) finishCheck();
        metrics.count(METRIC.ptyOpenMs, Math.round(clock.now() - openedAt));
        if (closing === 'planned') {
          return resolve({ kind: 'planned', expected: this.tail!.contents(), streamOffset: this.tail!.total - this.tail!.length });
        }
        if (closing === 'stop' || this.stopping) return resolve({ kind: 'stopped' });
        metrics.count(METRIC.ptyCloses, 1, { code: String(code) });
        // 1000 (the process exited) and 1001 (going away) read as a clean end in Go.
        if (code !== 1000 && code !== 1001) metrics.count(METRIC.error, 1, { ...PTY_TAGS, class: wsCloseClass(code) });
        resolve({ kind: 'dropped' });
      });

      if (this.stopping) return drain('stop');
      const early = conn.takeEarly();
      if (check) {
        timers_.replay = timers.after(REPLAY_TIMEOUT_MS, finishCheck);
        if (check.done) finishCheck(); // nothing to replay
      } else startTyping();
      for (const bytes of early) onMessage(bytes);
    });
  }

  private output(bytes: Uint8Array): void {
    this.tail?.append(bytes);
    this.scanner.scan(bytes, (seq) => {
      const at = this.pending.take(seq);
      if (at !== undefined) this.d.metrics.trend(METRIC.ptyEcho, Math.max(0, this.d.clock.now() - at));
    });
  }

  private write(ws: WebSocket, intendedAt: number): void {
    if (ws.bufferedAmount > MAX_BUFFERED) {
      this.d.metrics.count(METRIC.ptyWritesSkipped, 1);
      return;
    }
    const seq = this.pending.add(intendedAt);
    const data = writeData(seq, this.d.messageSize, this.filler, this.fillerOffset);
    this.fillerOffset += 7;
    this.send(ws, JSON.stringify({ data }));
    this.d.metrics.count(METRIC.ptyBytesSent, data.length);
  }

  /** Input goes as binary frames: a text frame makes coderd close 1003 (protocol §8.1). */
  private send(ws: WebSocket, json: string): void {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.from(json), { binary: true });
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = this.d.timers.after(ms, () => {
        this.wake = undefined;
        resolve();
      });
      this.wake = () => {
        this.wake = undefined;
        cancel();
        resolve();
      };
    });
  }
}
