/**
 * The scenario schema: one zod schema with every default, the cross-field rules (rules.ts) and
 * the resolution of defaults that depend on other fields (the README's "Scenarios" section lists
 * the fields and defaults for users). The workload sections (`agents`, `peers`, `rest`, …) come
 * from the registry of workload kinds (src/workloads/registry.ts), each defined in its kind's
 * folder. `ScenarioInput` is what users write (durations as "30s"); `Scenario` is the
 * validated, frozen result (durations in ms, every default filled).
 */
import { z } from 'zod';
import type { DeepReadonly } from '../core/deep-readonly.js';
import type { AnyWorkloadKind, RunFacts, SectionValue } from '../workloads/kind.js';
import { WORKLOAD_KINDS, type WorkloadKey, type WorkloadKinds } from '../workloads/registry.js';
import { ENDPOINT } from '../metrics/names.js';
import { parseListenAddress } from '../observe/metrics-server.js';
import { parseSourceAddresses } from '../core/source-addresses.js';
import { withoutUserInfo } from '../core/url.js';
import { showValue } from './duration.js';
import { count, duration, int } from './fields.js';
import { faultSchema } from './faults.js';
import { metadataList } from './server-metadata.js';
import { crossFieldRules } from './rules.js';
import { thresholdProblem } from './threshold-check.js';

const always = { when: () => true };

/** Endpoints the embedded server answers, as reports name them (cost-model filter). */
const SERVER_ENDPOINTS: readonly string[] = [...Object.values(ENDPOINT), 'GET /me/rpc'];

const server = z.strictObject({
  /** Fixtures to provision; defaults to agents.count. */
  agents: count.optional(),
  reportInterval: duration.prefault('10m'),
  /** Requests per minute per key; <= 0 disables rate limiting. */
  rateLimit: int().default(512),
  /**
   * The agent API generations the embedded server speaks (default both, like Coder 2.8–2.12):
   * `['v2']` acts like Coder ≥ 2.13, whose removed v1 routes answer 404; `['v1']` like a
   * server before 2.8.
   */
  protocols: z
    .array(z.enum(['v1', 'v2']))
    .min(1, { error: "list 'v1' and/or 'v2'" })
    .refine((list) => new Set(list).size === list.length, { error: 'lists a protocol twice' })
    .optional(),
  heartbeat: duration.prefault('3s'),
  inactiveTimeout: duration.prefault('6s'),
  /**
   * The simulated workspace owner who answers git-auth `listen` polls (nobody else does in a
   * run): `answerAfter` after a poll starts waiting, the owner signs in with a link valid for
   * `linkTtl`, which releases every waiting poll; later lookups get credentials at once until
   * the link expires (src/server/git-auth-links.ts).
   */
  gitAuth: z
    .strictObject({
      answerAfter: duration.prefault('5s'),
      linkTtl: duration.refine((ms) => ms > 0, { error: 'must be greater than 0, e.g. "1h"' }).prefault('1h'),
    })
    .prefault({}),
  /**
   * Metadata descriptions in every agent's v2 manifest (server-metadata.ts); absent = the
   * server's default two (cpu_usage every 10 s, ram_usage every 30 s), `[]` = none.
   */
  metadata: metadataList.optional(),
  /**
   * Cost model, a testing aid (default none): every request waits for one of `workers` serial
   * workers spending `serviceTime` on it, so the server saturates at workers / serviceTime
   * requests per second (src/server/http/cost-model.ts).
   */
  capacity: z
    .strictObject({
      serviceTime: duration.refine((ms) => ms > 0, { error: 'must be greater than 0, e.g. "2ms"' }),
      workers: int().min(1).default(1),
      /** Only these endpoints (e.g. "POST /me/report-stats") wait for a worker; default every request. */
      endpoints: z
        .array(
          z.string().refine((e) => SERVER_ENDPOINTS.includes(e), {
            error: (i) => `unknown endpoint ${showValue(i.input)}; known: ${SERVER_ENDPOINTS.join(', ')}`,
          }),
        )
        .min(1)
        .optional(),
    })
    .optional(),
});

const httpUrl = z.string().refine(
  (text) => {
    try {
      const url = new URL(text);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  {
    error: (i) =>
      `expected an http(s) URL like "https://coder.example.com", got ${showValue(typeof i.input === 'string' ? withoutUserInfo(i.input) : i.input)}`,
  },
);

const threshold = z.string().superRefine((expression, ctx) => {
  const problem = thresholdProblem(expression);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: expression });
});

/** Watching the run (src/observe): `--metrics-addr` and `--allow-saturated` override these. */
const observe = z.strictObject({
  /** Serve Prometheus `/metrics` here during the run: HOST:PORT, or PORT for 127.0.0.1. */
  metricsAddr: z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      try {
        parseListenAddress(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message, input: text });
      }
    })
    .optional(),
  /** Keep the outcome of a run whose harness was saturated (the report is marked). */
  allowSaturated: z.boolean().default(false),
});

/**
 * Local addresses every socket binds, round-robin (`--source-addresses` overrides): a comma
 * list or an array of addresses and IPv4 ranges (core/source-addresses.ts); outputs the list.
 */
const sourceAddresses = z
  .union([z.string(), z.array(z.string())], {
    error: (i) => `expected addresses like "127.0.0.2-9" or ["10.0.0.5", "10.0.0.6"], got ${showValue(i.input)}`,
  })
  .transform((spec, ctx) => {
    try {
      return parseSourceAddresses(spec);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message, input: spec });
      return z.NEVER;
    }
  });

const serverDefaults = server.parse({});

type WorkloadSections = { [K in WorkloadKey]: WorkloadKinds[K]['section'] };
type ResolvedSections = { [K in WorkloadKey]: SectionValue<WorkloadKinds[K]> };

/** Each kind's section schema under its key, in registry order. */
function workloadSections(): WorkloadSections {
  return Object.fromEntries(Object.entries(WORKLOAD_KINDS).map(([key, kind]) => [key, kind.section])) as WorkloadSections;
}

/** Applies each present section's `resolve` (defaults that depend on the run). */
function resolveSections(sections: Partial<Record<WorkloadKey, unknown>>, run: RunFacts): ResolvedSections {
  const out: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(WORKLOAD_KINDS) as [WorkloadKey, AnyWorkloadKind][]) {
    const section = sections[key];
    out[key] = section === undefined || section === null || !kind.resolve ? section : kind.resolve(section, run);
  }
  return out as ResolvedSections;
}

const scenarioObject = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  seed: z
    .union([z.string().min(1), int()], { error: (i) => `expected a string or an integer, got ${showValue(i.input)}` })
    .prefault('1')
    .transform((seed) => String(seed)),
  duration,
  target: z.strictObject({ url: httpUrl, credentials: z.string().min(1) }).optional(),
  sourceAddresses: sourceAddresses.optional(),
  server: server.optional(),
  ...workloadSections(),
  faults: z.array(faultSchema).optional(),
  observe: observe.optional(),
  thresholds: z.array(threshold).default([]),
});

/** The full schema: parse an object a user wrote into the resolved (not yet frozen) scenario. */
export const scenarioSchema = scenarioObject
  .superRefine((value, ctx) => crossFieldRules(value, (path, message) => ctx.addIssue({ code: 'custom', path, message })), always)
  .transform((s) => {
    const sections = resolveSections(s, { durationMs: s.duration });
    return {
      ...s,
      ...sections,
      // Embedded-server settings exist only without a target; with one the target decides.
      server: s.target ? undefined : { ...(s.server ?? serverDefaults), agents: s.server?.agents ?? sections.agents.count },
      faults: s.faults ?? [],
    };
  });

/** What a user writes in scenarios/*.ts or *.json (durations as "30s" or ms numbers). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A validated scenario: durations in ms, every default filled, deeply frozen. */
export type Scenario = DeepReadonly<z.output<typeof scenarioSchema>>;
