import { describe, expect, it } from 'vitest';
import { explicitUrlPort, filterListeningPorts, type ListeningPort } from '../../src/server/listening-ports.js';

const p = (port: number, process_name = 'node', network = 'tcp'): ListeningPort => ({ process_name, network, port });

describe('filterListeningPorts (§5.14)', () => {
  it.each([
    ['below 9', [p(0), p(8), p(9)], [], [9]],
    ['ignore list', [p(20), p(22), p(53), p(3000), p(3306), p(5432), p(27017), p(27019), p(28017), p(27020)], [], [3000, 27020]],
    ['explicit app ports', [p(3000), p(8080), p(80), p(443)], ['http://localhost:8080', 'http://localhost:80/x'], [3000, 443]],
    ['a URL with no port drops nothing', [p(80), p(443)], ['http://localhost', 'https://example.com/path'], [80, 443]],
    ['IPv6 and userinfo hosts', [p(4000), p(5000), p(6000)], ['http://[::1]:4000', 'http://u:pw@host:5000/'], [6000]],
    ['bad or out-of-range ports drop nothing', [p(7000)], ['http://h:70000', 'http://h:abc', 'not a url', ''], [7000]],
    ['duplicates, keeping the first', [p(3000, 'a'), p(4000), p(3000, 'b')], [], [3000, 4000]],
    ["agent's order", [p(9000), p(3000), p(5000)], [], [9000, 3000, 5000]],
  ])('%s', (_name, ports, urls, want) => {
    expect(filterListeningPorts(ports, urls).map((x) => x.port)).toEqual(want);
  });

  it('keeps process names and forces network "tcp"', () => {
    expect(filterListeningPorts([p(3000, 'a', 'tcp6'), p(3000, 'b')], [])).toEqual([{ process_name: 'a', network: 'tcp', port: 3000 }]);
    expect(filterListeningPorts([], [])).toEqual([]);
  });

  it('reads explicit ports like Go URL.Port()', () => {
    expect(explicitUrlPort('http://localhost:80')).toBe(80);
    expect(explicitUrlPort('http://localhost')).toBeUndefined();
    expect(explicitUrlPort('http://[::1]')).toBeUndefined();
    expect(explicitUrlPort('http://h:0')).toBeUndefined();
  });
});
