/**
 * The CLI as a function: `main(argv, io)` parses the arguments, runs one command and resolves
 * to the exit code. Nothing here exits the process (bin.ts does), and all I/O goes through `io`,
 * so tests run the real CLI in process with captured streams.
 *
 * Exit codes: 0 passed, 1 bug, 2 usage, 3 bad scenario, 4 harness failure, 10 thresholds failed,
 * 11 invalid (the harness was saturated), 129/130/143 interrupted by SIGHUP/SIGINT/SIGTERM (precedence: runner/outcome.ts).
 */
import yargs, { type Argv } from 'yargs';
import { EXIT, FleetsimError } from '../core/errors.js';
import { closest } from '../scenario/suggest.js';
import { FLEETSIM_VERSION } from '../version.js';
import { capacityCommand } from './capacity.js';
import type { CliCommand } from './command.js';
import { compareCommand } from './compare.js';
import { conformCommand } from './conform.js';
import { mergeCommand } from './merge.js';
import type { CliIO } from './io.js';
import { planCommand } from './plan.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';

/**
 * A command with its argument type erased so commands with different arguments share one list.
 * Sound because yargs hands `run` exactly the arguments its own `builder` declared.
 */
function erased<A>(command: CliCommand<A>): CliCommand<unknown> {
  return { ...command, run: (args, io) => command.run(args as A, io) };
}

const COMMANDS: CliCommand<unknown>[] = [
  erased(runCommand),
  erased(planCommand),
  erased(serveCommand),
  erased(compareCommand),
  erased(conformCommand),
  erased(mergeCommand),
  erased(capacityCommand),
];

/** Runs the CLI with `argv` (the arguments after the program name) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let exitCode: number = EXIT.passed;
  const commandName = COMMANDS.find((c) => c.command.split(' ')[0] === argv[0])?.command.split(' ')[0];
  const parser = yargs([...argv])
    .scriptName('fleetsim')
    .version(FLEETSIM_VERSION)
    .exitProcess(false)
    // Flags are read in their kebab-case spelling only; camelCase twins would double every
    // "Unknown argument" report (bogus-flag, bogusFlag).
    .parserConfiguration({ 'camel-case-expansion': false })
    .demandCommand(1, 'name a command: run, plan, serve, compare, conform, merge or capacity')
    .strict()
    // yargs calls this for usage errors (message) and for errors thrown by a handler (error).
    // Throwing is what stops it: a handler that "fails" without throwing runs the command anyway.
    .fail((message: string | null, error: Error | null) => {
      // yargs' own parse errors (YError, e.g. "Not enough arguments following: seed") are usage errors too.
      if (error && error.name !== 'YError') throw error;
      throw usageError(message ?? error?.message ?? 'invalid arguments', parser, commandName, argv);
    })
    .help();
  for (const command of COMMANDS) {
    parser.command({
      command: command.command,
      describe: command.describe,
      builder: command.builder,
      handler: async (args: unknown) => {
        exitCode = await command.run(args, io);
      },
    });
  }
  try {
    await parser.parseAsync([...argv], {}, (_error: unknown, _args: unknown, output: string) => {
      // --help and --version: yargs hands their text here instead of printing it.
      if (output) io.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
    });
    return exitCode;
  } catch (error) {
    return reportError(error, io);
  }
}

/** Prints a failure the way users see it and returns its exit code. */
export function reportError(error: unknown, io: CliIO): number {
  if (error instanceof FleetsimError) {
    io.stderr.write(`fleetsim: ${error.message}\n`);
    for (const issue of error.issues) io.stderr.write(`  - ${issue}\n`);
    if (error.hint) io.stderr.write(`  hint: ${error.hint}\n`);
    return error.exitCode;
  }
  io.stderr.write(`fleetsim: unexpected error (a bug; please report it):\n${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.bug;
}

/** A yargs complaint as a usage FleetsimError, with "did you mean" for a misspelled flag. */
function usageError(message: string, instance: Argv<unknown>, command: string | undefined, argv: readonly string[]): FleetsimError {
  const help = `run "fleetsim ${command ? `${command} ` : ''}--help" for usage`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (unknown) {
    // The parser's options are the running command's by now (yargs rebuilds them per command).
    const known = Object.keys((instance as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
    const suggestions = unknown[1]!
      .split(', ')
      .map((word) => ({
        word,
        match: closest(
          word,
          known.filter((k) => k.length > 1),
        ),
      }))
      .filter((s) => s.match !== undefined)
      .map((s) => `--${s.match} (not ${argv.some((a) => a.startsWith(`--${s.word}`)) ? `--${s.word}` : s.word})`);
    if (suggestions.length > 0) return new FleetsimError('usage', message, { hint: `did you mean ${suggestions.join(', ')}? ${help}` });
  }
  return new FleetsimError('usage', message, { hint: help });
}
