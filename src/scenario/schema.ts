/**
 * The scenario schema: one zod schema with every default, the cross-field rules (rules.ts) and
 * the resolution of defaults that depend on other fields (the README's "Scenarios" section lists
 * the fields and defaults for users).
 * `ScenarioInput` is what users write (durations as "30s"); `Scenario` is the validated, frozen
 * result (durations in ms, every default filled).
 */
import { z } from 'zod';
import { parseDuration, showValue } from './duration.js';
import { crossFieldRules } from './rules.js';
import { thresholdProblem } from './threshold-check.js';

export { REST_ENDPOINTS, AUTH_MODES, LIFECYCLE_OUTCOMES } from './constants.js';
export type { RestEndpoint, AuthMode, LifecycleOutcome } from './constants.js';

const SEMVER_V = /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const always = { when: () => true };

/** A duration: "30s", "1m30s", "250ms" or a number of ms; outputs ms. */
const duration = z
  .union([z.string(), z.number()], {
    error: (issue) =>
      issue.input === undefined ? 'required (a duration like "30s")' : `expected a duration like "30s", got ${showValue(issue.input)}`,
  })
  .transform((value, ctx) => {
    try {
      return parseDuration(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message, input: value });
      return z.NEVER;
    }
  });

// Not z.number().int(): its failure is an aborting issue in zod 4 that would silence the
// cross-field rules, and every problem must be listed in one go.
const int = () => z.number().refine(Number.isInteger, { error: (i) => `expected an integer, got ${showValue(i.input)}` });
const ratio = z.number().min(0).max(1);
const weight = z.number().min(0);
const count = int().min(0);

const phase = z.strictObject({ name: z.string().min(1).optional(), duration, to: count });

const auth = z
  .strictObject({ token: weight.optional(), aws: weight.optional(), azure: weight.optional(), google: weight.optional() })
  .transform((a) => ({ token: a.token ?? 0, aws: a.aws ?? 0, azure: a.azure ?? 0, google: a.google ?? 0 }));

const outcomes = z
  .strictObject({ ready: weight.optional(), start_error: weight.optional(), start_timeout: weight.optional() })
  .transform((o) => ({ ready: o.ready ?? 0, start_error: o.start_error ?? 0, start_timeout: o.start_timeout ?? 0 }));

const agents = z.strictObject({
  /** Peak agents. Defaults to the highest phase `to` when phases are given, else 10. */
  count: count.optional(),
  phases: z.array(phase).min(1).optional(),
  rampUp: duration.prefault('0s'),
  rampDown: duration.prefault('0s'),
  /** Agent API: v1 REST + JSON coordinate (docs/protocol.md) or v2 dRPC on /me/rpc (docs/protocol-v2.md). */
  protocol: z.enum(['v1', 'v2']).default('v1'),
  auth: auth.prefault({ token: 1 }),
  version: z
    .string()
    .refine((v) => SEMVER_V.test(v), { error: (i) => `expected a version like "v0.15.3" (semver with a leading v), got ${showValue(i.input)}` })
    .default('v0.15.3'),
  nodeUpdateInterval: duration.prefault('30s'),
  nodeUpdateJitter: ratio.default(0.1),
  apps: z
    .strictObject({ checkInterval: duration.prefault('1s'), healthyAfter: duration.prefault('2s'), flapRate: ratio.default(0) })
    .prefault({}),
  lifecycle: z.strictObject({ outcomes: outcomes.prefault({ ready: 1 }), startupDuration: duration.prefault('1s') }).prefault({}),
  gitauth: ratio.default(0),
  pingInterval: duration.prefault('30s'),
  pingTimeout: duration.prefault('30s'),
  requestTimeout: duration.prefault('10s'),
});

const server = z.strictObject({
  /** Fixtures to provision; defaults to agents.count. */
  agents: count.optional(),
  reportInterval: duration.prefault('10m'),
  /** Requests per minute per key; <= 0 disables rate limiting. */
  rateLimit: int().default(512),
  heartbeat: duration.prefault('3s'),
  inactiveTimeout: duration.prefault('6s'),
});

const peers = z.strictObject({
  perAgent: int().min(1),
  updateRate: z.number().min(0).default(0),
  agentUpdateRate: z.number().min(0).optional(),
  jitter: ratio.default(0.1),
  drainWindow: duration.prefault('2s'),
  auth: z.enum(['header', 'cookie']).default('cookie'),
});

const restMix = z.record(z.string(), weight);

const rest = z.strictObject({
  mix: restMix,
  model: z.enum(['closed', 'open']).default('closed'),
  connections: int().min(1).default(10),
  pipelining: int().min(1).default(1),
  rate: z.number().positive().optional(),
  /** Defaults to the rest of the run after startAfter. */
  duration: duration.optional(),
  amount: int().min(1).optional(),
  startAfter: duration.prefault('0s'),
});

const fault = z.strictObject({ at: duration, action: z.literal('drop-agent-sockets'), fraction: ratio.default(1) });

const httpUrl = z.string().refine(
  (text) => {
    try {
      const url = new URL(text);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { error: (i) => `expected an http(s) URL like "https://coder.example.com", got ${showValue(i.input)}` },
);

const threshold = z.string().superRefine((expression, ctx) => {
  const problem = thresholdProblem(expression);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: expression });
});

const serverDefaults = server.parse({});

const scenarioObject = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  seed: z
    .union([z.string().min(1), int()], { error: (i) => `expected a string or an integer, got ${showValue(i.input)}` })
    .prefault('1')
    .transform((seed) => String(seed)),
  duration,
  target: z.strictObject({ url: httpUrl, credentials: z.string().min(1) }).optional(),
  server: server.optional(),
  agents: agents.prefault({}),
  peers: peers.optional(),
  rest: rest.optional(),
  faults: z.array(fault).optional(),
  thresholds: z.array(threshold).default([]),
});

/** The full schema: parse an object a user wrote into the resolved (not yet frozen) scenario. */
export const scenarioSchema = scenarioObject
  .superRefine((value, ctx) => crossFieldRules(value, (path, message) => ctx.addIssue({ code: 'custom', path, message })), always)
  .transform((s) => {
  const peak = s.agents.phases ? Math.max(...s.agents.phases.map((p) => p.to)) : undefined;
  const agentCount = s.agents.count ?? peak ?? 10;
  return {
    ...s,
    agents: { ...s.agents, count: agentCount },
    // Embedded-server settings exist only without a target; with one the target decides.
    server: s.target ? undefined : { ...(s.server ?? serverDefaults), agents: s.server?.agents ?? agentCount },
    rest: s.rest ? { ...s.rest, duration: s.rest.duration ?? s.duration - s.rest.startAfter } : undefined,
    faults: s.faults ?? [],
  };
});

/** Recursively read-only view, for the frozen scenario. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** What a user writes in scenarios/*.ts or *.json (durations as "30s" or ms numbers). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A validated scenario: durations in ms, every default filled, deeply frozen. */
export type Scenario = DeepReadonly<z.output<typeof scenarioSchema>>;
export type AgentsConfig = Scenario['agents'];
export type ServerConfig = NonNullable<Scenario['server']>;
export type PeersConfig = NonNullable<Scenario['peers']>;
export type RestConfig = NonNullable<Scenario['rest']>;
export type FaultConfig = Scenario['faults'][number];
