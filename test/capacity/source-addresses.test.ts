/**
 * `fleetsim capacity --source-addresses`: every step's sockets bind the listed addresses
 * round-robin, like `fleetsim run`'s; the flag replaces the scenario's `sourceAddresses`, and
 * the search says once (not per step) which addresses it uses. Against an in-process reference
 * server on loopback, so its counters show each connection's remote address.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceServer, type ReferenceServer } from '../../src/server/reference-server.js';
import { runMain } from '../cli/cli-io.js';

const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

let dir = '';
let server: ReferenceServer;
let credentialsFile = '';
let scenarioFile = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetsim-capacity-sources-'));
  server = await createReferenceServer({ agents: 6, seed: 'src', rateLimit: -1, protocols: ['v1'] });
  credentialsFile = join(dir, 'credentials.json');
  await writeFile(credentialsFile, JSON.stringify(server.credentials), { mode: 0o600 });
  scenarioFile = join(dir, 'sources.json');
  // The file's own address loses to the flag: no socket may come from 127.0.0.9.
  await writeFile(
    scenarioFile,
    JSON.stringify({ name: 'sources', seed: 'src', duration: '10s', sourceAddresses: '127.0.0.9', agents: { count: 3, http: 'per-agent', protocol: 'v1' } }),
  );
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.runIf(process.platform === 'linux')('fleetsim capacity --source-addresses', () => {
  it('binds every step’s sockets to the listed addresses, round-robin, and says so once', async () => {
    const result = await runMain([
      'capacity',
      scenarioFile,
      ...['--target', server.url, '--credentials', credentialsFile, '--out', join(dir, 'out')],
      ...['--from', '3', '--to', '5', '--factor', '1.5', '--hold', '1s', '--ramp', '0s', '--settle', '0s', '--slo', 'p99(GET /me/metadata) < 30s'],
      ...['--source-addresses', '127.0.0.2-4'],
    ]);
    expect(result.code, result.stderr).toBe(0);
    // Two steps at least (3, then 5): the line is said by the search, not by each step.
    expect(result.stdout).toMatch(/^2\s+step\s+5\s/m);
    expect(result.stderr.match(/source addresses: sockets bind 127\.0\.0\.2, 127\.0\.0\.3, 127\.0\.0\.4 \(3 addresses\) round-robin/g)).toHaveLength(1);
    const { '127.0.0.1': probes, ...seen } = server.counters().totals.connectionsByRemoteAddress;
    // Only the harness's one reachability probe, before the search, comes from the default address.
    expect(probes).toBe(1);
    expect(Object.keys(seen).sort()).toEqual(ADDRESSES);
    for (const address of ADDRESSES) expect(seen[address]).toBeGreaterThan(0);
  }, 60_000);
});
