import type { Clock } from '../../src/core/clock.js';

/** The fixed "now" of the GitHub tests. */
export const NOW = new Date('2026-11-25T12:00:00Z');

/** A fixed clock: `now` never moves unless `advanceOnSleep`; `sleep` resolves at once and records the wait. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  private current: number;
  constructor(
    start: Date = NOW,
    private readonly advanceOnSleep = false,
  ) {
    this.current = start.getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    if (this.advanceOnSleep) this.current += ms;
    return Promise.resolve();
  }
}
