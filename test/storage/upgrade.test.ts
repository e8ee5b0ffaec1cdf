import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore, StoreVersionError } from '../../storage/sqlite-store.js';
import { dropTriggers, makeTempDir, writeRun } from './helpers.js';
import { runCli } from '../cli/helpers.js';

/**
 * `fixtures/v1-store.db` was written by the schema-1 store (see `fixtures/make-v1-store.ts`):
 * seven runs whose ids and head hash are fixed in the file.
 */
const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'v1-store.db');
const head = '52bdfad0fe85479e3c97d7acd8723c7928a53cee29de66895cb9f56450b149aa';
const run = {
  1: '20240101T000000Z-d1b7a1',
  2: '20240102T000000Z-2a6bea',
  3: '20240103T000000Z-ec0114',
  check: '20240103T000000Z-8d4fd6',
  manual: '20240104T000000Z-09779d',
  interrupted: '20240105T000000Z-00c16d',
  7: '20240106T000000Z-951810',
} as const;
const member = 'test.member.v1';
const repo = 'test.repo.v1';

const tmp = makeTempDir('annexa-upgrade-');
afterAll(() => tmp.cleanup());
let copies = 0;
function copyOfFixture(): string {
  const file = path.join(tmp.dir, `v1-${++copies}.db`);
  fs.copyFileSync(fixture, file);
  return file;
}
const schemaVersion = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get();
  } finally {
    db.close();
  }
};

describe('a store written by schema 1', () => {
  it('verifies read-only as it is, and asks for an upgrade before other reads', async () => {
    const file = copyOfFixture();
    const store = openSqliteStore(file, { readonly: true });
    try {
      expect(await store.verify()).toEqual({ ok: true, blobsChecked: 17, runsChecked: 7, headHash: head, unsealedRuns: [], problems: [] });
      await expect(store.runs()).rejects.toThrow(StoreVersionError);
      await expect(store.latest(member)).rejects.toThrow(/written by store schema 1.*annexa store upgrade/);
    } finally {
      await store.close();
    }
    expect(schemaVersion(file)).toBe('1');
  });

  it('is upgraded in place by the first writer, verifies with the same head before and after, and reads the same history', async () => {
    const file = copyOfFixture();
    openSqliteStore(file).close();
    expect(schemaVersion(file)).toBe('3');
    const store = openSqliteStore(file, { readonly: true });
    try {
      const report = await store.verify();
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ ok: true, runsChecked: 7, headHash: head, unsealedRuns: [] });
      expect((await store.runs()).map((r) => [r.id, r.status, r.observationCount])).toEqual([
        [run[7], 'complete', 2],
        [run.interrupted, 'incomplete', 1],
        [run.manual, 'complete', 1],
        [run.check, 'complete', 0],
        [run[3], 'complete', 2],
        [run[2], 'partial', 2],
        [run[1], 'complete', 4],
      ]);
      expect((await store.history(member, 'alice')).map((h) => [h.runId, h.payload, h.collectedAt])).toEqual([
        [run[1], { login: 'alice', mfa: false }, '2024-01-01T00:00:01.000Z'],
        [run[2], { login: 'alice', mfa: true }, '2024-01-02T00:00:01.000Z'],
        [run[3], { login: 'alice', mfa: true }, '2024-01-03T00:00:01.000Z'],
        [run[7], { login: 'alice', mfa: true }, '2024-01-06T00:00:01.000Z'],
      ]);
      expect((await store.history(member, 'dave')).map((h) => [h.runId, h.payload])).toEqual([[run.interrupted, { login: 'dave', mfa: false }]]);
      const [members] = await store.latest(member);
      expect(members!.records.map((r) => [r.runId, r.subject, r.payload])).toEqual([
        [run[7], 'alice', { login: 'alice', mfa: true }],
        [run[7], 'carol', { login: 'carol', mfa: false }],
      ]);
      const [repos] = await store.latest(repo);
      expect([repos!.latestOutcome.runId, repos!.latestOutcome.status, repos!.lastCollected?.runId]).toEqual([run[2], 'failed', run[1]]);
      expect(repos!.records.map((r) => [r.subject, r.payload])).toEqual([
        ['api', { name: 'api', protected: true }],
        ['web', { name: 'web', protected: false }],
      ]);
      expect((await store.checkResults()).map((r) => [r.runId, r.checkId, r.subject, r.status])).toEqual([
        [run.check, 'test.mfa', 'alice', 'pass'],
        [run.check, 'test.mfa', 'carol', 'pass'],
      ]);
      expect(await store.lastCheckRun()).toEqual({ runId: run.check, startedAt: '2024-01-03T00:00:00.000Z' });
      const [manual] = await store.records('manual.document.v1');
      expect([manual!.runId, manual!.subject, manual!.attachment]).toEqual([run.manual, 'minutes.txt', (manual!.payload as { sha256: string }).sha256]);
      expect(await store.requestsOf((await store.history(member, 'alice'))[0]!)).toEqual([
        { method: 'GET', url: 'https://api.example/x', status: 200, at: '2024-01-01T00:00:01.000Z' },
      ]);
      const seen = (id: string, at: string) => ({ runId: id, at });
      expect(
        (await store.population(member, { since: new Date('2024-01-01T00:00:00Z'), until: new Date('2024-01-07T00:00:00Z') })).map((r) => [r.subject, r.payload, r.firstSeen, r.lastSeen]),
      ).toEqual([
        ['alice', { login: 'alice', mfa: false }, seen(run[1], '2024-01-01T00:00:02.000Z'), seen(run[1], '2024-01-01T00:00:02.000Z')],
        ['alice', { login: 'alice', mfa: true }, seen(run[2], '2024-01-02T00:00:02.000Z'), seen(run[7], '2024-01-06T00:00:02.000Z')],
        ['bob', { login: 'bob', mfa: true }, seen(run[1], '2024-01-01T00:00:02.000Z'), seen(run[1], '2024-01-01T00:00:02.000Z')],
        ['carol', { login: 'carol', mfa: true }, seen(run[2], '2024-01-02T00:00:02.000Z'), seen(run[3], '2024-01-03T00:00:02.000Z')],
        ['carol', { login: 'carol', mfa: false }, seen(run[7], '2024-01-06T00:00:02.000Z'), seen(run[7], '2024-01-06T00:00:02.000Z')],
      ]);
      expect((await store.changesBetween(run[1], run[7])).map((c) => [c.kind, c.subject, c.change])).toEqual([
        ['manual.document.v1', 'minutes.txt', 'appeared'],
        [member, 'alice', 'changed'],
        [member, 'bob', 'disappeared'],
        [member, 'carol', 'appeared'],
      ]);
    } finally {
      await store.close();
    }
  });

  it('chains the first schema-2 run onto the schema-1 head, and an upgraded store is not upgraded twice', async () => {
    const file = copyOfFixture();
    const store = openSqliteStore(file);
    const next = await writeRun(store, new Date('2024-01-07T00:00:00Z'), [{ kind: member, records: { alice: { login: 'alice', mfa: true } } }]);
    expect(next.prevHash).toBe(head);
    await store.close();
    const again = openSqliteStore(file);
    expect(await again.verify()).toMatchObject({ ok: true, runsChecked: 8, headHash: next.hash, problems: [] });
    expect((await again.history(member, 'alice')).map((h) => h.runId)).toEqual([run[1], run[2], run[3], run[7], next.id]);
    await again.close();
  });

  it('detects an edit of the rows the upgrade derived, naming the schema-1 run', async () => {
    const file = copyOfFixture();
    openSqliteStore(file).close();
    const db = new Database(file);
    try {
      dropTriggers(db, ['subject_changes']);
      const deleted = db
        .prepare("DELETE FROM subject_changes WHERE subject = 'bob' AND collection_id IN (SELECT id FROM collections WHERE run_seq = 2)")
        .run();
      expect(deleted.changes).toBe(1);
    } finally {
      db.close();
    }
    const store = openSqliteStore(file, { readonly: true });
    try {
      const report = await store.verify();
      expect(report.ok).toBe(false);
      expect(report.problems.map((p) => [p.problem, p.runId, p.kind])).toEqual([['legacy_index_mismatch', run[2], member]]);
    } finally {
      await store.close();
    }
  });

  it('`annexa store upgrade` verifies before and after, with the same head; verify and other readers name the way forward', async () => {
    const file = copyOfFixture();
    const before = await runCli(['verify', '--store', file], tmp.dir);
    expect(before).toMatchObject({ code: 0, stderr: '' });
    expect(before.stdout).toContain(`OK: 17 blobs and 7 runs verified; head ${head}`);
    const reading = await runCli(['runs', '--store', file], tmp.dir);
    expect(reading.code).toBe(2);
    expect(reading.stderr).toContain('annexa store upgrade');
    const upgraded = await runCli(['store', 'upgrade', '--store', file], tmp.dir);
    expect(upgraded).toMatchObject({ code: 0, stderr: '' });
    expect(upgraded.stdout).toBe(
      `${file}: store schema 1 → 3\nverify before: OK, 7 runs, head ${head}\nverify after:  OK, 7 runs, head ${head}\n`,
    );
    expect((await runCli(['store', 'upgrade', '--store', file], tmp.dir)).stdout).toContain('is already at store schema 3');
    expect((await runCli(['runs', '--store', file], tmp.dir)).code).toBe(0);
  });
});

/**
 * `fixtures/v2-store.db` was written by the schema-2 store (see `fixtures/make-v2-store.ts`): the
 * runs of the schema-1 fixture plus a second check run, each check result one `check_evaluations` row.
 */
const fixtureV2 = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'v2-store.db');
const headV2 = '63becf41ed4b73a7a17dec0208b51ac1337d3eb79c6ab5b64e26cc6f4950c345';
const runV2 = { 7: '20240106T000000Z-a73b5f', check: '20240103T000000Z-356074', checkAgain: '20240106T000000Z-314e0c' } as const;

/** The packed blobs of a store file: digest, data (hex) and size, by digest. */
function packedRows(file: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT digest, hex(data) AS data, size FROM packed_blobs ORDER BY digest').all();
  } finally {
    db.close();
  }
}

function copyOfV2(): string {
  const file = path.join(tmp.dir, `v2-${++copies}.db`);
  fs.copyFileSync(fixtureV2, file);
  return file;
}

describe('a store written by schema 2', () => {
  const expectedResults = [
    [runV2.check, 'test.mfa', 'alice', 'pass', '2024-01-03T00:00:00.000Z'],
    [runV2.check, 'test.mfa', 'carol', 'pass', '2024-01-03T00:00:00.000Z'],
    [runV2.checkAgain, 'test.mfa', 'alice', 'pass', '2024-01-06T00:00:00.000Z'],
    [runV2.checkAgain, 'test.mfa', 'carol', 'fail', '2024-01-06T00:00:00.000Z'],
    [runV2.checkAgain, 'test.repo', 'api', 'pass', '2024-01-06T00:00:00.000Z'],
  ];

  it('is upgraded in place (one transaction) with the same head; its check results read as before, and the next check run chains on', async () => {
    const file = copyOfV2();
    const before = openSqliteStore(file, { readonly: true });
    try {
      expect(await before.verify()).toEqual({ ok: true, blobsChecked: 27, runsChecked: 8, headHash: headV2, unsealedRuns: [], problems: [] });
      await expect(before.checkResults()).rejects.toThrow(/written by store schema 2.*annexa store upgrade/);
    } finally {
      await before.close();
    }
    const packedBefore = packedRows(file);
    const store = openSqliteStore(file);
    expect(schemaVersion(file)).toBe('3');
    // Packed provenance moved to the rowid table, row for row and byte for byte.
    expect(packedRows(file)).toEqual(packedBefore);
    expect(store.db.prepare("SELECT sql FROM sqlite_master WHERE name = 'packed_blobs'").pluck().get()).not.toMatch(/WITHOUT ROWID/i);
    expect(() => store.db.prepare('DELETE FROM packed_blobs').run()).toThrow(/append-only/);
    expect(await store.verify()).toEqual({ ok: true, blobsChecked: 27, runsChecked: 8, headHash: headV2, unsealedRuns: [], problems: [] });
    expect((await store.checkResults()).map((r) => [r.runId, r.checkId, r.subject, r.status, r.asOf])).toEqual(expectedResults);
    expect(await store.lastCheckRun()).toEqual({ runId: runV2.checkAgain, startedAt: '2024-01-06T00:00:00.000Z' });
    expect((await store.history(member, 'alice')).map((h) => h.runId).at(-1)).toBe(runV2[7]);
    // The first schema-3 check run, with the same results as the last schema-2 one: its result trees are reused.
    const trees = () => store.db.prepare('SELECT COUNT(*) FROM trees').pluck().get() as number;
    const treesBefore = trees();
    const writer = await store.startRun({ command: 'check', toolVersion: '0.0.0-test', startedAt: new Date('2024-01-07T00:00:00Z') });
    const asOf = new Date('2024-01-07T00:00:00Z');
    await writer.addCheckResults(
      expectedResults.slice(2).map(([, checkId, subject, status]) => ({
        checkId: checkId!,
        instanceId: 'test-acme',
        subject: subject!,
        status: status!,
        message: { alice: 'alice has MFA', carol: 'carol has no MFA', api: 'api is protected' }[subject!]!,
        asOf,
        evidence: { read: ['test.member.v1'] },
      })),
    );
    const next = await writer.finish('complete', asOf);
    expect(next.prevHash).toBe(headV2);
    expect(trees()).toBe(treesBefore + 1); // the evaluation tree only
    expect((await store.checkResults({ since: asOf })).map((r) => [r.checkId, r.subject, r.status])).toEqual(expectedResults.slice(2).map((r) => r.slice(1, 4)));
    expect(await store.verify()).toMatchObject({ ok: true, runsChecked: 9, headHash: next.hash, problems: [] });
    await store.close();
  });

  it('still detects an edited schema-2 check result after the upgrade, naming its run', async () => {
    const file = copyOfV2();
    openSqliteStore(file).close();
    const db = new Database(file);
    try {
      dropTriggers(db, ['check_evaluations']);
      expect(db.prepare("UPDATE check_evaluations SET as_of = '2024-01-05T00:00:00.000Z' WHERE run_seq = 8").run().changes).toBe(2);
    } finally {
      db.close();
    }
    const store = openSqliteStore(file, { readonly: true });
    try {
      expect((await store.verify()).problems.map((p) => [p.problem, p.runId])).toEqual([['check_results_changed', runV2.checkAgain]]);
    } finally {
      await store.close();
    }
  });

  it('`annexa store upgrade` says 2 → 3 with the same head', async () => {
    const file = copyOfV2();
    const upgraded = await runCli(['store', 'upgrade', '--store', file], tmp.dir);
    expect(upgraded).toMatchObject({ code: 0, stderr: '' });
    expect(upgraded.stdout).toBe(`${file}: store schema 2 → 3\nverify before: OK, 8 runs, head ${headV2}\nverify after:  OK, 8 runs, head ${headV2}\n`);
  });
});

/** The blobs of a store file, by digest, and how its `blobs` table is declared. */
function blobsOf(file: string): { rows: unknown[]; sql: string } {
  const db = new Database(file, { readonly: true });
  try {
    return {
      rows: db.prepare('SELECT digest, json, size FROM blobs ORDER BY digest').all(),
      sql: db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'blobs'").pluck().get() as string,
    };
  } finally {
    db.close();
  }
}

describe('a store whose blobs are clustered on the digest (every store before 2026-12-02)', () => {
  it('has them rewritten as a rowid table by its first writer: the same rows byte for byte, the same head, append-only, and references intact', async () => {
    for (const [file, expectedHead] of [
      [copyOfFixture(), head],
      [copyOfV2(), headV2],
    ] as const) {
      const before = blobsOf(file);
      expect(before.sql).toMatch(/WITHOUT ROWID/i);
      const store = openSqliteStore(file);
      try {
        const after = blobsOf(file);
        expect(after.sql).not.toMatch(/WITHOUT ROWID/i);
        // Every row kept as it was (the schema-1 upgrade adds the blobs of the trees it derives).
        expect(after.rows).toEqual(expect.arrayContaining(before.rows));
        expect(before.rows.length).toBeGreaterThan(10);
        expect(() => store.db.prepare('DELETE FROM blobs').run()).toThrow(/append-only: DELETE on blobs/);
        expect(() => store.db.prepare("UPDATE blobs SET size = 0").run()).toThrow(/append-only: UPDATE on blobs/);
        // Schema-1 rows still name `blobs` (not the table the rows were built in), and every one finds its blob.
        const schema = store.db.prepare("SELECT group_concat(sql, ';') FROM sqlite_master").pluck().get() as string;
        expect(schema).not.toMatch(/blobs_rowid/);
        expect(store.db.pragma('foreign_key_check')).toEqual([]);
        expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
        const report = await store.verify();
        expect(report.problems).toEqual([]);
        expect(report).toMatchObject({ ok: true, headHash: expectedHead });
        // A payload already stored is not stored twice; a new one is appended.
        const writer = await store.startRun({ command: 'collect', toolVersion: '0.0.0-test', startedAt: new Date('2024-02-01T00:00:00Z') });
        await writer.addOutcome(
          { instanceId: 'test-acme', connectorType: 'test', collectorId: 'members', kind: member, status: 'collected', recordCount: 2, startedAt: new Date('2024-02-01T00:00:00Z'), finishedAt: new Date('2024-02-01T00:00:02Z') },
          ['alice', 'zed'].map((login) => ({
            instanceId: 'test-acme',
            collectorId: 'members',
            kind: member,
            subject: login,
            payload: { login, mfa: true },
            collectedAt: new Date('2024-02-01T00:00:01Z'),
            provenance: { tool: 'annexa-test/0.0.0', connectorType: 'test', requests: [{ method: 'GET', url: 'https://api.example/x', status: 200, at: '2024-02-01T00:00:01.000Z' }] },
          })),
        );
        await writer.finish('complete', new Date('2024-02-01T00:00:03Z'));
        const ids = (payload: string) => store.db.prepare('SELECT id FROM blobs WHERE json = ?').pluck().all(payload) as number[];
        const [zed] = ids('{"login":"zed","mfa":true}');
        expect(ids('{"login":"alice","mfa":true}')).toHaveLength(1);
        expect(zed).toBeGreaterThan(before.rows.length);
        expect((await store.verify()).ok).toBe(true);
      } finally {
        await store.close();
      }
      // Rewritten once: a second writer finds the rowid table and leaves it.
      const again = blobsOf(file);
      openSqliteStore(file).close();
      expect(blobsOf(file)).toEqual(again);
    }
  });

  it('a schema-3 store with clustered blobs (written before the change) is rewritten the same way, and a new store starts with the rowid table', async () => {
    const file = path.join(tmp.dir, 'v3-clustered.db');
    const store = openSqliteStore(file);
    await writeRun(store, new Date('2024-03-01T00:00:00Z'), [{ kind: member, records: { alice: { login: 'alice', mfa: true }, bob: { login: 'bob', mfa: false } } }]);
    await store.close();
    expect(blobsOf(file).sql).not.toMatch(/WITHOUT ROWID/i);
    // Back to the layout a store written before 2026-12-02 has.
    const db = new Database(file);
    db.pragma('foreign_keys = OFF');
    db.transaction(() => {
      dropTriggers(db, ['blobs']);
      db.exec(`CREATE TABLE blobs_old (digest TEXT PRIMARY KEY, json TEXT NOT NULL, size INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO blobs_old SELECT digest, json, size FROM blobs; DROP TABLE blobs; ALTER TABLE blobs_old RENAME TO blobs;`);
    })();
    db.close();
    const before = blobsOf(file);
    expect(before.sql).toMatch(/WITHOUT ROWID/i);
    const verifyReadOnly = async () => {
      const readOnly = openSqliteStore(file, { readonly: true });
      try {
        return await readOnly.verify();
      } finally {
        await readOnly.close();
      }
    };
    const reportBefore = await verifyReadOnly();
    expect(reportBefore.ok).toBe(true);
    const reopened = openSqliteStore(file);
    try {
      expect(blobsOf(file).rows).toEqual(before.rows);
      expect(blobsOf(file).sql).not.toMatch(/WITHOUT ROWID/i);
      expect((await reopened.latest(member))[0]!.records.map((r) => r.payload)).toEqual([{ login: 'alice', mfa: true }, { login: 'bob', mfa: false }]);
    } finally {
      await reopened.close();
    }
    expect(await verifyReadOnly()).toEqual(reportBefore);
  });
});
