/**
 * The DERP map as it goes over the wire (protocol §10): Go field names (PascalCase, no JSON tags),
 * `omitempty` fields left out when zero. Key order in these object literals is the Go field
 * order, so JSON.stringify / encodeGoJson write the same bytes as coderd.
 */

export interface DERPNode {
  Name: string;
  RegionID: number;
  HostName: string;
  CertName?: string;
  IPv4?: string;
  IPv6?: string;
  STUNPort?: number;
  STUNOnly?: boolean;
  DERPPort?: number;
  InsecureForTests?: boolean;
  ForceHTTP?: boolean;
  STUNTestIP?: string;
}

export interface DERPRegion {
  EmbeddedRelay: boolean;
  RegionID: number;
  RegionCode: string;
  RegionName: string;
  Avoid?: boolean;
  Nodes: DERPNode[];
}

export interface DERPMap {
  /** Keyed by the region id in decimal. */
  Regions: Record<string, DERPRegion>;
  omitDefaultRegions?: boolean;
}

export const EMBEDDED_REGION_ID = 999;
export const DEFAULT_STUN_ADDRESSES = ['stun.l.google.com:19302'];

/**
 * The map `coder server` builds by default for an access URL (protocol §10): region 999 "coder" /
 * "Coder Embedded Relay" with the STUN-only nodes first, then node `999b` on the access URL host.
 */
export function defaultDerpMap(accessUrl: string, stunAddresses: readonly string[] = DEFAULT_STUN_ADDRESSES): DERPMap {
  const url = new URL(accessUrl);
  const http = url.protocol === 'http:' || url.protocol === 'ws:';
  const port = url.port ? Number(url.port) : http ? 80 : 443;
  // Go's URL.Hostname() drops the brackets of an IPv6 literal.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const relay: DERPNode = { Name: `${EMBEDDED_REGION_ID}b`, RegionID: EMBEDDED_REGION_ID, HostName: host, STUNPort: -1, DERPPort: port };
  if (http) relay.ForceHTTP = true;
  const stunNodes: DERPNode[] = stunAddresses.map((addr, index) => {
    const colon = addr.lastIndexOf(':');
    return {
      Name: `${EMBEDDED_REGION_ID}stun${index}`,
      RegionID: EMBEDDED_REGION_ID,
      HostName: addr.slice(0, colon).replace(/^\[(.*)\]$/, '$1'),
      STUNPort: Number(addr.slice(colon + 1)),
      STUNOnly: true,
    };
  });
  return {
    Regions: {
      [String(EMBEDDED_REGION_ID)]: {
        EmbeddedRelay: true,
        RegionID: EMBEDDED_REGION_ID,
        RegionCode: 'coder',
        RegionName: 'Coder Embedded Relay',
        // tailnet.NewDERPMap prepends each STUN node, so the last address ends up first; with
        // the single default address that is simply "STUN first, relay last".
        Nodes: [...stunNodes.reverse(), relay],
      },
    },
  };
}

/** The region's display name, or Go's fallback `Unnamed <id>`. */
export function derpRegionName(map: DERPMap, regionId: number): string {
  const name = map.Regions[String(regionId)]?.RegionName;
  return name ? name : `Unnamed ${regionId}`;
}
