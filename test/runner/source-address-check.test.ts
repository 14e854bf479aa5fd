import { describe, expect, it } from 'vitest';
import { FleetsimError } from '../../src/core/errors.js';
import { checkSourceAddresses } from '../../src/runner/source-address-check.js';

const failure = (promise: Promise<unknown>): Promise<FleetsimError> =>
  promise.then(
    () => {
      throw new Error('expected a usage error');
    },
    (error: unknown) => error as FleetsimError,
  );

describe('checkSourceAddresses', () => {
  it.runIf(process.platform === 'linux')('accepts loopback addresses (any 127.x on Linux)', async () => {
    await expect(checkSourceAddresses(['127.0.0.2', '127.0.0.3'], ['http://127.0.0.1:7080'])).resolves.toBeUndefined();
  });

  it('refuses an address this machine does not own, naming it, as a usage error', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): assigned to no host.
    const error = await failure(checkSourceAddresses(['127.0.0.1', '192.0.2.7'], ['http://127.0.0.1:7080']));
    expect(error).toBeInstanceOf(FleetsimError);
    expect(error.code).toBe('usage');
    expect(error.message).toBe('source addresses: 192.0.2.7 is not an address of this machine (EADDRNOTAVAIL)');
    expect(error.hint).toMatch(/127\.x\.y\.z/);
  });

  it('refuses an address of the other family than an IP-literal destination', async () => {
    const error = await failure(checkSourceAddresses(['::1'], ['http://127.0.0.1:7080']));
    expect(error.code).toBe('usage');
    expect(error.message).toMatch(/::1 is IPv6 but the run connects to 127\.0\.0\.1 \(IPv4\)/);
    // A hostname is resolved at connect time: only the bind is checked.
    await expect(checkSourceAddresses(['127.0.0.1'], ['https://coder.example.com'])).resolves.toBeUndefined();
  });
});
