import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxApiNames } from '../../src/demo/sandbox-environment.js';
import { evidenceSet, outcomeLines, seedHitting, seededRolls, startFaultWorld, type FaultWorld } from './harness.js';

/**
 * Transient faults lose nothing: every connector (GitHub, AWS, Entra ID, Google Workspace, Jira,
 * KnowBe4; the file connectors have no HTTP) run against the sandbox with 10% random 5xx and 5%
 * throttling (`Retry-After: 1`, each API in its own format) stores exactly the evidence of a clean
 * run: the same (kind, instance, subject, payload digest) set. The fault sequence is a seeded roll
 * per request; the waits go through the fake clock, so the test takes no wall time for them.
 */

let world: FaultWorld;
let expected: string[];
let cleanOutcomes: string[];
beforeAll(async () => {
  world = await startFaultWorld();
  const clean = await world.collect(world.config('clean'), 'clean');
  cleanOutcomes = outcomeLines(clean.result);
  expected = await evidenceSet(clean.store, clean.result.run.id);
}, 30_000);
afterAll(async () => world?.close());

describe('10% 5xx and 5% throttling on every API', () => {
  it('completes with exactly the evidence of a clean run, after really injecting the faults', async () => {
    expect(cleanOutcomes.filter((l) => !l.endsWith(' collected'))).toEqual([]);
    expect(expected.length).toBeGreaterThan(100);

    // Each API's seed is the first from 1200 on whose rolls hit both an error and a throttle within
    // the requests a clean run makes of it (a handful for KnowBe4, a few hundred for AWS).
    const before: Record<string, number> = {};
    for (const api of sandboxApiNames) {
      const sent = world.env[api].requestCount();
      before[api] = sent;
      const seed = seedHitting(1200, sent, [[0, 0.1], [0.1, 0.15]]);
      world.env.faults[api].set({ errorRate: 0.1, throttleRate: 0.05, retryAfterSeconds: 1, random: seededRolls(seed, sent) });
    }
    try {
      const faulted = await world.collect(world.config('faulted'), 'faulted');
      expect(outcomeLines(faulted.result)).toEqual(cleanOutcomes);
      expect(faulted.result.status).toBe('complete');
      expect(await evidenceSet(faulted.store, faulted.result.run.id)).toEqual(expected);
      // Faults really were injected into every API: both kinds overall, and some into each.
      const counts = sandboxApiNames.map((api) => world.env.faults[api].counts());
      for (const [i, c] of counts.entries()) expect([c.error > 0, c.throttle > 0], sandboxApiNames[i]).toEqual([true, true]);
      // Only those two kinds, and the retries show in the request counts.
      expect(counts.every((c) => c.reset + c.truncate + c.malformed + c.overload + c.window === 0)).toBe(true);
      for (const api of sandboxApiNames) expect(world.env[api].requestCount(), api).toBeGreaterThan(2 * before[api]!);
    } finally {
      for (const api of sandboxApiNames) world.env.faults[api].set({});
    }
  }, 60_000);
});

const limitedApis = sandboxApiNames.filter((api) => api !== 'aws');

describe('a concurrency limit: more than one request in flight gets the API\'s own 429/503', () => {
  // 30 ms per request, so requests overlap as they do against a real API.
  it('is ridden out (Retry-After, lowered concurrency) with exactly the evidence of a clean run', async () => {
    // Not AWS: its throttling is retried by the SDK with real-time backoff (slow here), and is
    // covered above and by test/aws/aws.test.ts.
    for (const api of limitedApis) world.env.faults[api].set({ maxInFlight: 1, latencyMs: 30, retryAfterSeconds: 1 });
    try {
      // Waits pause for real, a little longer than the latency: the requests in flight are real.
      const limited = await world.collect(world.config('in-flight'), 'in-flight', { pauseMs: 60 });
      expect(outcomeLines(limited.result)).toEqual(cleanOutcomes);
      expect(await evidenceSet(limited.store, limited.result.run.id)).toEqual(expected);
      // The APIs the connectors call concurrently were overloaded (KnowBe4 and Jira page one request at a time).
      const overloaded = sandboxApiNames.filter((api) => world.env.faults[api].counts().overload > 0);
      expect(overloaded).toEqual(expect.arrayContaining(['github', 'entra', 'google']));
    } finally {
      for (const api of sandboxApiNames) world.env.faults[api].set({});
    }
  }, 60_000);
});
