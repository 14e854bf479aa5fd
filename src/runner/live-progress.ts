import type { Clock } from '../core/clock.js';
import type { Recorder } from '../metrics/recorder.js';
import { formatLiveLine } from '../reporters/live-line.js';

/**
 * Calls `write` with a one-line progress summary every second (for a TTY: elapsed, agents
 * connected/planned, peers, req/s, errors). `plannedNow` gives the plan's agent count at this
 * moment, so the line never shows more connected than planned because of a stale gauge.
 * `stop()` calls `write('', true)` so the caller can clear the line before the final table.
 */
export function startLiveProgress(recorder: Recorder, plannedNow: () => number, write: (line: string, final: boolean) => void, clock: Clock): { stop(): void } {
  const ticker = clock.every(1000, () => {
    write(formatLiveLine({ ...recorder.snapshot(), agentsPlanned: plannedNow() }), false);
  });
  return {
    stop() {
      ticker.stop();
      write('', true);
    },
  };
}
