/**
 * The report's charts over run time: throughput and latency, latency per endpoint, errors by
 * class, connected agents, coordinator deliveries. Every chart shares one x domain (the run's
 * seconds) so they line up when read top to bottom, and carries the fault bands.
 */
import type { RunSummary } from '../../metrics/summary-types.js';
import { downsample, fmtMs, fmtNum } from '../format.js';
import { PALETTE } from '../svg-axes.js';
import { lineChart, type ChartBand, type ChartOptions, type ChartSeries } from '../svg-chart.js';

/** Long runs are folded into at most this many points per line (keeps the file small). */
export const MAX_POINTS = 600;
/** Small multiples beyond this many endpoints are left out (the busiest are kept). */
export const MAX_ENDPOINT_CHARTS = 12;

/** A count on an axis: whole numbers once they are large, two decimals below 10. */
export const fmtCount = (v: number): string => fmtNum(v >= 10 ? Math.round(v) : Math.round(v * 100) / 100);

/** Folds a per-second array into buckets of `width` seconds. */
export function fold(values: readonly (number | null)[], width: number, how: 'sum' | 'max' | 'median'): (number | null)[] {
  if (width <= 1) return [...values];
  const out: (number | null)[] = [];
  for (let i = 0; i < values.length; i += width) {
    const slice = values.slice(i, i + width).filter((v): v is number => v !== null && Number.isFinite(v));
    if (how === 'sum') out.push(slice.reduce((a, b) => a + b, 0));
    else if (slice.length === 0) out.push(null);
    else if (how === 'max') out.push(Math.max(...slice));
    else out.push([...slice].sort((a, b) => a - b)[Math.floor((slice.length - 1) / 2)]!);
  }
  return out;
}

const chart = (svg: string) => `<div class="chart">${svg}</div>`;

/** Everything the time charts share: x steps, bucket width, domain, bands. */
export interface TimeAxis {
  xs: number[];
  width: number;
  domain: [number, number];
  bands: ChartBand[];
  /** Note for charts whose points are folded buckets; undefined at one point per second. */
  note: string | undefined;
}

export function timeAxis(summary: RunSummary, bands: (bucketSeconds: number) => ChartBand[]): TimeAxis | undefined {
  const ts = summary.timeSeries;
  if (ts.length === 0) return undefined;
  const buckets = downsample(ts, MAX_POINTS);
  const width = buckets[0]!.seconds;
  return {
    xs: buckets.map((b) => b.row.t),
    width,
    domain: [0, Math.max(1, ts[ts.length - 1]!.t)],
    bands: bands(width),
    note: width > 1 ? `one point per ${width} s: counts are per-second averages, p99 the worst second, p50 the median second` : undefined,
  };
}

export function timeCharts(summary: RunSummary, axis: TimeAxis): string[] {
  const out: string[] = [];
  const { xs, width, domain, bands, note } = axis;
  const base: ChartOptions = { bands, domain, note };
  const ts = summary.timeSeries;
  const perSecond = (values: number[]) => fold(values, width, 'sum').map((v, i) => (v === null ? null : v / Math.min(width, ts.length - i * width)));
  /** The highest value of each folded point, for a peak (latency, agents connected). */
  const peak = (values: readonly (number | null)[]) => fold(values, width, 'max');

  out.push('<h2>Over time</h2>');
  out.push(
    chart(
      lineChart(
        'Throughput and latency, all requests',
        xs,
        [
          { label: 'requests/s', color: PALETTE[0]!, axis: 'left', values: perSecond(ts.map((p) => p.requests)), format: fmtCount },
          { label: 'errors/s', color: PALETTE[4]!, axis: 'left', values: perSecond(ts.map((p) => p.errors)), format: fmtCount, dashed: true },
          {
            label: 'p99 latency',
            color: PALETTE[1]!,
            axis: 'right',
            values: peak(ts.map((p) => p.p99Ms)),
            format: fmtMs,
          },
        ],
        { ...base, leftTitle: 'per second', rightTitle: 'latency (ms)' },
      ),
    ),
  );

  const agents: ChartSeries[] = [
    {
      label: 'agents connected',
      color: PALETTE[2]!,
      axis: 'left',
      values: peak(ts.map((p) => p.connected)),
      format: fmtCount,
    },
  ];
  if (ts.some((p) => p.reconnects > 0)) {
    agents.push({ label: 'reconnects/s', color: PALETTE[6]!, axis: 'right', values: perSecond(ts.map((p) => p.reconnects)), format: fmtCount, dashed: true });
  }
  out.push(chart(lineChart('Connected agents', xs, agents, { ...base, leftTitle: 'agents', rightTitle: 'reconnects/s' })));

  if (summary.coordinator) {
    out.push(
      chart(
        lineChart(
          'Coordinator node updates delivered',
          xs,
          [{ label: 'updates delivered/s', color: PALETTE[3]!, axis: 'left', values: perSecond(ts.map((p) => p.delivered)), format: fmtCount }],
          { ...base, leftTitle: 'updates/s' },
        ),
      ),
    );
  }

  const errors = Object.entries(summary.timeSeriesErrors ?? {});
  if (errors.length > 0) {
    // Most frequent classes first, so they get the first colours and the legend's start.
    errors.sort(([, a], [, b]) => b.reduce((x, y) => x + y, 0) - a.reduce((x, y) => x + y, 0));
    out.push(
      chart(
        lineChart(
          'Errors by class',
          xs,
          errors.map(([cls, counts], i) => ({
            label: cls,
            color: PALETTE[(i + 4) % PALETTE.length]!,
            axis: 'left',
            values: perSecond(counts),
            format: fmtCount,
          })),
          { ...base, leftTitle: 'errors/s' },
        ),
      ),
    );
  }

  return out;
}

/** One small chart per endpoint (p50 and p99 per second), the busiest first. */
export function endpointCharts(summary: RunSummary, axis: TimeAxis): string[] {
  const series = summary.timeSeriesEndpoints;
  if (!series) return [];
  const names = Object.keys(series).sort((a, b) => (summary.endpoints[b]?.count ?? 0) - (summary.endpoints[a]?.count ?? 0) || a.localeCompare(b));
  if (names.length === 0) return [];
  const shown = names.slice(0, MAX_ENDPOINT_CHARTS);
  const out = ['<h2>Latency per endpoint</h2>'];
  const left = names.length - shown.length;
  out.push(
    `<p class="meta">p50 and p99 of each second's requests, busiest endpoints first${left > 0 ? `; ${left} more endpoint(s) are in the table below` : ''}.</p>`,
  );
  out.push('<div class="grid">');
  for (const name of shown) {
    const e = series[name]!;
    out.push(
      chart(
        lineChart(
          name,
          axis.xs,
          [
            { label: 'p50', color: PALETTE[0]!, axis: 'left', values: fold(e.p50Ms, axis.width, 'median'), format: fmtMs },
            { label: 'p99', color: PALETTE[1]!, axis: 'left', values: fold(e.p99Ms, axis.width, 'max'), format: fmtMs },
          ],
          { bands: axis.bands, domain: axis.domain, width: 530, height: 250, leftTitle: 'latency (ms)' },
        ),
      ),
    );
  }
  out.push('</div>');
  return out;
}
