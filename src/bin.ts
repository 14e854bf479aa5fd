/**
 * The command-line entry point, and the only place that calls process.exit. Everything else is
 * `main(argv, io)` (cli/main.ts), which returns the exit code; see README "Exit codes".
 */
import { hideBin } from 'yargs/helpers';
import { main } from './cli/main.js';
import type { CliIO, ParentChannel } from './cli/io.js';

// A closed terminal (SIGHUP) or a closed pipe makes writes fail with EIO/EPIPE; the run must
// still stop cleanly and write its report, so those errors are dropped instead of crashing.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

const io: CliIO = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signals: process,
  cwd: process.cwd(),
  // An IPC channel exists only when a parent fleetsim started this process as a worker.
  ...(process.send ? { parent: process as unknown as ParentChannel } : {}),
};

process.exit(await main(hideBin(process.argv), io));
