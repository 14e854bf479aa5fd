import { performance } from 'node:perf_hooks';
import type { StopSignal } from '../client/stop-signal.js';

/** What {@link Clock.setTimeout} returns: opaque, only meaningful to the clock that made it. */
export type TimerHandle = object;

/** A repeating callback from {@link Clock.every}. */
export interface Ticker {
  /** Stops the ticker (idempotent); no call happens after it. */
  stop(): void;
}

/**
 * Every time source and timer the harness uses, injected so tests can drive time by hand
 * ({@link ManualClock}). `now()` is monotonic milliseconds with sub-ms precision; `wallNow()` is
 * epoch milliseconds. Timers run on this clock's time: a manual clock fires them from
 * `advance()`, the system clock from Node's timers.
 *
 * Signals may be an AbortSignal or the lighter StopSignal/StopSource (see stop-signal.ts).
 */
export interface Clock {
  now(): number;
  wallNow(): number;
  /**
   * Calls `callback(arg)` once, `ms` from now (negative counts as 0). Passing state as `arg`
   * with a static callback lets hot paths schedule without a closure per timer.
   */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  setTimeout<A>(callback: (arg: A) => void, ms: number, arg: A): TimerHandle;
  /** Cancels a timer of this clock; undefined or an already fired timer is a no-op. */
  clearTimeout(timer: TimerHandle | undefined): void;
  /** Resolves true after `ms`, or false as soon as `signal` aborts (the timer is cleared then). */
  sleep(ms: number, signal?: StopSignal): Promise<boolean>;
  /**
   * Calls `callback` every `intervalMs` (> 0) on a fixed grid from now; a late tick does not
   * shift the grid, and ticks missed while the event loop was blocked are skipped, not bunched.
   * Stops on `stop()` or when `signal` aborts.
   */
  every(intervalMs: number, callback: () => void, signal?: StopSignal): Ticker;
}

/**
 * The timer part of a {@link Clock}: what low-level code that keeps its own deadlines needs (the
 * yamux session and its pinger, dRPC call timeouts, the fault proxy). Any Clock is one, so a run's
 * clock, a {@link ManualClock} in tests or a scheduler-backed adapter can drive it.
 */
export type TimerClock = Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;

/**
 * One pending sleep. A fleet holds tens of thousands of these (lifecycle, app health, backoff):
 * tsx compiles with esbuild's keepNames, which gives every named closure its own property array
 * (~250 B), so this is a class with a static timer callback, not a closure per sleep.
 */
class PendingSleep {
  private readonly timer: TimerHandle;

  constructor(
    private readonly clock: Clock,
    ms: number,
    private readonly signal: StopSignal | undefined,
    private readonly resolve: (passed: boolean) => void,
  ) {
    this.timer = clock.setTimeout(PendingSleep.fire, ms, this);
    signal?.addEventListener('abort', this, { once: true });
  }

  private static fire(self: PendingSleep): void {
    self.signal?.removeEventListener('abort', self);
    self.resolve(true);
  }

  /** EventTarget listener object: the signal aborted. */
  handleEvent(): void {
    this.clock.clearTimeout(this.timer);
    this.resolve(false);
  }
}

class IntervalTicker implements Ticker {
  private timer: TimerHandle | undefined;
  private due: number;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly callback: () => void,
    private readonly signal: StopSignal | undefined,
  ) {
    if (!(intervalMs > 0)) throw new RangeError(`every: interval must be > 0 ms, got ${intervalMs}`);
    this.due = clock.now() + intervalMs;
    this.timer = clock.setTimeout(IntervalTicker.fire, intervalMs, this);
    signal?.addEventListener('abort', this, { once: true });
  }

  private static fire(self: IntervalTicker): void {
    const now = self.clock.now();
    // Next grid point after now (a system timer may fire a fraction early or very late).
    do self.due += self.intervalMs;
    while (self.due <= now);
    // Armed before the callback, so a callback that stops the ticker clears it.
    self.timer = self.clock.setTimeout(IntervalTicker.fire, self.due - now, self);
    self.callback();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.signal?.removeEventListener('abort', this);
  }

  handleEvent(): void {
    this.stop();
  }
}

/** `sleep` and `every` for any clock, from its setTimeout/clearTimeout. */
abstract class ClockBase implements Clock {
  abstract now(): number;
  abstract wallNow(): number;
  abstract setTimeout(callback: () => void, ms: number): TimerHandle;
  abstract setTimeout<A>(callback: (arg: A) => void, ms: number, arg: A): TimerHandle;
  abstract clearTimeout(timer: TimerHandle | undefined): void;

  sleep(ms: number, signal?: StopSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => new PendingSleep(this, ms, signal, resolve));
  }

  every(intervalMs: number, callback: () => void, signal?: StopSignal): Ticker {
    const ticker = new IntervalTicker(this, intervalMs, callback, signal);
    if (signal?.aborted) ticker.stop();
    return ticker;
  }
}

class SystemClock extends ClockBase {
  constructor(
    private readonly wallAtOrigin: number,
    private readonly unref: boolean,
  ) {
    super();
  }

  now(): number {
    return performance.now();
  }

  wallNow(): number {
    // Wall time derived from the monotonic clock keeps µs precision and never steps backwards.
    return this.wallAtOrigin + performance.now();
  }

  setTimeout<A>(callback: (arg: A) => void, ms: number, arg?: A): TimerHandle {
    // Node copies extra timer arguments into an array per timer: pass `arg` only when there is one.
    const timer = arg === undefined ? setTimeout(callback as () => void, Math.max(0, ms)) : setTimeout(callback, Math.max(0, ms), arg);
    if (this.unref) timer.unref();
    return timer;
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    if (timer !== undefined) clearTimeout(timer as NodeJS.Timeout);
  }
}

/**
 * The real clock: performance.now() for intervals and Node timers. Wall time is anchored once:
 * by default to Date.now() at creation; pass `performance.timeOrigin` where two processes must
 * agree on wall time to the µs (their performance.now() share no origin otherwise).
 */
export function systemClock(wallAtOrigin: number = Date.now() - performance.now()): Clock {
  return new SystemClock(wallAtOrigin, false);
}

let background: Clock | undefined;

/**
 * The real clock with unref'd timers: they never keep the process alive on their own. The default
 * for code whose timers only matter while a socket is open (a yamux session's keepalive and
 * deadlines, the fault proxy's delays), since the socket holds the process while it is. Shared:
 * it holds no state besides its wall-time anchor.
 */
export function backgroundClock(): Clock {
  background ??= new SystemClock(Date.now() - performance.now(), true);
  return background;
}

class ManualTimer {
  /** False once fired or cleared. */
  pending = true;

  constructor(
    readonly dueAt: number,
    readonly seq: number,
    readonly callback: (arg: unknown) => void,
    readonly arg: unknown,
  ) {}
}

/** Fires beyond this per advance mean a timer re-arms itself at 0 ms forever. */
const MAX_FIRES_PER_ADVANCE = 1_000_000;

/**
 * A clock for tests: time stands still until `advance(ms)`, which runs the due timers in order
 * of due time (ties in the order they were set), each seeing `now()` equal to its due time.
 * Timers a callback sets inside the advanced window run in the same advance.
 */
export class ManualClock extends ClockBase {
  private t: number;
  private seq = 0;
  /** Sorted by (dueAt, seq); tests hold few timers, so a sorted array beats a heap. */
  private readonly queue: ManualTimer[] = [];

  constructor(
    startMs = 0,
    private readonly wallStartMs = Date.UTC(2027, 0, 1),
  ) {
    super();
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return this.wallStartMs + this.t;
  }

  setTimeout<A>(callback: (arg: A) => void, ms: number, arg?: A): TimerHandle {
    const timer = new ManualTimer(this.t + Math.max(0, ms), this.seq++, callback as (arg: unknown) => void, arg);
    const queue = this.queue;
    let lo = 0;
    let hi = queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (queue[mid]!.dueAt <= timer.dueAt) lo = mid + 1;
      else hi = mid;
    }
    queue.splice(lo, 0, timer);
    return timer;
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    if (!(timer instanceof ManualTimer) || !timer.pending) return;
    timer.pending = false;
    const at = this.queue.indexOf(timer);
    if (at >= 0) this.queue.splice(at, 1);
  }

  /** Timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.queue.length;
  }

  /** Ms until the next timer is due (undefined when none is pending). */
  nextDueIn(): number | undefined {
    const first = this.queue[0];
    return first && first.dueAt - this.t;
  }

  /**
   * Moves time forward by `ms` (≥ 0), firing every timer due up to then, synchronously.
   * Promise continuations of what fired run only after this returns: use
   * {@link advanceAsync} when code awaits a sleep and sets the next timer after it.
   * Returns how many timers fired.
   */
  advance(ms: number): number {
    const target = this.checkedTarget(ms);
    let fired = 0;
    while (this.fireNext(target)) fired = this.countFire(fired);
    this.t = target;
    return fired;
  }

  /**
   * Like {@link advance}, but lets the event loop turn (promise continuations, I/O callbacks
   * already queued) after each fired timer, so `await clock.sleep()` loops re-arm in between.
   */
  async advanceAsync(ms: number): Promise<number> {
    const target = this.checkedTarget(ms);
    let fired = 0;
    await turn();
    while (this.fireNext(target)) {
      fired = this.countFire(fired);
      await turn();
    }
    this.t = Math.max(this.t, target);
    return fired;
  }

  /** Moves time to `ms` exactly (not backwards), firing what is due on the way. */
  set(ms: number): number {
    return this.advance(ms - this.t);
  }

  private checkedTarget(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ms must be >= 0, got ${ms}`);
    return this.t + ms;
  }

  private countFire(fired: number): number {
    if (fired + 1 >= MAX_FIRES_PER_ADVANCE) throw new Error('ManualClock: a timer keeps re-arming itself at 0 ms');
    return fired + 1;
  }

  /** Fires the earliest timer due at or before `target`; false when there is none. */
  private fireNext(target: number): boolean {
    const first = this.queue[0];
    if (!first || first.dueAt > target) return false;
    this.queue.shift();
    first.pending = false;
    this.t = Math.max(this.t, first.dueAt);
    first.callback(first.arg);
    return true;
  }
}

/** One turn of the event loop: microtasks, then whatever I/O callbacks are ready. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
