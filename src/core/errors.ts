/**
 * The one error class for failures the user must act on (bad config, unreachable target,
 * unwritable report). Network failures during a run are metrics, never FleetsimErrors.
 */
export const EXIT = {
  passed: 0,
  bug: 1,
  usage: 2,
  badScenario: 3,
  harness: 4,
  thresholds: 10,
  /** The harness was saturated: the figures describe fleetsim, not the target (src/observe/saturation.ts). */
  invalid: 11,
  /** 128 + the signal number, as shells report a process killed by it. */
  sighup: 129,
  sigint: 130,
  sigterm: 143,
} as const;

/** The signals that stop a run gracefully (partial report), and the exit code each gives. */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export const SIGNAL_EXIT: Readonly<Record<StopSignal, number>> = {
  SIGHUP: EXIT.sighup,
  SIGINT: EXIT.sigint,
  SIGTERM: EXIT.sigterm,
};

export type FleetsimErrorCode = 'usage' | 'bad_scenario' | 'harness' | 'bug';

const EXIT_BY_CODE: Record<FleetsimErrorCode, number> = {
  usage: EXIT.usage,
  bad_scenario: EXIT.badScenario,
  harness: EXIT.harness,
  bug: EXIT.bug,
};

export class FleetsimError extends Error {
  readonly code: FleetsimErrorCode;
  readonly hint?: string;
  /** Every individual problem (for bad scenarios: one line per issue, prefixed by its path). */
  readonly issues: readonly string[];

  constructor(code: FleetsimErrorCode, message: string, options: { hint?: string; issues?: string[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'FleetsimError';
    this.code = code;
    this.hint = options.hint;
    this.issues = options.issues ?? [];
  }

  get exitCode(): number {
    return EXIT_BY_CODE[this.code];
  }
}
