import type { Recorder } from '../metrics/recorder.js';
import { formatLiveLine } from '../reporters/live-line.js';

/**
 * Calls `write` with a one-line progress summary every second (for a TTY: agents
 * connected/planned, req/s, errors, elapsed), and once more with `final = true` on stop.
 */
export function startLiveProgress(recorder: Recorder, write: (line: string, final: boolean) => void): { stop(): void } {
  const timer = setInterval(() => write(formatLiveLine(recorder.snapshot()), false), 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      write(formatLiveLine(recorder.snapshot()), true);
    },
  };
}
