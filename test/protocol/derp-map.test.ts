import { describe, expect, it } from 'vitest';
import { defaultDerpMap, derpRegionName } from '../../src/protocol/derp-map.js';
import { encodeGoJson } from '../../src/protocol/go-json.js';

describe('DERP map', () => {
  it('is PascalCase on the wire with STUN first and omitempty fields left out', () => {
    const map = defaultDerpMap('http://127.0.0.1:3000');
    expect(encodeGoJson(map)).toBe(
      '{"Regions":{"999":{"EmbeddedRelay":true,"RegionID":999,"RegionCode":"coder","RegionName":"Coder Embedded Relay","Nodes":[' +
        '{"Name":"999stun0","RegionID":999,"HostName":"stun.l.google.com","STUNPort":19302,"STUNOnly":true},' +
        '{"Name":"999b","RegionID":999,"HostName":"127.0.0.1","STUNPort":-1,"DERPPort":3000,"ForceHTTP":true}]}}}\n',
    );
  });
  it('uses the default port and no ForceHTTP for https, and strips IPv6 brackets', () => {
    const relay = defaultDerpMap('https://[::1]').Regions['999']?.Nodes[1];
    expect(relay).toEqual({ Name: '999b', RegionID: 999, HostName: '::1', STUNPort: -1, DERPPort: 443 });
  });
  it('names regions with the Unnamed fallback', () => {
    const map = defaultDerpMap('http://localhost:1');
    expect(derpRegionName(map, 999)).toBe('Coder Embedded Relay');
    expect(derpRegionName(map, 5)).toBe('Unnamed 5');
  });
});
