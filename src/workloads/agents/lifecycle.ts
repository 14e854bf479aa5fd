import { Backoff } from '../../core/backoff.js';
import type { AgentApiClient, LifecycleState } from '../../client/agent-client.js';
import { METRIC } from '../../metrics/names.js';
import type { MetricSink } from '../../metrics/sink.js';
import type { Clock } from '../../core/clock.js';
import type { StopSignal } from '../../client/stop-signal.js';

/**
 * The agent's lifecycle reporter (protocol §9.2.3): it POSTs only the newest state, retrying
 * failures every 1 s → 15 s; a state superseded before it was accepted is never sent.
 */
export class LifecycleReporter {
  private wanted: LifecycleState | undefined;
  private sent: LifecycleState | undefined;
  private running: Promise<void> | undefined;
  private readonly backoff = new Backoff(1000, 15_000);
  /** Every state the target accepted (204), in order. */
  readonly accepted: LifecycleState[] = [];

  constructor(
    private readonly client: AgentApiClient,
    private readonly metrics: MetricSink,
    private readonly clock: Clock,
    private readonly signal: StopSignal,
    /** Told after every answer (accepted or not), e.g. to release admission control. */
    private readonly host?: { lifecycleAnswered(): void },
  ) {}

  set(state: LifecycleState): void {
    this.wanted = state;
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when the reporter is idle (newest state accepted, or aborted). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.signal.aborted && this.wanted !== undefined && this.wanted !== this.sent) {
      const state = this.wanted;
      const result = await this.client.reportLifecycle(state, { signal: this.signal });
      if (result.errorClass !== 'aborted') this.host?.lifecycleAnswered();
      if (result.ok) {
        this.sent = state;
        this.accepted.push(state);
        this.metrics.count(METRIC.lifecycleReported, 1, { state });
        this.backoff.reset();
      } else if (result.errorClass !== 'aborted') {
        if (!(await this.clock.sleep(this.backoff.next(), this.signal))) return;
      }
    }
  }
}
