import type { MetricSink, Tags } from '../../metrics/sink.js';

type Sample = [kind: 'trend' | 'count' | 'gauge' | 'rate', name: string, value: number | boolean, tags?: Tags];

/**
 * A MetricSink that queues samples until `bind(real)`, then forwards. The peers' observer exists
 * before the workload runs (the fleet gets it at construction) and may see agent traffic before
 * the runner hands the peers workload its context.
 */
export class DeferredSink implements MetricSink {
  private target?: MetricSink;
  private queue: Sample[] = [];

  bind(target: MetricSink): void {
    this.target = target;
    const queued = this.queue;
    this.queue = [];
    for (const [kind, name, value, tags] of queued) {
      if (kind === 'rate') target.rate(name, value as boolean, tags);
      else target[kind](name, value as number, tags);
    }
  }

  trend(name: string, ms: number, tags?: Tags): void {
    if (this.target) this.target.trend(name, ms, tags);
    else this.queue.push(['trend', name, ms, tags]);
  }
  count(name: string, n: number, tags?: Tags): void {
    if (this.target) this.target.count(name, n, tags);
    else this.queue.push(['count', name, n, tags]);
  }
  gauge(name: string, value: number, tags?: Tags): void {
    if (this.target) this.target.gauge(name, value, tags);
    else this.queue.push(['gauge', name, value, tags]);
  }
  rate(name: string, ok: boolean, tags?: Tags): void {
    if (this.target) this.target.rate(name, ok, tags);
    else this.queue.push(['rate', name, ok, tags]);
  }
}
