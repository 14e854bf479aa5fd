/**
 * bench:server — the reference server's hot path against a bare node:http server sending the
 * same bytes.
 *
 *   npm run bench:server -- [--connections 50] [--duration 10] [--path agent|metadata]
 *
 * Both servers run in their own child process; autocannon drives them from this process, one
 * after the other, with the same connections and total duration, on 127.0.0.1 only, in A-B-B-A
 * halves so a drifting machine load does not favour either. The bare server
 * answers every request with the exact status, headers and body the reference server gave for
 * `GET /api/v2/workspaceagents/{id}` (user API key, rate limit off). The last stdout line is:
 *   {"bench":"server","fleetsim_rps":…,"bare_rps":…,"ratio":…,"fleetsim_cpu_us_per_req":…,"bare_cpu_us_per_req":…}
 * The CPU figures (server process user+system time per answered request) are steadier than
 * req/s when other work shares the machine.
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface BareSpec {
  status: number;
  headers: string[];
  body: string;
}

if (process.argv[2] === '--bare-child') {
  // The child side: a bare server that replays one recorded answer.
  process.once('message', (spec: BareSpec) => {
    const body = Buffer.from(spec.body);
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(spec.status, spec.headers);
      res.end(body);
    });
    server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
      process.send?.({ port: (server.address() as AddressInfo).port });
    });
    process.once('disconnect', () => process.exit(0));
    process.on('message', () => process.send?.({ cpu: process.cpuUsage() }));
  });
} else {
  await main();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '50' },
      duration: { type: 'string', default: '10' },
      path: { type: 'string', default: 'agent' },
    },
  });
  const connections = Number(values.connections);
  const duration = Number(values.duration);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);

  const { default: autocannon } = await import('autocannon');
  const { SERVER_V8_FLAGS, startReferenceServerProcess } = await import('../src/server/server-process.js');
  const server = await startReferenceServerProcess({ agents: 10, seed: 'bench-server', rateLimit: -1, identity: false });
  // The bare server gets the server process's V8 flags: like for like, only the code differs.
  const bare = fork(fileURLToPath(import.meta.url), ['--bare-child'], {
    execArgv: [...SERVER_V8_FLAGS, '--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const agent = server.credentials.agents[0]!;
    const byPath = {
      agent: { path: `/api/v2/workspaceagents/${agent.id}`, headers: { 'Coder-Session-Token': server.credentials.userToken } },
      metadata: { path: '/api/v2/workspaceagents/me/metadata', headers: { 'Coder-Session-Token': agent.token } },
    };
    const target = byPath[values.path as keyof typeof byPath] ?? byPath.agent;
    const sample = await fetch(`${server.url}${target.path}`, { headers: target.headers });
    const body = await sample.text();
    if (sample.status !== 200) throw new Error(`sample request answered ${sample.status}: ${body}`);
    // Same headers as the reference answer, minus the ones node:http writes itself.
    const headers: string[] = [];
    sample.headers.forEach((value, name) => {
      if (!['date', 'connection', 'keep-alive'].includes(name)) headers.push(name, value);
    });
    bare.send({ status: sample.status, headers, body } satisfies BareSpec);
    const barePort = await new Promise<number>((resolve, reject) => {
      bare.once('message', (m: { port: number }) => resolve(m.port));
      bare.once('exit', () => reject(new Error('bare server exited')));
    });

    const bareCpu = (): Promise<NodeJS.CpuUsage> =>
      new Promise((resolve) => {
        bare.once('message', (m: { cpu: NodeJS.CpuUsage }) => resolve(m.cpu));
        bare.send('cpu');
      });
    const cpu = { fleetsim: { us: 0, requests: 0 }, bare: { us: 0, requests: 0 } };
    const drive = async (name: 'fleetsim' | 'bare', url: string, seconds: number): Promise<number> => {
      log(`${name}: ${connections} connections for ${seconds}s on ${url}`);
      const usage = name === 'bare' ? bareCpu : () => server.cpuUsage();
      const before = await usage();
      const result = await autocannon({ url, connections, duration: seconds, headers: target.headers });
      const after = await usage();
      cpu[name].us += after.user + after.system - before.user - before.system;
      cpu[name].requests += result.requests.total;
      const non2xx = result.non2xx + result.errors;
      if (non2xx > 0) log(`${name}: ${non2xx} non-2xx/errors`);
      log(`${name}: ${result.requests.average.toFixed(0)} req/s (p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms)`);
      return result.requests.average;
    };
    // A-B-B-A halves: this machine's load drifts, and the mirrored order cancels a linear drift.
    const half = duration / 2;
    const fleetsimUrl = `${server.url}${target.path}`;
    const bareUrl = `http://127.0.0.1:${barePort}${target.path}`;
    const a1 = await drive('fleetsim', fleetsimUrl, half);
    const b1 = await drive('bare', bareUrl, half);
    const b2 = await drive('bare', bareUrl, half);
    const a2 = await drive('fleetsim', fleetsimUrl, half);
    const fleetsimRps = (a1 + a2) / 2;
    const bareRps = (b1 + b2) / 2;
    const ratio = Math.round((fleetsimRps / bareRps) * 1000) / 1000;
    // Server CPU per request is steadier than req/s on a loaded machine: report both.
    const perReq = (c: { us: number; requests: number }): number => Math.round((c.us / Math.max(1, c.requests)) * 10) / 10;
    const line = {
      bench: 'server',
      fleetsim_rps: Math.round(fleetsimRps),
      bare_rps: Math.round(bareRps),
      ratio,
      fleetsim_cpu_us_per_req: perReq(cpu.fleetsim),
      bare_cpu_us_per_req: perReq(cpu.bare),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    bare.kill();
    await server.close();
  }
}
