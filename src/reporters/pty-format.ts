import type { PtySummary } from '../metrics/summary-types.js';
import { fmtMs, fmtNum } from './format.js';

/** Bytes as B, KiB or MiB (one decimal above 1 KiB). */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (n < 1024) return `${fmtNum(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A rate in bytes per second. */
export const fmtRate = (n: number | null | undefined): string => (n === null || n === undefined ? '-' : `${fmtBytes(n)}/s`);

/** `1000×3, 1011×1`, or `-` when the server closed nothing. */
export function fmtCloses(closes: Readonly<Record<string, number>>): string {
  const entries = Object.entries(closes);
  return entries.length === 0 ? '-' : entries.map(([code, n]) => `${code}×${fmtNum(n)}`).join(', ');
}

/** `0 of 12` or `-` when nothing was checked. */
export const fmtReplay = (p: PtySummary): string =>
  p.replayChecks === 0 ? 'not checked' : `${fmtNum(p.replayMismatches)} of ${fmtNum(p.replayChecks)} mismatched`;

/** Columns of the terminal-traffic table (Markdown and HTML reports), see {@link ptyTableRow}. */
export const PTY_TABLE_HEADERS: readonly string[] = [
  'sessions',
  'opened',
  'failed',
  'reconnects',
  'sent',
  'received',
  'sent/s per session',
  'echoes lost',
  'replay',
  'closed by server',
];

/** The one row of the terminal-traffic table, unescaped text under {@link PTY_TABLE_HEADERS}. */
export function ptyTableRow(p: PtySummary): string[] {
  return [
    fmtNum(p.sessions),
    fmtNum(p.opened),
    fmtNum(p.failed),
    fmtNum(p.reconnects),
    fmtBytes(p.bytesSent),
    fmtBytes(p.bytesReceived),
    fmtRate(p.sentPerSessionSecond),
    fmtNum(p.echoLost),
    fmtReplay(p),
    fmtCloses(p.closes),
  ];
}

/** The figures every reporter shows for terminal traffic, as label → text, in reading order. */
export function ptyFacts(p: PtySummary): [string, string][] {
  return [
    ['sessions', `${fmtNum(p.sessions)} (opened ${fmtNum(p.opened)}, failed ${fmtNum(p.failed)}, reconnects ${fmtNum(p.reconnects)})`],
    ['sent', `${fmtBytes(p.bytesSent)} (${fmtRate(p.bytesSentPerSecond)}; ${fmtRate(p.sentPerSessionSecond)} per open session)`],
    ['received', `${fmtBytes(p.bytesReceived)} (${fmtRate(p.bytesReceivedPerSecond)})`],
    [
      'echo',
      `p50 ${fmtMs(p.echoMs.p50)} · p90 ${fmtMs(p.echoMs.p90)} · p99 ${fmtMs(p.echoMs.p99)} · p99.9 ${fmtMs(p.echoMs.p999)} · max ${fmtMs(p.echoMs.max)} (${fmtNum(p.echoMs.count)} echoes, ${fmtNum(p.echoLost)} lost${p.writesSkipped > 0 ? `, ${fmtNum(p.writesSkipped)} writes skipped` : ''})`,
    ],
    ['replay', fmtReplay(p)],
    ['closed by server', fmtCloses(p.closes)],
  ];
}
