import { METRIC } from './names.js';
import type { Recorder } from './recorder-types.js';
import type { LatencyStats, PtySummary } from './summary-types.js';

const round2 = (v: number): number => Math.round(v * 100) / 100;

/**
 * The `pty` section of the summary (terminal traffic, src/workloads/pty/), or undefined when no
 * PTY metric was recorded. `echoMs` is the merged `pty_echo` latency, computed by the caller
 * with the same HDR rules as every other latency.
 */
export function buildPty(recorder: Recorder, durationS: number, echoMs: LatencyStats): PtySummary | undefined {
  const used =
    echoMs.count > 0 || [METRIC.ptyOpened, METRIC.ptyFailed, METRIC.ptyBytesSent, METRIC.ptyBytesReceived].some((n) => recorder.counterSeries(n).length > 0);
  if (!used) return undefined;
  const total = (name: string): number => recorder.counterTotal(name);
  const bytesSent = total(METRIC.ptyBytesSent);
  const bytesReceived = total(METRIC.ptyBytesReceived);
  const openSeconds = total(METRIC.ptyOpenMs) / 1000;
  const closes: Record<string, number> = {};
  const codes = recorder
    .counterSeries(METRIC.ptyCloses)
    .map((s) => ({ code: s.tags.code ?? '(untagged)', value: s.value }))
    .sort((a, b) => a.code.localeCompare(b.code, 'en', { numeric: true }));
  for (const { code, value } of codes) if (value > 0) closes[code] = (closes[code] ?? 0) + value;
  const perSecond = (bytes: number, seconds: number): number | null => (seconds > 0 ? round2(bytes / seconds) : null);
  return {
    sessions: total(METRIC.ptySessions),
    opened: total(METRIC.ptyOpened),
    failed: total(METRIC.ptyFailed),
    reconnects: total(METRIC.ptyReconnects),
    closes,
    bytesSent,
    bytesReceived,
    bytesSentPerSecond: perSecond(bytesSent, durationS),
    bytesReceivedPerSecond: perSecond(bytesReceived, durationS),
    openSeconds: round2(openSeconds),
    sentPerSessionSecond: perSecond(bytesSent, openSeconds),
    echoMs,
    echoLost: total(METRIC.ptyEchoLost),
    writesSkipped: total(METRIC.ptyWritesSkipped),
    replayChecks: total(METRIC.ptyReplayChecks),
    replayMismatches: total(METRIC.ptyReplayMismatches),
  };
}
