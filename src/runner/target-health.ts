/**
 * Watches the run's request samples and says so, once, when the target stops answering, and
 * once when it answers again. Without it a dead target is silent during the run (failures are
 * only data) or, logged per failure, a flood.
 *
 * It is a {@link MetricSink} fed the same samples as the recorder. Every request records
 * `trend(request)` and, when it failed, `count(error, {class})` right after it in the same
 * tick (client/http.ts, the socket dialers, the REST tracker), so a request trend that is not
 * followed by an error got an answer.
 */
import type { MetricSink, Tags } from '../metrics/sink.js';
import { METRIC } from '../metrics/names.js';
import { withoutUserInfo } from '../core/url.js';

/** Failure classes that mean "no answer from the target" (as opposed to an answer we dislike). */
const UNREACHABLE = /^(refused|reset|timeout|other|http_502|http_503|http_504)$/;

export interface TargetHealthOptions {
  /** The target's base URL, for the messages (shown without its userinfo). */
  target: string;
  /** Current time in ms (the run's clock; tests pass a manual one). */
  now: () => number;
  /** How long every request must fail before the warning (default 10 s). */
  windowMs?: number;
  /** Called once when the target is judged down. */
  onDown: (message: string) => void;
  /** Called once when it answers again after {@link onDown}. */
  onUp: (message: string) => void;
}

export interface TargetHealth extends MetricSink {
  /** True between the down warning and the recovery message. */
  readonly down: boolean;
}

export const DEFAULT_DOWN_WINDOW_MS = 10_000;

export function createTargetHealth(options: TargetHealthOptions): TargetHealth {
  const windowMs = options.windowMs ?? DEFAULT_DOWN_WINDOW_MS;
  const shown = withoutUserInfo(options.target);
  /** A request trend whose error (if any) has not been seen yet. */
  let pending = false;
  /** Time of the first failure since the last answer. */
  let failingSince: number | undefined;
  let failures = 0;
  let lastFailure = '';
  let down = false;

  const answered = (): void => {
    if (down) {
      const seconds = Math.round((options.now() - (failingSince ?? options.now())) / 1000);
      options.onUp(`target ${shown} is answering again (it was unreachable for about ${seconds} s)`);
    }
    down = false;
    failingSince = undefined;
    failures = 0;
  };

  const failed = (errorClass: string, endpoint: string | undefined): void => {
    const now = options.now();
    failingSince ??= now;
    failures += 1;
    lastFailure = `${errorClass}${endpoint ? ` on ${endpoint}` : ''}`;
    if (!down && now - failingSince >= windowMs) {
      down = true;
      const seconds = Math.round((now - failingSince) / 1000);
      options.onDown(
        `target ${shown} looks down: all ${failures} requests of the last ${seconds} s failed ` +
          `(last: ${lastFailure}); the fleet keeps retrying, and a message follows when it answers again`,
      );
    }
  };

  return {
    get down() {
      return down;
    },
    trend(name: string) {
      if (name !== METRIC.request) return;
      if (pending) answered();
      pending = true;
    },
    count(name: string, _n: number, tags?: Tags) {
      if (name !== METRIC.error || !pending) return; // errors without a request (socket closes) say nothing
      pending = false;
      const errorClass = tags?.class ?? 'other';
      if (UNREACHABLE.test(errorClass)) failed(errorClass, tags?.endpoint);
      else answered(); // an HTTP status or a close code: the target is there
    },
    gauge() {},
    rate() {},
  };
}

/** Moved to src/metrics/tee-sink.ts (the live /metrics feed tees the same way); kept for imports. */
export { teeSink } from '../metrics/tee-sink.js';
