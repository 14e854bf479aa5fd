/**
 * Every workload kind, by the scenario key of its section. Adding a kind is one folder under
 * src/workloads/ with a `kind.ts` (see kind.ts: section schema, optional rules and resolve,
 * create) and one line here: the scenario schema, its validation and the runner read this table.
 * The order is the order of the sections' issues and of the workloads at run time.
 */
import type { AnyWorkloadKind } from './kind.js';
import { agentsKind } from './agents/kind.js';
import { peersKind } from './peers/kind.js';
import { ptyKind } from './pty/kind.js';
import { restKind } from './rest/kind.js';

export const WORKLOAD_KINDS = {
  agents: agentsKind,
  peers: peersKind,
  rest: restKind,
  pty: ptyKind,
} as const satisfies Record<string, AnyWorkloadKind>;

export type WorkloadKinds = typeof WORKLOAD_KINDS;
export type WorkloadKey = keyof WorkloadKinds;
