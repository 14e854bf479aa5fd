/**
 * The command-line entry point, and the only place that calls process.exit. Everything else is
 * `main(argv, io)` (cli/main.ts), which returns the exit code; see README "Exit codes".
 */
import { setFlagsFromString } from 'node:v8';
import { hideBin } from 'yargs/helpers';
import { main } from './cli/main.js';
import type { CliIO, ParentChannel } from './cli/io.js';

// undici parses HTTP with llhttp compiled to WebAssembly. V8's optimising tier recompiles its one
// large parser function in the background at the first requests: a transient ~30 MB that was
// the largest part of a small run's peak memory, for no measurable gain in requests per CPU
// second (docs/benchmarks.md, "Start-up and memory"). The baseline compiler alone avoids it; set
// before any WebAssembly is compiled.
setFlagsFromString('--liftoff-only');

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
