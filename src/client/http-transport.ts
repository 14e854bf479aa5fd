import { Pool, type Dispatcher } from 'undici';

/**
 * Where the fake agents' and user clients' requests go (src/client/http.ts sends them). Two
 * connection models
 * (`agents.http`, see src/workloads/agents/http-model.ts):
 * - {@link createHttpTransport}: ONE keep-alive undici Pool per target with a bounded number of
 *   connections shared by every agent (a harness that opened 20,000 REST connections would
 *   spend its open-files limit on them; docs/benchmarks.md#open-files-per-process);
 * - {@link createSingleConnectionTransport}: one agent's own keep-alive connections (at most
 *   {@link AGENT_CONNECTIONS}), opened on its first request, like a real agent's HTTP client.
 */
export interface HttpTransportOptions {
  /** Target base URL, e.g. `http://127.0.0.1:7080` (no /api/v2). */
  baseUrl: string;
  /** Upper bound on open connections to the target (default 256; pools only). */
  connections?: number;
  /** Source address for the sockets (e.g. `127.0.0.2`). */
  localAddress?: string;
  /** Idle keep-alive time of a connection (default 30 s). */
  keepAliveTimeoutMs?: number;
  /** TCP connect limit (default 10 s). */
  connectTimeoutMs?: number;
  /** Called once per connection opened to the target (undici's `connect` event). */
  onConnect?: () => void;
}

export interface HttpTransport {
  readonly baseUrl: string;
  /** Where requests go (a Pool, or one agent's Client). */
  readonly dispatcher: Dispatcher;
  close(): Promise<void>;
}

function dispatcherOptions(options: HttpTransportOptions) {
  return {
    pipelining: 1,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: 600_000,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  };
}

const trimBase = (url: string): string => url.replace(/\/+$/, '');

async function closeDispatcher(dispatcher: Dispatcher): Promise<void> {
  await dispatcher.close().catch(() => dispatcher.destroy());
}

/** The shared pool: at most `connections` keep-alive connections for every caller. */
export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const base = new URL(options.baseUrl);
  const pool = new Pool(base.origin, { connections: options.connections ?? 256, ...dispatcherOptions(options) });
  if (options.onConnect) pool.on('connect', options.onConnect);
  return {
    baseUrl: trimBase(options.baseUrl),
    dispatcher: pool,
    close: () => closeDispatcher(pool),
  };
}

/**
 * How many keep-alive connections one agent's own transport may hold. Go's http.Transport (the
 * agent's client) opens another connection when a request finds none idle and keeps two idle
 * per host; an agent has at most two requests in flight in practice (its first lifecycle POST
 * and first stats POST go out together). With one connection the second would wait for the
 * first's answer: time queued inside fleetsim that a real agent does not spend.
 */
export const AGENT_CONNECTIONS = 2;

/**
 * One agent's keep-alive connections (an undici Pool of {@link AGENT_CONNECTIONS}), created on
 * the first request so an agent that never gets that far holds no descriptor; the second
 * connection opens only when a request finds the first busy. `close()` ends them.
 */
export function createSingleConnectionTransport(options: HttpTransportOptions): HttpTransport {
  return new SingleConnectionTransport(options);
}

class SingleConnectionTransport implements HttpTransport {
  readonly baseUrl: string;
  private client: Pool | undefined;
  private closed = false;

  constructor(private readonly options: HttpTransportOptions) {
    this.baseUrl = trimBase(options.baseUrl);
  }

  get dispatcher(): Dispatcher {
    if (!this.client) {
      const client = new Pool(new URL(this.options.baseUrl).origin, { connections: AGENT_CONNECTIONS, ...dispatcherOptions(this.options) });
      if (this.options.onConnect) client.on('connect', this.options.onConnect);
      // Closed already (a request raced the agent's stop): the request fails as closed, and
      // no connection is left behind.
      if (this.closed) void closeDispatcher(client);
      this.client = client;
    }
    return this.client;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.client) await closeDispatcher(this.client);
  }
}
