import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore, StoreVersionError, stepsPerTurn, walCheckpointPages } from '../../storage/sqlite-store.js';
import { appendOnlyTables } from '../../storage/sqlite-schema.js';
import { evidenceStoreConformance } from './conformance.js';
import { sqliteTamper } from './sqlite-tamper.js';
import { makeTempDir, writeRun } from './helpers.js';

const tmp = makeTempDir('annexa-sqlite-');
afterAll(() => tmp.cleanup());
let stores = 0;
const freshPath = () => path.join(tmp.dir, `store-${++stores}.db`);

evidenceStoreConformance('SQLite', { open: async () => openSqliteStore(freshPath()), tamper: sqliteTamper });

const member = 'test.member.v1';
const day = (n: number) => new Date(Date.UTC(2024, 0, n));

/** Row counts of the tables that grow with evidence. */
function counts(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    return Object.fromEntries(
      ['blobs', 'packed_blobs', 'trees', 'collections', 'subject_changes', 'outcomes', 'runs', 'run_seals', 'pending'].map((t) => [t, db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number]),
    );
  } finally {
    db.close();
  }
}

describe('SQLite store v2 storage', () => {
  const people = (n: number, changed = -1) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`user-${i}`, { login: `user-${i}`, mfa: i !== changed }]));

  it('stores an unchanged day as references: one collection row, no new tree, payload or change row', async () => {
    const file = freshPath();
    const store = openSqliteStore(file);
    await writeRun(store, day(1), [{ kind: member, records: people(40) }]);
    const first = counts(file);
    // 40 payloads and the request templates; the provenance (packed); one full tree; 40 change rows (all appeared).
    expect(first).toEqual({ blobs: 41, packed_blobs: 1, trees: 1, collections: 1, subject_changes: 40, outcomes: 1, runs: 1, run_seals: 1, pending: 0 });
    await writeRun(store, day(2), [{ kind: member, records: people(40) }]);
    // Only the day's provenance (request times differ) is new.
    expect(counts(file)).toEqual({ ...first, packed_blobs: 2, collections: 2, outcomes: 2, runs: 2, run_seals: 2 });
    await store.close();
  });

  it('stores a small change as a delta tree and one change row per changed subject', async () => {
    const file = freshPath();
    const store = openSqliteStore(file);
    await writeRun(store, day(1), [{ kind: member, records: people(40) }]);
    await writeRun(store, day(2), [{ kind: member, records: people(40, 7) }]);
    const db = new Database(file, { readonly: true });
    try {
      const trees = db.prepare('SELECT base IS NOT NULL AS delta, depth, row_count, length(data) AS bytes FROM trees ORDER BY id').all() as { delta: number; depth: number; row_count: number; bytes: number }[];
      expect(trees.map((t) => [t.delta, t.depth, t.row_count])).toEqual([
        [0, 0, 40],
        [1, 1, 40],
      ]);
      expect(trees[1]!.bytes).toBeLessThan(trees[0]!.bytes / 10);
      expect(db.prepare('SELECT c.run_seq, x.subject FROM subject_changes x JOIN collections c ON c.id = x.collection_id WHERE c.run_seq = 2').all()).toEqual([
        { run_seq: 2, subject: 'user-7' },
      ]);
    } finally {
      db.close();
    }
    expect((await store.history(member, 'user-7')).map((h) => h.payload)).toEqual([
      { login: 'user-7', mfa: true },
      { login: 'user-7', mfa: false },
    ]);
    expect((await store.verify()).ok).toBe(true);
    await store.close();
  });

  it('keeps no collection tree in memory while writing, written or read as a delta base; reads still cache theirs', async () => {
    const store = openSqliteStore(freshPath());
    await writeRun(store, day(1), [{ kind: member, records: people(40) }]);
    expect(store.cachedTreeRows).toBe(0);
    // The second day is stored as a delta: the writer rebuilt day 1's tree as its base.
    await writeRun(store, day(2), [{ kind: member, records: people(40, 7) }]);
    expect(store.cachedTreeRows).toBe(0);
    expect((await store.latest(member))[0]!.records).toHaveLength(40);
    expect(store.cachedTreeRows).toBeGreaterThanOrEqual(40);
    await store.close();
  });

  it('stores an unchanged check run as one row pointing at the same evaluation tree; a changed evaluation adds its result tree only', async () => {
    const file = freshPath();
    const store = openSqliteStore(file);
    const checkRun = async (d: number, carol: string) => {
      const writer = await store.startRun({ command: 'check', toolVersion: '0.0.0-test', startedAt: day(d) });
      // The evidence names the day's run, so it differs every day, as a real check run's does.
      const evidence = [{ kind: member, runId: `run-${d}` }];
      await writer.addCheckResults([
        ...['alice', 'bob'].map((subject) => ({ checkId: 'test.mfa', instanceId: 'acme', subject, status: 'pass', message: `${subject} ok`, asOf: day(d), evidence })),
        { checkId: 'test.mfa', instanceId: 'acme', subject: 'carol', status: carol, message: `carol ${carol}`, asOf: day(d), evidence },
        { checkId: 'test.repo', instanceId: 'acme', subject: 'api', status: 'pass', message: 'api ok', asOf: day(d), evidence },
      ]);
      return (await writer.finish('complete', day(d))).id;
    };
    const tables = () => {
      const db = new Database(file, { readonly: true });
      try {
        const count = (t: string) => db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number;
        return { check_runs: count('check_runs'), check_evaluations: count('check_evaluations'), trees: count('trees'), blobs: count('blobs') };
      } finally {
        db.close();
      }
    };
    const first = await checkRun(1, 'pass');
    // Two result trees and the evaluation tree; one evidence blob.
    expect(tables()).toEqual({ check_runs: 1, check_evaluations: 0, trees: 3, blobs: 1 });
    const second = await checkRun(2, 'pass');
    // Unchanged: one row and the day's evidence, no tree.
    expect(tables()).toEqual({ check_runs: 2, check_evaluations: 0, trees: 3, blobs: 2 });
    const third = await checkRun(3, 'fail');
    // One result changed: its result tree and a new evaluation tree.
    expect(tables()).toEqual({ check_runs: 3, check_evaluations: 0, trees: 5, blobs: 3 });
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT length(evaluations) AS e, length(evidence) AS v, evaluation_count AS n FROM check_runs ORDER BY id').all()).toEqual([
        { e: 32, v: 32, n: 2 },
        { e: 32, v: 32, n: 2 },
        { e: 32, v: 32, n: 2 },
      ]);
    } finally {
      db.close();
    }
    const results = await store.checkResults();
    expect(results.map((r) => [r.runId, r.checkId, r.subject, r.status, r.asOf])).toEqual(
      [first, second, third].flatMap((id, i) => [
        [id, 'test.mfa', 'alice', 'pass', day(i + 1).toISOString()],
        [id, 'test.mfa', 'bob', 'pass', day(i + 1).toISOString()],
        [id, 'test.mfa', 'carol', i === 2 ? 'fail' : 'pass', day(i + 1).toISOString()],
        [id, 'test.repo', 'api', 'pass', day(i + 1).toISOString()],
      ]),
    );
    expect(await store.blob(results.find((r) => r.runId === second)!.evidenceDigest)).toEqual([{ kind: member, runId: 'run-2' }]);
    expect(await store.verify()).toMatchObject({ ok: true, runsChecked: 3, problems: [] });
    await store.close();
  });

  it('keeps records in pending only until their collection ends', async () => {
    const file = freshPath();
    const store = openSqliteStore(file);
    const writer = await store.startRun({ command: 'collect', toolVersion: '0.0.0-test', startedAt: day(1) });
    await writer.addObservations([{ instanceId: 'i', collectorId: 'c', kind: member, subject: 'a', payload: {}, collectedAt: day(1), provenance: { tool: 't', connectorType: 'x', requests: [] } }]);
    expect(counts(file).pending).toBe(1);
    expect((await store.runs())[0]!.observationCount).toBe(1);
    await writer.addOutcome({ instanceId: 'i', connectorType: 'x', collectorId: 'c', kind: member, status: 'collected', recordCount: 1, startedAt: day(1), finishedAt: day(1) });
    expect(counts(file)).toMatchObject({ pending: 0, collections: 1 });
    await writer.finish('complete', day(1));
    await store.close();
  });

  it('puts append-only triggers on every evidence table and rejects edits from any connection', async () => {
    const file = freshPath();
    const store = openSqliteStore(file);
    await writeRun(store, day(1), [{ kind: member, records: people(2) }]);
    const db = new Database(file);
    try {
      const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").pluck().all();
      expect(triggers).toEqual([...appendOnlyTables].sort().flatMap((t) => [`${t}_no_delete`, `${t}_no_update`]));
      expect(() => db.prepare("UPDATE blobs SET json = '{}'").run()).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE trees SET data = '[]'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM collections').run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM subject_changes').run()).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE run_seals SET status = 'failed'").run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect((await store.verify()).ok).toBe(true);
    await store.close();
  });

  it('checkpoints a writer\'s WAL every walCheckpointPages pages, and leaves no WAL behind when the last connection closes', async () => {
    const file = freshPath();
    const store = openSqliteStore(file);
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(walCheckpointPages);
    expect(walCheckpointPages).toBeGreaterThan(1000);
    // 12,000 records of 800 bytes in batches of 500, about 10 MB: SQLite's default would checkpoint
    // (and start the WAL over) every 1,000 pages, so the file would stay near 4 MB.
    const writer = await store.startRun({ command: 'collect', toolVersion: '0.0.0-test', startedAt: day(1) });
    const records = Array.from({ length: 12_000 }, (_, i) => ({
      instanceId: 'test-acme',
      collectorId: 'members',
      kind: member,
      subject: `u${i}`,
      payload: { login: `u${i}`, filler: `${i}`.padEnd(800, 'x') },
      collectedAt: day(1),
      provenance: { tool: 'annexa-test/0.0.0', connectorType: 'test', requests: [] },
    }));
    for (let i = 0; i < records.length; i += 500) await writer.addObservations(records.slice(i, i + 500));
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(2 * 1000 * 4096);
    await writer.addOutcome({ instanceId: 'test-acme', connectorType: 'test', collectorId: 'members', kind: member, status: 'collected', recordCount: records.length, startedAt: day(1), finishedAt: day(1) });
    await writer.finish('complete', day(1));
    await store.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const reader = openSqliteStore(file, { readonly: true });
    try {
      expect((await reader.verify()).ok).toBe(true);
    } finally {
      await reader.close();
    }
  });

  it('writes a batch and a collection\'s end in one transaction each, handing the event loop back as it goes', async () => {
    const file = freshPath();
    const store = openSqliteStore(file);
    const writer = await store.startRun({ command: 'collect', toolVersion: '0.0.0-test', startedAt: day(1) });
    const records = Array.from({ length: 6 * stepsPerTurn }, (_, i) => ({
      instanceId: 'test-acme',
      collectorId: 'members',
      kind: member,
      subject: `u${i}`,
      payload: { login: `u${i}` },
      collectedAt: day(1),
      provenance: { tool: 'annexa-test/0.0.0', connectorType: 'test', requests: [] },
    }));
    const outsider = new Database(file, { readonly: true });
    try {
      // Another connection looks in between the steps: nothing of the write shows before its commit.
      const seen: number[] = [];
      let turns = 0;
      const look = setInterval(() => {
        turns++;
        seen.push(outsider.prepare('SELECT COUNT(*) FROM blobs').pluck().get() as number);
      }, 0);
      const write = writer.addObservations(records);
      // Queued behind the batch, not run inside its open transaction.
      const end = writer.addOutcome({ instanceId: 'test-acme', connectorType: 'test', collectorId: 'members', kind: member, status: 'collected', recordCount: records.length, startedAt: day(1), finishedAt: day(1) });
      await write;
      const afterBatch = outsider.prepare('SELECT COUNT(*) FROM blobs').pluck().get() as number;
      await end;
      clearInterval(look);
      expect(turns).toBeGreaterThan(1);
      expect(seen.filter((n) => n > 0 && n < records.length)).toEqual([]);
      expect(afterBatch).toBe(records.length);
      expect(outsider.prepare('SELECT COUNT(*) FROM subject_changes').pluck().get()).toBe(records.length);
    } finally {
      outsider.close();
    }
    await writer.finish('complete', day(1));
    const [snapshot] = await store.latest(member);
    expect(snapshot?.records).toHaveLength(records.length);
    expect((await store.verify()).ok).toBe(true);
    await store.close();
  });

  it('rolls back a batch that fails part way, and the next write starts clean', async () => {
    const file = freshPath();
    const store = openSqliteStore(file);
    const writer = await store.startRun({ command: 'collect', toolVersion: '0.0.0-test', startedAt: day(1) });
    const record = (i: number, payload: unknown) => ({
      instanceId: 'test-acme', collectorId: 'members', kind: member, subject: `u${i}`, payload, collectedAt: day(1),
      provenance: { tool: 'annexa-test/0.0.0', connectorType: 'test', requests: [] },
    });
    // A BigInt cannot be written as JSON: the record after two turns' worth fails the batch.
    const batch = Array.from({ length: 3 * stepsPerTurn }, (_, i) => record(i, i === 2 * stepsPerTurn + 1 ? { n: 1n } : { n: i }));
    await expect(writer.addObservations(batch)).rejects.toThrow(/bigint/);
    expect(store.db.inTransaction).toBe(false);
    expect(counts(file).blobs).toBe(0);
    await writer.addObservations([record(0, { n: 0 })]);
    await writer.addOutcome({ instanceId: 'test-acme', connectorType: 'test', collectorId: 'members', kind: member, status: 'collected', recordCount: 1, startedAt: day(1), finishedAt: day(1) });
    await writer.finish('complete', day(1));
    expect((await store.latest(member))[0]?.records.map((r) => r.subject)).toEqual(['u0']);
    expect((await store.verify()).ok).toBe(true);
    await store.close();
  });

  it('refuses a store written by a newer schema, for writing and for reading', async () => {
    const file = freshPath();
    const store = openSqliteStore(file);
    await writeRun(store, day(1), [{ kind: member, records: people(1) }]);
    await store.close();
    const db = new Database(file);
    db.prepare("UPDATE meta SET value = '4' WHERE key = 'schema_version'").run();
    db.close();
    for (const readonly of [false, true]) {
      expect(() => openSqliteStore(file, { readonly })).toThrow(StoreVersionError);
      expect(() => openSqliteStore(file, { readonly })).toThrow(/written by a newer Annexa \(store schema 4; this version knows up to 3\)/);
    }
  });
});
