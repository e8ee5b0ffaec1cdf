import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { StoreLockedError } from '../../storage/lock.js';
import { instanceId, makeTempDir, observation, outcome, writeRun } from './helpers.js';

const member = 'test.member.v1';
const repo = 'test.repo.v1';
const genesis = '0'.repeat(64);

const day = (iso: string) => new Date(`${iso}T00:00:00.000Z`);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let tmp: ReturnType<typeof makeTempDir>;
let dbPath: string;
let store: SqliteEvidenceStore;

beforeEach(() => {
  tmp = makeTempDir();
  dbPath = path.join(tmp.dir, 'evidence.db');
  store = openSqliteStore(dbPath);
});

afterEach(async () => {
  await store.close();
  tmp.cleanup();
});

describe('content-addressed payloads', () => {
  it('gives objects with the same members in a different key order the same digest, stored once', async () => {
    await writeRun(store, day('2024-01-01'), [{ kind: member, records: { x: { a: 1, b: 2 }, y: { b: 2, a: 1 } } }]);
    const [snapshot] = await store.latest(member);
    const digests = snapshot!.records.map((r) => r.digest);
    expect(digests).toEqual([sha256('{"a":1,"b":2}'), sha256('{"a":1,"b":2}')]);
    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.prepare('SELECT json FROM blobs WHERE digest = ?').all(digests[0])).toEqual([{ json: '{"a":1,"b":2}' }]);
    } finally {
      db.close();
    }
  });
});

describe('latest as of a date', () => {
  const t1 = day('2024-01-01');
  const t2 = day('2024-02-01');
  const t3 = day('2024-03-01');
  const t4 = day('2024-04-01');

  it('returns the run that was newest at the date, and nothing before the first run', async () => {
    const r1 = await writeRun(store, t1, [{ kind: repo, records: { api: { version: 1 } } }]);
    const r2 = await writeRun(store, t2, [{ kind: repo, records: { api: { version: 2 }, web: { version: 2 } } }]);
    const r3 = await writeRun(store, t3, [{ kind: repo, records: { api: { version: 3 } } }]);

    const at = async (asOf?: Date) => {
      const snapshots = await store.latest(repo, asOf ? { asOf } : {});
      return snapshots.map((s) => ({ run: s.latestOutcome.runId, records: s.records.map((r) => [r.runId, r.subject, r.payload]) }));
    };

    expect(await at(day('2023-12-31'))).toEqual([]);
    // The first outcome finished at t1 + 2 s: a moment earlier there was no evidence yet; at that instant there was.
    expect(await at(new Date(t1.getTime() + 1999))).toEqual([]);
    expect(await at(new Date(t1.getTime() + 2000))).toEqual([{ run: r1.id, records: [[r1.id, 'api', { version: 1 }]] }]);
    expect(await at(day('2024-01-15'))).toEqual([{ run: r1.id, records: [[r1.id, 'api', { version: 1 }]] }]);
    expect(await at(day('2024-02-15'))).toEqual([
      { run: r2.id, records: [[r2.id, 'api', { version: 2 }], [r2.id, 'web', { version: 2 }]] },
    ]);
    expect(await at(day('2024-03-15'))).toEqual([{ run: r3.id, records: [[r3.id, 'api', { version: 3 }]] }]);
    expect(await at()).toEqual([{ run: r3.id, records: [[r3.id, 'api', { version: 3 }]] }]);

    expect(await store.latest(repo, { instanceId: 'some-other-instance' })).toEqual([]);
    expect(await store.latest(repo, { instanceId })).toHaveLength(1);
    expect(await store.latest('test.unknown.v1')).toEqual([]);
  });

  it('keeps serving the last successful collection when the newest outcome failed', async () => {
    await writeRun(store, t1, [{ kind: repo, records: { api: { version: 1 } } }]);
    const r2 = await writeRun(store, t2, [{ kind: repo, records: { api: { version: 2 } } }]);
    const r3 = await writeRun(store, t3, [{ kind: repo, failed: true }], 'partial');

    const [now] = await store.latest(repo);
    expect(now!.latestOutcome).toMatchObject({ runId: r3.id, status: 'failed', errorCode: 'upstream_5xx', recordCount: 0 });
    expect(now!.lastCollected).toMatchObject({ runId: r2.id, status: 'collected', recordCount: 1 });
    expect(now!.records.map((r) => [r.runId, r.payload])).toEqual([[r2.id, { version: 2 }]]);

    // Before the failure, the newest outcome was the successful one.
    const [before] = await store.latest(repo, { asOf: day('2024-02-15') });
    expect(before!.latestOutcome).toMatchObject({ runId: r2.id, status: 'collected' });

    // A later success replaces both.
    const r4 = await writeRun(store, t4, [{ kind: repo, records: { api: { version: 4 } } }]);
    const [after] = await store.latest(repo);
    expect(after!.latestOutcome).toMatchObject({ runId: r4.id, status: 'collected' });
    expect(after!.records.map((r) => r.payload)).toEqual([{ version: 4 }]);
  });

  it('has no records when a kind has only ever failed', async () => {
    const r1 = await writeRun(store, t1, [{ kind: repo, failed: true }], 'failed');
    const [snapshot] = await store.latest(repo);
    expect(snapshot!.latestOutcome).toMatchObject({ runId: r1.id, status: 'failed' });
    expect(snapshot!.lastCollected).toBeUndefined();
    expect(snapshot!.records).toEqual([]);
  });
});

describe('history and runs', () => {
  it('lists a subject oldest first, runs newest first, and chains each run to the one before', async () => {
    const r1 = await writeRun(store, day('2024-01-01'), [{ kind: member, records: { alice: { mfa: false }, bob: { mfa: true } } }]);
    const r2 = await writeRun(
      store,
      day('2024-02-01'),
      [
        { kind: member, records: { alice: { mfa: true } } },
        { kind: repo, failed: true },
      ],
      'partial',
    );
    const r3 = await writeRun(store, day('2024-03-01'), [{ kind: member, records: { alice: { mfa: true }, carol: { mfa: true } } }]);

    const history = await store.history(member, 'alice');
    expect(history.map((h) => [h.runId, h.payload, h.collectedAt])).toEqual([
      [r1.id, { mfa: false }, '2024-01-01T00:00:01.000Z'],
      [r2.id, { mfa: true }, '2024-02-01T00:00:01.000Z'],
      [r3.id, { mfa: true }, '2024-03-01T00:00:01.000Z'],
    ]);
    expect((await store.history(member, 'alice', { since: day('2024-01-15') })).map((h) => h.runId)).toEqual([r2.id, r3.id]);
    expect((await store.history(member, 'alice', { until: day('2024-02-15') })).map((h) => h.runId)).toEqual([r1.id, r2.id]);
    expect((await store.history(member, 'bob')).map((h) => h.runId)).toEqual([r1.id]);
    expect(await store.history(repo, 'alice')).toEqual([]);

    const runs = await store.runs();
    expect(runs.map((r) => [r.id, r.seq, r.status, r.observationCount])).toEqual([
      [r3.id, 3, 'complete', 2],
      [r2.id, 2, 'partial', 1],
      [r1.id, 1, 'complete', 2],
    ]);
    for (const r of runs) {
      expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.finishedAt).toBe(new Date(new Date(r.startedAt).getTime() + 3000).toISOString());
    }
    expect(new Set(runs.map((r) => r.hash)).size).toBe(3);
    expect(runs[2]!.prevHash).toBe(genesis);
    expect(runs[1]!.prevHash).toBe(runs[2]!.hash);
    expect(runs[0]!.prevHash).toBe(runs[1]!.hash);
    // What finish() returned is what runs() shows.
    expect([r3, r2, r1]).toEqual(runs.map((r) => expect.objectContaining({ id: r.id, hash: r.hash, prevHash: r.prevHash, status: r.status })));

    expect((await store.runs({ limit: 1 })).map((r) => r.id)).toEqual([r3.id]);

    const detail = await store.run(r2.id.slice(0, 10)); // "20240201T0": unique prefix
    expect(detail).toMatchObject({ id: r2.id, seq: 2, status: 'partial', hash: runs[1]!.hash });
    expect(detail!.outcomes.map((o) => [o.kind, o.status, o.recordCount])).toEqual([
      [member, 'collected', 1],
      [repo, 'failed', 0],
    ]);
    expect((await store.run(r3.id))!.id).toBe(r3.id);
    expect(await store.run('2024')).toBeUndefined(); // ambiguous: matches every run
    expect(await store.run('1999')).toBeUndefined();

    const report = await store.verify();
    expect(report).toMatchObject({ ok: true, runsChecked: 3, headHash: r3.hash, unsealedRuns: [], problems: [] });
  });
});

describe('writer lock', () => {
  const lockPath = () => `${dbPath}.lock`;
  const meta = (command: string) => ({ command, toolVersion: '0.0.0-test', startedAt: day('2024-05-01') });

  it('rejects a second writer while one is open, and admits one after finish', async () => {
    const writer = await store.startRun(meta('collect --first'));
    expect(JSON.parse(fs.readFileSync(lockPath(), 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'collect --first' });

    const second = store.startRun(meta('collect --second'));
    await expect(second).rejects.toBeInstanceOf(StoreLockedError);
    await expect(store.startRun(meta('collect --second'))).rejects.toThrow(lockPath());
    await expect(store.startRun(meta('collect --second'))).rejects.toThrow(/collect --first/);

    // A second store on the same file (another part of the process, or another process) is refused too.
    const other = openSqliteStore(dbPath);
    try {
      await expect(other.startRun(meta('collect --other'))).rejects.toBeInstanceOf(StoreLockedError);
    } finally {
      await other.close();
    }
    // The refused attempts created no runs.
    expect((await store.runs()).map((r) => r.id)).toEqual([writer.runId]);

    await writer.addObservations([observation(member, 'alice', { mfa: true }, day('2024-05-01'))]);
    await writer.addOutcome(outcome(member, 'collected', 1, day('2024-05-01'), day('2024-05-01')));
    await writer.finish('complete', day('2024-05-01'));
    expect(fs.existsSync(lockPath())).toBe(false);
    await expect(writer.addObservations([])).rejects.toThrow(/already finished/);

    const next = await store.startRun(meta('collect --next'));
    await next.finish('complete', day('2024-05-02'));
    expect((await store.runs()).map((r) => r.status)).toEqual(['complete', 'complete']);
  });

  it('takes over a lock left by a process that no longer exists on this host', async () => {
    const deadPid = 999999;
    expect(() => process.kill(deadPid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    fs.writeFileSync(lockPath(), JSON.stringify({ pid: deadPid, host: os.hostname(), startedAt: '2024-04-30T23:00:00.000Z', command: 'collect (crashed)' }));

    const writer = await store.startRun(meta('collect --after-crash'));
    expect(JSON.parse(fs.readFileSync(lockPath(), 'utf8'))).toMatchObject({ pid: process.pid, command: 'collect --after-crash' });
    await writer.finish('complete', day('2024-05-01'));
    expect(fs.existsSync(lockPath())).toBe(false);
  });

  it('does not take over a lock held on another host, whose pids it cannot check', async () => {
    fs.writeFileSync(lockPath(), JSON.stringify({ pid: 999999, host: `not-${os.hostname()}`, startedAt: '2024-04-30T23:00:00.000Z', command: 'collect' }));
    await expect(store.startRun(meta('collect'))).rejects.toBeInstanceOf(StoreLockedError);
    expect(JSON.parse(fs.readFileSync(lockPath(), 'utf8'))).toMatchObject({ host: `not-${os.hostname()}` });
    expect(await store.runs()).toEqual([]);
  });

  it('seals a run abandoned without finishing as incomplete when the next run starts', async () => {
    const first = await store.startRun(meta('collect --abandoned'));
    await first.addObservations([observation(member, 'alice', { mfa: true }, day('2024-05-01'))]);
    await first.abandon();
    expect(fs.existsSync(lockPath())).toBe(false);
    expect((await store.runs()).map((r) => r.status)).toEqual(['running']);
    expect((await store.verify()).unsealedRuns).toEqual([first.runId]);

    const second = await store.startRun(meta('collect --next'));
    await second.finish('complete', day('2024-05-02'));
    const runs = await store.runs();
    expect(runs.map((r) => [r.id, r.status, r.observationCount])).toEqual([
      [second.runId, 'complete', 0],
      [first.runId, 'incomplete', 1],
    ]);
    // Sealed at its last write: the observation's collection time.
    expect(runs[1]!.finishedAt).toBe('2024-05-01T00:00:00.000Z');
    expect(runs[0]!.prevHash).toBe(runs[1]!.hash);
    expect(await store.verify()).toMatchObject({ ok: true, unsealedRuns: [], runsChecked: 2 });
  });
});
