import fs from 'node:fs';
import path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../storage/sqlite-store.js';
import type { RunInfo, VerifyProblem, VerifyReport } from '../../storage/evidence-store.js';
import { appendOnlyTables } from '../../storage/sqlite-schema.js';
import { dropTriggers, makeTempDir, writeRun } from './helpers.js';

const member = 'test.member.v1';
const repo = 'test.repo.v1';
const day = (iso: string) => new Date(`${iso}T00:00:00.000Z`);

let tmp: ReturnType<typeof makeTempDir>;
let basePath: string;
/** Oldest first: runs[0] is seq 1. */
let runs: RunInfo[];
let copies = 0;

/** Three sealed runs, two kinds; every payload carries its run number so no blob is shared between runs. */
beforeAll(async () => {
  tmp = makeTempDir('annexa-tamper-');
  basePath = path.join(tmp.dir, 'base.db');
  const store = openSqliteStore(basePath);
  for (const [n, date, status] of [
    [1, '2024-01-01', 'complete'],
    [2, '2024-02-01', 'partial'],
    [3, '2024-03-01', 'complete'],
  ] as const) {
    await writeRun(
      store,
      day(date),
      [
        { kind: member, records: { alice: { login: 'alice', mfa: true, run: n }, bob: { login: 'bob', mfa: n > 1, run: n }, carol: { login: 'carol', run: n } } },
        { kind: repo, records: { api: { name: 'api', protected: true, run: n }, web: { name: 'web', protected: false, run: n } } },
      ],
      status,
    );
  }
  runs = (await store.runs()).reverse();
  await store.close();
  // Closing the last connection checkpoints the WAL: the .db file alone is the whole store.
  expect(fs.existsSync(`${basePath}-wal`)).toBe(false);
});

afterAll(() => tmp?.cleanup());

/** Copies the base store, drops the triggers on `tables` and edits the copy through a plain connection. */
async function tampered(tables: readonly string[], edit: (db: Database.Database) => void): Promise<VerifyReport> {
  const copy = path.join(tmp.dir, `copy-${++copies}.db`);
  fs.copyFileSync(basePath, copy);
  const db = new Database(copy);
  try {
    db.pragma('foreign_keys = OFF');
    const dropped = dropTriggers(db, tables);
    expect(dropped.length).toBe(tables.length * 2);
    db.transaction(() => edit(db))();
  } finally {
    db.close();
  }
  const store = openSqliteStore(copy, { readonly: true });
  try {
    return await store.verify();
  } finally {
    await store.close();
  }
}

const run = (n: 1 | 2 | 3) => runs[n - 1]!;
const slim = (p: VerifyProblem) => ({ problem: p.problem, runId: p.runId, kind: p.kind });

describe('an untouched store', () => {
  it('verifies, with the newest run hash as head and append-only triggers on every table', async () => {
    expect(runs.map((r) => [r.seq, r.status])).toEqual([
      [1, 'complete'],
      [2, 'partial'],
      [3, 'complete'],
    ]);
    const store = openSqliteStore(basePath, { readonly: true });
    try {
      const report = await store.verify();
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.runsChecked).toBe(3);
      expect(report.unsealedRuns).toEqual([]);
      expect(report.headHash).toBe(run(3).hash);
      expect(report.headHash).toBe((await store.runs({ limit: 1 }))[0]!.hash);
      // 3 runs x 5 distinct payloads, one provenance per run (both collections made the same request),
      // the shared request templates, and 6 record trees (every collection differs).
      expect(report.blobsChecked).toBe(25);
    } finally {
      await store.close();
    }
    const db = new Database(basePath, { readonly: true });
    try {
      const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").pluck().all();
      expect(triggers).toEqual([...appendOnlyTables].sort().flatMap((t) => [`${t}_no_delete`, `${t}_no_update`]));
    } finally {
      db.close();
    }
  });

  it('verifies a copy whose triggers were dropped but whose rows were not touched (the checks are not trigger-based)', async () => {
    const report = await tampered(['blobs', 'runs', 'trees', 'collections', 'outcomes', 'run_seals'], () => {});
    expect(report).toMatchObject({ ok: true, problems: [], headHash: run(3).hash });
  });
});

describe('verify detects', () => {
  /** A record's payload digest, read from its collection's (full) tree. */
  const digestOf = (db: Database.Database, seq: number, kind: string, subject: string) => {
    const data = db
      .prepare('SELECT t.data FROM collections c JOIN streams s ON s.id = c.stream_id JOIN trees t ON t.digest = c.tree WHERE c.run_seq = ? AND s.kind = ?')
      .pluck()
      .get(seq, kind) as string;
    return (JSON.parse(data) as [string, string][]).find((row) => row[0] === subject)![1];
  };

  it('(a2) a changed provenance blob, located by the collections that cite it', async () => {
    const report = await tampered(['packed_blobs'], (db) => {
      const provenance = db.prepare('SELECT DISTINCT provenance FROM collections WHERE run_seq = 1').pluck().all() as string[];
      expect(provenance).toHaveLength(1);
      // Provenance is stored deflated: re-pack an edited copy under the old address.
      const data = db.prepare('SELECT data FROM packed_blobs WHERE digest = ?').pluck().get(provenance[0]) as Buffer;
      const json = inflateRawSync(data).toString('utf8');
      expect(json).toContain('[[200,1]]');
      const info = db.prepare('UPDATE packed_blobs SET data = ? WHERE digest = ?').run(deflateRawSync(json.replace('[[200,1]]', '[[201,1]]')), provenance[0]);
      expect(info.changes).toBe(1);
    });
    expect(report.ok).toBe(false);
    expect(report.problems.map(slim)).toEqual([
      { problem: 'blob_hash_mismatch', runId: run(1).id, kind: member },
      { problem: 'blob_hash_mismatch', runId: run(1).id, kind: repo },
    ]);
  });

  it('(c) an outcome row changed', async () => {
    const report = await tampered(['outcomes'], (db) => {
      const info = db.prepare("UPDATE outcomes SET status = 'failed', record_count = 0 WHERE run_seq = 2 AND kind = ?").run(repo);
      expect(info.changes).toBe(1);
    });
    expect(report.ok).toBe(false);
    expect(report.problems.map(slim)).toEqual([{ problem: 'outcomes_changed', runId: run(2).id, kind: undefined }]);
    expect(report.problems[0]!.message).toContain(run(2).id);
  });

  it('(c2) an outcome row deleted', async () => {
    const report = await tampered(['outcomes'], (db) => {
      db.prepare('DELETE FROM outcomes WHERE run_seq = 1 AND kind = ?').run(member);
    });
    expect(report.problems.map(slim)).toEqual([{ problem: 'outcomes_changed', runId: run(1).id, kind: undefined }]);
    expect(report.problems[0]!.message).toMatch(/1 stored, 2 sealed/);
  });

  it('(d) a whole middle run deleted', async () => {
    const report = await tampered(['runs', 'run_seals', 'collections', 'outcomes'], (db) => {
      for (const table of ['collections', 'outcomes', 'run_seals']) db.prepare(`DELETE FROM ${table} WHERE run_seq = 2`).run();
      db.prepare('DELETE FROM runs WHERE seq = 2').run();
    });
    expect(report.ok).toBe(false);
    expect(report.runsChecked).toBe(2);
    expect(report.problems).toContainEqual(expect.objectContaining({ problem: 'run_missing', runSeq: 2 }));
    expect(report.problems).toContainEqual(expect.objectContaining({ problem: 'chain_broken', runId: run(3).id, runSeq: 3 }));
    // The surviving runs' own contents are intact: only the chain is accused.
    expect(report.problems.every((p) => p.problem === 'run_missing' || p.problem === 'chain_broken')).toBe(true);
  });

  it('(d2) the whole first run deleted', async () => {
    const report = await tampered(['runs', 'run_seals', 'collections', 'outcomes'], (db) => {
      for (const table of ['collections', 'outcomes', 'run_seals']) db.prepare(`DELETE FROM ${table} WHERE run_seq = 1`).run();
      db.prepare('DELETE FROM runs WHERE seq = 1').run();
    });
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(expect.objectContaining({ problem: 'run_missing', runSeq: 1 }));
    expect(report.problems).toContainEqual(expect.objectContaining({ problem: 'chain_broken', runId: run(2).id }));
  });

  it('(f) a seal manifest edited', async () => {
    const report = await tampered(['run_seals'], (db) => {
      const manifest = db.prepare('SELECT manifest FROM run_seals WHERE run_seq = 2').pluck().get() as string;
      const edited = manifest.replace('"status":"partial"', '"status":"complete"');
      expect(edited).not.toBe(manifest);
      db.prepare('UPDATE run_seals SET manifest = ? WHERE run_seq = 2').run(edited);
    });
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(expect.objectContaining({ problem: 'run_hash_mismatch', runId: run(2).id, runSeq: 2 }));
    expect(report.problems.every((p) => p.runId === run(2).id)).toBe(true);
  });

  it('(f2) a seal hash overwritten', async () => {
    const report = await tampered(['run_seals'], (db) => {
      db.prepare('UPDATE run_seals SET hash = ? WHERE run_seq = 2').run('f'.repeat(64));
    });
    expect(report.ok).toBe(false);
    expect(report.problems.map(slim)).toEqual([
      { problem: 'run_hash_mismatch', runId: run(2).id, kind: undefined },
      { problem: 'chain_broken', runId: run(3).id, kind: undefined },
    ]);
  });

  it('(g) a blob row deleted', async () => {
    let digest = '';
    const report = await tampered(['blobs'], (db) => {
      digest = digestOf(db, 3, member, 'carol');
      expect(db.prepare('DELETE FROM blobs WHERE digest = ?').run(digest).changes).toBe(1);
    });
    expect(report.ok).toBe(false);
    expect(report.problems.map(slim)).toEqual([{ problem: 'blob_missing', runId: run(3).id, kind: member }]);
    expect(report.problems[0]!.digest).toBe(digest);
    expect(report.blobsChecked).toBe(24);
  });

  it('(h) a run header edited', async () => {
    const report = await tampered(['runs'], (db) => {
      db.prepare("UPDATE runs SET command = 'collect --only something-else' WHERE seq = 1").run();
    });
    expect(report.problems.map(slim)).toEqual([{ problem: 'run_hash_mismatch', runId: run(1).id, kind: undefined }]);
  });

  it('(i) a seal status column edited without touching the hashed manifest', async () => {
    // runs() shows the column, so rewriting a partial run as complete there must not pass verify.
    const report = await tampered(['run_seals'], (db) => {
      db.prepare("UPDATE run_seals SET status = 'complete' WHERE run_seq = 2").run();
    });
    expect(report.ok).toBe(false);
    expect(report.problems.map(slim)).toEqual([{ problem: 'run_hash_mismatch', runId: run(2).id, kind: undefined }]);
  });

  it('(j) a seal finish time edited without touching the hashed manifest', async () => {
    const report = await tampered(['run_seals'], (db) => {
      db.prepare("UPDATE run_seals SET finished_at = '2024-02-02T00:00:00.000Z' WHERE run_seq = 2").run();
    });
    expect(report.ok).toBe(false);
    expect(report.problems.map(slim)).toEqual([{ problem: 'run_hash_mismatch', runId: run(2).id, kind: undefined }]);
  });

  it('(k) the seal of a middle run deleted', async () => {
    const report = await tampered(['run_seals'], (db) => {
      db.prepare('DELETE FROM run_seals WHERE run_seq = 2').run();
    });
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(expect.objectContaining({ problem: 'seal_missing', runId: run(2).id }));
    expect(report.problems).toContainEqual(expect.objectContaining({ problem: 'chain_broken', runId: run(3).id }));
  });
});

describe('limits of an in-file chain', () => {
  it('a deleted newest seal looks like a crashed run, but the head hash recorded elsewhere changes', async () => {
    const report = await tampered(['run_seals'], (db) => {
      db.prepare('DELETE FROM run_seals WHERE run_seq = 3').run();
    });
    // Nothing inside the file can tell this from a crash before sealing...
    expect(report.ok).toBe(true);
    expect(report.unsealedRuns).toEqual([run(3).id]);
    // ...which is why verify reports the head hash to be recorded outside the store.
    expect(report.headHash).toBe(run(2).hash);
    expect(report.headHash).not.toBe(run(3).hash);
  });
});
