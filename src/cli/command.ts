import type { Argv } from 'yargs';
import type { CliIO } from './io.js';

/**
 * One CLI command: yargs wiring plus a `run` that returns the exit code. Commands never call
 * process.exit and never touch process.stdout/stderr/signals; everything goes through `io`.
 * A FleetsimError thrown by `run` becomes its exit code in main().
 */
export interface CliCommand<A> {
  /** yargs command string, e.g. `run <file>`. */
  command: string;
  describe: string;
  builder: (yargs: Argv) => Argv<A>;
  run: (args: A, io: CliIO) => Promise<number>;
}
