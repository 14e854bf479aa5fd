/**
 * The knee search of `bench:coordinator` (docs/benchmarks.md#benchcoordinator), kept apart from
 * the processes and sockets so its rules can be tested: which rates a side tries, when it stops,
 * what its knee is, and the CPU figures of the verdict.
 */

/** p99 budget of a passing step, ms. */
export const P99_BUDGET_MS = 50;

/** The rate every ladder passes through (the verdict's `p99_ms_at_10k`). */
export const ANCHOR_RATE = 10_000;

/** What the search needs to know about one step. */
export interface StepOutcome {
  /** Offered rate, updates/s. */
  rate: number;
  /** Delivered rate over the step, updates/s. */
  deliveredPerSecond: number;
  /** Updates delivered in the step. */
  delivered: number;
  p99: number;
  lost: number;
  /** Target CPU (user + system) during the step, ms; NaN when unknown. */
  targetCpuMs: number;
}

/** A step passes with p99 ≤ 50 ms and nothing lost. */
export function passes(step: Pick<StepOutcome, 'p99' | 'lost'>): boolean {
  return step.p99 <= P99_BUDGET_MS && step.lost === 0;
}

/**
 * Rates from `start` to `max`, each `factor` × the one before, on a grid through 10,000/s (so
 * that rate is measured whenever a side gets that far): `round(10000 × factor^k)`.
 */
export function ladder(start: number, factor: number, max: number): number[] {
  if (!(factor > 1) || !(start > 0) || !(max >= start)) throw new RangeError(`bad ladder: start ${start}, factor ${factor}, max ${max}`);
  let k = Math.ceil(Math.log(start / ANCHOR_RATE) / Math.log(factor) - 1e-9);
  const rates: number[] = [];
  for (let rate = Math.round(ANCHOR_RATE * factor ** k); rate <= max; rate = Math.round(ANCHOR_RATE * factor ** ++k)) {
    if (rates.at(-1) !== rate) rates.push(rate);
  }
  return rates;
}

/**
 * One side's climb: it moves up the ladder while its steps pass; a failing step is tried once
 * more (a scheduling stall on a shared machine can blow one p99), and the second failure at a
 * rate ends the climb. With `refinements` > 0 the search then bisects (geometric midpoint) the
 * gap between the last passing rung and the failing one that many times, with the same
 * fail-twice rule, so the knee is known to within `factor^(1/2^refinements)` instead of one
 * whole rung (×1.25 steps would otherwise make every knee ratio 1.0, 0.8, 0.64, …). The knee is
 * the best delivered rate of a passing step. A side that passes the top of the ladder ends
 * `exhausted`: its knee lies above the ladder.
 */
export class KneeSearch {
  readonly steps: StepOutcome[] = [];
  private index = 0;
  private failuresHere = 0;
  private state: 'climbing' | 'refining' | 'knee' | 'exhausted' | 'stopped' = 'climbing';
  /** While refining: highest passing rate and lowest twice-failed rate. */
  private low = 0;
  private high = 0;
  private refinementsLeft: number;

  constructor(
    private readonly rates: readonly number[],
    refinements = 0,
  ) {
    if (rates.length === 0) throw new RangeError('empty ladder');
    if (!(refinements >= 0) || !Number.isInteger(refinements)) throw new RangeError(`bad refinements: ${refinements}`);
    this.refinementsLeft = refinements;
  }

  /** The rate to try next; undefined once the climb ended. */
  next(): number | undefined {
    if (this.state === 'climbing') return this.rates[this.index];
    if (this.state === 'refining') return Math.round(Math.sqrt(this.low * this.high));
    return undefined;
  }

  get outcome(): 'climbing' | 'knee' | 'exhausted' | 'stopped' {
    return this.state === 'refining' ? 'climbing' : this.state;
  }

  record(step: StepOutcome): void {
    if (this.state !== 'climbing' && this.state !== 'refining') throw new Error('the climb already ended');
    this.steps.push(step);
    const ok = passes(step);
    if (this.state === 'refining') {
      if (ok) this.low = step.rate;
      else if (++this.failuresHere < 2) return;
      else this.high = step.rate;
      this.failuresHere = 0;
      this.refineOrEnd();
      return;
    }
    if (ok) {
      this.failuresHere = 0;
      if (++this.index >= this.rates.length) this.state = 'exhausted';
    } else if (++this.failuresHere >= 2) {
      this.failuresHere = 0;
      // Nothing passed yet: there is no gap to narrow.
      if (this.index === 0) this.state = 'knee';
      else {
        this.low = this.rates[this.index - 1] as number;
        this.high = this.rates[this.index] as number;
        this.refineOrEnd();
      }
    }
  }

  private refineOrEnd(): void {
    const mid = Math.round(Math.sqrt(this.low * this.high));
    this.state = this.refinementsLeft-- > 0 && mid > this.low && mid < this.high ? 'refining' : 'knee';
  }

  /** Ends the climb early (the time budget ran out). */
  stop(): void {
    if (this.state === 'climbing' || this.state === 'refining') this.state = 'stopped';
  }

  /** Highest delivered rate of a passing step (0 when none passed). */
  get knee(): number {
    return this.steps.filter(passes).reduce((best, s) => Math.max(best, s.deliveredPerSecond), 0);
  }

  /** Lowest rate that failed twice (the bound above the knee); the highest rate tried before then. */
  get lastRate(): number {
    if (this.state === 'knee' && this.high > 0) return this.high;
    return this.steps.reduce((top, s) => Math.max(top, s.rate), 0);
  }
}

/**
 * Target CPU µs per delivered update over the steps at `rates` (every attempt): total CPU over
 * total delivered, so each update weighs the same. Comparing two sides over the same rates keeps
 * the figure fair, because a process's cost per update falls as the rate rises (more messages
 * per wake-up). NaN when nothing was measured.
 */
export function cpuUsPerUpdate(steps: readonly StepOutcome[], rates: ReadonlySet<number>): number {
  let cpuMs = 0;
  let delivered = 0;
  for (const s of steps) {
    if (!rates.has(s.rate) || !Number.isFinite(s.targetCpuMs) || s.delivered <= 0) continue;
    cpuMs += s.targetCpuMs;
    delivered += s.delivered;
  }
  return delivered > 0 ? (cpuMs * 1000) / delivered : NaN;
}

/** Rates both sides tried (the CPU comparison's common ground). */
export function commonRates(a: readonly StepOutcome[], b: readonly StepOutcome[]): Set<number> {
  const inB = new Set(b.map((s) => s.rate));
  return new Set(a.map((s) => s.rate).filter((r) => inB.has(r)));
}

const round = (value: number, places: number): number | null => (Number.isFinite(value) ? Math.round(value * 10 ** places) / 10 ** places : null);

/** The last stdout line of `bench:coordinator`. */
export interface CoordinatorVerdict {
  bench: 'coordinator';
  protocol: 'v1' | 'v2';
  updates_per_s: number;
  raw_updates_per_s: number;
  ratio: number | null;
  cpu_us_per_update: number | null;
  raw_cpu_us_per_update: number | null;
  cpu_ratio: number | null;
  p99_ms_at_10k: number | null;
  lost: number;
}

/**
 * The verdict from the server's and the relay's steps. `at10k`: the server's steps at 10,000/s
 * (the better attempt counts, as for pass/fail).
 */
export function coordinatorVerdict(protocol: 'v1' | 'v2', server: KneeSearch, relay: KneeSearch, at10k: readonly StepOutcome[]): CoordinatorVerdict {
  const rates = commonRates(server.steps, relay.steps);
  const cpu = cpuUsPerUpdate(server.steps, rates);
  const rawCpu = cpuUsPerUpdate(relay.steps, rates);
  const best10k = [...at10k].sort((a, b) => a.p99 - b.p99)[0];
  return {
    bench: 'coordinator',
    protocol,
    updates_per_s: server.knee,
    raw_updates_per_s: relay.knee,
    ratio: relay.knee > 0 ? round(server.knee / relay.knee, 2) : null,
    cpu_us_per_update: round(cpu, 1),
    raw_cpu_us_per_update: round(rawCpu, 1),
    cpu_ratio: cpu > 0 ? round(rawCpu / cpu, 2) : null,
    p99_ms_at_10k: best10k ? round(best10k.p99, 2) : null,
    lost: server.steps.reduce((n, s) => n + s.lost, 0) + at10k.filter((s) => !server.steps.includes(s)).reduce((n, s) => n + s.lost, 0),
  };
}
