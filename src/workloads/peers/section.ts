import { z } from 'zod';
import type { DeepReadonly } from '../../core/deep-readonly.js';
import { duration, int, ratio, type ReportIssue } from '../../scenario/fields.js';
import { reconnectField, reconnectRules } from '../reconnect-section.js';

/** The scenario's `peers` section: clients that dial each agent through the coordinator. */
export const peersSection = z.strictObject({
  /** Peers dialing each active agent. */
  perAgent: int().min(1),
  /** Tagged node updates per second per peer (0: only the node sent on every connect). */
  updateRate: z.number().min(0).default(0),
  /** Node updates per second per agent while peers measure (replaces agents.nodeUpdateInterval). */
  agentUpdateRate: z.number().min(0).optional(),
  /** 0..1, spread of each update interval. */
  jitter: ratio.default(0.1),
  /** How long to keep reading after the last update before counting what never arrived. */
  drainWindow: duration.prefault('2s'),
  auth: z.enum(['header', 'cookie']).default('cookie'),
  /** Redial backoff: codersdk DialWorkspaceAgent's 50 ms → 10 s, no jitter. */
  reconnect: reconnectField({ initial: '50ms', max: '10s' }),
});

/** Cross-field rules of the section (paths relative to it). */
export function peersRules(peers: Readonly<Record<string, unknown>>, report: ReportIssue): void {
  reconnectRules(peers.reconnect, report);
}

/** The validated section (durations in ms). */
export type PeersConfig = DeepReadonly<z.output<typeof peersSection>>;
