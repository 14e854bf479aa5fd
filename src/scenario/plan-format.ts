/** Renders a {@link Plan} as a readable text timeline with a small ASCII ramp chart. */
import { formatDuration } from './duration.js';
import type { Plan } from './plan.js';
import { agentCountAt } from './timeline.js';

const CHART_WIDTH = 48;
const CHART_HEIGHT = 6;

const pct = (share: number) => `${Math.round(share * 1000) / 10}%`;
const pad = (text: string, width: number) => text.padEnd(width);

/** The plan as text, for `fleetsim plan` and the report. Approximate figures start with `~`. */
export function formatPlan(plan: Plan): string {
  const lines: string[] = [];
  const target =
    plan.target.kind === 'embedded'
      ? `embedded server (report interval ${formatDuration(plan.target.reportIntervalMs)}, rate limit ${plan.target.rateLimit > 0 ? `${plan.target.rateLimit}/min` : 'off'})`
      : plan.target.url;
  lines.push(`Scenario "${plan.scenario}"${plan.description ? `: ${plan.description}` : ''}`);
  lines.push(`  duration ${formatDuration(plan.durationMs)}, seed ${JSON.stringify(plan.seed)}, target ${target}`);
  lines.push('');
  const auth = Object.entries(plan.auth)
    .map(([mode, share]) => `${mode} ${pct(share)}`)
    .join(', ');
  lines.push(`Agents: peak ${plan.peakAgents}, ${plan.agentStarts} started, ~${Math.round(plan.agentSeconds)} agent-seconds; auth ${auth}`);
  lines.push(`  ${pad('phase', 14)}${pad('start', 9)}${pad('end', 9)}agents`);
  for (const p of plan.phases) {
    const counts = p.from === p.to ? `${p.to}` : `${p.from} -> ${p.to}`;
    const name = p.implicit ? `${p.name} *` : p.name;
    lines.push(`  ${pad(name, 14)}${pad(formatDuration(p.startMs), 9)}${pad(formatDuration(p.endMs), 9)}${counts}`);
  }
  if (plan.phases.some((p) => p.implicit)) lines.push('  (* added by fleetsim: implicit ramp or hold)');
  lines.push('', ...chart(plan));
  if (plan.peers) {
    const agentRate = plan.peers.agentUpdateRate !== undefined ? `, agents ${plan.peers.agentUpdateRate} updates/s each` : '';
    lines.push('', `Peers: ${plan.peers.perAgent} per agent (peak ${plan.peers.peak}), ${plan.peers.updateRate} node updates/s each${agentRate}`);
  }
  lines.push('', 'Expected agent traffic over the run (~ approximate):');
  for (const v of plan.agentTraffic) {
    const count = `${v.approximate ? '~' : ''}${v.count}`;
    lines.push(`  ${pad(v.endpoint, 34)}${pad(count, 10)}${v.note ?? ''}`.trimEnd());
  }
  if (plan.rest) {
    const r = plan.rest;
    const rate = r.rate !== undefined ? `, ${r.rate} req/s` : '';
    const volume =
      r.expectedRequests !== undefined
        ? `${r.model === 'open' && r.amount === undefined ? '' : 'up to '}${r.expectedRequests} requests`
        : 'volume unknown (closed model: as fast as the target answers)';
    lines.push(
      '',
      `REST (${r.model} model, ${r.connections} connections, pipelining ${r.pipelining}${rate}): ${formatDuration(r.startMs)} -> ${formatDuration(r.endMs)}, ${volume}`,
    );
    lines.push(`  mix: ${r.mix.map((m) => `${m.endpoint} ${pct(m.share)}`).join(', ')}`);
  }
  if (plan.pty) lines.push('', ...ptyLines(plan.pty));
  if (plan.faults.length > 0) {
    const proxied = plan.faults.some((f) => f.via === 'proxy');
    lines.push('', proxied ? 'Faults (network faults go through the fault proxy in front of the target):' : 'Faults:');
    for (const f of plan.faults) {
      const window = f.endMs > f.atMs ? `${formatDuration(f.atMs)}-${formatDuration(f.endMs)}` : formatDuration(f.atMs);
      const drops = f.expectedDrops > 0 ? `, ~${f.expectedDrops} agent sockets drop` : '';
      lines.push(`  ${pad(window, 12)}${pad(f.action, 20)}${f.detail} (${f.agentsAt} agents${drops})`);
    }
  }
  lines.push('', plan.thresholds.length > 0 ? 'Thresholds:' : 'Thresholds: none');
  for (const t of plan.thresholds) lines.push(`  ${t}`);
  return lines.join('\n') + '\n';
}

/** The PTY window: what each session does, then the totals over all sessions. */
function ptyLines(p: NonNullable<Plan['pty']>): string[] {
  const perAgent = `${p.sessionsPerAgent} session${p.sessionsPerAgent === 1 ? '' : 's'} per agent`;
  const reconnect = p.reconnectEveryMs !== undefined ? `reconnect every ${formatDuration(p.reconnectEveryMs)}` : 'no planned reconnects';
  const reconnects = p.expectedReconnects !== undefined ? `, ~${p.expectedReconnects} reconnects` : '';
  return [
    `PTY: ${formatDuration(p.startMs)} -> ${formatDuration(p.endMs)}, ${perAgent}, ${p.bytesPerSecond} B/s each in ${p.messageSize}-byte writes, ${reconnect}`,
    `  ~${p.sessions} sessions (peak ${p.peakSessions}), ~${bytes(p.peakBytesPerSecond)}/s typed at the peak, ~${bytes(p.expectedBytes)} over the window${reconnects}`,
  ];
}

/** Bytes in binary units, one decimal from KiB up. */
function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Agents over time: one column per time slice, `#` filled up to the planned count. */
function chart(plan: Plan): string[] {
  const peak = plan.peakAgents;
  if (peak === 0 || plan.durationMs === 0) return ['  (no agents)'];
  const heights = Array.from({ length: CHART_WIDTH }, (_, c) => {
    const count = agentCountAt(plan, ((c + 0.5) / CHART_WIDTH) * plan.durationMs);
    return Math.round((count / peak) * CHART_HEIGHT);
  });
  const label = String(peak).length;
  const out: string[] = [];
  for (let row = CHART_HEIGHT; row >= 1; row--) {
    const y = row === CHART_HEIGHT ? String(peak) : '';
    out.push(`  ${y.padStart(label)} |${heights.map((h) => (h >= row ? '#' : ' ')).join('')}`.trimEnd());
  }
  out.push(`  ${'0'.padStart(label)} +${'-'.repeat(CHART_WIDTH)}`);
  const end = formatDuration(plan.durationMs);
  out.push(`  ${' '.repeat(label)}  0s${end.padStart(CHART_WIDTH - 2)}`);
  if (plan.faults.length > 0) {
    // Mark each fault under the time axis so storms line up with the ramp.
    const marks = Array.from({ length: CHART_WIDTH }, () => ' ');
    for (const f of plan.faults) marks[Math.min(CHART_WIDTH - 1, Math.floor((f.atMs / plan.durationMs) * CHART_WIDTH))] = '^';
    out.push(`  ${' '.repeat(label)}  ${marks.join('')}`.trimEnd() + '  ^ = fault');
  }
  return out;
}
