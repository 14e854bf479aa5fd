import { chmod, writeFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { FleetsimError } from '../core/errors.js';
import { parseDuration } from '../scenario/duration.js';
import { createReferenceServer } from '../server/reference-server.js';

interface ServeArgs {
  host: string;
  port: number;
  agents: number;
  seed: string;
  credentials?: string;
  'rate-limit': number;
  'report-interval': string;
  heartbeat: string;
  'build-version'?: string;
}

function duration(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new FleetsimError('usage', `--${flag}: ${(error as Error).message}`);
  }
}

/**
 * `fleetsim serve`: the embedded reference server on its own, for pointing other tools (or a
 * real Go agent) at it. Prints exactly `listening on http://HOST:PORT` on stdout; the
 * credentials (secrets) go only to --credentials FILE (mode 0600). Runs until SIGINT/SIGTERM.
 */
export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Run the embedded reference server (coderd agent API) until interrupted',
  builder: (yargs: Argv) =>
    yargs
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'bind address' })
      .option('port', { type: 'number', default: 0, describe: 'port (0 = any free port)' })
      .option('agents', { type: 'number', default: 10, describe: 'workspaces/agents to provision' })
      .option('seed', { type: 'string', default: '1', describe: 'fixtures seed (same seed, same tokens)' })
      .option('credentials', { type: 'string', describe: 'write the credentials JSON (secrets) to this file, mode 0600' })
      .option('rate-limit', { type: 'number', default: 512, describe: 'requests per minute per IP+path; -1 disables' })
      .option('report-interval', { type: 'string', default: '10m', describe: 'report_interval answered to report-stats' })
      .option('heartbeat', { type: 'string', default: '3s', describe: 'agent connection heartbeat (inactive = 2x)' })
      .option('build-version', { type: 'string', describe: 'X-Coder-Build-Version header value' }) as unknown as Argv<ServeArgs>,
  handler: async (args) => {
    if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new FleetsimError('usage', `--port must be 0-65535, got ${args.port}`);
    if (!Number.isInteger(args.agents) || args.agents < 0) throw new FleetsimError('usage', `--agents must be a whole number >= 0, got ${args.agents}`);
    if (!Number.isFinite(args['rate-limit'])) throw new FleetsimError('usage', '--rate-limit must be a number');
    const reportIntervalMs = duration('report-interval', args['report-interval']);
    const heartbeatMs = duration('heartbeat', args.heartbeat);
    if (heartbeatMs <= 0) throw new FleetsimError('usage', '--heartbeat must be > 0');
    let server;
    try {
      server = await createReferenceServer({
        host: args.host,
        port: args.port,
        agents: args.agents,
        seed: args.seed,
        rateLimit: args['rate-limit'],
        reportIntervalMs,
        heartbeatMs,
        buildVersion: args['build-version'],
      });
    } catch (error) {
      throw new FleetsimError('harness', `cannot start the server on ${args.host}:${args.port}: ${(error as Error).message}`, { cause: error });
    }
    if (args.credentials) {
      try {
        await writeFile(args.credentials, `${JSON.stringify(server.credentials, null, 2)}\n`, { mode: 0o600 });
        await chmod(args.credentials, 0o600);
      } catch (error) {
        await server.close();
        throw new FleetsimError('harness', `cannot write credentials file ${args.credentials}: ${(error as Error).message}`);
      }
    }
    process.stdout.write(`listening on ${server.url}\n`);
    const s = server;
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void s.close().then(resolve, resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};
