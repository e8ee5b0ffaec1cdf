/**
 * The evidence store conformance suite: what every backend of `EvidenceStore` must do, written
 * once and run by each backend against itself (SQLite in `sqlite.test.ts`; PostgreSQL next), as
 * Keyv's test-suite does for its adapters. A backend is done when this passes.
 *
 * Usage: `evidenceStoreConformance('PostgreSQL', { open, tamper })` inside a test file, where
 * `open` returns a fresh empty store and `tamper` edits the backend's persisted state behind the
 * store's back (the only backend-specific part).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import type { EvidenceStore, RunInfo, VerifyProblem } from '../../storage/evidence-store.js';
import type { RequestRef } from '../../src/core/connector.js';
import { instanceId, observation, outcome, writeRun } from './helpers.js';
import { sharedRunsConformance } from './conformance-shared-runs.js';

/** Edits a backend's stored state without going through the store, so `verify` can be shown to notice. */
export interface TamperAdapter {
  /** Changes one byte of the stored payload with this digest, keeping its address. */
  changePayloadByte(store: EvidenceStore, digest: string): Promise<void>;
  /** Removes `subject`'s entry from the record tree of `kind` collected in run `runId`, keeping the tree's address. */
  deleteTreeEntry(store: EvidenceStore, where: { runId: string; kind: string; subject: string }): Promise<void>;
  /** Points `subject`'s entry in that tree at another payload digest, keeping the tree's address. */
  repointTreeEntry(store: EvidenceStore, where: { runId: string; kind: string; subject: string }, digest: string): Promise<void>;
  /** Points the collection of `kind` in run `runId` at the record tree of the same kind in run `otherRunId`. */
  repointCollection(store: EvidenceStore, where: { runId: string; kind: string }, otherRunId: string): Promise<void>;
  /** Deletes a run with everything it wrote (its seal, outcomes, collections, check results). */
  removeRun(store: EvidenceStore, runId: string): Promise<void>;
  /** Swaps the positions of two runs in the chain, each keeping its own content and seal. */
  swapRuns(store: EvidenceStore, runIdA: string, runIdB: string): Promise<void>;
  /** Changes the status of `subject`'s recorded result in check run `runId`. */
  editCheckResult(store: EvidenceStore, where: { runId: string; subject: string }, status: string): Promise<void>;
}

export interface ConformanceBackend {
  /** A fresh, empty, writable store. The suite closes it. */
  open(): Promise<EvidenceStore>;
  tamper: TamperAdapter;
}

const member = 'test.member.v1';
const repo = 'test.repo.v1';
const pr = 'test.pull_request.v1';
const day = (n: number) => new Date(Date.UTC(2024, 0, n));
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);
const people = (n: number, changed = -1) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`user-${i}`, { login: `user-${i}`, mfa: i !== changed }]));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const digestOf = (payload: unknown) => sha256(JSON.stringify(payload));
const slim = (p: VerifyProblem) => ({ problem: p.problem, runId: p.runId, kind: p.kind });

export function evidenceStoreConformance(name: string, backend: ConformanceBackend): void {
  describe(`EvidenceStore conformance: ${name}`, () => {
    let open: EvidenceStore[] = [];
    const fresh = async () => {
      const store = await backend.open();
      open.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of open) await store.close();
      open = [];
    });

    describe('write and seal', () => {
      it('chains runs, counts records, and gives an unchanged collection the same tree digest', async () => {
        const store = await fresh();
        const alice = { login: 'alice', mfa: true };
        const r1 = await writeRun(store, day(1), [{ kind: member, records: { alice, bob: { login: 'bob', mfa: false } } }]);
        const r2 = await writeRun(store, day(2), [{ kind: member, records: { bob: { login: 'bob', mfa: false }, alice: { mfa: true, login: 'alice' } } }]);
        const r3 = await writeRun(store, day(3), [{ kind: member, records: { alice } }]);
        const runs = await store.runs();
        expect(runs.map((r) => [r.id, r.seq, r.status, r.observationCount])).toEqual([
          [r3.id, 3, 'complete', 1],
          [r2.id, 2, 'complete', 2],
          [r1.id, 1, 'complete', 2],
        ]);
        expect(runs[2]!.prevHash).toBe('0'.repeat(64));
        expect(runs[1]!.prevHash).toBe(runs[2]!.hash);
        expect(runs[0]!.prevHash).toBe(runs[1]!.hash);
        const trees = await Promise.all([r1, r2, r3].map(async (r) => (await store.run(r.id))!.outcomes[0]!.tree));
        expect(trees[0]).toMatch(/^[0-9a-f]{64}$/);
        expect(trees[1]).toBe(trees[0]);
        expect(trees[2]).not.toBe(trees[0]);
        expect(await store.subjectDigests((await store.run(r2.id))!.outcomes[0]!)).toEqual([
          { subject: 'alice', digest: digestOf(alice) },
          { subject: 'bob', digest: digestOf({ login: 'bob', mfa: false }) },
        ]);
        expect(await store.blob(digestOf(alice))).toEqual(alice);
        expect(await store.verify()).toMatchObject({ ok: true, runsChecked: 3, headHash: r3.hash, unsealedRuns: [], problems: [] });
      });

      it('rejects writes after finish', async () => {
        const store = await fresh();
        const writer = await store.startRun({ command: 'collect', toolVersion: '0.0.0-test', startedAt: day(1) });
        await writer.finish('complete', day(1));
        await expect(writer.addObservations([])).rejects.toThrow(/already finished/);
      });
    });

    describe('read as of a date', () => {
      it('returns the newest successful collection at the date, and keeps serving it when a later one failed', async () => {
        const store = await fresh();
        const r1 = await writeRun(store, day(1), [{ kind: repo, records: { api: { v: 1 } } }]);
        const r2 = await writeRun(store, day(2), [{ kind: repo, records: { api: { v: 2 }, web: { v: 2 } } }]);
        const r3 = await writeRun(store, day(3), [{ kind: repo, failed: true }], 'partial');
        const at = async (asOf?: Date) =>
          (await store.latest(repo, asOf ? { asOf } : {})).map((s) => ({
            latest: [s.latestOutcome.runId, s.latestOutcome.status],
            collected: s.lastCollected?.runId,
            records: s.records.map((r) => [r.runId, r.subject, r.payload, r.collectedAt]),
          }));
        expect(await at(plus(day(1), 1999))).toEqual([]);
        expect(await at(plus(day(1), 2000))).toEqual([{ latest: [r1.id, 'collected'], collected: r1.id, records: [[r1.id, 'api', { v: 1 }, '2024-01-01T00:00:01.000Z']] }]);
        expect(await at(plus(day(2), 5000))).toEqual([
          {
            latest: [r2.id, 'collected'],
            collected: r2.id,
            records: [
              [r2.id, 'api', { v: 2 }, '2024-01-02T00:00:01.000Z'],
              [r2.id, 'web', { v: 2 }, '2024-01-02T00:00:01.000Z'],
            ],
          },
        ]);
        const now = await at();
        expect(now).toEqual([{ latest: [r3.id, 'failed'], collected: r2.id, records: [[r2.id, 'api', { v: 2 }, '2024-01-02T00:00:01.000Z'], [r2.id, 'web', { v: 2 }, '2024-01-02T00:00:01.000Z']] }]);
        expect(await store.latest(repo, { instanceId: 'someone-else' })).toEqual([]);
        expect((await store.kinds()).map((k) => [k.kind, k.instanceId, k.latestOutcome.status, k.lastCollected?.runId])).toEqual([[repo, instanceId, 'failed', r2.id]]);
        expect((await store.kinds({ asOf: day(2) })).map((k) => k.lastCollected?.runId)).toEqual([r1.id]);
      });
    });

    describe('history of a subject', () => {
      it('lists every collection that held the subject, oldest first, including a failed collection’s partial records', async () => {
        const store = await fresh();
        const v1 = { login: 'alice', mfa: false };
        const v2 = { login: 'alice', mfa: true };
        const r1 = await writeRun(store, day(1), [{ kind: member, records: { alice: v1, bob: {} } }]);
        const r2 = await writeRun(store, day(2), [{ kind: member, records: { alice: v1, bob: {} } }]);
        const r3 = await writeRun(store, day(3), [{ kind: member, records: { alice: v2 } }]);
        await writeRun(store, day(4), [{ kind: member, records: { bob: {} } }]);
        // Day 5: the collector saw alice, then failed.
        const w5 = await store.startRun({ command: 'collect', toolVersion: '0.0.0-test', startedAt: day(5) });
        await w5.addObservations([observation(member, 'alice', v1, plus(day(5), 1000))]);
        await w5.addOutcome(outcome(member, 'failed', 1, day(5), plus(day(5), 2000)));
        const r5 = await w5.finish('partial', plus(day(5), 3000));
        const r6 = await writeRun(store, day(6), [{ kind: member, records: { alice: v1 } }]);

        const history = await store.history(member, 'alice');
        expect(history.map((h) => [h.runId, h.payload, h.digest, h.collectedAt])).toEqual([
          [r1.id, v1, digestOf(v1), '2024-01-01T00:00:01.000Z'],
          [r2.id, v1, digestOf(v1), '2024-01-02T00:00:01.000Z'],
          [r3.id, v2, digestOf(v2), '2024-01-03T00:00:01.000Z'],
          [r5.id, v1, digestOf(v1), '2024-01-05T00:00:01.000Z'],
          [r6.id, v1, digestOf(v1), '2024-01-06T00:00:01.000Z'],
        ]);
        expect(history.every((h) => h.kind === member && h.instanceId === instanceId && h.subject === 'alice')).toBe(true);
        expect((await store.history(member, 'alice', { since: day(2), until: day(5) })).map((h) => h.runId)).toEqual([r2.id, r3.id]);
        expect((await store.history(member, 'bob')).map((h) => h.runId).length).toBe(3);
        expect(await store.history(member, 'nobody')).toEqual([]);
        expect(await store.history(repo, 'alice')).toEqual([]);
        // latest() never serves the failed collection's records.
        expect((await store.latest(member))[0]!.records.map((r) => r.runId)).toEqual([r6.id]);
      });
    });

    describe('population over a period', () => {
      it('holds every distinct record any collection in the period held, once per version, with first and last sighting', async () => {
        const store = await fresh();
        const p = (n: number, state = 'merged') => ({ number: n, state });
        const runs: RunInfo[] = [];
        runs.push(await writeRun(store, day(1), [{ kind: pr, records: { '#1': p(1), '#2': p(2) } }]));
        runs.push(await writeRun(store, day(2), [{ kind: pr, records: { '#2': p(2), '#3': p(3) } }]));
        runs.push(await writeRun(store, day(3), [{ kind: pr, records: { '#2': p(2), '#3': p(3, 'reverted') } }]));
        runs.push(await writeRun(store, day(4), [{ kind: pr, records: { '#4': p(4) } }]));
        runs.push(await writeRun(store, day(5), [{ kind: pr, records: {} }]));
        const seen = (n: number) => ({ runId: runs[n - 1]!.id, at: plus(day(n), 2000).toISOString() });
        const population = await store.population(pr, { since: day(2), until: plus(day(4), 3000) });
        expect(population.map((r) => [r.subject, r.payload, r.firstSeen, r.lastSeen])).toEqual([
          ['#2', p(2), seen(2), seen(3)],
          ['#3', p(3), seen(2), seen(2)],
          ['#3', p(3, 'reverted'), seen(3), seen(3)],
          ['#4', p(4), seen(4), seen(4)],
        ]);
        expect(population.every((r) => r.kind === pr && r.instanceId === instanceId && r.digest === digestOf(r.payload) && r.attachment === null)).toBe(true);
        expect((await store.population(pr, { since: day(1), until: day(2) })).map((r) => r.subject)).toEqual(['#1', '#2']);
        expect(await store.population(pr, { since: day(5), until: day(6) })).toEqual([]);
        expect(await store.population(pr, { since: day(7), until: day(8) })).toEqual([]);
        expect(await store.population(pr, { since: day(1), until: day(9), instanceId: 'someone-else' })).toEqual([]);
      });

      it('lists a version once when a subject changes and changes back, from its first to its last sighting', async () => {
        const store = await fresh();
        const off = { login: 'alice', mfa: false };
        const on = { login: 'alice', mfa: true };
        const runs: RunInfo[] = [];
        for (const [n, state] of [[1, on], [2, off], [3, on], [4, on]] as const) {
          runs.push(await writeRun(store, day(n), [{ kind: member, records: { alice: state } }]));
        }
        const seen = (n: number) => ({ runId: runs[n - 1]!.id, at: plus(day(n), 2000).toISOString() });
        const population = await store.population(member, { since: day(1), until: day(5) });
        expect(population.map((r) => [r.subject, r.payload, r.firstSeen, r.lastSeen])).toEqual([
          ['alice', on, seen(1), seen(4)],
          ['alice', off, seen(2), seen(2)],
        ]);
      });
    });

    describe('changes between two runs', () => {
      it('lists subjects that appeared, disappeared or changed, net of what happened in between', async () => {
        const store = await fresh();
        const r1 = await writeRun(store, day(1), [
          { kind: member, records: { alice: { mfa: false }, bob: { mfa: true }, carol: { mfa: true } } },
          { kind: repo, records: { api: { protected: true } } },
        ]);
        // carol flips and flips back: no net change.
        const r2 = await writeRun(store, day(2), [
          { kind: member, records: { alice: { mfa: true }, bob: { mfa: true }, carol: { mfa: false } } },
          { kind: repo, records: { api: { protected: true } } },
        ]);
        const r3 = await writeRun(store, day(3), [{ kind: member, records: { alice: { mfa: true }, carol: { mfa: true }, dave: { mfa: false } } }]);
        const base = { kind: member, instanceId, collectorId: 'test-member' };
        expect(await store.changesBetween(r1.id, r3.id)).toEqual([
          { ...base, subject: 'alice', change: 'changed', before: digestOf({ mfa: false }), after: digestOf({ mfa: true }) },
          { ...base, subject: 'bob', change: 'disappeared', before: digestOf({ mfa: true }), after: null },
          { ...base, subject: 'dave', change: 'appeared', before: null, after: digestOf({ mfa: false }) },
        ]);
        expect((await store.changesBetween(r1.id, r2.id)).map((c) => [c.subject, c.change])).toEqual([
          ['alice', 'changed'],
          ['carol', 'changed'],
        ]);
        expect(await store.changesBetween(r2.id, r2.id)).toEqual([]);
        expect(await store.changesBetween(r1.id, r3.id, { kind: repo })).toEqual([]);
        await expect(store.changesBetween('nope', r3.id)).rejects.toThrow(/no run nope/);
      });
    });

    describe('provenance', () => {
      it('resolves the requests each record came from, kept once per collection', async () => {
        const store = await fresh();
        const page1: RequestRef = { method: 'GET', url: 'https://api.example/members?page=1', status: 200, requestId: 'REQ:1', at: '2024-01-01T00:00:00.250Z' };
        const page2: RequestRef = { method: 'GET', url: 'https://api.example/members?page=2', status: 200, requestId: 'REQ:2', at: '2024-01-01T00:00:00.731Z' };
        const filter: RequestRef = { method: 'GET', url: 'https://api.example/members?filter=2fa_disabled', status: 403, at: '2024-01-01T00:00:00.100Z' };
        const writer = await store.startRun({ command: 'collect', toolVersion: '0.0.0-test', startedAt: day(1) });
        const source = { tool: 'annexa-test/0.0.0', connectorType: 'test' };
        await writer.addObservations([
          { ...observation(member, 'alice', { n: 1 }, day(1)), provenance: { ...source, requests: [page1, filter] } },
          { ...observation(member, 'bob', { n: 2 }, day(1)), provenance: { ...source, requests: [page2, filter] } },
        ]);
        await writer.addOutcome(outcome(member, 'collected', 2, day(1), plus(day(1), 1000)));
        await writer.finish('complete', plus(day(1), 1000));
        const [snapshot] = await store.latest(member);
        const [alice, bob] = snapshot!.records;
        expect(alice!.provenanceDigest).toBe(bob!.provenanceDigest);
        // Exactly as the collector gave them, in its order.
        expect(await store.requestsOf(alice!)).toEqual([page1, filter]);
        expect(await store.requestsOf(bob!)).toEqual([page2, filter]);
      });
    });

    describe('check results', () => {
      it('records results per run and finds the newest check run', async () => {
        const store = await fresh();
        const record = async (n: number, statuses: Record<string, string>) => {
          const writer = await store.startRun({ command: 'check', toolVersion: '0.0.0-test', startedAt: day(n) });
          await writer.addCheckResults(
            Object.entries(statuses).map(([subject, status]) => ({ checkId: 'test.mfa', instanceId, subject, status, message: `${subject} ${status}`, asOf: day(n), evidence: { read: n } })),
          );
          return writer.finish('complete', plus(day(n), 1000));
        };
        const c1 = await record(1, { bob: 'fail', alice: 'pass' });
        const c2 = await record(2, { alice: 'pass', bob: 'fail' });
        await writeRun(store, day(3), [{ kind: member, records: { alice: {} } }]);
        const results = await store.checkResults();
        expect(results.map((r) => [r.runId, r.runSeq, r.recordedAt, r.checkId, r.instanceId, r.subject, r.status, r.message, r.asOf])).toEqual([
          [c1.id, 1, day(1).toISOString(), 'test.mfa', instanceId, 'alice', 'pass', 'alice pass', day(1).toISOString()],
          [c1.id, 1, day(1).toISOString(), 'test.mfa', instanceId, 'bob', 'fail', 'bob fail', day(1).toISOString()],
          [c2.id, 2, day(2).toISOString(), 'test.mfa', instanceId, 'alice', 'pass', 'alice pass', day(2).toISOString()],
          [c2.id, 2, day(2).toISOString(), 'test.mfa', instanceId, 'bob', 'fail', 'bob fail', day(2).toISOString()],
        ]);
        expect(await store.blob(results[0]!.evidenceDigest)).toEqual({ read: 1 });
        expect((await store.checkResults({ since: day(2) })).map((r) => r.runId)).toEqual([c2.id, c2.id]);
        expect(await store.lastCheckRun()).toEqual({ runId: c2.id, startedAt: day(2).toISOString() });
        expect(await store.lastCheckRun({ before: day(2) })).toEqual({ runId: c1.id, startedAt: day(1).toISOString() });
        expect((await store.verify()).ok).toBe(true);
      });
    });

    describe('accumulating records', () => {
      it('lists every record of a kind up to a date, across runs', async () => {
        const store = await fresh();
        const r1 = await writeRun(store, day(1), [{ kind: 'test.document.v1', records: { 'a.pdf': { n: 1 } } }]);
        const r2 = await writeRun(store, day(2), [{ kind: 'test.document.v1', records: { 'b.pdf': { n: 2 } } }]);
        await writeRun(store, day(3), [{ kind: 'test.document.v1', records: { 'c.pdf': { n: 3 } } }]);
        expect((await store.records('test.document.v1', { until: day(3) })).map((r) => [r.runId, r.subject, r.payload])).toEqual([
          [r1.id, 'a.pdf', { n: 1 }],
          [r2.id, 'b.pdf', { n: 2 }],
        ]);
      });
    });

    it('writes an unchanged collection without reading its previous tree; a changed one reads it as its delta base', async () => {
      const store = await fresh();
      await writeRun(store, day(1), [{ kind: member, records: people(40) }]);
      // Both stores rebuild a stored tree's rows through treeRows.
      const treeReads = vi.spyOn(store as unknown as { treeRows: (digest: string) => unknown }, 'treeRows');
      const same = await writeRun(store, day(2), [{ kind: member, records: people(40) }]);
      expect(treeReads).not.toHaveBeenCalled();
      const changed = await writeRun(store, day(3), [{ kind: member, records: people(40, 7) }]);
      expect(treeReads).toHaveBeenCalled();
      // Day 2 names day 1's tree and changed no subject; day 3 changed one.
      expect((await store.changesBetween(same.id, changed.id)).map((c) => c.subject)).toEqual(['user-7']);
      expect((await store.verify()).ok).toBe(true);
    });

    it('writes a collector\'s last records with its outcome, after earlier batches, as one collection like any other', async () => {
      const store = await fresh();
      const both = await writeRun(store, day(1), [{ kind: member, records: { alice: { mfa: true }, bob: { mfa: true }, carol: { mfa: false } } }]);
      const writer = await store.startRun({ command: 'collect', toolVersion: '0.0.0-test', startedAt: day(2) });
      await writer.addObservations([observation(member, 'alice', { mfa: true }, plus(day(2), 100))]);
      await writer.addOutcome(outcome(member, 'collected', 3, day(2), plus(day(2), 900)), [
        observation(member, 'bob', { mfa: true }, plus(day(2), 100)),
        observation(member, 'carol', { mfa: true }, plus(day(2), 100)),
      ]);
      const run = await writer.finish('complete', plus(day(2), 1000));
      expect(run.observationCount).toBe(3);
      const [snapshot] = await store.latest(member);
      expect(snapshot!.records.map((r) => [r.subject, r.payload, r.runId])).toEqual([
        ['alice', { mfa: true }, run.id],
        ['bob', { mfa: true }, run.id],
        ['carol', { mfa: true }, run.id],
      ]);
      expect((await store.changesBetween(both.id, run.id)).map((c) => [c.subject, c.change])).toEqual([['carol', 'changed']]);
      // A failed collector's last records are kept too, marked by its failed outcome.
      const failing = await store.startRun({ command: 'collect', toolVersion: '0.0.0-test', startedAt: day(3) });
      await failing.addOutcome(outcome(member, 'failed', 1, day(3), plus(day(3), 900), { errorCode: 'server_error', errorMessage: 'HTTP 502' }), [
        observation(member, 'dave', { mfa: false }, plus(day(3), 100)),
      ]);
      expect((await failing.finish('failed', plus(day(3), 1000))).observationCount).toBe(1);
      expect((await store.history(member, 'dave')).map((h) => h.payload)).toEqual([{ mfa: false }]);
      expect((await store.verify()).ok).toBe(true);
    });

    sharedRunsConformance(fresh);

    describe('interrupted run', () => {
      it('keeps what an abandoned run wrote, sealed as incomplete by the next run, verifiable', async () => {
        const store = await fresh();
        const r1 = await writeRun(store, day(1), [{ kind: member, records: { alice: { mfa: true } } }]);
        const writer = await store.startRun({ command: 'collect (crashes)', toolVersion: '0.0.0-test', startedAt: day(2) });
        await writer.addObservations([observation(member, 'alice', { mfa: false }, plus(day(2), 500)), observation(member, 'bob', { mfa: true }, plus(day(2), 700))]);
        await writer.abandon();
        expect((await store.runs()).map((r) => [r.id, r.status])).toEqual([
          [writer.runId, 'running'],
          [r1.id, 'complete'],
        ]);
        expect(await store.verify()).toMatchObject({ ok: true, unsealedRuns: [writer.runId] });
        const r3 = await writeRun(store, day(3), [{ kind: member, records: { alice: { mfa: true } } }]);
        const runs = await store.runs();
        expect(runs.map((r) => [r.id, r.status, r.observationCount])).toEqual([
          [r3.id, 'complete', 1],
          [writer.runId, 'incomplete', 2],
          [r1.id, 'complete', 1],
        ]);
        // Sealed at its last write.
        expect(runs[1]!.finishedAt).toBe(plus(day(2), 700).toISOString());
        expect(runs[0]!.prevHash).toBe(runs[1]!.hash);
        expect((await store.history(member, 'alice')).map((h) => [h.runId, h.payload])).toEqual([
          [r1.id, { mfa: true }],
          [writer.runId, { mfa: false }],
          [r3.id, { mfa: true }],
        ]);
        // Never served as current evidence: it has no outcome.
        expect((await store.latest(member))[0]!.records.map((r) => r.runId)).toEqual([r3.id]);
        expect(await store.verify()).toMatchObject({ ok: true, unsealedRuns: [], runsChecked: 3 });
      });
    });

    describe('tamper evidence', () => {
      /** Three collection runs (alice changes in run 2, carol appears in run 3) and a check run. */
      const history = async () => {
        const store = await fresh();
        const runs: RunInfo[] = [];
        for (const n of [1, 2, 3]) {
          runs.push(
            await writeRun(store, day(n), [
              {
                kind: member,
                records: { alice: { login: 'alice', mfa: n > 1 }, bob: { login: 'bob', mfa: true }, ...(n === 3 ? { carol: { login: 'carol', mfa: false } } : {}) },
              },
              { kind: repo, records: { api: { name: 'api', run: n } } },
            ]),
          );
        }
        const writer = await store.startRun({ command: 'check', toolVersion: '0.0.0-test', startedAt: day(4) });
        await writer.addCheckResults(
          ['alice', 'bob', 'carol'].map((subject) => ({ checkId: 'test.mfa', instanceId, subject, status: subject === 'carol' ? 'fail' : 'pass', message: subject, asOf: day(4), evidence: {} })),
        );
        runs.push(await writer.finish('complete', plus(day(4), 1000)));
        expect((await store.verify()).ok).toBe(true);
        return { store, runs };
      };

      it('detects a changed payload byte, naming the run and kind that stored it', async () => {
        const { store, runs } = await history();
        await backend.tamper.changePayloadByte(store, digestOf({ login: 'carol', mfa: false }));
        const report = await store.verify();
        expect(report.ok).toBe(false);
        expect(report.problems.map(slim)).toEqual([{ problem: 'blob_hash_mismatch', runId: runs[2]!.id, kind: member }]);
      });

      it('detects a deleted tree entry', async () => {
        const { store, runs } = await history();
        await backend.tamper.deleteTreeEntry(store, { runId: runs[2]!.id, kind: member, subject: 'bob' });
        const report = await store.verify();
        expect(report.ok).toBe(false);
        expect(report.problems.map(slim)).toContainEqual({ problem: 'tree_hash_mismatch', runId: runs[2]!.id, kind: member });
        expect(report.problems.every((p) => p.runId === runs[2]!.id && p.kind === member)).toBe(true);
      });

      it('detects a re-pointed tree entry', async () => {
        const { store, runs } = await history();
        await backend.tamper.repointTreeEntry(store, { runId: runs[0]!.id, kind: repo, subject: 'api' }, digestOf({ name: 'api', run: 3 }));
        const report = await store.verify();
        expect(report.problems.map(slim)).toEqual([{ problem: 'tree_hash_mismatch', runId: runs[0]!.id, kind: repo }]);
      });

      it('detects a collection re-pointed at another tree', async () => {
        const { store, runs } = await history();
        await backend.tamper.repointCollection(store, { runId: runs[1]!.id, kind: repo }, runs[2]!.id);
        const report = await store.verify();
        expect(report.problems.map(slim)).toEqual([{ problem: 'observations_changed', runId: runs[1]!.id, kind: repo }]);
      });

      it('detects a removed run', async () => {
        const { store, runs } = await history();
        await backend.tamper.removeRun(store, runs[1]!.id);
        const report = await store.verify();
        expect(report.ok).toBe(false);
        expect(report.problems).toContainEqual(expect.objectContaining({ problem: 'run_missing', runSeq: 2 }));
        expect(report.problems).toContainEqual(expect.objectContaining({ problem: 'chain_broken', runId: runs[2]!.id }));
      });

      it('detects reordered runs', async () => {
        const { store, runs } = await history();
        await backend.tamper.swapRuns(store, runs[0]!.id, runs[1]!.id);
        const report = await store.verify();
        expect(report.ok).toBe(false);
        expect(report.problems).toContainEqual(expect.objectContaining({ problem: 'chain_broken', runId: runs[1]!.id }));
        expect(report.problems).toContainEqual(expect.objectContaining({ problem: 'run_hash_mismatch', runId: runs[0]!.id }));
      });

      it('detects an edited check result, naming the check run', async () => {
        const { store, runs } = await history();
        await backend.tamper.editCheckResult(store, { runId: runs[3]!.id, subject: 'carol' }, 'pass');
        const report = await store.verify();
        expect(report.ok).toBe(false);
        expect(report.problems.length).toBeGreaterThan(0);
        expect(report.problems.every((p) => p.runId === runs[3]!.id && ['tree_hash_mismatch', 'check_results_changed'].includes(p.problem))).toBe(true);
      });
    });
  });
}
