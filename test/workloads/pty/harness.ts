import { systemClock } from '../../../src/core/clock.js';
import { createLogger, type Logger } from '../../../src/core/log.js';
import { createRng } from '../../../src/core/rng.js';
import type { Credentials } from '../../../src/protocol/credentials.js';
import { sectionConfig } from '../../../src/workloads/kind.js';
import { ptyKind } from '../../../src/workloads/pty/kind.js';
import { createPtyWorkload, type PtyRun } from '../../../src/workloads/pty/pty-workload.js';
import type { ptySection } from '../../../src/workloads/pty/section.js';
import type { WorkloadContext } from '../../../src/workloads/workload.js';
import type { z } from 'zod';
import { recordingSink, type RecordingSink } from '../../helpers/sink.js';

/** Runs a PTY workload to its own end (its `duration`) and returns what it recorded. */
export async function runPty(
  credentials: Credentials,
  section: z.input<typeof ptySection>,
  run: Partial<PtyRun> = {},
): Promise<{ metrics: RecordingSink; logs: string[] }> {
  const metrics = recordingSink();
  const logs: string[] = [];
  const log: Logger = createLogger({ level: 'warn', write: (line) => logs.push(line) });
  const config = sectionConfig(ptyKind, section, { durationMs: 60_000 });
  const workload = createPtyWorkload(config, { schedule: () => credentials.agents.length, tickMs: 20, ...run });
  const controller = new AbortController();
  const ctx: WorkloadContext = {
    signal: controller.signal,
    clock: systemClock(),
    metrics,
    target: { url: credentials.url, embedded: false },
    credentials,
    rng: createRng('pty-test'),
    log,
  };
  await workload.run(ctx);
  return { metrics, logs };
}
