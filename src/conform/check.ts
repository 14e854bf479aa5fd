/**
 * The shapes of the conformance suite (`fleetsim conform`): a check asks one question of the
 * target about the v1 contract (docs/protocol.md) or v2 (docs/protocol-v2.md) and answers PASS,
 * FAIL or SKIP with what it expected and what it observed.
 */
import type { CredentialAgent, Credentials } from '../protocol/credentials.js';
import type { HttpProbe } from './http-probe.js';

export type Verdict = 'pass' | 'fail' | 'skip';

/** What one check saw. For a skip, `observed` is the reason. */
export interface CheckOutcome {
  verdict: Verdict;
  expected: string;
  observed: string;
}

/** What a check may use: the target, its credentials and the run's bounded timings. */
export interface ConformContext {
  /** Base URL without /api/v2 and without a trailing slash. */
  readonly url: string;
  /** Secrets: never put them in an outcome (the report redacts them anyway). */
  readonly credentials: Credentials;
  /** True when fleetsim started the embedded server for this run. */
  readonly embedded: boolean;
  /** --safe: checks must not change agent state a user could see (see ConformCheck.mutates). */
  readonly safe: boolean;
  /** The target's connection heartbeat and inactivity threshold (protocol §6, §7.5). */
  readonly timing: { heartbeatMs: number; inactiveMs: number };
  /** Upper bound of one wait for a message, close or status change. */
  readonly waitMs: number;
  readonly http: HttpProbe;
  /**
   * The agent a check should use. Each distinct `key` gets its own agent while the credentials
   * have enough (so one check's coordinator state never leaks into another's); after that they
   * are shared round-robin.
   */
  agent(key: string): CredentialAgent;
  /** Like agent(), among the agents `want` accepts; undefined when none does. */
  agentWhere(key: string, want: (agent: CredentialAgent) => boolean): CredentialAgent | undefined;
  /** An agent whose record says it never connected, or undefined when the credentials have none. */
  freshAgent(key: string): Promise<CredentialAgent | undefined>;
}

/** One question about the contract. `id` is `<group>.<name>`. */
export interface ConformCheck {
  id: string;
  title: string;
  /** Where the rule is written, e.g. `protocol §2.2`. */
  cite: string;
  /** Changes agent state a user could see (connection, version, health, lifecycle, shells): left out by --safe. */
  mutates?: boolean;
  run(ctx: ConformContext): Promise<CheckOutcome>;
}

export interface ConformGroup {
  name: string;
  describe: string;
  checks: ConformCheck[];
}

export const pass = (expected: string, observed: string = expected): CheckOutcome => ({ verdict: 'pass', expected, observed });
export const fail = (expected: string, observed: string): CheckOutcome => ({ verdict: 'fail', expected, observed });
export const skip = (reason: string, expected = ''): CheckOutcome => ({ verdict: 'skip', expected, observed: reason });

/** PASS when the two descriptions are equal, else FAIL with both. */
export function compare(expected: string, observed: string): CheckOutcome {
  return expected === observed ? pass(expected, observed) : fail(expected, observed);
}

/** Thrown inside a check to end it with a verdict (keeps multi-step checks flat). */
export class CheckStop extends Error {
  constructor(readonly outcome: CheckOutcome) {
    super(outcome.observed);
  }
}

/** Ends the running check with FAIL unless `ok`. */
export function ensure(ok: boolean, expected: string, observed: string): asserts ok {
  if (!ok) throw new CheckStop(fail(expected, observed));
}

/** Ends the running check with SKIP. */
export function skipCheck(reason: string): never {
  throw new CheckStop(skip(reason));
}
