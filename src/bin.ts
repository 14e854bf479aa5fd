/**
 * The command-line entry point, and the only place that calls process.exit.
 * Exit codes: 0 passed, 1 bug, 2 usage, 3 bad scenario, 4 harness failure, 10 thresholds failed,
 * 130/143 interrupted (a partial report is still written).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { compareCommand } from './cli/compare.js';
import { planCommand } from './cli/plan.js';
import { runCommand } from './cli/run.js';
import { serveCommand } from './cli/serve.js';
import { EXIT, FleetsimError } from './core/errors.js';
import { FLEETSIM_VERSION } from './version.js';

function reportError(error: unknown): number {
  if (error instanceof FleetsimError) {
    process.stderr.write(`fleetsim: ${error.message}\n`);
    for (const issue of error.issues) process.stderr.write(`  - ${issue}\n`);
    if (error.hint) process.stderr.write(`  hint: ${error.hint}\n`);
    return error.exitCode;
  }
  process.stderr.write(`fleetsim: unexpected error (a bug; please report it):\n${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.bug;
}

let usageFailed = false;
try {
  await yargs(hideBin(process.argv))
    .scriptName('fleetsim')
    .version(FLEETSIM_VERSION)
    .command(runCommand)
    .command(planCommand)
    .command(serveCommand)
    .command(compareCommand)
    .demandCommand(1, 'name a command: run, plan, serve or compare')
    .strict()
    .fail((message, error) => {
      if (error) throw error;
      usageFailed = true;
      process.stderr.write(`fleetsim: ${message}\nrun "fleetsim --help" for usage\n`);
    })
    .help()
    .parseAsync();
  process.exit(usageFailed ? EXIT.usage : Number(process.exitCode ?? 0));
} catch (error) {
  process.exit(reportError(error));
}
