import { backgroundClock, type TimerClock, type TimerHandle } from '../../core/clock.js';

/*
 * The fault proxy runs on any {@link TimerClock}: a run's Clock, a ManualClock in tests. These
 * names only remain so lane.ts, connection.ts and fault-proxy.ts compile unchanged while their
 * fast path is reworked elsewhere; new code imports TimerClock, TimerHandle and backgroundClock
 * from core/clock.ts. Once those three files do too, this module goes.
 */

/** @deprecated use {@link TimerClock} from core/clock.ts. */
export type ProxyClock = TimerClock;

/** @deprecated use {@link TimerHandle} from core/clock.ts. */
export type ProxyTimer = TimerHandle;

/**
 * Real time with unref'd timers, so a forgotten window never holds the process.
 * @deprecated use {@link backgroundClock} from core/clock.ts.
 */
export const systemProxyClock: () => TimerClock = backgroundClock;
