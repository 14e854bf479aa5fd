import type { FaultWindow } from './recovery.js';

/**
 * Stamps fault windows on the recorder's clock while a run applies its faults, so the windows
 * line up with the per-second time series (the scenario's planned `at` is relative to when the
 * timeline started, which is not the recorder's second 0, and a fault may take longer to apply
 * than planned).
 */
export interface FaultLog {
  /** A fault starts now; call the returned function when it ends (later calls are ignored). */
  begin(action: string): () => void;
  /** An instant fault (e.g. drop-agent-sockets): starts and ends now. */
  instant(action: string): void;
  /** Every fault so far, in order of start. Faults still running end at the recorder's end mark
   * (`markEnd()`), or now when the run was not marked. */
  windows(): FaultWindow[];
}

export function createFaultLog(clock: { elapsedMs(): number; endElapsedMs(): number | undefined }): FaultLog {
  const entries: { action: string; atMs: number; endedAtMs: number | undefined }[] = [];
  return {
    begin(action) {
      const entry = { action, atMs: clock.elapsedMs(), endedAtMs: undefined as number | undefined };
      entries.push(entry);
      return () => {
        entry.endedAtMs ??= clock.elapsedMs();
      };
    },
    instant(action) {
      const now = clock.elapsedMs();
      entries.push({ action, atMs: now, endedAtMs: now });
    },
    windows() {
      const end = clock.endElapsedMs() ?? clock.elapsedMs();
      return entries.map((e) => ({ action: e.action, atMs: e.atMs, endedAtMs: e.endedAtMs ?? Math.max(e.atMs, end) })).sort((a, b) => a.atMs - b.atMs);
    },
  };
}
