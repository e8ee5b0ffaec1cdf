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

/** A plan of `collectors` in one instance of a test connector. */
function planOf(collectors: CollectorDefinition<unknown, unknown>[]): CollectionPlan {
  const definition = defineConnector({ type: 'test', title: 'test', description: 'test', config: z.object({}), http: {}, permissions: [], createClient: () => ({}), collectors });
  return { instances: [{ instance: { id: 'test', type: 'test', enabled: true, http: defaultHttpPolicy, settings: {}, definition }, collectors }] };
}

/**
 * A writer that records what it is given: each addObservations batch (after `delayMs`, like a
 * database round trip) and each outcome with its last records, in the order they were stored.
 */
function recordingWriter(delayMs = 0) {
  const stored: { what: 'batch' | 'outcome'; collectorId: string | undefined; subjects: string[] }[] = [];
  const writer = {
    runId: 'run',
    addObservations: async (batch: readonly ObservationInput[]) => {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      stored.push({ what: 'batch', collectorId: undefined, subjects: batch.map((o) => o.subject) });
    },
    addOutcome: async (outcome: { collectorId: string }, last: readonly ObservationInput[] = []) => {
      expect(last.every((o) => o.collectorId === outcome.collectorId)).toBe(true);
      stored.push({ what: 'outcome', collectorId: outcome.collectorId, subjects: last.map((o) => o.subject) });
    },
  } as unknown as RunWriter;
  return { writer, stored };
}

/** A redactor that calls `onRecord` for each record's payload: every record passes it once, before it waits in the buffer. */
function redactorCountingRecords(onRecord: () => void): Redactor {
  const redactor = new Redactor();
  const redactDeep = redactor.redactDeep.bind(redactor);
  redactor.redactDeep = <T>(value: T): T => {
    if (value && typeof value === 'object' && 'n' in (value as object)) onRecord();
    return redactDeep(value);
  };
  return redactor;
}

describe('collectInto', () => {
  it('bounds the records waiting for the store across all collectors of a run, and writes them together in one call', async () => {
    const collectors = Array.from({ length: 20 }, (_, i) => counting(`c${i}`, 3000));
    const { writer, stored } = recordingWriter();
    let written = 0;
    let peakWaiting = 0;
    let yielded = 0;
    const redactor = redactorCountingRecords(() => {
      yielded += 1;
      written = stored.reduce((sum, s) => sum + s.subjects.length, 0);
      peakWaiting = Math.max(peakWaiting, yielded - written);
    });
    const outcomes = await collectInto(writer, { plan: planOf(collectors), store: {} as never, fetch: globalThis.fetch, clock: systemClock, logger: silentLogger(), redactor, batchSize: 1000 });
    expect(outcomes.every((o) => o.status === 'collected' && o.recordCount === 3000)).toBe(true);
    expect(stored.reduce((sum, s) => sum + s.subjects.length, 0)).toBe(60_000);
    // Never more than the budget waits (the record being added aside), whatever the number of collectors.
    expect(peakWaiting).toBeLessThanOrEqual(1001);
    const batches = stored.filter((s) => s.what === 'batch');
    // Every write holds the whole budget, records of many collectors together.
    expect(batches.length).toBeGreaterThanOrEqual(50);
    expect(batches.every((b) => b.subjects.length === 1000)).toBe(true);
    expect(batches.filter((b) => new Set(b.subjects.map((s) => s.split('-')[0])).size >= 10).length).toBeGreaterThan(batches.length / 2);
    // Each collector's records reach the store in the order it yielded them, the last ones with its outcome.
    for (let c = 0; c < 20; c++) {
      const mine = stored.flatMap((s) => s.subjects.filter((subject) => subject.startsWith(`c${c}-`)));
      expect(mine).toEqual(Array.from({ length: 3000 }, (_, i) => `c${c}-${i}`));
    }
  });

  it('stores the outcome of a collector that ends while another collector\'s write holds its records after that write', async () => {
    let writeStarted!: () => void;
    const started = new Promise<void>((resolve) => (writeStarted = resolve));
    const stored: string[] = [];
    const writer = {
      runId: 'run',
      addObservations: async (batch: readonly ObservationInput[]) => {
        writeStarted();
        await new Promise((r) => setTimeout(r, 20));
        stored.push(`batch ${batch.map((o) => o.subject).join(',')}`);
      },
      addOutcome: async (outcome: { collectorId: string }, last: readonly ObservationInput[] = []) => {
        stored.push(`outcome ${outcome.collectorId} ${last.map((o) => o.subject).join(',')}`);
      },
    } as unknown as RunWriter;
    const scripted = (id: string, run: () => AsyncGenerator<{ subject: string; requests: []; payload: { n: number } }>): CollectorDefinition<unknown, unknown> => ({
      ...counting(id, 0),
      collect: run,
    });
    let aYielded!: () => void;
    const aDone = new Promise<void>((resolve) => (aYielded = resolve));
    // `a` yields two records and ends once `b`'s third record has started a write holding all three.
    const a = scripted('a', async function* () {
      yield { subject: 'a-0', requests: [], payload: { n: 0 } };
      yield { subject: 'a-1', requests: [], payload: { n: 1 } };
      aYielded();
      await started;
    });
    const b = scripted('b', async function* () {
      await aDone;
      yield { subject: 'b-0', requests: [], payload: { n: 0 } };
    });
    await collectInto(writer, { plan: planOf([a, b]), store: {} as never, fetch: globalThis.fetch, clock: systemClock, logger: silentLogger(), redactor: new Redactor(), batchSize: 3 });
    // Both outcomes after the batch that holds their records (b, which filled it, did not wait for it).
    expect(stored[0]).toBe('batch a-0,a-1,b-0');
    expect(stored.slice(1).sort()).toEqual(['outcome a ', 'outcome b ']);
  });

  it('lets collectors go on while the store writes a full buffer, and holds them when the next one fills first', async () => {
    const collectors = Array.from({ length: 20 }, (_, i) => counting(`c${i}`, 600));
    let writing = 0;
    let addedWhileWriting = 0;
    let waiting = 0;
    let peakWaiting = 0;
    const redactor = redactorCountingRecords(() => {
      if (writing > 0) addedWhileWriting += 1;
      peakWaiting = Math.max(peakWaiting, ++waiting);
    });
    const writer = {
      runId: 'run',
      addObservations: async (batch: readonly ObservationInput[]) => {
        writing += 1;
        await new Promise((r) => setTimeout(r, 10));
        writing -= 1;
        waiting -= batch.length;
      },
      addOutcome: async (_outcome: unknown, last: readonly ObservationInput[] = []) => {
        waiting -= last.length;
      },
    } as unknown as RunWriter;
    const outcomes = await collectInto(writer, { plan: planOf(collectors), store: {} as never, fetch: globalThis.fetch, clock: systemClock, logger: silentLogger(), redactor, batchSize: 1000 });
    expect(outcomes.every((o) => o.status === 'collected' && o.recordCount === 600)).toBe(true);
    expect(addedWhileWriting).toBeGreaterThan(1000);
    // And never more than two buffers waited (the one being written and the one filling), give or
    // take a record per collector: the one it added before it waited, and the one it was preparing.
    expect(peakWaiting).toBeLessThanOrEqual(2 * 1000 + 2 * collectors.length);
    expect(waiting).toBe(0);
  });

  it('does not hold back the collector whose record filled the buffer while the store writes it', async () => {
    let written = false;
    let resumedBeforeWritten: boolean | undefined;
    const writer = {
      runId: 'run',
      addObservations: async () => {
        await new Promise((r) => setTimeout(r, 20));
        written = true;
      },
      addOutcome: async () => undefined,
    } as unknown as RunWriter;
    const filler: CollectorDefinition<unknown, unknown> = {
      ...counting('a', 0),
      async *collect() {
        for (let n = 0; n < 3; n++) yield { subject: `a-${n}`, requests: [], payload: { n } };
        // The third record filled the buffer (3): its collector is back here before the write ended.
        resumedBeforeWritten = !written;
      },
    };
    await collectInto(writer, { plan: planOf([filler]), store: {} as never, fetch: globalThis.fetch, clock: systemClock, logger: silentLogger(), redactor: new Redactor(), batchSize: 3 });
    expect(resumedBeforeWritten).toBe(true);
    expect(written).toBe(true);
  });

  it('stores a collector\'s outcome only after every write holding its records, when writes take time', async () => {
    const collectors = Array.from({ length: 5 }, (_, i) => counting(`c${i}`, 700 + i * 50));
    const { writer, stored } = recordingWriter(5);
    const outcomes = await collectInto(writer, { plan: planOf(collectors), store: {} as never, fetch: globalThis.fetch, clock: systemClock, logger: silentLogger(), redactor: new Redactor(), batchSize: 500 });
    expect(Object.fromEntries(outcomes.map((o) => [o.collectorId, o.recordCount]))).toEqual({ c0: 700, c1: 750, c2: 800, c3: 850, c4: 900 });
    expect(stored.filter((s) => s.what === 'batch').length).toBeGreaterThanOrEqual(5);
    for (const { collectorId } of stored.filter((s) => s.what === 'outcome')) {
      const at = stored.findIndex((s) => s.what === 'outcome' && s.collectorId === collectorId);
      const lastBatchWithMine = stored.findLastIndex((s) => s.what === 'batch' && s.subjects.some((subject) => subject.startsWith(`${collectorId}-`)));
      expect(lastBatchWithMine).toBeLessThan(at);
      const mine = stored.slice(0, at + 1).flatMap((s) => s.subjects.filter((subject) => subject.startsWith(`${collectorId}-`)));
      expect(mine).toHaveLength(outcomes.find((o) => o.collectorId === collectorId)!.recordCount);
    }
  });
});
