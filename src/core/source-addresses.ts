/**
 * Source addresses (`--source-addresses`, the scenario's `sourceAddresses`): the local addresses
 * fleetsim's sockets bind, round-robin, so that no (source address, target ip:port) pair runs out
 * of ephemeral ports (about 28,000 per pair, and connects slow down past ~14,000:
 * docs/benchmarks.md#ephemeral-ports-and-connections-per-address-pair).
 *
 * Written as a comma list whose items are an IPv4 address (`127.0.0.2`), an IPv4 range over the
 * last octet (`127.0.0.2-9`) or between two full addresses (`10.0.0.250-10.0.1.4`), or an IPv6
 * literal (`fd00::2`, optionally in brackets). This module only parses; whether the machine can
 * bind them is checked by runner/source-address-check.ts before any traffic.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Most addresses one run may list (each is test-bound before the run; 1,024 × 28k ports is plenty). */
export const MAX_SOURCE_ADDRESSES = 1024;

/** A malformed list: the message names the item and what is wrong with it. */
export class SourceAddressError extends Error {
  override readonly name = 'SourceAddressError';
}

const ipv4ToInt = (text: string): number => text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const intToIpv4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

function expandRange(item: string, from: string, to: string): string[] {
  if (!isIPv4(from)) {
    const why =
      isIPv6(from) || isIPv6(from.replace(/^\[|\]$/g, '')) ? 'ranges are IPv4 only; list IPv6 addresses one by one' : `"${from}" is not an IPv4 address`;
    throw new SourceAddressError(`"${item}": ${why}`);
  }
  let end: string;
  if (/^\d{1,3}$/.test(to)) {
    // `127.0.0.2-9`: the end replaces the last octet.
    if (Number(to) > 255) throw new SourceAddressError(`"${item}": the last octet ${to} is past 255`);
    end = `${from.slice(0, from.lastIndexOf('.'))}.${Number(to)}`;
  } else if (isIPv4(to)) {
    end = to;
  } else {
    throw new SourceAddressError(`"${item}": the end "${to}" is neither a last octet (0-255) nor an IPv4 address`);
  }
  const first = ipv4ToInt(from);
  const last = ipv4ToInt(end);
  if (last < first) throw new SourceAddressError(`"${item}": the range ends (${end}) before it starts (${from})`);
  if (last - first + 1 > MAX_SOURCE_ADDRESSES) {
    throw new SourceAddressError(`"${item}": ${last - first + 1} addresses, more than the ${MAX_SOURCE_ADDRESSES} fleetsim accepts`);
  }
  const out: string[] = [];
  for (let n = first; n <= last; n++) out.push(intToIpv4(n));
  return out;
}

function expandItem(raw: string): string[] {
  const item = raw.trim();
  if (item === '') throw new SourceAddressError('an empty item (two commas in a row, or one at an end)');
  const unbracketed = item.replace(/^\[(.*)\]$/, '$1');
  if (isIPv6(unbracketed)) return [unbracketed.toLowerCase()];
  if (isIPv4(item)) return [item];
  const dash = item.indexOf('-');
  if (dash > 0) return expandRange(item, item.slice(0, dash).trim(), item.slice(dash + 1).trim());
  throw new SourceAddressError(`"${item}" is not an IPv4 or IPv6 address, nor a range like 127.0.0.2-9`);
}

/** Why `address` can never be a source address, or undefined. */
function unusable(address: string): string | undefined {
  if (address === '0.0.0.0' || address === '::') return 'is the wildcard address (it picks no source)';
  if (address === '255.255.255.255') return 'is the broadcast address';
  const first = Number(address.split('.')[0]);
  if (isIPv4(address) && first >= 224) return 'is a multicast or reserved address';
  if (isIPv6(address) && address.startsWith('ff')) return 'is a multicast address';
  return undefined;
}

/**
 * The addresses `spec` lists, in order: a string (comma list) or an array of such strings.
 * Throws a {@link SourceAddressError} for a malformed item, a duplicate, an unusable address
 * (wildcard, broadcast, multicast), an empty list or more than {@link MAX_SOURCE_ADDRESSES}.
 */
export function parseSourceAddresses(spec: string | readonly string[]): string[] {
  const items = (typeof spec === 'string' ? [spec] : spec).flatMap((text) => text.split(','));
  if (items.length === 0 || (items.length === 1 && items[0]!.trim() === '')) {
    throw new SourceAddressError('no address given (e.g. 127.0.0.2-9, or 10.0.0.5,10.0.0.6)');
  }
  const out: string[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    for (const address of expandItem(item)) {
      const why = unusable(address);
      if (why) throw new SourceAddressError(`${address} ${why}`);
      if (seen.has(address)) throw new SourceAddressError(`${address} is listed twice`);
      seen.add(address);
      out.push(address);
      if (out.length > MAX_SOURCE_ADDRESSES) throw new SourceAddressError(`more than ${MAX_SOURCE_ADDRESSES} addresses`);
    }
  }
  return out;
}

/** The address of entry `index` round-robin (undefined with no addresses: the system picks). */
export function sourceAddressAt(addresses: readonly string[], index: number): string | undefined {
  return addresses.length === 0 ? undefined : addresses[index % addresses.length];
}

/** "127.0.0.2, 127.0.0.3 (2 addresses)", shortened past 8 entries, for the one log line. */
export function describeSourceAddresses(addresses: readonly string[]): string {
  const shown = addresses.length > 8 ? [...addresses.slice(0, 4), '…', ...addresses.slice(-2)] : addresses;
  return `${shown.join(', ')} (${addresses.length} address${addresses.length === 1 ? '' : 'es'})`;
}
