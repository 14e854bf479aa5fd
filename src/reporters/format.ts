/** Shared number formatting and escaping for every reporter, so they all print the same figures. */
import type { GeneratorSummary, RunSummary, ThresholdResult, TimeSeriesRow } from '../metrics/summary-types.js';
import { SATURATION_ADVICE, SATURATION_RULE_TEXT } from '../observe/saturation.js';
import { parseThreshold, type ThresholdUnit } from '../metrics/thresholds.js';

/** `0.25ms`, `12.3ms`, `250ms`, `1.50s`; `-` for null. */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms === 0) return '0ms';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 100) return `${ms.toFixed(0)}ms`;
  if (ms >= 10) return `${ms.toFixed(1)}ms`;
  return `${ms.toFixed(2)}ms`;
}

/** Integers with thin grouping (`12,345`), other numbers with up to 2 decimals. */
export function fmtNum(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  const text = Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/\.?0+$/, '');
  return text.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A ratio as a percentage: 0.0533 → `5.33%`. */
export function fmtPct(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '-';
  return `${(ratio * 100).toFixed(2).replace(/\.?0+$/, '')}%`;
}

function unitOf(expression: string): ThresholdUnit | undefined {
  try {
    return parseThreshold(expression).unit;
  } catch {
    return undefined;
  }
}

/** A threshold's observed value in its own unit (ms, %, number). */
export function fmtObserved(result: ThresholdResult): string {
  if (result.observed === null) return result.detail ? `n/a: ${result.detail}` : 'n/a';
  const unit = unitOf(result.expression);
  return unit === 'ms' ? fmtMs(result.observed) : unit === 'ratio' ? fmtPct(result.observed) : fmtNum(result.observed);
}

/** One line for the run's verdict. */
export function outcomeLine(summary: RunSummary): string {
  const failed = summary.thresholds.filter((t) => !t.pass).length;
  const total = summary.thresholds.length;
  const detail = total === 0 ? 'no thresholds' : `${total - failed}/${total} thresholds passed`;
  if (summary.outcome === 'invalid') return `INVALID (the harness was saturated: ${detail}, but the figures describe fleetsim, not the target)`;
  const allowed = summary.generator?.saturationAllowed ? '; harness saturated, kept by --allow-saturated' : '';
  return `${summary.outcome.toUpperCase()} (${detail}${allowed})`;
}

/**
 * How a merged run was put together, in one line; undefined for a one-process run. E.g.
 * `merged from 4 of 4 shards · embedded target as 4 independent servers`, or for a partial
 * merge `PARTIAL: merged 3 of 4 shards (missing 2), the figures cover part of the fleet`.
 */
export function shardsLine(summary: RunSummary): string | undefined {
  const s = summary.meta.shards;
  if (!s) return undefined;
  const head = s.partial
    ? `PARTIAL: merged ${s.merged.length} of ${s.count} shards (missing ${s.missing.join(', ')}), the figures cover part of the fleet`
    : `merged from ${s.merged.length} of ${s.count} shards`;
  const servers = s.embeddedServers ? ` · embedded target as ${s.embeddedServers} independent servers` : '';
  const hosts = [...new Set(s.list.map((x) => x.host))];
  return `${head}${servers} · ${hosts.length === 1 ? `host ${hosts[0]}` : `${hosts.length} hosts`}`;
}

/** The harness self-check in one line: `event-loop delay p50 … · CPU … · 0/20 s saturated · ok`. */
export function generatorLine(g: GeneratorSummary): string {
  const d = g.eventLoopDelayMs;
  return (
    `event-loop delay p50 ${fmtMs(d.p50)} · p99 ${fmtMs(d.p99)} · max ${fmtMs(d.max)} · ` +
    `CPU mean ${fmtNum(g.cpuPercent.mean)}% · max ${fmtNum(g.cpuPercent.max)}% of one core · ` +
    `RSS max ${fmtNum(Math.round(g.maxRssBytes / 1_048_576))} MiB · ${fmtNum(g.saturatedSeconds)}/${fmtNum(g.seconds)} s saturated · ` +
    (g.verdict === 'saturated' ? (g.saturationAllowed ? 'SATURATED (allowed)' : 'SATURATED') : 'ok')
  );
}

/** What a reader of a saturated run should know and do; undefined when the harness was fine. */
export function saturationNote(summary: RunSummary): string | undefined {
  const g = summary.generator;
  if (g?.verdict !== 'saturated') return undefined;
  const head = g.saturationAllowed
    ? 'The harness was saturated and --allow-saturated kept the outcome: treat these latencies as an upper bound inflated by fleetsim itself.'
    : 'This run is invalid: the harness was saturated, so its latencies describe fleetsim, not the target.';
  return `${head} Rule: ${SATURATION_RULE_TEXT}. Next time: ${SATURATION_ADVICE}.`;
}

/** Pads cells into aligned columns; `align[i]` 'r' right-aligns column i. */
export function alignTable(rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - [...cell].length);
        return align[i] === 'r' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

const BARS = '▁▂▃▄▅▆▇█';

/** A unicode sparkline; null values render as a space. */
export function sparkline(values: readonly (number | null)[]): string {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const max = present.length ? Math.max(...present) : 0;
  const min = present.length ? Math.min(0, ...present) : 0;
  return values
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      if (max === min) return BARS[0];
      return BARS[Math.min(BARS.length - 1, Math.floor(((v - min) / (max - min)) * (BARS.length - 1) + 0.5))];
    })
    .join('');
}

/**
 * Folds the per-second series into at most `maxRows` buckets of whole seconds: counts add,
 * p99s take the worst second, connected the last value. Each row's `t` is its first second.
 */
export function downsample(series: readonly TimeSeriesRow[], maxRows: number): { row: TimeSeriesRow; seconds: number }[] {
  if (series.length === 0) return [];
  const width = Math.max(1, Math.ceil(series.length / maxRows));
  const out: { row: TimeSeriesRow; seconds: number }[] = [];
  for (let start = 0; start < series.length; start += width) {
    const slice = series.slice(start, start + width);
    const worst = (pick: (r: TimeSeriesRow) => number | null): number | null => {
      const values = slice.map(pick).filter((v): v is number => v !== null);
      return values.length ? Math.max(...values) : null;
    };
    out.push({
      seconds: slice.length,
      row: {
        t: slice[0]!.t,
        requests: slice.reduce((n, r) => n + r.requests, 0),
        errors: slice.reduce((n, r) => n + r.errors, 0),
        delivered: slice.reduce((n, r) => n + r.delivered, 0),
        connected: slice[slice.length - 1]!.connected,
        p99Ms: worst((r) => r.p99Ms),
        agentP99Ms: worst((r) => r.agentP99Ms),
        reconnects: slice.reduce((n, r) => n + r.reconnects, 0),
      },
    });
  }
  return out;
}

/** Escapes text for HTML and XML element content and double-quoted attributes. */
export function escapeXml(text: string): string {
  return (
    text
      // Characters XML 1.0 forbids outright (control characters other than tab/newline/CR).
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

/** Escapes a Markdown table cell. */
export function escapeMd(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
