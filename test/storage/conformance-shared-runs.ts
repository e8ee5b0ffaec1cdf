/**
 * The conformance suite's part for runs written by several processes (`EvidenceStore.sharedRuns`,
 * used by `annexa worker`). A single-writer backend (SQLite) must leave it undefined; a backend
 * that offers it must pass these. Called from `evidenceStoreConformance`.
 */
import { describe, expect, it } from 'vitest';
import type { EvidenceStore, SharedRuns } from '../../storage/evidence-store.js';
import { collectorFor, instanceId, observation, outcome } from './helpers.js';

const member = 'test.member.v1';
const repo = 'test.repo.v1';
const day = (n: number) => new Date(Date.UTC(2024, 0, n));
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);
const meta = { command: 'schedule', toolVersion: '0.0.0-test', startedAt: day(2) };

export function sharedRunsConformance(fresh: () => Promise<EvidenceStore>): void {
  describe('runs written by several processes (sharedRuns)', () => {
    it('is absent on a single-writer backend, or makes one run per open unit set, sealed once when the last unit ends', async () => {
      const store = await fresh();
      if (!store.sharedRuns) return expect(store.location).not.toMatch(/^postgres/);
      const shared: SharedRuns = store.sharedRuns;
      const units = [instanceId, 'other-acme'];
      const { runId, created } = await shared.create(meta, units);
      expect(created).toBe(true);
      // A second scheduler while it is open joins it.
      expect(await shared.create(meta, [...units].reverse())).toEqual({ runId, created: false });

      // A worker's name is the operator's (--name, the host name): quotes and backslashes go into the log as written.
      const quoted = "w'1\\x";
      const a = await shared.beginUnit(runId, instanceId, quoted, 1);
      expect([...a.done]).toEqual([]);
      await a.writer.addObservations([observation(member, 'alice', { mfa: true }, plus(day(2), 100))]);
      await a.writer.addOutcome(outcome(member, 'collected', 1, day(2), plus(day(2), 200)));
      await expect(a.writer.finish('complete', day(2))).rejects.toThrow(/sealed when its last unit ends/);
      expect(await shared.endUnit(runId, instanceId, quoted, 1, 'ended', plus(day(2), 300))).toBeUndefined();
      expect((await shared.jobs(runId)).filter((j) => j.unit === instanceId).map((j) => [j.worker, j.result])).toEqual([[quoted, 'ended']]);

      // A local run meanwhile neither seals the open shared run nor blocks it.
      const local = await store.startRun({ command: 'collect', toolVersion: '0.0.0-test', startedAt: day(3) });
      await local.finish('complete', day(3));
      expect((await store.run(runId))!.status).toBe('running');

      // Unit 2: the first attempt dies after writing part of a collection; the second starts over.
      const otherObservation = (subject: string) => ({ ...observation(repo, subject, { name: subject }, plus(day(2), 400)), instanceId: 'other-acme' });
      const b1 = await shared.beginUnit(runId, 'other-acme', 'w2', 1);
      await b1.writer.addObservations([otherObservation('api')]);
      const b2 = await shared.beginUnit(runId, 'other-acme', 'w3', 2);
      expect([...b2.done]).toEqual([]);
      await b2.writer.addObservations([otherObservation('api'), otherObservation('web')]);
      await b2.writer.addOutcome({ ...outcome(repo, 'collected', 2, day(2), plus(day(2), 500)), instanceId: 'other-acme' });
      // The dead attempt cannot add a second outcome for the same collector.
      await expect(b1.writer.addOutcome({ ...outcome(repo, 'failed', 0, day(2), plus(day(2), 600)), instanceId: 'other-acme' })).rejects.toThrow();
      const sealed = await shared.endUnit(runId, 'other-acme', 'w3', 2, 'ended', plus(day(2), 700));
      expect(sealed).toMatchObject({ id: runId, status: 'complete', observationCount: 3, finishedAt: plus(day(2), 700).toISOString() });
      // Sealed once: a late end changes nothing, not even the sealed worker log.
      expect((await shared.endUnit(runId, instanceId, quoted, 1, 'ended', plus(day(2), 800)))!.hash).toBe(sealed!.hash);
      // Outcomes written after the seal (a worker presumed dead) are refused, for a stream stored before and a new one.
      await expect(a.writer.addOutcome(outcome(member, 'failed', 0, day(2), plus(day(2), 900)))).rejects.toThrow(/already sealed/);
      await expect(b1.writer.addOutcome({ ...outcome(member, 'collected', 0, day(2), plus(day(2), 900)), instanceId: 'other-acme' })).rejects.toThrow(/already sealed/);
      const run = await store.run(runId);
      expect(run!.outcomes.map((o) => `${o.instanceId}/${o.collectorId}`)).toEqual([`${instanceId}/${collectorFor(member)}`, `other-acme/${collectorFor(repo)}`]);
      expect((await store.latest(repo))[0]!.records.map((r) => r.subject)).toEqual(['api', 'web']);
      // A sealed run takes no more attempts.
      await expect(shared.beginUnit(runId, instanceId, 'w4', 2)).rejects.toThrow(/already sealed/);
      expect((await shared.jobs(runId)).map((j) => [j.unit, j.attempt, j.worker, j.result ?? null])).toEqual([
        [instanceId, 1, quoted, 'ended'],
        ['other-acme', 1, 'w2', null],
        ['other-acme', 2, 'w3', 'ended'],
      ]);
      expect(await shared.unfinishedUnits()).toEqual([]);
      expect(await store.verify()).toMatchObject({ ok: true, runsChecked: 2, unsealedRuns: [] });
    });

    it('a retried unit skips the collectors that already have an outcome', async () => {
      const store = await fresh();
      if (!store.sharedRuns) return;
      const { runId } = await store.sharedRuns.create(meta, [instanceId]);
      const first = await store.sharedRuns.beginUnit(runId, instanceId, 'w1', 1);
      await first.writer.addObservations([observation(member, 'alice', { mfa: true }, plus(day(2), 100))]);
      await first.writer.addOutcome(outcome(member, 'collected', 1, day(2), plus(day(2), 200)));
      await first.writer.addObservations([observation(repo, 'api', { name: 'api' }, plus(day(2), 300))]);
      // w1 dies here; its unit is taken again.
      expect(await store.sharedRuns.unfinishedUnits()).toEqual([{ runId, unit: instanceId }]);
      const retry = await store.sharedRuns.beginUnit(runId, instanceId, 'w2', 2);
      expect([...retry.done]).toEqual([`${instanceId}/${collectorFor(member)}`]);
      await retry.writer.addObservations([observation(repo, 'api', { name: 'api' }, plus(day(2), 400))]);
      await retry.writer.addOutcome(outcome(repo, 'collected', 1, day(2), plus(day(2), 500)));
      const sealed = await store.sharedRuns.endUnit(runId, instanceId, 'w2', 2, 'ended', plus(day(2), 600));
      expect(sealed).toMatchObject({ status: 'complete', observationCount: 2 });
      expect((await store.history(repo, 'api')).map((r) => r.collectedAt)).toEqual([plus(day(2), 400).toISOString()]);
      expect((await store.verify()).ok).toBe(true);
    });

    it('an instance split into parts (one per account): outcomes once per part, merged into one outcome and collection per collector', async () => {
      const store = await fresh();
      if (!store.sharedRuns) return;
      const [p1, p2] = [`${instanceId}/111122223333`, `${instanceId}/444455556666`];
      const { runId } = await store.sharedRuns.create(meta, [p1, p2]);
      // Part 1 (one worker): both collectors collect.
      const a = await store.sharedRuns.beginUnit(runId, p1, 'w1', 1);
      await a.writer.addObservations([observation(member, '111122223333/alice', { mfa: true }, plus(day(2), 100))]);
      await a.writer.addOutcome(outcome(member, 'collected', 1, day(2), plus(day(2), 110)));
      await a.writer.addObservations([observation(repo, '111122223333/api', { name: 'api' }, plus(day(2), 120))]);
      await a.writer.addOutcome(outcome(repo, 'collected', 1, day(2), plus(day(2), 130)));
      // A part outcome is kept once: a second one for the same collector is refused.
      await expect(a.writer.addOutcome(outcome(repo, 'collected', 1, day(2), plus(day(2), 140)))).rejects.toThrow();
      expect(await store.sharedRuns.endUnit(runId, p1, 'w1', 1, 'ended', plus(day(2), 150))).toBeUndefined();
      // Nothing of a part is evidence before every part has ended.
      expect(await store.latest(member)).toEqual([]);

      // Part 2: attempt 1 collects members, writes half of repos and dies; attempt 2 skips members only.
      const b1 = await store.sharedRuns.beginUnit(runId, p2, 'w2', 1);
      await b1.writer.addObservations([observation(member, '444455556666/bob', { mfa: false }, plus(day(2), 200))]);
      await b1.writer.addOutcome(outcome(member, 'collected', 1, day(2), plus(day(2), 210)));
      await b1.writer.addObservations([observation(repo, '444455556666/half', { name: 'half' }, plus(day(2), 220))]);
      const b2 = await store.sharedRuns.beginUnit(runId, p2, 'w1', 2);
      expect([...b2.done]).toEqual([`${instanceId}/${collectorFor(member)}`]);
      await b2.writer.addObservations([observation(repo, '444455556666/web', { name: 'web' }, plus(day(2), 300))]);
      await b2.writer.addOutcome(outcome(repo, 'failed', 1, day(2), plus(day(2), 310), { errorCode: 'permission_denied', errorMessage: 'AccessDenied on ListRepos' }));
      const sealed = await store.sharedRuns.endUnit(runId, p2, 'w1', 2, 'ended', plus(day(2), 400));
      // One account failed for repos: the run is partial, as a single process with one failed account would be.
      expect(sealed).toMatchObject({ id: runId, status: 'partial', observationCount: 4 });

      const run = await store.run(runId);
      expect(run!.outcomes.map((o) => [o.instanceId, o.collectorId, o.status, o.recordCount, o.errorCode ?? null])).toEqual([
        [instanceId, collectorFor(member), 'collected', 2, null],
        [instanceId, collectorFor(repo), 'collected', 2, 'permission_denied'],
      ]);
      expect(run!.outcomes[1]!.errorMessage).toBe(`partially collected: ${p2}: permission_denied: AccessDenied on ListRepos`);
      // Exactly once per (run, instance, collector, account): the dead attempt's half-written record is gone.
      expect((await store.latest(member))[0]!.records.map((r) => [r.instanceId, r.subject])).toEqual([
        [instanceId, '111122223333/alice'],
        [instanceId, '444455556666/bob'],
      ]);
      expect((await store.latest(repo, { asOf: plus(day(2), 1000) })).flatMap((s) => s.records.map((r) => r.subject))).toEqual(['111122223333/api', '444455556666/web']);
      expect((await store.sharedRuns.jobs(runId)).map((j) => [j.unit, j.attempt, j.worker, j.result ?? null])).toEqual([
        [p1, 1, 'w1', 'ended'],
        [p2, 1, 'w2', null],
        [p2, 2, 'w1', 'ended'],
      ]);
      expect(await store.verify()).toMatchObject({ ok: true, runsChecked: 1 });
    });

    it('a part that gave up counts as a failed part of every collector the other parts collected', async () => {
      const store = await fresh();
      if (!store.sharedRuns) return;
      const [p1, p2] = [`${instanceId}/111122223333`, `${instanceId}/444455556666`];
      const { runId } = await store.sharedRuns.create(meta, [p1, p2]);
      const a = await store.sharedRuns.beginUnit(runId, p1, 'w1', 1);
      await a.writer.addObservations([observation(member, '111122223333/alice', { mfa: true }, plus(day(2), 100))]);
      await a.writer.addOutcome(outcome(member, 'collected', 1, day(2), plus(day(2), 110)));
      await store.sharedRuns.endUnit(runId, p1, 'w1', 1, 'ended', plus(day(2), 150));
      const sealed = await store.sharedRuns.endUnit(runId, p2, 'reaper', 5, 'gave_up', plus(day(2), 200));
      expect(sealed).toMatchObject({ status: 'partial' });
      expect((await store.run(runId))!.outcomes.map((o) => [o.collectorId, o.status, o.recordCount, o.errorCode ?? null, o.errorMessage ?? null])).toEqual([
        [collectorFor(member), 'collected', 1, 'unexpected', `partially collected: ${p2}: unexpected: no outcome: the unit gave up (no attempts left)`],
      ]);
      expect((await store.verify()).ok).toBe(true);
    });
  });
}
