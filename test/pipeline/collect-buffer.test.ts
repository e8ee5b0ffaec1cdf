import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { collectInto } from '../../src/pipeline/collect.js';
import type { CollectionPlan } from '../../src/pipeline/plan.js';
import { defineConnector, type CollectorDefinition } from '../../src/core/connector.js';
import { defaultHttpPolicy } from '../../src/http/http-fetch.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { Redactor } from '../../src/core/redact.js';
import type { ObservationInput, RunWriter } from '../../storage/evidence-store.js';

/** A collector that yields `n` small records, letting other collectors run between records. */
function counting(id: string, n: number): CollectorDefinition<unknown, unknown> {
  return {
    id,
    kind: `test.${id}.v1`,
    title: id,
    description: id,
    subject: 'n',
    ttlHours: 24,
    payload: z.object({ n: z.number() }),
    async *collect() {
      for (let i = 0; i < n; i++) {
        if (i % 10 === 0) await new Promise((r) => setImmediate(r));
        yield { subject: `${id}-${i}`, requests: [], payload: { n: i } };
      }
    },
  };
}

describe('collectInto', () => {
  it('bounds the records waiting for the store across all collectors of a run, not per collector', async () => {
    const collectors = Array.from({ length: 20 }, (_, i) => counting(`c${i}`, 3000));
    const definition = defineConnector({ type: 'test', title: 'test', description: 'test', config: z.object({}), http: {}, permissions: [], createClient: () => ({}), collectors });
    const plan: CollectionPlan = { instances: [{ instance: { id: 'test', type: 'test', enabled: true, http: defaultHttpPolicy, settings: {}, definition }, collectors }] };
    const written: number[] = [];
    let stored = 0;
    let peakWaiting = 0;
    let yielded = 0;
    const writer: RunWriter = {
      runId: 'run',
      addObservations: async (batch: readonly ObservationInput[]) => {
        written.push(batch.length);
        stored += batch.length;
      },
      // A collector's last records come with its outcome: stored as one more batch.
      addOutcome: async (_outcome: unknown, last: readonly ObservationInput[] = []) => {
        if (last.length === 0) return;
        written.push(last.length);
        stored += last.length;
      },
    } as unknown as RunWriter;
    const redactor = new Redactor();
    const origRedact = redactor.redactDeep.bind(redactor);
    // Every record passes redactDeep once before it waits in a batch: count it there.
    redactor.redactDeep = <T>(value: T): T => {
      if (value && typeof value === 'object' && 'n' in (value as object)) {
        yielded += 1;
        peakWaiting = Math.max(peakWaiting, yielded - stored);
      }
      return origRedact(value);
    };
    const outcomes = await collectInto(writer, { plan, store: {} as never, fetch: globalThis.fetch, clock: systemClock, logger: silentLogger(), redactor, batchSize: 1000 });
    expect(outcomes.every((o) => o.status === 'collected' && o.recordCount === 3000)).toBe(true);
    expect(stored).toBe(60_000);
    // 20 collectors × 1000 could wait under a per-collector bound; the run-wide one keeps it to max(1000, 20 × 100) and a record.
    expect(peakWaiting).toBeLessThanOrEqual(2001);
    // Transactions stay large: none below a tenth of the budget except each collector's last.
    expect(written.filter((n) => n < 100).length).toBeLessThanOrEqual(20);
  });
});
