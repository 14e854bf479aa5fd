/**
 * The contract of a workload kind: its scenario section (schema, cross-field rules, defaults
 * that depend on the run) and how to create the workload from the validated section. Kinds are
 * listed in src/workloads/registry.ts; the scenario schema and the runner read them from there.
 */
import type { z } from 'zod';
import type { DeepReadonly } from '../core/deep-readonly.js';
import type { ReportIssue } from '../scenario/fields.js';
import type { Plan } from '../scenario/plan.js';
import type { AgentsConfig } from './agents/section.js';
import type { CoordinateTap } from './coordinate-observer.js';
import type { Workload } from './workload.js';

/** Facts about the whole run that a section's rules and defaults may depend on. */
export interface RunFacts {
  /** The run's duration in ms. */
  durationMs: number;
}

/** What `create` gets besides its own section. */
export interface WorkloadEnv extends RunFacts {
  /** The pure plan of the run (timeline, peak agents). */
  plan: Plan;
  /** Agents wanted `elapsedMs` after the start (the plan's timeline). */
  schedule(elapsedMs: number): number;
  /** The fleet's section, which every kind runs beside (request timeout, auth weights). */
  agents: AgentsConfig;
  /** Where a kind that watches the agents' coordinate traffic (peers) meets the fleet. Read it
   * from `run`, not from `create`: kinds are created in registry order. */
  coordinate: CoordinateTap;
  /**
   * Local addresses the kind's sockets bind, round-robin (`--source-addresses`; checked
   * bindable before the run); empty: the system picks.
   */
  sourceAddresses: readonly string[];
}

/**
 * One workload kind. `S` is the section schema as it sits in the scenario (wrap it in
 * `.optional()` for a kind the user opts into, `.prefault({})` for one always present); `C` is
 * the config `create` receives (the parsed section, or what `resolve` makes of it).
 */
export interface WorkloadKind<S extends z.ZodType = z.ZodType, C = NonNullable<z.output<S>>> {
  readonly section: S;
  /**
   * Rules across fields or against the run (e.g. "starts before the end"). They run even when
   * other fields failed, so they get the half-parsed section and must read it defensively.
   * Paths are relative to the section.
   */
  readonly rules?: (section: Readonly<Record<string, unknown>>, run: Partial<RunFacts>, report: ReportIssue) => void;
  /** Fills the defaults that depend on the run (e.g. "until the end"); the result is what the
   * frozen scenario holds and what `fleetsim plan` shows. */
  resolve?(section: NonNullable<z.output<S>>, run: RunFacts): C;
  /**
   * Makes the workload for a section present in the scenario, or nothing (e.g. no agents
   * planned). Async so a kind can import its implementation lazily: validating a scenario then
   * loads the schemas only, not the network code.
   */
  create(config: DeepReadonly<C>, env: WorkloadEnv): Promise<Workload | undefined>;
}

/** Typed identity for a kind's definition: infers the section and config types. */
export function defineWorkloadKind<S extends z.ZodType, C = NonNullable<z.output<S>>>(kind: WorkloadKind<S, C>): WorkloadKind<S, C> {
  return kind;
}

/** Any kind, for code that walks the registry (methods keep their parameters bivariant). */
export type AnyWorkloadKind = WorkloadKind<z.ZodType, unknown>;

/** What the parsed scenario holds under a kind's key: its config, or undefined when the
 * section is optional and absent. */
export type SectionValue<K> = K extends WorkloadKind<infer S, infer C> ? (undefined extends z.output<S> ? C | undefined : C) : never;

/**
 * A kind's config from a section written by hand (the schema's defaults, then `resolve`):
 * for tests, benches and code that builds one workload without a scenario. Throws zod's error
 * on bad input; the section's cross-field rules are not applied.
 */
export function sectionConfig<S extends z.ZodType, C>(kind: WorkloadKind<S, C>, input: NonNullable<z.input<S>>, run: RunFacts): DeepReadonly<C> {
  const parsed = kind.section.parse(input) as NonNullable<z.output<S>>;
  return (kind.resolve ? kind.resolve(parsed, run) : parsed) as DeepReadonly<C>;
}
