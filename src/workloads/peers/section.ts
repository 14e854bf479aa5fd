import { z } from 'zod';
import type { DeepReadonly } from '../../core/deep-readonly.js';
import { duration, int, ratio } from '../../scenario/fields.js';

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
});

/** The validated section (durations in ms). */
export type PeersConfig = DeepReadonly<z.output<typeof peersSection>>;
