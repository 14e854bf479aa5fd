import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { systemClock } from '../core/clock.js';
import { createRng } from '../core/rng.js';
import type { CredentialAgent, Credentials } from '../protocol/credentials.js';
import { defaultDerpMap, derpRegionName } from '../protocol/derp-map.js';
import { msToNs } from '../protocol/go-duration.js';
import { Coordinator } from './coordinator/coordinator.js';
import { emptyTotals, snapshotAgentCounters, snapshotTotals, type AgentCounters, type ServerCounters } from './counters.js';
import { Faults, type FaultInjector } from './faults.js';
import { Outage } from './outage.js';
import { dropSockets, seededPick, TokenRevocations } from './revocations.js';
import { fixtureAgents, fixtureUser, GIT_AUTH_PROVIDERS } from './fixtures.js';
import { GitAuthLinks } from './git-auth-links.js';
import { Heartbeats } from './heartbeats.js';
import { sha256, UserAuth } from './http/auth.js';
import { createCostQueue } from './http/cost-model.js';
import { createDispatcher } from './http/dispatch.js';
import { createRateLimiter } from './http/rate-limit.js';
import { Responder, type Exchange } from './http/reply.js';
import { generateTrustMaterial, identityForCredentials } from './identity/trust-material.js';
import { resolveOptions, type ReferenceServerOptions } from './options.js';
import { PtySessions } from './pty/pty-sessions.js';
import { upgradeHeaders } from './routes/sockets.js';
import { ed25519GitSshKey } from './ssh-key.js';
import type { ServerState } from './state.js';
import { AgentStore, type AgentRecord } from './store.js';
import { V2Server } from './v2/v2-server.js';
import { V2_WS_SERVER_OPTIONS } from '../protocol/v2/ws-byte-stream.js';

export type { ReferenceServerOptions } from './options.js';
export type { ServerCounters, AgentCounters, AgentV2Counters, V2Totals } from './counters.js';
export type { FaultInjector, Fault } from './faults.js';

/** The embedded reference server: coderd's agent API on the wire, over seeded fixtures. */
export interface ReferenceServer {
  /** `http://HOST:PORT` (no trailing slash). */
  url: string;
  /** Live credentials (provision() appends to `agents`). Secrets. */
  credentials: Credentials;
  /** Adds n more workspaces/agents (deterministic for the seed) and returns them. */
  provision(n: number): Promise<CredentialAgent[]>;
  counters(): ServerCounters;
  /** Closes the coordinate sockets of a seeded-random `fraction` (default 1) of connected agents; returns how many. */
  dropAgentSockets(fraction?: number): number;
  /**
   * A coderd restart in two steps: `down()` closes the port and cuts every connection (resolves
   * with how many), `up()` listens again on the same port. State (agents, tokens, counters)
   * survives, as coderd's does in its database.
   */
  restart: { down(): Promise<number>; up(): Promise<void>; readonly isDown: boolean };
  /**
   * Stops accepting a seeded `fraction` (default 1) of the agent tokens (the 401 of protocol
   * §2.2 for an unknown token) and closes those agents' sockets, until {@link restoreTokens}.
   * Tokens already revoked stay revoked and count toward the fraction.
   */
  revokeTokens(fraction?: number): { revoked: number; dropped: number };
  /** Accepts every token again; returns how many were restored. */
  restoreTokens(): number;
  faults: FaultInjector;
  /** Stores a git-auth link for the owner (releases `listen` polls). */
  gitAuth: {
    link(opts?: { providerId?: string; token?: string; expiresAtMs?: number }): void;
    unlink(providerId?: string): void;
    /** `listen` polls currently waiting. */
    listening(): number;
  };
  close(): Promise<void>;
}

function credentialAgent(a: AgentRecord): CredentialAgent {
  return {
    id: a.id,
    name: a.name,
    workspaceName: a.workspaceName,
    token: a.token,
    instanceId: a.instanceId,
    apps: a.apps.map((app) => ({ id: app.id, slug: app.slug, healthcheck: app.healthcheck !== undefined })),
  };
}

export async function createReferenceServer(options: ReferenceServerOptions = {}): Promise<ReferenceServer> {
  const opts = resolveOptions(options);
  const clock = options.clock ?? systemClock();
  const wallNow = (): number => clock.wallNow();
  const user = fixtureUser(opts.seed);
  const responder = new Responder(opts.buildVersion);
  const store = new AgentStore();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 32768 });
  // coderd's middleware headers are on the 101 answer too.
  // The v2 routes' sockets carry a byte stream with messages up to 256 KiB + 12 (no 32 KiB cap).
  const wssV2 = new WebSocketServer({ noServer: true, ...V2_WS_SERVER_OPTIONS });
  const buildHeader = `X-Coder-Build-Version: ${opts.buildVersion}`;
  const onHeaders = (headers: string[], req: IncomingMessage): void => {
    headers.push(buildHeader);
    const extra = upgradeHeaders.get(req);
    if (extra) for (let i = 0; i < extra.length; i += 2) headers.push(`${extra[i]}: ${extra[i + 1]}`);
  };
  wss.on('headers', onHeaders);
  wssV2.on('headers', onHeaders);
  const coordinator = new Coordinator({ pingIntervalMs: opts.pingIntervalMs, log: options.log, clock });
  const ptys = new PtySessions({ heartbeatMs: opts.pingIntervalMs });
  const httpServer = createServer();

  const totals = emptyTotals();
  const v2 = new V2Server(totals.v2, options.log);
  const state: ServerState = {
    opts,
    clock,
    wallNow,
    store,
    responder,
    totals,
    faults: new Faults(),
    user,
    userAuth: new UserAuth(user.apiKeyId, sha256(user.apiKeySecret)),
    accessUrl: new URL('http://127.0.0.1'), // replaced once listening
    derpMap: undefined,
    regionName: () => '',
    coordinator,
    ptys,
    gitAuth: new GitAuthLinks(GIT_AUTH_PROVIDERS, clock, opts.gitAuth),
    gitSshKeyBody: Buffer.alloc(0),
    connectionBody: Buffer.alloc(0),
    statsBody: responder.encode({ report_interval: msToNs(opts.reportIntervalMs) }),
    wss,
    wssV2,
    v2,
    trust: undefined,
    heartbeats: new Heartbeats(opts.heartbeatMs),
    closing: false,
  };
  const sshKey = ed25519GitSshKey(user.sshSeed);
  state.gitSshKeyBody = responder.encode({ public_key: sshKey.publicKey, private_key: sshKey.privateKey });

  const limiter = opts.rateLimit > 0 ? createRateLimiter(opts.rateLimit, wallNow) : undefined;
  const costQueue = opts.capacity ? createCostQueue(opts.capacity, clock) : undefined;
  const dispatch = createDispatcher(state, limiter, costQueue);
  const split = (req: IncomingMessage): { path: string; query: string } => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    return q === -1 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
  };
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const { path, query } = split(req);
    dispatch({ req, res, path, query });
  });
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const { path, query } = split(req);
    const ex: Exchange = { req, socket, head, path, query };
    dispatch(ex);
  });
  httpServer.on('connection', (socket: Socket) => {
    const from = socket.remoteAddress ?? 'unknown';
    state.totals.connectionsByRemoteAddress[from] = (state.totals.connectionsByRemoteAddress[from] ?? 0) + 1;
  });
  httpServer.on('clientError', (_error, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const listenOn = (port: number) => (server: typeof httpServer) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: opts.host, port, backlog: opts.backlog }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listenOn(opts.port)(httpServer);
  const address = httpServer.address() as AddressInfo;
  // A restart keeps the port the fleet (and the credentials) point at.
  const outage = new Outage(httpServer, listenOn(address.port));
  const tokens = new TokenRevocations(store, opts.seed);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  state.accessUrl = new URL(url);
  const derpMap = defaultDerpMap(url);
  state.derpMap = derpMap;
  state.regionName = (id: number) => derpRegionName(derpMap, id);
  state.connectionBody = responder.encode({ derp_map: derpMap });

  const credentials: Credentials = {
    url,
    userToken: `${user.apiKeyId}-${user.apiKeySecret}`,
    agents: [],
  };
  const provision = async (n: number): Promise<CredentialAgent[]> => {
    const { index, count } = opts.agentSlice;
    const from = store.list.length;
    const fixtures = Array.from({ length: Math.max(0, Math.floor(n)) }, (_, j) => fixtureAgents(opts.seed, index + (from + j) * count, 1)[0]!);
    const added = fixtures.map((f) => credentialAgent(store.add(f, wallNow())));
    credentials.agents.push(...added);
    return added;
  };
  try {
    if (opts.identity) {
      state.trust = generateTrustMaterial(opts.seed);
      credentials.identity = identityForCredentials(await state.trust);
    }
    await provision(opts.agents);
  } catch (error) {
    httpServer.close();
    throw error;
  }

  let drops = 0;
  let closed: Promise<void> | undefined;
  return {
    url,
    credentials,
    provision,
    faults: state.faults,
    gitAuth: { link: (o) => state.gitAuth.link(o), unlink: (id) => state.gitAuth.unlink(id), listening: () => state.gitAuth.waiting },
    counters() {
      const agents: Record<string, AgentCounters> = {};
      let connected = 0;
      let connectedV2 = 0;
      for (const a of store.list) {
        if (a.socket) connected++;
        if (a.v2?.session) connectedV2++;
        if (a.touched) agents[a.id] = snapshotAgentCounters(a.counters);
      }
      const totals = snapshotTotals(state.totals);
      totals.agentsConnected = connected;
      totals.v2.agentsConnected = connectedV2;
      return { totals, agents };
    },
    dropAgentSockets(fraction = 1) {
      const connected = store.list.filter((a) => a.socket || a.v2?.session);
      const picked = seededPick(connected, fraction, createRng(`${opts.seed}/drop/${drops++}`));
      return dropSockets(coordinator, picked);
    },
    restart: {
      down: () => outage.takeDown(),
      up: () => outage.bringUp(),
      get isDown() {
        return outage.down;
      },
    },
    revokeTokens(fraction = 1) {
      const revoked = tokens.revoke(fraction);
      // coderd ends a replaced agent's connections; the reconnects then meet the 401.
      return { revoked: revoked.length, dropped: dropSockets(coordinator, revoked) };
    },
    restoreTokens: () => tokens.restore(),
    close() {
      closed ??= (async () => {
        state.closing = true;
        state.gitAuth.close();
        ptys.close();
        await coordinator.close();
        v2.close();
        state.heartbeats.close();
        costQueue?.close();
        for (const ws of wss.clients) ws.terminate();
        for (const ws of wssV2.clients) ws.terminate();
        wss.close();
        wssV2.close();
        await new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          httpServer.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}
