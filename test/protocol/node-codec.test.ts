import { describe, expect, it } from 'vitest';
import { decodeNode, decodeNodeArray, encodeNode, encodeNodeArray, NodeDecodeError } from '../../src/protocol/node-codec.js';
import { AGENT_IP } from '../../src/protocol/tailnet-node.js';

const KEY = 'nodekey:' + '3f1c'.repeat(16);
const DISCO = 'discokey:' + '9a0b'.repeat(16);
const FULL =
  `{"id":6196346937711212345,"as_of":"2023-01-29T21:47:24.123456Z","key":"${KEY}","disco":"${DISCO}",` +
  `"preferred_derp":999,"derp_latency":{"999-v4":0.0123},"addresses":["${AGENT_IP}/128"],` +
  `"allowed_ips":["${AGENT_IP}/128"],"endpoints":["192.168.1.10:41641","[2001:db8::1]:41641"]}`;

describe('node codec', () => {
  it('round-trips a real node byte-exact, id included', () => {
    const node = decodeNode(FULL);
    expect(node.id).toBe(6196346937711212345n);
    expect(encodeNode(node)).toBe(FULL);
    expect(encodeNodeArray([node, node])).toBe(`[${FULL},${FULL}]`);
    expect(decodeNodeArray(`[${FULL}]`)[0]?.id).toBe(6196346937711212345n);
  });

  it('decodes {} to Go zero values', () => {
    expect(encodeNode(decodeNode('{}'))).toBe(
      '{"id":0,"as_of":"0001-01-01T00:00:00Z","key":"nodekey:' +
        '0'.repeat(64) +
        '","disco":"discokey:' +
        '0'.repeat(64) +
        '","preferred_derp":0,"derp_latency":null,"addresses":null,"allowed_ips":null,"endpoints":null}',
    );
    expect(decodeNode('null').id).toBe(0n);
  });

  it('drops unknown fields, matches keys case-insensitively and canonicalises like Go', () => {
    const node = decodeNode(
      `{"ID":-5,"Key":"nodekey:${'AB'.repeat(32)}","derp_forced_websocket":true,"Addresses":["0:0:0:0:0:0:0:1/128","10.0.0.1/8"],` +
        `"as_of":"2023-01-29T21:47:24.120000+00:00","derp_latency":{"b":1,"a":1e-7},"Endpoints":["a<b"]}`,
    );
    expect(node.id).toBe(-5n);
    expect(node.key).toBe('nodekey:' + 'ab'.repeat(32));
    expect(node.addresses).toEqual(['::1/128', '10.0.0.1/8']);
    expect(node.as_of).toBe('2023-01-29T21:47:24.12Z');
    const text = encodeNode(node);
    expect(text).not.toContain('derp_forced_websocket');
    expect(text).toContain('"derp_latency":{"a":1e-7,"b":1}');
    expect(text).toContain('"endpoints":["a\\u003cb"]');
  });

  it('rejects what Go rejects, with Go-like messages', () => {
    const cases: Array<[string, string | RegExp]> = [
      ['{"key":"3f1c"}', "key hex string doesn't have expected type prefix nodekey:"],
      ['{"key":"nodekey:abc"}', 'key hex has the wrong size, got 3 want 64'],
      [`{"disco":"discokey:${'zz'.repeat(32)}"}`, 'invalid hex character in key'],
      ['{"id":1.5}', 'json: cannot unmarshal number 1.5 into Go struct field Node.id of type tailcfg.NodeID'],
      ['{"id":9223372036854775808}', 'json: cannot unmarshal number 9223372036854775808 into Go struct field Node.id of type tailcfg.NodeID'],
      ['{"id":"1"}', 'json: cannot unmarshal string into Go struct field Node.id of type tailcfg.NodeID'],
      ['{"preferred_derp":true}', 'json: cannot unmarshal bool into Go struct field Node.preferred_derp of type int'],
      ['{"addresses":["1.2.3.4"]}', `netip.ParsePrefix("1.2.3.4"): no '/'`],
      ['{"addresses":["1.2.3.4/33"]}', 'prefix length out of range'],
      ['{"allowed_ips":["01.2.3.4/8"]}', 'leading zero'],
      ['{"as_of":"yesterday"}', /^parsing time "\\"yesterday\\"" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse/],
      ['{"as_of":"2023-02-30T00:00:00Z"}', 'day out of range'],
      ['[]', 'json: cannot unmarshal array into Go value of type tailnet.Node'],
      ['{"endpoints":"x"}', 'json: cannot unmarshal string into Go struct field Node.endpoints of type []string'],
      ['{"a":', 'unexpected end of JSON input'],
    ];
    for (const [input, message] of cases) {
      expect(() => decodeNode(input), input).toThrow(NodeDecodeError);
      expect(() => decodeNode(input), input).toThrow(message);
    }
  });

  it('keeps the first type error even when later fields are fine', () => {
    expect(() => decodeNode('{"preferred_derp":"x","id":"y"}')).toThrow(/Node\.preferred_derp/);
  });
});
