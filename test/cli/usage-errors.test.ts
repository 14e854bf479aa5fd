import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain, testIO } from './cli-io.js';
import { handFedSummary } from '../metrics/fixtures.js';

// Every usage error exits 2 before any work: no scenario run ("started"), no report folder,
// no server ("listening on"), no comparison printed. A command that did start work would also
// hang here (serve waits for a signal), so "returns 2" alone already proves it stopped.
let dir = '';
let out = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetsim-usage-'));
  out = join(dir, 'never-created');
  await writeFile(join(dir, 'a.json'), JSON.stringify(handFedSummary()));
  await writeFile(join(dir, 'b.json'), JSON.stringify(handFedSummary()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RUN = ['run', 'scenarios/ci-repro.json'];
const CAPACITY = ['capacity', 'scenarios/ci-repro.json', '--slo', 'error_rate < 1%'];

const cases: [string, () => string[], RegExp][] = [
  ['an unknown flag on run', () => [...RUN, '--bogus-flag', '--out', out], /Unknown argument: bogus-flag/],
  ['a bad --log-level', () => [...RUN, '--log-level', 'loud', '--out', out], /Argument: log-level, Given: "loud"/],
  ['a negative --duration', () => [...RUN, '--duration', '-3s', '--out', out], /--duration: .*got "-3s" \(durations cannot be negative\)/],
  ['--duration=0s', () => [...RUN, '--duration=0s', '--out', out], /--duration must be a duration greater than 0, got "0s"/],
  ['a second positional', () => [...RUN, 'extra.json', '--out', out], /Unknown argument: extra\.json/],
  ['a misspelled flag (--agent)', () => [...RUN, '--agent', '10', '--out', out], /Unknown argument: agent[\s\S]*did you mean --agents \(not --agent\)\?/],
  ['--agents abc', () => [...RUN, '--agents', 'abc', '--out', out], /--agents must be a whole number >= 0, got "abc"/],
  ['--agents 2.5', () => [...RUN, '--agents', '2.5', '--out', out], /--agents must be a whole number >= 0, got "2\.5"/],
  ['--agents -1', () => [...RUN, '--agents=-1', '--out', out], /--agents must be a whole number >= 0, got "-1"/],
  ['--seed with no value', () => [...RUN, '--seed', '--out', out], /Not enough arguments following: seed/],
  ['run without a file', () => ['run'], /Not enough non-option arguments: got 0, need at least 1/],
  ['plan without a file', () => ['plan'], /Not enough non-option arguments: got 0, need at least 1/],
  ['plan --agents NaN', () => ['plan', 'scenarios/smoke.ts', '--agents', 'NaN'], /--agents must be a whole number >= 0, got "NaN"/],
  [
    'a bad --metrics-addr',
    () => [...RUN, '--metrics-addr', '127.0.0.1:99999', '--out', out],
    /invalid metrics address "127\.0\.0\.1:99999": the port must be 0-65535/,
  ],
  ['--metrics-addr with no value', () => [...RUN, '--metrics-addr', '--out', out], /Not enough arguments following: metrics-addr/],
  ['--shard 2/2', () => [...RUN, '--shard', '2/2', '--out', out], /--shard 2\/2: K must be less than N \(shards are numbered 0 to 1\)/],
  ['--shard 1of2', () => [...RUN, '--shard', '1of2', '--out', out], /--shard must be K\/N \(shard K of N, K counted from 0\), got "1of2"/],
  [
    '--start-at without --shard',
    () => [...RUN, '--start-at', new Date(Date.now() + 60_000).toISOString(), '--out', out],
    /--start-at needs --shard K\/N \(or --workers N\)/,
  ],
  [
    '--start-at in the past',
    () => [...RUN, '--shard', '0/2', '--start-at', '2020-01-01T00:00:00Z', '--out', out],
    /--start-at 2020-01-01T00:00:00Z is in the past/,
  ],
  ['--workers 0', () => [...RUN, '--workers', '0', '--out', out], /--workers must be a whole number from 1 to 64, got "0"/],
  ['--workers with --shard', () => [...RUN, '--workers', '2', '--shard', '0/2', '--out', out], /--workers and --shard go separately/],
  ['--workers with --metrics-addr', () => [...RUN, '--workers', '2', '--metrics-addr', '9464', '--out', out], /--workers cannot serve \/metrics yet/],
  ['--worker without a parent', () => [...RUN, '--worker', '--shard', '0/2', '--out', out], /--worker is internal/],
  [
    'a malformed --source-addresses',
    () => [...RUN, '--source-addresses', '127.0.0.2-300', '--out', out],
    /--source-addresses: "127\.0\.0\.2-300": the last octet 300 is past 255/,
  ],
  ['--source-addresses with no value', () => [...RUN, '--source-addresses', '--out', out], /Not enough arguments following: source-addresses/],
  [
    'an unbindable --source-addresses (TEST-NET-1 belongs to no host)',
    () => [...RUN, '--source-addresses', '127.0.0.2,192.0.2.7', '--out', out],
    /source addresses: 192\.0\.2\.7 is not an address of this machine \(EADDRNOTAVAIL\)/,
  ],
  [
    'an IPv6 --source-addresses against the IPv4 embedded server',
    () => [...RUN, '--source-addresses', '::1', '--out', out],
    /source addresses: ::1 is IPv6 but the run connects to 127\.0\.0\.1 \(IPv4\)/,
  ],
  [
    'capacity: a malformed --source-addresses',
    () => [...CAPACITY, '--source-addresses', '127.0.0.2-300', '--out', out],
    /--source-addresses: "127\.0\.0\.2-300": the last octet 300 is past 255/,
  ],
  ['capacity: --source-addresses with no value', () => [...CAPACITY, '--source-addresses', '--out', out], /Not enough arguments following: source-addresses/],
  [
    'capacity: an unbindable --source-addresses',
    () => [...CAPACITY, '--source-addresses', '127.0.0.2,192.0.2.7', '--out', out],
    /source addresses: 192\.0\.2\.7 is not an address of this machine \(EADDRNOTAVAIL\)/,
  ],
  [
    'capacity: an IPv6 --source-addresses against the IPv4 embedded server',
    () => [...CAPACITY, '--source-addresses', '::1', '--out', out],
    /source addresses: ::1 is IPv6 but the run connects to 127\.0\.0\.1 \(IPv4\)/,
  ],
  ['merge without files', () => ['merge'], /Not enough non-option arguments: got 0, need at least 1/],
  ['no command', () => [], /name a command: run, plan, serve, compare, conform, merge or capacity/],
  ['an unknown command', () => ['rnu'], /Unknown argument: rnu/],
  ['serve --bogus 1', () => ['serve', '--bogus', '1'], /Unknown argument: bogus/],
  ['serve --report-interval -5s', () => ['serve', '--report-interval', '-5s'], /--report-interval: .*durations cannot be negative/],
  ['serve --port 70000', () => ['serve', '--port', '70000'], /--port must be a whole number from 0 to 65535, got "70000"/],
  ['serve --agents many', () => ['serve', '--agents', 'many'], /--agents must be a whole number >= 0, got "many"/],
  ['serve --rate-limit 1.5', () => ['serve', '--rate-limit', '1.5'], /--rate-limit must be a whole number >= -1, got "1\.5"/],
  ['serve --heartbeat 0s', () => ['serve', '--heartbeat', '0s'], /--heartbeat must be a duration greater than 0, got "0s"/],
  ['compare with one file', () => ['compare', join(dir, 'a.json')], /Not enough non-option arguments: got 1, need at least 2/],
  ['compare --format xml', () => ['compare', join(dir, 'a.json'), join(dir, 'b.json'), '--format', 'xml'], /Argument: format, Given: "xml"/],
  [
    'compare --tolerance abc',
    () => ['compare', join(dir, 'a.json'), join(dir, 'b.json'), '--tolerance', 'abc'],
    /--tolerance must be a number >= 0, got "abc"/,
  ],
  ['compare --tolerance -5', () => ['compare', join(dir, 'a.json'), join(dir, 'b.json'), '--tolerance=-5'], /--tolerance must be a number >= 0, got "-5"/],
];

describe('usage errors exit 2 before any work', () => {
  it.each(cases)('%s', async (_name, argv, message) => {
    const io = testIO();
    const result = await runMain(argv(), io);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/hint: |must be|--duration:|--report-interval:/);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(/started|listening on|no regressions/);
    expect(existsSync(out)).toBe(false);
    expect(io.signals.eventNames()).toEqual([]);
  });

  it('a valid --tolerance still compares', async () => {
    const result = await runMain(['compare', join(dir, 'a.json'), join(dir, 'b.json'), '--tolerance', '2.5']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('no regressions');
  });
});
