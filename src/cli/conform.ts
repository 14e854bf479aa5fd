import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { EXIT, FleetsimError } from '../core/errors.js';
import { userInfoSecrets, withoutUserInfo } from '../core/url.js';
import { GROUP_NAMES } from '../conform/group-names.js';
import type { ConformResult } from '../conform/run-conformance.js';
import type { Credentials } from '../protocol/credentials.js';
import type { RemoteReferenceServer } from '../server/server-process.js';
import type { CliCommand } from './command.js';
import { durationFlag, textFlag } from './flags.js';
import { writeLine } from './io.js';

interface ConformArgs {
  target?: string;
  credentials?: string;
  json?: boolean;
  junit?: string;
  only?: string;
  safe?: boolean;
  heartbeat: string;
  wait: string;
}

/**
 * The embedded server's settings for a conformance run: a short heartbeat keeps the status
 * checks (which wait about inactive + heartbeat) quick, and enough agents that every check that
 * touches coordinator or connection state gets an agent of its own.
 */
const EMBEDDED = { agents: 48, heartbeatMs: 250, inactiveMs: 500 } as const;

/**
 * `fleetsim conform`: does this target speak the v1 agent API (and v2's /me/rpc) exactly as
 * agents expect? Exit 0 when no check fails, 10 when one does, 2 for usage errors, 4 when the
 * target is unreachable.
 */
export const conformCommand: CliCommand<ConformArgs> = {
  command: 'conform',
  describe: 'Check that a target speaks the agent API exactly as docs/protocol.md says (embedded server unless --target)',
  builder: (yargs: Argv) =>
    yargs
      .option('target', { type: 'string', requiresArg: true, describe: 'base URL of a Coder deployment (needs --credentials)' })
      .option('credentials', { type: 'string', requiresArg: true, describe: 'credentials file for --target (see README)' })
      .option('json', { type: 'boolean', describe: 'print the result as JSON instead of lines' })
      .option('junit', { type: 'string', requiresArg: true, describe: 'also write JUnit XML to this file' })
      .option('only', { type: 'string', requiresArg: true, describe: `run only these groups (comma-separated): ${GROUP_NAMES.join(', ')}` })
      .option('safe', { type: 'boolean', describe: 'leave out checks that change agent state users can see' })
      .option('wait', { type: 'string', requiresArg: true, default: '3s', describe: 'longest wait for one answer, message or close' })
      .option('heartbeat', {
        type: 'string',
        requiresArg: true,
        default: '3s',
        describe: "the target's agent connection heartbeat (coderd: 3s); status waits derive from it",
      }) as unknown as Argv<ConformArgs>,
  run: async (args, io) => {
    const only = selectGroupNames(args.only);
    const heartbeatMs = durationFlag('heartbeat', args.heartbeat, { positive: true });
    const waitMs = durationFlag('wait', args.wait, { positive: true });
    const junit = args.junit === undefined ? undefined : resolve(io.cwd, textFlag('junit', args.junit));
    if (Boolean(args.target) !== Boolean(args.credentials)) {
      throw new FleetsimError('usage', '--target and --credentials go together', {
        hint: 'a real Coder needs agent tokens and a user API key: fleetsim conform --target URL --credentials FILE',
      });
    }
    // Loaded here, not at the top: other commands and --version/--help skip this module graph.
    const [
      { redactResult, redactor, renderConformJson, renderConformJunit, resultLines, summaryLine },
      { runConformance },
      { credentialSecrets },
      { probeTarget },
    ] = await Promise.all([
      import('../conform/report.js'),
      import('../conform/run-conformance.js'),
      import('../runner/credentials-file.js'),
      import('../runner/target.js'),
    ]);
    const { CONFORM_GROUPS } = await import('../conform/groups.js');
    const groups = only === undefined ? CONFORM_GROUPS : CONFORM_GROUPS.filter((g) => only.includes(g.name));
    const target = await openTarget(args, io.cwd, heartbeatMs);
    // A user:password in --target is a secret like the tokens: out of every line and report.
    const redact = redactor([...credentialSecrets(target.credentials), ...userInfoSecrets(target.url)]);
    let result: ConformResult;
    try {
      await probeTarget(target.url);
      result = await runConformance({
        url: target.url,
        credentials: target.credentials,
        embedded: target.embedded,
        groups,
        safe: Boolean(args.safe),
        heartbeatMs: target.heartbeatMs,
        inactiveMs: target.inactiveMs,
        waitMs,
        onResult: args.json
          ? undefined
          : (r) => {
              for (const line of resultLines(redactResult(r, redact))) writeLine(io.stdout, line);
            },
      });
    } finally {
      await target.close();
    }
    const shown: ConformResult = { ...result, target: withoutUserInfo(result.target), results: result.results.map((r) => redactResult(r, redact)) };
    if (args.json) io.stdout.write(renderConformJson(shown));
    else writeLine(io.stdout, summaryLine(shown));
    if (junit) {
      try {
        await writeFile(junit, renderConformJunit(shown));
      } catch (error) {
        throw new FleetsimError('harness', `cannot write JUnit file ${args.junit}: ${(error as Error).message}`);
      }
    }
    return result.counts.fail > 0 ? EXIT.thresholds : EXIT.passed;
  },
};

/** The `--only` group names (undefined: every group), checked without loading the groups. */
function selectGroupNames(only: string | undefined): string[] | undefined {
  if (only === undefined) return undefined;
  const names = textFlag('only', only)
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !GROUP_NAMES.includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new FleetsimError('usage', `--only: unknown group ${unknown.map((n) => JSON.stringify(n)).join(', ') || '""'}`, {
      hint: `groups: ${GROUP_NAMES.join(', ')}`,
    });
  }
  return names;
}

interface OpenTarget {
  url: string;
  credentials: Credentials;
  embedded: boolean;
  heartbeatMs: number;
  inactiveMs: number;
  close(): Promise<void>;
}

async function openTarget(args: ConformArgs, cwd: string, heartbeatMs: number): Promise<OpenTarget> {
  if (args.target && args.credentials) {
    const { loadCredentialsFile } = await import('../runner/credentials-file.js');
    const credentials = await loadCredentialsFile(resolve(cwd, args.credentials));
    return { url: args.target.replace(/\/+$/, ''), credentials, embedded: false, heartbeatMs, inactiveMs: 2 * heartbeatMs, close: async () => {} };
  }
  const { startReferenceServerProcess } = await import('../server/server-process.js');
  let server: RemoteReferenceServer;
  try {
    server = await startReferenceServerProcess({ agents: EMBEDDED.agents, heartbeatMs: EMBEDDED.heartbeatMs, inactiveMs: EMBEDDED.inactiveMs });
  } catch (error) {
    throw new FleetsimError('harness', `cannot start the embedded server: ${(error as Error).message}`, { cause: error });
  }
  return {
    url: server.url,
    credentials: server.credentials,
    embedded: true,
    heartbeatMs: EMBEDDED.heartbeatMs,
    inactiveMs: EMBEDDED.inactiveMs,
    close: () => server.close(),
  };
}
