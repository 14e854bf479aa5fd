import { chmod, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { FleetsimError } from '../core/errors.js';
import type { ReferenceServer } from '../server/reference-server.js';
import type { CliCommand } from './command.js';
import { durationFlag, textFlag, wholeNumberFlag } from './flags.js';
import { STOP_SIGNALS, type CliIO } from './io.js';

interface ServeArgs {
  host: string;
  port: string;
  agents: string;
  seed: string;
  credentials?: string;
  'rate-limit': string;
  'report-interval': string;
  heartbeat: string;
  'build-version'?: string;
  'git-auth-answer-after'?: string;
  'git-auth-link-ttl'?: string;
  'metadata-file'?: string;
}

/**
 * `fleetsim serve`: the embedded reference server on its own, for pointing other tools (or a
 * real Go agent) at it. Prints exactly `listening on http://HOST:PORT` on stdout; the
 * credentials (secrets) go only to --credentials FILE (mode 0600). Runs until SIGINT, SIGTERM
 * or SIGHUP, then closes the server and exits 0.
 */
export const serveCommand: CliCommand<ServeArgs> = {
  command: 'serve',
  describe: 'Run the embedded reference server (coderd agent API) until interrupted',
  builder: (yargs: Argv) =>
    yargs
      .option('host', { type: 'string', requiresArg: true, default: '127.0.0.1', describe: 'bind address' })
      .option('port', { type: 'string', requiresArg: true, default: '0', describe: 'port (0 = any free port)' })
      .option('agents', { type: 'string', requiresArg: true, default: '10', describe: 'workspaces/agents to provision' })
      .option('seed', { type: 'string', requiresArg: true, default: '1', describe: 'fixtures seed (same seed, same tokens)' })
      .option('credentials', { type: 'string', requiresArg: true, describe: 'write the credentials JSON (secrets) to this file, mode 0600' })
      .option('rate-limit', { type: 'string', requiresArg: true, default: '512', describe: 'requests per minute per IP+path; 0 or -1 disables' })
      .option('report-interval', { type: 'string', requiresArg: true, default: '10m', describe: 'report_interval answered to report-stats' })
      .option('heartbeat', { type: 'string', requiresArg: true, default: '3s', describe: 'agent connection heartbeat (inactive = 2x)' })
      .option('build-version', { type: 'string', requiresArg: true, describe: 'X-Coder-Build-Version header value' })
      .option('git-auth-answer-after', {
        type: 'string',
        requiresArg: true,
        describe: 'simulate the workspace owner: sign in this long after a git-auth listen poll starts waiting (default: nobody answers)',
      })
      .option('git-auth-link-ttl', {
        type: 'string',
        requiresArg: true,
        describe: 'how long that sign-in stays valid (default 1h; needs --git-auth-answer-after)',
      })
      .option('metadata-file', {
        type: 'string',
        requiresArg: true,
        describe: 'JSON list of agent metadata descriptions for the v2 manifest, as scenario server.metadata (default cpu_usage, ram_usage)',
      }) as unknown as Argv<ServeArgs>,
  run: async (args, io) => {
    const host = textFlag('host', args.host);
    const port = wholeNumberFlag('port', args.port, { min: 0, max: 65535 });
    const agents = wholeNumberFlag('agents', args.agents);
    const seed = textFlag('seed', args.seed);
    const rateLimit = wholeNumberFlag('rate-limit', args['rate-limit'], { min: -1 });
    const reportIntervalMs = durationFlag('report-interval', args['report-interval']);
    const heartbeatMs = durationFlag('heartbeat', args.heartbeat, { positive: true });
    const credentials = args.credentials === undefined ? undefined : resolve(io.cwd, textFlag('credentials', args.credentials));
    const gitAuth = gitAuthFlags(args);
    const metadataFile = args['metadata-file'] === undefined ? undefined : textFlag('metadata-file', args['metadata-file']);
    // Loaded only with the flag: zod and the scenario schema stay out of every other command's start.
    const metadata =
      metadataFile === undefined ? undefined : await (await import('./metadata-file.js')).readMetadataFile(resolve(io.cwd, metadataFile), metadataFile);
    // Loaded here, not at the top: only `serve` needs the server's module graph in this process.
    const { createReferenceServer } = await import('../server/reference-server.js');
    let server: ReferenceServer;
    try {
      server = await createReferenceServer({
        host,
        port,
        agents,
        seed,
        rateLimit,
        reportIntervalMs,
        heartbeatMs,
        buildVersion: args['build-version'],
        ...(gitAuth ? { gitAuth } : {}),
        ...(metadata ? { metadata } : {}),
      });
    } catch (error) {
      throw new FleetsimError('harness', `cannot start the server on ${host}:${port}: ${(error as Error).message}`, { cause: error });
    }
    if (credentials) {
      try {
        await writeFile(credentials, `${JSON.stringify(server.credentials, null, 2)}\n`, { mode: 0o600 });
        await chmod(credentials, 0o600);
      } catch (error) {
        await server.close();
        throw new FleetsimError('harness', `cannot write credentials file ${args.credentials}: ${(error as Error).message}`);
      }
    }
    io.stdout.write(`listening on ${server.url}\n`);
    await untilSignal(io);
    await server.close().catch(() => undefined);
    return 0;
  },
};

/** `--git-auth-answer-after` [+ `--git-auth-link-ttl`]: the simulated owner, or none. */
function gitAuthFlags(args: ServeArgs): { answerAfterMs: number; linkTtlMs?: number } | undefined {
  const answer = args['git-auth-answer-after'];
  const ttl = args['git-auth-link-ttl'];
  if (answer === undefined) {
    if (ttl !== undefined) throw new FleetsimError('usage', '--git-auth-link-ttl needs --git-auth-answer-after (without it nobody answers git-auth polls)');
    return undefined;
  }
  const answerAfterMs = durationFlag('git-auth-answer-after', answer);
  return ttl === undefined ? { answerAfterMs } : { answerAfterMs, linkTtlMs: durationFlag('git-auth-link-ttl', ttl, { positive: true }) };
}

/** Resolves on the first stop signal, with its listeners removed. */
function untilSignal(io: CliIO): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      for (const name of STOP_SIGNALS) io.signals.off(name, stop);
      resolve();
    };
    for (const name of STOP_SIGNALS) io.signals.on(name, stop);
  });
}
