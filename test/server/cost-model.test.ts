import { afterEach, describe, expect, it } from 'vitest';
import { createCostQueue } from '../../src/server/http/cost-model.js';
import { createReferenceServer, type ReferenceServer } from '../../src/server/reference-server.js';
import { manualClock } from '../helpers/clock.js';
import { call, ME } from './helpers.js';

describe('cost model queue', () => {
  it('serves K jobs per service time, FIFO, never faster than workers / serviceTime', () => {
    const clock = manualClock();
    const queue = createCostQueue({ serviceTimeMs: 10, workers: 2 }, clock);
    const done: { id: number; at: number }[] = [];
    for (let id = 0; id < 6; id++)
      queue.admit(
        () => false,
        () => done.push({ id, at: clock.now() }),
      );
    expect(queue.pending).toBe(6);
    clock.advance(9);
    expect(done).toEqual([]);
    clock.advance(1);
    expect(done.map((d) => d.id)).toEqual([0, 1]);
    clock.advance(20);
    expect(done).toEqual([
      { id: 0, at: 10 },
      { id: 1, at: 10 },
      { id: 2, at: 20 },
      { id: 3, at: 20 },
      { id: 4, at: 30 },
      { id: 5, at: 30 },
    ]);
    expect(queue.pending).toBe(0);
    queue.close();
  });

  it('an idle worker starts a new job at its arrival, not at the last finish', () => {
    const clock = manualClock();
    const queue = createCostQueue({ serviceTimeMs: 5, workers: 1 }, clock);
    const at: number[] = [];
    queue.admit(
      () => false,
      () => at.push(clock.now()),
    );
    clock.advance(100);
    queue.admit(
      () => false,
      () => at.push(clock.now()),
    );
    clock.advance(10);
    expect(at).toEqual([5, 105]);
    queue.close();
  });

  it('drops a job whose client went away without spending a worker on it', () => {
    const clock = manualClock();
    const queue = createCostQueue({ serviceTimeMs: 10, workers: 1 }, clock);
    const done: number[] = [];
    let goneTwo = false;
    queue.admit(
      () => false,
      () => done.push(1),
    );
    queue.admit(
      () => goneTwo,
      () => done.push(2),
    );
    queue.admit(
      () => false,
      () => done.push(3),
    );
    goneTwo = true;
    clock.advance(20);
    // Job 3 started when job 1 finished (t=10): job 2 took no service time.
    expect(done).toEqual([1, 3]);
    queue.close();
  });

  it('keeps its virtual schedule when a timer fires late', () => {
    const clock = manualClock();
    const queue = createCostQueue({ serviceTimeMs: 10, workers: 1 }, clock);
    const at: number[] = [];
    for (let i = 0; i < 4; i++)
      queue.admit(
        () => false,
        () => at.push(clock.now()),
      );
    // One big jump: every job's virtual finish (10, 20, 30, 40) is past; all run in this advance.
    clock.advance(45);
    expect(at).toHaveLength(4);
    expect(queue.pending).toBe(0);
    queue.close();
  });

  it('close() cancels queued work', () => {
    const clock = manualClock();
    const queue = createCostQueue({ serviceTimeMs: 10, workers: 1 }, clock);
    const done: number[] = [];
    queue.admit(
      () => false,
      () => done.push(1),
    );
    queue.admit(
      () => false,
      () => done.push(2),
    );
    queue.close();
    clock.advance(100);
    expect(done).toEqual([]);
    queue.admit(
      () => false,
      () => done.push(3),
    );
    clock.advance(100);
    expect(done).toEqual([]);
  });
});

describe('reference server with server.capacity', () => {
  let server: ReferenceServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers every request, one worker at a time', async () => {
    server = await createReferenceServer({ agents: 1, identity: false, rateLimit: -1, capacity: { serviceTimeMs: 20, workers: 1 } });
    const token = server.credentials.agents[0]!.token;
    const answers = await Promise.all(Array.from({ length: 5 }, () => call(server!, `${ME}/metadata`, { token })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(server.counters().totals.requests).toBe(5);
  });

  it('refuses a cost model that cannot serve', async () => {
    await expect(createReferenceServer({ capacity: { serviceTimeMs: 0, workers: 1 } })).rejects.toThrow(/serviceTime/);
    await expect(createReferenceServer({ capacity: { serviceTimeMs: 1, workers: 0 } })).rejects.toThrow(/workers/);
  });
});
