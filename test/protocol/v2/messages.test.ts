import { create, equals, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { decodeInvokeMetadata, encodeInvokeMetadata } from '../../../src/protocol/v2/invoke-metadata.js';
import {
  AGENT_METHODS,
  AGENT_RPC,
  TAILNET_METHODS,
  TAILNET_RPC,
  agentpb,
  tailnetpb,
  durationToMs,
  EXTERNAL_LOG_SOURCE_ID,
  isNilUuid,
  isZeroTimestamp,
  metadataDurationToSeconds,
  metadataSecondsToDuration,
  msToDuration,
  msToTimestamp,
  rpcByPath,
  timestampToMs,
  uuidFromBytes,
  uuidToBytes,
} from '../../../src/protocol/v2/messages.js';

/** `"0a 02 08 1e"` → bytes. */
function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}
/** bytes → `"0a 02 08 1e"`, so a mismatch shows as readable text. */
function show(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
}

const APP_ID = '11111111-2222-3333-4444-555555555555';
const AGENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const CLIENT_ID = '12345678-1234-5678-1234-567812345678';
const T_1700000000 = 1_700_000_000_000;

// Every protobuf vector of docs/protocol-v2.md §8: encode gives exactly these bytes, and decoding
// them gives back the fields.
describe('protobuf vectors (docs/protocol-v2.md §8)', () => {
  it('UpdateStatsResponse{report_interval: 30s}', () => {
    const bytes = AGENT_RPC.UpdateStats.encodeResponse({ reportInterval: msToDuration(30_000) });
    expect(show(bytes)).toBe('0a 02 08 1e');
    const back = AGENT_RPC.UpdateStats.decodeResponse(bytes);
    expect(back.reportInterval?.seconds).toBe(30n);
    expect(back.reportInterval?.nanos).toBe(0);
    expect(durationToMs(back.reportInterval)).toBe(30_000);
  });

  it('UpdateStatsRequest with stats absent is empty (the "interval only" call)', () => {
    expect(AGENT_RPC.UpdateStats.encodeRequest({}).length).toBe(0);
    expect(AGENT_RPC.UpdateStats.decodeRequest(new Uint8Array(0)).stats).toBeUndefined();
    // An empty but present Stats is a real report and must reach the wire (protocol-v2 §5.2).
    expect(show(AGENT_RPC.UpdateStats.encodeRequest({ stats: {} }))).toBe('0a 00');
    expect(AGENT_RPC.UpdateStats.decodeRequest(hex('0a 00')).stats).toBeDefined();
  });

  it('GetManifestRequest is an empty message', () => {
    expect(AGENT_RPC.GetManifest.encodeRequest({}).length).toBe(0);
  });

  it('UpdateLifecycleRequest{READY, changed_at=1700000000s}', () => {
    const bytes = AGENT_RPC.UpdateLifecycle.encodeRequest({
      lifecycle: { state: agentpb.Lifecycle_State.READY, changedAt: msToTimestamp(T_1700000000) },
    });
    expect(show(bytes)).toBe('0a 0a 08 05 12 06 08 80 e2 cf aa 06');
    const back = AGENT_RPC.UpdateLifecycle.decodeRequest(bytes);
    expect(back.lifecycle?.state).toBe(agentpb.Lifecycle_State.READY);
    expect(timestampToMs(back.lifecycle?.changedAt)).toBe(T_1700000000);
  });

  it('BatchUpdateAppHealthRequest{[{id, HEALTHY}]}', () => {
    const bytes = AGENT_RPC.BatchUpdateAppHealths.encodeRequest({
      updates: [{ id: uuidToBytes(APP_ID), health: agentpb.AppHealth.HEALTHY }],
    });
    expect(show(bytes)).toBe('0a 14 0a 10 11 11 11 11 22 22 33 33 44 44 55 55 55 55 55 55 10 03');
    const back = AGENT_RPC.BatchUpdateAppHealths.decodeRequest(bytes);
    expect(back.updates).toHaveLength(1);
    expect(uuidFromBytes(back.updates[0]!.id)).toBe(APP_ID);
    expect(back.updates[0]!.health).toBe(agentpb.AppHealth.HEALTHY);
  });

  it('UpdateStartupRequest{version v2.21.0, expanded_directory /home/coder}', () => {
    const bytes = AGENT_RPC.UpdateStartup.encodeRequest({
      startup: { version: 'v2.21.0', expandedDirectory: '/home/coder' },
    });
    expect(show(bytes)).toBe('0a 16 0a 07 76 32 2e 32 31 2e 30 12 0b 2f 68 6f 6d 65 2f 63 6f 64 65 72');
    const back = AGENT_RPC.UpdateStartup.decodeRequest(bytes);
    expect(back.startup?.version).toBe('v2.21.0');
    expect(back.startup?.expandedDirectory).toBe('/home/coder');
    expect(back.startup?.subsystems).toEqual([]);
  });

  it('CoordinateRequest{add_tunnel{agent}}', () => {
    const bytes = TAILNET_RPC.Coordinate.encodeRequest({ addTunnel: { id: uuidToBytes(AGENT_ID) } });
    expect(show(bytes)).toBe('1a 12 0a 10 aa aa aa aa bb bb cc cc dd dd ee ee ee ee ee ee');
    const back = TAILNET_RPC.Coordinate.decodeRequest(bytes);
    expect(uuidFromBytes(back.addTunnel!.id)).toBe(AGENT_ID);
    expect(back.updateSelf).toBeUndefined();
    expect(back.disconnect).toBeUndefined();
    expect(back.removeTunnel).toBeUndefined();
    expect(back.readyForHandshake).toEqual([]);
  });

  it('CoordinateRequest{ready_for_handshake[{client}]}', () => {
    const bytes = TAILNET_RPC.Coordinate.encodeRequest({ readyForHandshake: [{ id: uuidToBytes(CLIENT_ID) }] });
    expect(show(bytes)).toBe('2a 12 0a 10 12 34 56 78 12 34 56 78 12 34 56 78 12 34 56 78');
    const back = TAILNET_RPC.Coordinate.decodeRequest(bytes);
    expect(back.readyForHandshake.map((r) => uuidFromBytes(r.id))).toEqual([CLIENT_ID]);
  });

  it('CoordinateRequest{disconnect{}}: an empty sub-message is still sent', () => {
    const bytes = TAILNET_RPC.Coordinate.encodeRequest({ disconnect: {} });
    expect(show(bytes)).toBe('12 00');
    const back = TAILNET_RPC.Coordinate.decodeRequest(bytes);
    expect(back.disconnect).toBeDefined();
    expect(back.addTunnel).toBeUndefined();
  });

  it('CoordinateResponse{peer_updates[{id=agent, kind=READY_FOR_HANDSHAKE}]}', () => {
    const bytes = TAILNET_RPC.Coordinate.encodeResponse({
      peerUpdates: [{ id: uuidToBytes(AGENT_ID), kind: tailnetpb.CoordinateResponse_PeerUpdate_Kind.READY_FOR_HANDSHAKE }],
    });
    expect(show(bytes)).toBe('0a 14 0a 10 aa aa aa aa bb bb cc cc dd dd ee ee ee ee ee ee 18 04');
    const back = TAILNET_RPC.Coordinate.decodeResponse(bytes);
    expect(back.peerUpdates).toHaveLength(1);
    const update = back.peerUpdates[0]!;
    expect(uuidFromBytes(update.id)).toBe(AGENT_ID);
    expect(update.kind).toBe(tailnetpb.CoordinateResponse_PeerUpdate_Kind.READY_FOR_HANDSHAKE);
    expect(update.node).toBeUndefined();
    expect(update.reason).toBe('');
    expect(back.error).toBe('');
  });

  it('BatchUpdateMetadataRequest{metadata[{key cpu, result{value 42%}}]} uses field 2', () => {
    const bytes = AGENT_RPC.BatchUpdateMetadata.encodeRequest({ metadata: [{ key: 'cpu', result: { value: '42%' } }] });
    expect(show(bytes)).toBe('12 0c 0a 03 63 70 75 12 05 1a 03 34 32 25');
    const back = AGENT_RPC.BatchUpdateMetadata.decodeRequest(bytes);
    expect(back.metadata).toHaveLength(1);
    expect(back.metadata[0]!.key).toBe('cpu');
    expect(back.metadata[0]!.result?.value).toBe('42%');
    expect(back.metadata[0]!.result?.collectedAt).toBeUndefined();
  });

  it('BatchCreateLogsRequest{External source, [{created_at, "hello", INFO}]}', () => {
    const bytes = AGENT_RPC.BatchCreateLogs.encodeRequest({
      logSourceId: uuidToBytes(EXTERNAL_LOG_SOURCE_ID),
      logs: [{ createdAt: msToTimestamp(T_1700000000), output: 'hello', level: agentpb.Log_Level.INFO }],
    });
    expect(show(bytes)).toBe('0a 10 3b 57 9b f4 1e d8 4b 99 87 a8 e9 a1 e3 41 04 10 12 11 0a 06 08 80 e2 cf aa 06 12 05 68 65 6c 6c 6f 18 03');
    const back = AGENT_RPC.BatchCreateLogs.decodeRequest(bytes);
    expect(uuidFromBytes(back.logSourceId)).toBe(EXTERNAL_LOG_SOURCE_ID);
    expect(back.logs).toHaveLength(1);
    expect(back.logs[0]!.output).toBe('hello');
    expect(back.logs[0]!.level).toBe(agentpb.Log_Level.INFO);
    expect(timestampToMs(back.logs[0]!.createdAt)).toBe(T_1700000000);
  });

  it('InvokeMetadata entry key="key" value="value" (drpcmetadata TestCompatibility_Append)', () => {
    const bytes = encodeInvokeMetadata([['key', 'value']]);
    expect(show(bytes)).toBe('0a 0c 0a 03 6b 65 79 12 05 76 61 6c 75 65');
    expect([...decodeInvokeMetadata(bytes)]).toEqual([['key', 'value']]);
  });

  it('InvokeMetadata five entries (drpcmetadata TestCompatibility_Parse)', () => {
    const entry = (n: number): string => `0a 0e 0a 04 6b 65 79 3${n} 12 06 76 61 6c 75 65 3${n}`;
    const wire = hex([5, 1, 2, 3, 4].map(entry).join(' '));
    const parsed = decodeInvokeMetadata(wire);
    expect(Object.fromEntries(parsed)).toEqual({ key1: 'value1', key2: 'value2', key3: 'value3', key4: 'value4', key5: 'value5' });
    expect(show(encodeInvokeMetadata(parsed))).toBe(show(wire));
  });

  it('InvokeMetadata: a repeated key keeps its last value; empty input is no entries', () => {
    const bytes = encodeInvokeMetadata([
      ['a', '1'],
      ['a', '2'],
    ]);
    expect(decodeInvokeMetadata(bytes).get('a')).toBe('2');
    expect(decodeInvokeMetadata(new Uint8Array(0)).size).toBe(0);
  });
});

describe('round trips', () => {
  it('Manifest with apps, scripts, metadata descriptions and a DERP map', () => {
    const manifest = create(agentpb.ManifestSchema, {
      agentId: uuidToBytes(AGENT_ID),
      agentName: 'main',
      ownerUsername: 'alice',
      workspaceId: uuidToBytes(CLIENT_ID),
      workspaceName: 'ws-1',
      gitAuthConfigs: 2,
      environmentVariables: { LANG: 'C.UTF-8', EMPTY: '' },
      directory: '~/project',
      vsCodePortProxyUri: 'https://{{port}}--main--ws-1--alice.apps.example.test',
      motdPath: '/etc/motd',
      disableDirectConnections: true,
      derpForceWebsockets: false,
      derpMap: {
        homeParams: { regionScore: { '999': 1.5 } },
        regions: {
          '999': {
            regionId: 999n,
            embeddedRelay: true,
            regionCode: 'coder',
            regionName: 'Coder Embedded Relay',
            nodes: [
              { name: '999b', regionId: 999n, hostName: '127.0.0.1', stunPort: -1, derpPort: 3000, forceHttp: true },
              { name: '999stun0', regionId: 999n, hostName: 'stun.example.test', stunPort: 19302, stunOnly: true },
            ],
          },
        },
      },
      scripts: [
        {
          logSourceId: uuidToBytes(EXTERNAL_LOG_SOURCE_ID),
          id: uuidToBytes(APP_ID),
          displayName: 'Startup',
          script: 'echo hi',
          runOnStart: true,
          startBlocksLogin: true,
          timeout: msToDuration(300_000),
        },
      ],
      apps: [
        {
          id: uuidToBytes(APP_ID),
          slug: 'code-server',
          displayName: 'code-server',
          url: 'http://localhost:13337',
          subdomain: true,
          sharingLevel: agentpb.WorkspaceApp_SharingLevel.OWNER,
          healthcheck: { url: 'http://localhost:13337/healthz', interval: msToDuration(5_000), threshold: 6 },
          health: agentpb.WorkspaceApp_Health.INITIALIZING,
        },
      ],
      metadata: [
        {
          key: 'cpu',
          displayName: 'CPU',
          script: 'top -bn1',
          interval: metadataSecondsToDuration(10),
          timeout: metadataSecondsToDuration(3),
        },
      ],
      parentId: uuidToBytes(AGENT_ID),
      devcontainers: [{ id: uuidToBytes(APP_ID), workspaceFolder: '/w', configPath: '/w/.devcontainer.json', name: 'dc' }],
      secrets: [{ envName: 'TOKEN', value: new TextEncoder().encode('s3cret') }],
    });
    const bytes = AGENT_RPC.GetManifest.encodeResponse(manifest);
    const back = AGENT_RPC.GetManifest.decodeResponse(bytes);
    expect(equals(agentpb.ManifestSchema, back, manifest)).toBe(true);
    expect(uuidFromBytes(back.agentId)).toBe(AGENT_ID);
    expect(back.derpMap?.regions['999']?.nodes[0]?.stunPort).toBe(-1);
    expect(back.apps[0]?.healthcheck?.threshold).toBe(6);
    expect(metadataDurationToSeconds(back.metadata[0]?.interval)).toBe(10);
    // Field order follows the field numbers, as Go writes it: agent_id (#1) comes first.
    expect(show(bytes.subarray(0, 2))).toBe('0a 10');
  });

  it('an unset proto3 optional stays absent, and unknown fields survive decode + encode', () => {
    const plain = AGENT_RPC.GetManifest.decodeResponse(AGENT_RPC.GetManifest.encodeResponse({ agentName: 'a' }));
    expect(plain.parentId).toBeUndefined();
    // agent_name "a" (#15) followed by a field #40 varint 7 that this schema does not know.
    const withUnknown = hex('7a 01 61 c0 02 07');
    const decoded = AGENT_RPC.GetManifest.decodeResponse(withUnknown);
    expect(decoded.agentName).toBe('a');
    expect(show(AGENT_RPC.GetManifest.encodeResponse(decoded))).toBe(show(withUnknown));
  });

  it('tailnet Node with a 64-bit id, key, latencies and addresses', () => {
    const key = new Uint8Array(34);
    key.set([0x6e, 0x70]); // "np" + 32 key bytes, as Go's key.NodePublic.MarshalBinary writes it
    for (let i = 2; i < 34; i++) key[i] = i;
    const node = create(tailnetpb.NodeSchema, {
      id: 0x7fff_ffff_ffff_fff1n,
      asOf: msToTimestamp(T_1700000000 + 123),
      key,
      disco: `discokey:${'ab'.repeat(32)}`,
      preferredDerp: 999,
      derpLatency: { '999-v4': 0.012 },
      derpForcedWebsocket: { 999: 'test' },
      addresses: ['fd7a:115c:a1e0:4aaa:bbbb:cccc:dddd:eeee/128'],
      allowedIps: ['fd7a:115c:a1e0:4aaa:bbbb:cccc:dddd:eeee/128'],
      endpoints: ['127.0.0.1:41641', '[::1]:41641'],
    });
    const bytes = toBinary(tailnetpb.NodeSchema, node);
    const update = TAILNET_RPC.Coordinate.decodeRequest(TAILNET_RPC.Coordinate.encodeRequest({ updateSelf: { node } }));
    expect(equals(tailnetpb.NodeSchema, update.updateSelf!.node!, node)).toBe(true);
    expect(update.updateSelf!.node!.id).toBe(0x7fff_ffff_ffff_fff1n);
    expect(timestampToMs(update.updateSelf!.node!.asOf)).toBe(T_1700000000 + 123);
    // A negative int64 id is ten varint bytes on the wire and still comes back exactly.
    const negative = TAILNET_RPC.Coordinate.decodeResponse(
      TAILNET_RPC.Coordinate.encodeResponse({ peerUpdates: [{ id: uuidToBytes(AGENT_ID), node: { ...node, id: -5n }, kind: 1 }] }),
    );
    expect(negative.peerUpdates[0]?.node?.id).toBe(-5n);
    expect(bytes.length).toBeGreaterThan(34);
  });

  it('Stats with session_counts and the deprecated per-client counters', () => {
    const request = create(agentpb.UpdateStatsRequestSchema, {
      stats: {
        connectionsByProto: { ssh: 2n, tcp: 1n },
        connectionCount: 3n,
        connectionMedianLatencyMs: 12.5,
        rxPackets: 10n,
        rxBytes: 9_007_199_254_740_993n, // past 2^53: must not lose precision
        txPackets: 11n,
        txBytes: 4096n,
        sessionCountSsh: 1n,
        sessionCounts: { vscode: 1n, ssh: 2n, jetbrains: 0n },
        metrics: [{ name: 'agent_up', type: agentpb.Stats_Metric_Type.GAUGE, value: 1, labels: [{ name: 'a', value: 'b' }] }],
      },
    });
    const back = AGENT_RPC.UpdateStats.decodeRequest(AGENT_RPC.UpdateStats.encodeRequest(request));
    expect(equals(agentpb.UpdateStatsRequestSchema, back, request)).toBe(true);
    expect(back.stats?.sessionCounts).toEqual({ vscode: 1n, ssh: 2n, jetbrains: 0n });
    expect(back.stats?.rxBytes).toBe(9_007_199_254_740_993n);
  });
});

describe('method paths and codecs', () => {
  it('every codec path equals the constant and the generated service', () => {
    for (const [name, path] of Object.entries(AGENT_METHODS)) {
      expect(AGENT_RPC[name as keyof typeof AGENT_RPC].path).toBe(path);
    }
    for (const [name, path] of Object.entries(TAILNET_METHODS)) {
      expect(TAILNET_RPC[name as keyof typeof TAILNET_RPC].path).toBe(path);
    }
    expect(Object.keys(AGENT_RPC).sort()).toEqual(Object.keys(AGENT_METHODS).sort());
    expect(Object.keys(TAILNET_RPC).sort()).toEqual(Object.keys(TAILNET_METHODS).sort());
    expect(AGENT_METHODS.UpdateStats).toBe('/coder.agent.v2.Agent/UpdateStats');
    expect(TAILNET_METHODS.Coordinate).toBe('/coder.tailnet.v2.Tailnet/Coordinate');
  });

  it('call shapes: Agent is all unary; DERP maps stream from the server; Coordinate is bidi', () => {
    for (const c of Object.values(AGENT_RPC)) expect(c.kind).toBe('unary');
    expect(TAILNET_RPC.StreamDERPMaps.kind).toBe('server_streaming');
    expect(TAILNET_RPC.WorkspaceUpdates.kind).toBe('server_streaming');
    expect(TAILNET_RPC.Coordinate.kind).toBe('bidi_streaming');
    expect(TAILNET_RPC.PostTelemetry.kind).toBe('unary');
  });

  it('rpcByPath finds a codec by Invoke text and nothing for other text', () => {
    expect(rpcByPath('/coder.agent.v2.Agent/BatchCreateLogs')).toBe(AGENT_RPC.BatchCreateLogs);
    expect(rpcByPath('/coder.tailnet.v2.Tailnet/StreamDERPMaps')).toBe(TAILNET_RPC.StreamDERPMaps);
    expect(rpcByPath('/coder.agent.v2.Agent/CreateSubAgent')).toBeUndefined();
    expect(rpcByPath('coder.agent.v2.Agent/UpdateStats')).toBeUndefined();
  });

  it('ReportConnection answers google.protobuf.Empty (zero bytes)', () => {
    expect(AGENT_RPC.ReportConnection.encodeResponse({}).length).toBe(0);
    expect(AGENT_RPC.ReportConnection.responseSchema.typeName).toBe('google.protobuf.Empty');
  });

  it('decode throws on truncated protobuf', () => {
    expect(() => AGENT_RPC.UpdateLifecycle.decodeRequest(hex('0a 0a 08 05'))).toThrow();
  });
});

describe('uuid ↔ bytes', () => {
  it('converts both ways, lower-cases, and rejects wrong shapes', () => {
    const bytes = uuidToBytes('3B579BF4-1ED8-4B99-87A8-E9A1E3410410');
    expect(show(bytes)).toBe('3b 57 9b f4 1e d8 4b 99 87 a8 e9 a1 e3 41 04 10');
    expect(uuidFromBytes(bytes)).toBe(EXTERNAL_LOG_SOURCE_ID);
    expect(() => uuidToBytes('3b579bf41ed84b9987a8e9a1e3410410')).toThrow(RangeError);
    expect(() => uuidToBytes('3b579bf4-1ed8-4b99-87a8-e9a1e341041g')).toThrow(RangeError);
    expect(() => uuidToBytes('3b579bf4-1ed8-4b99-87a8+e9a1e3410410')).toThrow(RangeError);
    expect(() => uuidFromBytes(new Uint8Array(15))).toThrow('invalid UUID (len 15)');
    expect(isNilUuid(new Uint8Array(16))).toBe(true);
    expect(isNilUuid(bytes)).toBe(false);
    expect(isNilUuid(new Uint8Array(0))).toBe(false);
  });
});

describe('time helpers', () => {
  it('Duration from/to ms keeps sign and sub-ms parts', () => {
    expect(msToDuration(1_500)).toMatchObject({ seconds: 1n, nanos: 500_000_000 });
    expect(msToDuration(-1_500)).toMatchObject({ seconds: -1n, nanos: -500_000_000 });
    expect(msToDuration(0.001)).toMatchObject({ seconds: 0n, nanos: 1_000 });
    expect(durationToMs(msToDuration(-1_500))).toBe(-1_500);
    expect(durationToMs(undefined)).toBe(0);
    expect(() => msToDuration(Number.NaN)).toThrow(RangeError);
  });

  it('Timestamp from/to ms, including before 1970', () => {
    expect(msToTimestamp(T_1700000000 + 1)).toMatchObject({ seconds: 1_700_000_000n, nanos: 1_000_000 });
    expect(msToTimestamp(-1)).toMatchObject({ seconds: -1n, nanos: 999_000_000 });
    expect(timestampToMs(msToTimestamp(-1))).toBe(-1);
    expect(timestampToMs(undefined)).toBeUndefined();
    expect(isZeroTimestamp(undefined)).toBe(true);
    expect(isZeroTimestamp(msToTimestamp(0))).toBe(true);
    expect(isZeroTimestamp(msToTimestamp(1))).toBe(false);
  });

  it('metadata description quirk: seconds travel in the nanos field', () => {
    const d = metadataSecondsToDuration(10);
    expect(d).toMatchObject({ seconds: 0n, nanos: 10 });
    // Description.interval (#4) as coderd writes it for a 10 s interval.
    const description = create(agentpb.WorkspaceAgentMetadata_DescriptionSchema, { interval: d });
    expect(show(toBinary(agentpb.WorkspaceAgentMetadata_DescriptionSchema, description))).toBe('22 02 10 0a');
    expect(metadataDurationToSeconds(d)).toBe(10);
    expect(metadataDurationToSeconds(metadataSecondsToDuration(3_000_000_001))).toBe(3_000_000_001);
    expect(metadataDurationToSeconds(undefined)).toBe(0);
  });
});
