import { EventEmitter } from 'node:events';
import type { WorkerEvents } from 'graphile-worker';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { quickRetries, retryEmptyAsks } from '../../src/scale/worker.js';

/** A queue worker as graphile-worker's events carry it: only what the retries use. */
function queueWorker(workerId: string) {
  return {
    workerId,
    nudges: 0,
    nudge() {
      this.nudges++;
      return true;
    },
  };
}

describe('quick retries after an empty ask for a job', () => {
  afterEach(() => vi.useRealTimers());

  it('nudges a worker that found nothing after each quick-retry delay, then leaves it to the poll interval', () => {
    vi.useFakeTimers();
    const events = new EventEmitter() as WorkerEvents;
    retryEmptyAsks(events, () => true);
    const worker = queueWorker('w1');
    const empty = () => events.emit('worker:getJob:empty', { worker } as never);
    for (const [i, delay] of quickRetries.entries()) {
      empty();
      vi.advanceTimersByTime(delay - 1);
      expect(worker.nudges).toBe(i);
      vi.advanceTimersByTime(1);
      expect(worker.nudges).toBe(i + 1);
    }
    // Past its quick retries: no more nudges, whatever the wait.
    empty();
    vi.advanceTimersByTime(60_000);
    expect(worker.nudges).toBe(quickRetries.length);
  });

  it('a job, or a notification of new jobs, starts the streak over; a dead worker is not nudged', () => {
    vi.useFakeTimers();
    const events = new EventEmitter() as WorkerEvents;
    const dead = new Set<string>();
    retryEmptyAsks(events, (id) => !dead.has(id));
    const idle = queueWorker('idle');
    const busy = queueWorker('busy');
    const empty = (worker: ReturnType<typeof queueWorker>) => events.emit('worker:getJob:empty', { worker } as never);
    // Both idle past their quick retries.
    for (let i = 0; i <= quickRetries.length; i++) {
      empty(idle);
      empty(busy);
      vi.advanceTimersByTime(quickRetries.at(-1)!);
    }
    expect([idle.nudges, busy.nudges]).toEqual([quickRetries.length, quickRetries.length]);
    // New jobs are announced; the idle worker's ask meets another's and finds nothing: it retries soon.
    events.emit('pool:listen:notification', {} as never);
    empty(idle);
    vi.advanceTimersByTime(quickRetries[0]!);
    expect(idle.nudges).toBe(quickRetries.length + 1);
    // A worker that ran a job starts over too.
    events.emit('job:start', { worker: busy } as never);
    empty(busy);
    vi.advanceTimersByTime(quickRetries[0]!);
    expect(busy.nudges).toBe(quickRetries.length + 1);
    // A worker gone meanwhile (the runner stopping) is left alone.
    empty(busy);
    dead.add('busy');
    vi.advanceTimersByTime(quickRetries[1]!);
    expect(busy.nudges).toBe(quickRetries.length + 1);
  });
});
