import { describe, expect, it } from 'vitest';
import { describeSourceAddresses, MAX_SOURCE_ADDRESSES, parseSourceAddresses, sourceAddressAt } from '../../src/core/source-addresses.js';

describe('parseSourceAddresses', () => {
  it('expands last-octet ranges, full ranges, comma lists and IPv6 literals, in order', () => {
    expect(parseSourceAddresses('127.0.0.2-4')).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    expect(parseSourceAddresses('127.0.0.2-127.0.0.3')).toEqual(['127.0.0.2', '127.0.0.3']);
    // A full range crosses octets.
    expect(parseSourceAddresses('10.0.0.254-10.0.1.1')).toEqual(['10.0.0.254', '10.0.0.255', '10.0.1.0', '10.0.1.1']);
    expect(parseSourceAddresses(' 10.0.0.5 , 10.0.0.9,fd00::5,[FD00::6]')).toEqual(['10.0.0.5', '10.0.0.9', 'fd00::5', 'fd00::6']);
    expect(parseSourceAddresses(['127.0.0.2', '127.0.0.5-6'])).toEqual(['127.0.0.2', '127.0.0.5', '127.0.0.6']);
    expect(parseSourceAddresses('127.0.0.7-7')).toEqual(['127.0.0.7']);
  });

  it.each([
    ['', /no address given/],
    ['127.0.0.2,,127.0.0.3', /an empty item/],
    ['127.0.0.2,', /an empty item/],
    ['127.0.0.300', /"127.0.0.300" is not an IPv4 or IPv6 address/],
    ['localhost', /"localhost" is not an IPv4 or IPv6 address, nor a range/],
    ['127.0.0.9-2', /"127.0.0.9-2": the range ends \(127.0.0.2\) before it starts \(127.0.0.9\)/],
    ['127.0.0.2-256', /the last octet 256 is past 255/],
    ['127.0.0.2-x', /the end "x" is neither a last octet/],
    ['fd00::2-5', /ranges are IPv4 only/],
    ['127.0.0.2,127.0.0.1-3', /127.0.0.2 is listed twice/],
    ['0.0.0.0', /wildcard/],
    ['::', /wildcard/],
    ['239.1.1.1', /multicast/],
    ['10.0.0.0-10.0.255.255', /65536 addresses, more than the 1024/],
  ])('refuses %j', (spec, message) => {
    expect(() => parseSourceAddresses(spec)).toThrow(message);
  });

  it('refuses more than the maximum in total', () => {
    expect(() => parseSourceAddresses('10.0.0.0-10.0.3.255,10.0.4.0')).toThrow(new RegExp(`more than ${MAX_SOURCE_ADDRESSES}`));
  });
});

describe('sourceAddressAt and describeSourceAddresses', () => {
  it('hands addresses out round-robin, nothing without a list', () => {
    const list = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
    expect([0, 1, 2, 3, 4, 7].map((i) => sourceAddressAt(list, i))).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.2', '127.0.0.3', '127.0.0.3']);
    expect(sourceAddressAt([], 5)).toBeUndefined();
  });

  it('names every address of a short list and shortens a long one', () => {
    expect(describeSourceAddresses(['127.0.0.2'])).toBe('127.0.0.2 (1 address)');
    expect(describeSourceAddresses(parseSourceAddresses('127.0.0.1-20'))).toBe(
      '127.0.0.1, 127.0.0.2, 127.0.0.3, 127.0.0.4, …, 127.0.0.19, 127.0.0.20 (20 addresses)',
    );
  });
});
