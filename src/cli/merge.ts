import type { Argv } from 'yargs';
import { createLogger, type LogLevel } from '../core/log.js';
import type { CliCommand } from './command.js';
import { textFlag } from './flags.js';
import { writeLine } from './io.js';
import { prepareOutputDir } from './output-dir.js';

interface MergeArgs {
  shards: string[];
  out: string;
  'allow-partial'?: boolean;
  'allow-saturated'?: boolean;
  'log-level': LogLevel;
}

/**
 * `fleetsim merge SHARD_FILES_OR_DIRS...`: checks that the shard files make one run, merges
 * their recorders exactly, judges the scenario's thresholds on the whole and writes every
 * report, exiting like `fleetsim run` (0 passed, 10 thresholds failed, 11 invalid, 130/143/129
 * when a shard was interrupted, 1 when one errored; 2 when the shards do not fit together).
 */
export const mergeCommand: CliCommand<MergeArgs> = {
  command: 'merge <shards..>',
  describe: 'Merge the shard files of one run (run --shard K/N) into its report',
  builder: (yargs: Argv) =>
    yargs
      .positional('shards', { type: 'string', array: true, demandOption: true, describe: 'shard-K-of-N.json files, or folders holding them' })
      .option('out', { type: 'string', requiresArg: true, default: 'reports', describe: 'folder for the merged report (a run folder is made inside)' })
      .option('allow-partial', { type: 'boolean', describe: 'merge even when shards are missing; the report says which' })
      .option('allow-saturated', { type: 'boolean', describe: "keep the outcome when a shard's harness was saturated (exit 11 otherwise)" })
      .option('log-level', { choices: ['debug', 'info', 'warn', 'error', 'silent'] as const, default: 'info' as LogLevel }) as unknown as Argv<MergeArgs>,
  run: async (args, io) => {
    textFlag('out', args.out);
    const paths = args.shards.map((p) => textFlag('shards', String(p)));
    const log = createLogger({ level: args['log-level'], write: (line) => io.stderr.write(`${line}\n`) });
    const allowPartial = args['allow-partial'] === true;
    // Loaded here, not at the top: other commands and --version/--help skip the merge's module graph.
    const { loadCheckedShards, mergeShards } = await import('../runner/merge-shards.js');
    // The shards are checked before anything is written: a refused merge leaves no folder behind.
    const checked = await loadCheckedShards({ paths, cwd: io.cwd, allowPartial });
    const outDir = await prepareOutputDir(args.out, { cwd: io.cwd });
    const result = await mergeShards({
      checked,
      paths,
      cwd: io.cwd,
      outDir,
      allowPartial,
      allowSaturated: args['allow-saturated'] === true,
      log,
      print: (text) => writeLine(io.stdout, text),
    });
    writeLine(io.stdout, `report: ${result.reportDir}`);
    const { publishRunSummary } = await import('../reporters/github-actions.js');
    await publishRunSummary(io, result.summary, (text) => log.redact(text));
    return result.exitCode;
  },
};
