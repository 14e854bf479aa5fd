import { defineWorkloadKind } from '../kind.js';
import { ptyRules, ptySection, resolvePty } from './section.js';

/** Kind `pty`: terminal traffic through the reconnecting PTY, with echo latency and replay checks. */
export const ptyKind = defineWorkloadKind({
  section: ptySection.optional(),
  rules: (pty, run, report) => ptyRules(pty, run.durationMs, report),
  resolve: resolvePty,
  async create(config, env) {
    const { createPtyWorkload } = await import('./pty-workload.js');
    return createPtyWorkload(config, { schedule: env.schedule, localAddresses: env.sourceAddresses });
  },
});
