/**
 * Before any traffic: can this machine bind every source address, and can they reach the target?
 * A listed address the machine does not own (EADDRNOTAVAIL) would otherwise fail every socket
 * that draws it, a quarter or a half of the fleet, as `refused` samples; here it is a usage
 * error (exit 2) naming the address.
 */
import { createServer, isIP } from 'node:net';
import { FleetsimError } from '../core/errors.js';
import { describeSourceAddresses } from '../core/source-addresses.js';
import type { Logger } from '../core/log.js';
import { isProxyFault } from '../scenario/faults.js';
import type { Scenario } from '../scenario/schema.js';

/** Binds `address:0` (TCP) and closes it at once; rejects with the bind error. */
function testBind(address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: address, port: 0, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * Throws a usage error when an address cannot be bound, or when a destination (`urls`: the
 * target, and the fault proxy's 127.0.0.1 when there is one) is an IP literal of the other
 * family (an IPv6 source cannot connect to an IPv4 address). Hostnames are resolved at connect
 * time, so for them only the binds are checked.
 */
export async function checkSourceAddresses(addresses: readonly string[], urls: readonly string[]): Promise<void> {
  const hosts = urls.map((url) => new URL(url).hostname.replace(/^\[(.*)\]$/, '$1')).filter((host) => isIP(host) !== 0);
  const problems: string[] = [];
  for (const address of addresses) {
    const other = hosts.find((host) => isIP(host) !== isIP(address));
    if (other !== undefined) {
      problems.push(`${address} is IPv${isIP(address)} but the run connects to ${other} (IPv${isIP(other)})`);
      continue;
    }
    try {
      await testBind(address);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      const why = code === 'EADDRNOTAVAIL' ? 'is not an address of this machine (EADDRNOTAVAIL)' : `cannot be bound (${code})`;
      problems.push(`${address} ${why}`);
    }
  }
  if (problems.length > 0) {
    throw new FleetsimError('usage', `source addresses: ${problems.join('; ')}`, {
      hint: 'list addresses this machine owns (ip -br addr); on loopback any 127.x.y.z works',
    });
  }
}

/** Where the run's sockets go: the target (the embedded server listens on 127.0.0.1), and the fault proxy. */
export function sourceCheckUrls(scenario: Scenario, keptTargetUrl?: string): string[] {
  const urls = [keptTargetUrl ?? scenario.target?.url ?? 'http://127.0.0.1'];
  if (keptTargetUrl === undefined && scenario.faults.some(isProxyFault)) urls.push('http://127.0.0.1');
  return urls;
}

/**
 * The run's check: every source address bindable and of the destinations' family (usage error
 * otherwise), then one log line saying which are in use (at debug level when `announce` is
 * false: a local worker, whose parent said it already).
 */
export async function prepareSourceAddresses(scenario: Scenario, log: Logger, options: { keptTargetUrl?: string; announce?: boolean } = {}): Promise<void> {
  const addresses = scenario.sourceAddresses ?? [];
  if (addresses.length === 0) return;
  await checkSourceAddresses(addresses, sourceCheckUrls(scenario, options.keptTargetUrl));
  const line = `source addresses: sockets bind ${describeSourceAddresses(addresses)} round-robin`;
  // A `--workers` worker says it at debug level only: its parent has said it once for the run.
  if (options.announce === false) log.debug(line);
  else log.info(line);
}
