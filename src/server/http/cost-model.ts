import type { Clock, TimerHandle } from '../../core/clock.js';

/**
 * The server cost model (scenario `server.capacity`, a testing aid, off by default): every request
 * the reference server answers first waits for one of `workers` serial workers, each of which
 * takes `serviceTimeMs` per request. The server then saturates at a known rate,
 * `workers / serviceTime` requests per second, so `fleetsim capacity` can be checked against a
 * knee computed on paper. Without it the reference server answers as fast as Node can, which
 * says nothing about any real deployment.
 *
 * Scope: HTTP requests and WebSocket upgrades; frames on sockets that are already open (v1
 * coordinate, v2 dRPC) are not queued.
 */
export interface CostModelOptions {
  /** Time one worker spends on one request, ms (> 0). */
  serviceTimeMs: number;
  /** Serial workers (>= 1). */
  workers: number;
  /**
   * Only these endpoints (`POST /me/report-stats`, the names reports use) wait for a worker;
   * default every request. Lets a test put the cost on one periodic call, so the knee can be
   * computed from that call's rate alone, without the fleet's start-up requests.
   */
  endpoints?: readonly string[];
}

/** The queue in front of the dispatcher. */
export interface CostQueue {
  /** Runs `handle` once a worker has spent the service time on it; skipped if `gone()` by then. */
  admit(gone: () => boolean, handle: () => void): void;
  /** Requests waiting or in service (tests, counters). */
  readonly pending: number;
  /** Cancels the workers' timers (server close); queued requests are dropped. */
  close(): void;
}

interface Job {
  gone: () => boolean;
  handle: () => void;
  arrivedAt: number;
}

/**
 * A FIFO with `workers` servers of deterministic service time (M/D/K). Each worker keeps a
 * virtual "free at" time: a job starts at max(its arrival, the worker's previous finish) and
 * finishes one service time later, and the worker's timer fires then. A timer that fires late
 * delays that answer but not the next job's virtual start, so throughput stays exactly
 * `workers / serviceTime` under load instead of drifting down with Node's timer lateness.
 * A job whose client went away before its turn is dropped without using a worker, so a fleet
 * that stops leaves no backlog behind.
 */
export function createCostQueue(options: CostModelOptions, clock: Clock): CostQueue {
  const serviceMs = options.serviceTimeMs;
  const queue: Job[] = [];
  let head = 0;
  let closed = false;
  const workers = Array.from({ length: Math.max(1, Math.floor(options.workers)) }, () => ({
    busy: undefined as Job | undefined,
    freeAt: Number.NEGATIVE_INFINITY,
    timer: undefined as TimerHandle | undefined,
  }));
  type Worker = (typeof workers)[number];

  const nextLive = (): Job | undefined => {
    while (head < queue.length) {
      const job = queue[head]!;
      queue[head++] = undefined as unknown as Job;
      if (!job.gone()) {
        if (head > 1024 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
        return job;
      }
    }
    queue.length = 0;
    head = 0;
    return undefined;
  };

  const start = (worker: Worker, job: Job): void => {
    worker.busy = job;
    worker.freeAt = Math.max(worker.freeAt, job.arrivedAt) + serviceMs;
    worker.timer = clock.setTimeout(finish, worker.freeAt - clock.now(), worker);
  };

  function finish(worker: Worker): void {
    const job = worker.busy;
    worker.busy = undefined;
    worker.timer = undefined;
    if (closed) return;
    if (job && !job.gone()) job.handle();
    const next = nextLive();
    if (next) start(worker, next);
  }

  return {
    admit(gone, handle) {
      if (closed) return;
      const job: Job = { gone, handle, arrivedAt: clock.now() };
      const idle = workers.find((w) => w.busy === undefined);
      if (idle && head >= queue.length) start(idle, job);
      else queue.push(job);
    },
    get pending() {
      return queue.length - head + workers.filter((w) => w.busy !== undefined).length;
    },
    close() {
      closed = true;
      for (const w of workers) {
        clock.clearTimeout(w.timer);
        w.busy = undefined;
      }
      queue.length = 0;
      head = 0;
    },
  };
}
