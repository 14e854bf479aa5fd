/**
 * bench:fleet's bare start-up client: undici + ws and nothing else (no fleetsim client, recorder,
 * scheduler or agent model). Each bare agent makes exactly the requests a v1 fake agent makes on
 * its way up, in the same order and with the same bodies (docs/protocol.md §9.2):
 *
 *   POST /me/version {"version":"v0.15.3"} → GET /me/metadata → at once, together:
 *   POST /me/report-lifecycle {"state":"starting"}, POST /me/report-stats (non-zero counters) and
 *   the coordinate socket (token in the `coder_session_token` cookie, its Node sent on open);
 *   1 s after the metadata POST /me/report-lifecycle {"state":"ready"} (the fleet's default
 *   `agents.lifecycle.startupDuration`); app health as the fake agent's reporter does it with the
 *   bench's settings (checks each second, `healthy` after 2 s, a POST of every health-checked
 *   app on each change against what the metadata said): 1 s after the metadata every app
 *   `initializing` when the server held another state for any of them, and 2 s after it every
 *   app `healthy`.
 *
 * Admission is the fleet's gate: at most `dials` agents are on their way up at once, and an
 * agent leaves it once its socket is open and its lifecycle and stats POSTs are answered. Each
 * request is timed to the end of its body by fleetsim's rule (src/client/http.ts): from the
 * moment it is due, so time queued for a pooled connection counts; an agent's first request
 * (the version POST) is due when the agent was meant to start, which in a burst is the start
 * of the phase, so the wait for an admission slot counts too, as in fleetsim's fleet. The
 * `fromCall` histograms time every request from its call instead (the first request then
 * leaves out the admission wait): the figure earlier versions of the bench compared against.
 */
import { Client, Pool, type Dispatcher } from 'undici';
import WebSocket from 'ws';
import { encodeHistogram, msToUs, newHistogram, type Histogram } from '../src/metrics/hdr.js';
import { ENDPOINT } from '../src/metrics/names.js';

export interface BareAgent {
  token: string;
  /** The agent's Node as JSON text (built before the phase starts). */
  node: string;
}

export interface BareStartupOptions {
  /** The target's base URL (http://127.0.0.1:PORT). */
  url: string;
  agents: readonly BareAgent[];
  dials: number;
  /** Source addresses for sockets and per-agent connections (agent i uses entry i mod n). */
  addresses: readonly string[];
  /** One keep-alive connection per agent (true) or one shared pool of `poolSize`. */
  perAgentHttp: boolean;
  poolSize: number;
  /** performance.now() after which no further agent starts. */
  deadline: number;
  /**
   * After its way up, each agent POSTs report-stats every this many ms, each timed from its
   * planned tick (a late timer counts, as in fleetsim's stats loop). Unset: no periodic reports.
   */
  statsEveryMs?: number;
  /** Every timed request as it ends: endpoint, ms by the rule above, performance.now() at its end. */
  onSample?(endpoint: string, ms: number, endedAt: number): void;
}

export interface BareStartupRun {
  connected(): number;
  /** ms from the start until the last socket opened. */
  rampMs(): number;
  errors(): number;
  errorClasses(): Record<string, number>;
  /** Encoded HDR histograms (µs) by endpoint, like the recorder's `request` series. */
  latency(): Record<string, string>;
  /** The same, every request timed from its call (the admission wait left out). */
  latencyFromCall(): Record<string, string>;
  close(): Promise<void>;
}

const VERSION_BODY = JSON.stringify({ version: 'v0.15.3' });
const STARTING_BODY = JSON.stringify({ state: 'starting' });
const READY_BODY = JSON.stringify({ state: 'ready' });
const STATS_BODY = JSON.stringify({ conns_by_proto: { tcp: 1 }, num_comms: 1, rx_packets: 1, rx_bytes: 1000, tx_packets: 1, tx_bytes: 500 });
const LIFECYCLE_READY_AFTER_MS = 1000;
const APP_HEALTH_AFTER_MS = 2000;
const TIMEOUT_MS = 10_000;

interface MetadataApp {
  id?: string;
  health?: string;
  healthcheck?: { url?: string };
}

function healthsBody(apps: readonly MetadataApp[], state: string): string {
  const healths: Record<string, string> = {};
  for (const app of apps) healths[app.id!] = state;
  return JSON.stringify({ Healths: healths });
}

export function startBareStartup(o: BareStartupOptions): BareStartupRun {
  const started = performance.now();
  const histograms = new Map<string, Histogram>();
  const fromCall = new Map<string, Histogram>();
  const errorClasses: Record<string, number> = {};
  const sockets: WebSocket[] = [];
  const clients: Client[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const pool = o.perAgentHttp ? undefined : new Pool(o.url, { connections: o.poolSize, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  const wsUrl = o.url.replace(/^http/, 'ws') + '/api/v2/workspaceagents/me/coordinate';
  let connected = 0;
  let lastOpenAt = 0;
  let errors = 0;
  let closing = false;

  const into = (map: Map<string, Histogram>, endpoint: string, ms: number): void => {
    let h = map.get(endpoint);
    if (!h) map.set(endpoint, (h = newHistogram()));
    h.recordValue(msToUs(ms));
  };
  const record = (endpoint: string, ms: number, sinceDueMs = ms): void => {
    into(histograms, endpoint, sinceDueMs);
    into(fromCall, endpoint, ms);
    o.onSample?.(endpoint, sinceDueMs, performance.now());
  };
  const fail = (endpoint: string, cls: string): void => {
    errors++;
    const key = `${endpoint} ${cls}`;
    errorClasses[key] = (errorClasses[key] ?? 0) + 1;
  };

  /**
   * One request; resolves the parsed body (null for an empty one) or undefined on failure.
   * `dueAt`: when it was meant to go (performance.now() scale), when earlier than the call.
   */
  const call = async (http: Dispatcher, endpoint: string, token: string, body: string | undefined, expect = 200, dueAt?: number): Promise<unknown> => {
    const at = performance.now();
    const due = dueAt ?? at;
    const [method, route] = endpoint.split(' ') as ['GET' | 'POST', string];
    const headers: Record<string, string> = { accept: 'application/json', 'coder-session-token': token };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await http.request({ method, path: '/api/v2/workspaceagents' + route, headers, body });
      const text = await res.body.text();
      const end = performance.now();
      record(endpoint, end - at, end - due);
      if (res.statusCode !== expect) {
        fail(endpoint, String(res.statusCode));
        return undefined;
      }
      return text === '' ? null : JSON.parse(text);
    } catch (error) {
      const end = performance.now();
      record(endpoint, end - at, end - due);
      if (!closing) fail(endpoint, (error as { code?: string }).code ?? 'network');
      return undefined;
    }
  };

  const later = (ms: number, work: () => Promise<unknown>): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void work();
    }, ms);
    timers.add(timer);
  };

  const dial = (agent: BareAgent, localAddress: string | undefined): Promise<void> =>
    new Promise((resolve) => {
      const at = performance.now();
      const ws = new WebSocket(wsUrl, {
        headers: { cookie: `coder_session_token=${agent.token}` },
        perMessageDeflate: false,
        handshakeTimeout: TIMEOUT_MS,
        ...(localAddress ? { localAddress } : {}),
      });
      ws.on('open', () => {
        record(ENDPOINT.agentCoordinate, performance.now() - at);
        connected++;
        lastOpenAt = performance.now();
        sockets.push(ws);
        ws.send(agent.node);
        resolve();
      });
      ws.on('error', (error) => {
        if (ws.readyState !== WebSocket.OPEN) record(ENDPOINT.agentCoordinate, performance.now() - at);
        if (!closing) fail(ENDPOINT.agentCoordinate, (error as { code?: string }).code ?? 'ws');
        resolve();
      });
    });

  const startOne = async (index: number): Promise<void> => {
    const agent = o.agents[index]!;
    const localAddress = o.addresses.length > 0 ? o.addresses[index % o.addresses.length] : undefined;
    let http: Dispatcher;
    if (pool) http = pool;
    else {
      const client = new Client(o.url, {
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
        ...(localAddress ? { connect: { localAddress } } : {}),
      });
      clients.push(client);
      http = client;
    }
    // Every agent of the burst was meant to start when the phase did.
    if ((await call(http, ENDPOINT.version, agent.token, VERSION_BODY, 200, started)) === undefined) return;
    const metadata = (await call(http, ENDPOINT.metadata, agent.token, undefined)) as { apps?: MetadataApp[] } | undefined;
    if (!metadata) return;
    const tracked = (metadata.apps ?? []).filter((app) => typeof app.healthcheck?.url === 'string' && app.healthcheck.url !== '' && app.id);
    later(LIFECYCLE_READY_AFTER_MS, () => call(http, ENDPOINT.reportLifecycle, agent.token, READY_BODY, 204));
    if (tracked.length > 0) {
      if (tracked.some((app) => (app.health ?? 'initializing') !== 'initializing')) {
        later(APP_HEALTH_AFTER_MS / 2, () => call(http, ENDPOINT.appHealth, agent.token, healthsBody(tracked, 'initializing')));
      }
      later(APP_HEALTH_AFTER_MS, () => call(http, ENDPOINT.appHealth, agent.token, healthsBody(tracked, 'healthy')));
    }
    const statsFrom = performance.now();
    await Promise.all([
      call(http, ENDPOINT.reportLifecycle, agent.token, STARTING_BODY, 204),
      call(http, ENDPOINT.reportStats, agent.token, STATS_BODY),
      dial(agent, localAddress),
    ]);
    if (o.statsEveryMs) reportStatsEvery(http, agent.token, statsFrom, o.statsEveryMs);
  };

  /** report-stats on planned ticks `from + k × every`, each timed from its tick. */
  const reportStatsEvery = (http: Dispatcher, token: string, from: number, every: number): void => {
    let due = from + every;
    const next = (): void => {
      if (closing) return;
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          if (closing) return;
          const tick = due;
          due += every;
          void call(http, ENDPOINT.reportStats, token, STATS_BODY, 200, tick).then(next);
        },
        Math.max(0, due - performance.now()),
      );
      timers.add(timer);
    };
    next();
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < o.agents.length && performance.now() < o.deadline && !closing) await startOne(next++);
  };
  const up = Promise.all(Array.from({ length: Math.min(o.dials, o.agents.length) }, worker));

  return {
    connected: () => connected,
    rampMs: () => (lastOpenAt > 0 ? lastOpenAt - started : performance.now() - started),
    errors: () => errors,
    errorClasses: () => errorClasses,
    latency: () => Object.fromEntries([...histograms].map(([endpoint, h]) => [endpoint, encodeHistogram(h)])),
    latencyFromCall: () => Object.fromEntries([...fromCall].map(([endpoint, h]) => [endpoint, encodeHistogram(h)])),
    async close() {
      closing = true;
      await up;
      for (const timer of timers) clearTimeout(timer);
      for (const ws of sockets) ws.close(1000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const ws of sockets) ws.terminate();
      await Promise.allSettled([pool?.close(), ...clients.map((c) => c.close())]);
      for (const h of [...histograms.values(), ...fromCall.values()]) h.destroy();
    },
  };
}
