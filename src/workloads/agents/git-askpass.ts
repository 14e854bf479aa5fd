import { AgentApiClient, type GitAuthResponse } from '../../client/agent-client.js';
import { createSingleConnectionTransport, type ApiResult } from '../../client/http.js';
import type { StopSignal } from '../../client/stop-signal.js';
import { Backoff } from '../../core/backoff.js';
import type { Clock } from '../../core/clock.js';
import { METRIC, POLL_ENDPOINT } from '../../metrics/names.js';
import type { MetricSink } from '../../metrics/sink.js';
import type { AgentsConfig } from './section.js';
import type { ScheduledTask, Scheduler } from './timer-heap.js';
import { SeededStream } from './timing.js';

/** The helper retries a failed `listen` poll after 250 ms, doubling to 10 s (coder/retry). */
const POLL_RETRY_MS = { initial: 250, max: 10_000 } as const;

export interface GitAskpassEnv {
  scheduler: Scheduler;
  clock: Clock;
  metrics: MetricSink;
  /** Target base URL (no /api/v2). */
  baseUrl: string;
  options: Pick<AgentsConfig, 'gitAskpass' | 'requestTimeout'>;
}

/** Where the helper reads the agent's current session token (identity modes renew it). */
export interface TokenSource {
  readonly token: string | undefined;
}

/** How a poll ended (the `outcome` tag of METRIC.gitAuthPolls). */
export type PollOutcome = 'answered' | 'cancelled' | 'error';

/**
 * One agent's git credential helper (`agents.gitAskpass`, docs/protocol.md §5.5 and §5.5a):
 * every `every` a git operation asks for credentials for one of the URLs, the way `coder
 * gitaskpass` does: a plain lookup first; when the answer is URL-only (the owner must sign in),
 * `listen` long polls until one is answered, retrying failed polls with backoff. v1 agents
 * call `/me/gitauth?url=`, v2 agents `/me/external-auth?match=` (both REST). Each operation
 * uses a connection of its own (the helper is a separate process), so a poll that waits never
 * holds the agent's or the fleet's pooled connections. A new operation that comes due while one
 * still waits is skipped: that git command is still blocked on its prompt.
 *
 * Poll outcomes: `answered`, `error` (the class is in METRIC.error under the poll endpoint) and
 * `cancelled`, a poll the agent's stop signal ended, which is not an error.
 */
export class GitAskpass implements ScheduledTask {
  dueAt = 0;
  slot = -1;
  /** The operation in flight, if any. */
  private running: Promise<void> | undefined;
  private readonly outcomes: Record<PollOutcome, number> = { answered: 0, cancelled: 0, error: 0 };
  /** Operations started (skipped ones not counted). */
  operations = 0;

  /**
   * The helper of an agent that `agents.gitAskpass.share` picks, else undefined. Drawn from the
   * agent's jitter stream, and only when the feature is on, so runs without it replay as before.
   */
  static pick(
    env: GitAskpassEnv,
    protocol: 'v1' | 'v2',
    agent: TokenSource,
    jitter: SeededStream,
    signal: StopSignal,
    localAddress?: string,
  ): GitAskpass | undefined {
    const share = env.options.gitAskpass.share;
    if (share <= 0 || !jitter.chance(share)) return undefined;
    return new GitAskpass(env, protocol, agent, new SeededStream(jitter), signal, localAddress);
  }

  constructor(
    private readonly env: GitAskpassEnv,
    private readonly protocol: 'v1' | 'v2',
    private readonly agent: TokenSource,
    private readonly stream: SeededStream,
    private readonly signal: StopSignal,
    private readonly localAddress?: string,
  ) {}

  /** Polls that ended, by outcome (tests and per-agent reports). */
  get polls(): Readonly<Record<PollOutcome, number>> {
    return this.outcomes;
  }

  /** True while an operation (lookup, polls) is in flight. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Schedules the first operation at a seeded offset inside one interval (idempotent). */
  start(): void {
    if (this.slot >= 0 || this.signal.aborted) return;
    this.env.scheduler.schedule(this, this.stream.next() * this.env.options.gitAskpass.every);
  }

  /** Stops scheduling; resolves once the operation in flight (cancelled by the signal) ended. */
  async stop(): Promise<void> {
    this.env.scheduler.cancel(this);
    await this.running;
  }

  fire(): void {
    if (this.signal.aborted) return;
    const { every, urls } = this.env.options.gitAskpass;
    this.env.scheduler.schedule(this, every);
    const url = urls[Math.min(urls.length - 1, Math.floor(this.stream.next() * urls.length))]!;
    if (this.running || this.agent.token === undefined) return;
    this.operations++;
    this.running = this.operate(url, this.agent.token).finally(() => (this.running = undefined));
  }

  private async operate(url: string, token: string): Promise<void> {
    const { env, signal } = this;
    const metrics = env.metrics;
    const transport = createSingleConnectionTransport({
      baseUrl: env.baseUrl,
      onConnect: () => metrics.count(METRIC.httpConnectionsOpened, 1),
      ...(this.localAddress ? { localAddress: this.localAddress } : {}),
    });
    const client = new AgentApiClient({ transport, metrics, clock: env.clock }, env.options.requestTimeout, token);
    try {
      const first = await this.lookup(client, url, false);
      if (!first.ok || first.body?.url === '' || first.body === undefined) return;
      const backoff = new Backoff(POLL_RETRY_MS.initial, POLL_RETRY_MS.max);
      for (;;) {
        const poll = await this.lookup(client, url, true);
        if (poll.errorClass === 'aborted' || signal.aborted) return this.ended('cancelled');
        if (poll.ok) return this.ended('answered');
        this.ended('error');
        if (!(await env.clock.sleep(backoff.next(), signal))) return;
      }
    } finally {
      await transport.close();
    }
  }

  private lookup(client: AgentApiClient, url: string, listen: boolean): Promise<ApiResult<GitAuthResponse>> {
    const options = { listen, signal: this.signal };
    return this.protocol === 'v1' ? client.getGitAuth(url, options) : client.getExternalAuth(url, options);
  }

  private ended(outcome: PollOutcome): void {
    this.outcomes[outcome]++;
    const endpoint = this.protocol === 'v1' ? POLL_ENDPOINT.gitauth : POLL_ENDPOINT.externalAuth;
    this.env.metrics.count(METRIC.gitAuthPolls, 1, { endpoint, outcome });
  }
}
