import type pg from 'pg';
import type { EvidenceStore } from '../../storage/evidence-store.js';
import type { PostgresEvidenceStore } from '../../storage/postgres-store.js';
import { evaluationRows } from '../../storage/check-runs.js';
import type { TamperAdapter } from './conformance.js';

/**
 * The PostgreSQL side of the conformance suite's tamper tests: edits through a plain connection
 * with the table's triggers (append-only and foreign keys) disabled, the way a superuser could.
 */
async function edit(store: EvidenceStore, tables: readonly string[], change: (db: pg.PoolClient) => Promise<void>): Promise<void> {
  const db = await (store as PostgresEvidenceStore).pool.connect();
  try {
    await db.query('BEGIN');
    for (const table of tables) await db.query(`ALTER TABLE ${table} DISABLE TRIGGER ALL`);
    await change(db);
    for (const table of tables) await db.query(`ALTER TABLE ${table} ENABLE TRIGGER ALL`);
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  } finally {
    db.release();
  }
}

async function one<T>(db: pg.PoolClient, sql: string, params: unknown[]): Promise<T> {
  const { rows } = await db.query(sql, params);
  if (!rows[0]) throw new Error(`no row for ${sql} ${JSON.stringify(params)}`);
  return Object.values(rows[0] as object)[0] as T;
}

const collectionTree = (db: pg.PoolClient, runId: string, kind: string) =>
  one<string>(db, 'SELECT c.tree FROM collections c JOIN streams s ON s.id = c.stream_id JOIN runs r ON r.seq = c.run_seq WHERE r.id = $1 AND s.kind = $2', [runId, kind]);

/** Rewrites the rows of a stored tree in place (a delta becomes a full list), keeping its address. */
async function rewriteTree(store: EvidenceStore, db: pg.PoolClient, digest: string, change: (rows: unknown[][]) => unknown[][]): Promise<void> {
  const rows = (await (store as PostgresEvidenceStore).treeRows(digest)).map((text) => JSON.parse(text) as unknown[]);
  await db.query('UPDATE trees SET base = NULL, depth = 0, data = $1 WHERE digest = $2', [JSON.stringify(change(rows)), digest]);
}

export const postgresTamper: TamperAdapter = {
  async changePayloadByte(store, digest) {
    await edit(store, ['blobs'], async (db) => {
      const json = await one<string>(db, 'SELECT json FROM blobs WHERE digest = $1', [digest]);
      const at = json.search(/[a-z]/);
      await db.query('UPDATE blobs SET json = $1 WHERE digest = $2', [json.slice(0, at) + json[at]!.toUpperCase() + json.slice(at + 1), digest]);
    });
  },
  async deleteTreeEntry(store, { runId, kind, subject }) {
    await edit(store, ['trees'], async (db) => rewriteTree(store, db, await collectionTree(db, runId, kind), (rows) => rows.filter((r) => r[0] !== subject)));
  },
  async repointTreeEntry(store, { runId, kind, subject }, digest) {
    await edit(store, ['trees'], async (db) =>
      rewriteTree(store, db, await collectionTree(db, runId, kind), (rows) => rows.map((r) => (r[0] === subject ? [r[0], digest, ...r.slice(2)] : r))),
    );
  },
  async repointCollection(store, { runId, kind }, otherRunId) {
    await edit(store, ['collections'], async (db) => {
      const other = await collectionTree(db, otherRunId, kind);
      await db.query('UPDATE collections SET tree = $1 WHERE tree = $2 AND run_seq = (SELECT seq FROM runs WHERE id = $3)', [other, await collectionTree(db, runId, kind), runId]);
    });
  },
  async removeRun(store, runId) {
    await edit(store, ['runs', 'run_seals', 'collections', 'subject_changes', 'outcomes', 'check_evaluations', 'check_runs'], async (db) => {
      const seq = await one<number>(db, 'SELECT seq FROM runs WHERE id = $1', [runId]);
      await db.query('DELETE FROM subject_changes WHERE collection_id IN (SELECT id FROM collections WHERE run_seq = $1)', [seq]);
      for (const table of ['collections', 'outcomes', 'check_evaluations', 'check_runs', 'run_seals']) await db.query(`DELETE FROM ${table} WHERE run_seq = $1`, [seq]);
      await db.query('DELETE FROM runs WHERE seq = $1', [seq]);
    });
  },
  async swapRuns(store, a, b) {
    // A run's place in this chain is its seal's chain position; its seq is hashed besides. Swap both.
    await edit(store, ['runs', 'run_seals', 'collections', 'outcomes', 'check_evaluations', 'check_runs'], async (db) => {
      const seqOf = (id: string) => one<number>(db, 'SELECT seq FROM runs WHERE id = $1', [id]);
      const [sa, sb] = [await seqOf(a), await seqOf(b)];
      const [pa, pb] = [await one<number>(db, 'SELECT chain_pos FROM run_seals WHERE run_seq = $1', [sa]), await one<number>(db, 'SELECT chain_pos FROM run_seals WHERE run_seq = $1', [sb])];
      await db.query('UPDATE run_seals SET chain_pos = -1 WHERE chain_pos = $1', [pa]);
      await db.query('UPDATE run_seals SET chain_pos = $1 WHERE chain_pos = $2', [pa, pb]);
      await db.query('UPDATE run_seals SET chain_pos = $1 WHERE chain_pos = -1', [pb]);
      for (const [table, column] of [
        ['runs', 'seq'],
        ['run_seals', 'run_seq'],
        ['collections', 'run_seq'],
        ['outcomes', 'run_seq'],
        ['check_evaluations', 'run_seq'],
        ['check_runs', 'run_seq'],
      ] as const) {
        await db.query(`UPDATE ${table} SET ${column} = -1 WHERE ${column} = $1`, [sa]);
        await db.query(`UPDATE ${table} SET ${column} = $1 WHERE ${column} = $2`, [sa, sb]);
        await db.query(`UPDATE ${table} SET ${column} = $1 WHERE ${column} = -1`, [sb]);
      }
    });
  },
  async editCheckResult(store, { runId, subject }, status) {
    await edit(store, ['trees'], async (db) => {
      // The run's result trees: named by its evaluation trees (schema 3) or its evaluation rows.
      const trees = await db.query<{ tree: string }>("SELECT encode(c.evaluations, 'hex') AS tree FROM check_runs c JOIN runs r ON r.seq = c.run_seq WHERE r.id = $1", [runId]);
      const { rows } = await db.query<{ results: string }>('SELECT e.results FROM check_evaluations e JOIN runs r ON r.seq = e.run_seq WHERE r.id = $1', [runId]);
      for (const { tree } of trees.rows) rows.push(...evaluationRows(await (store as PostgresEvidenceStore).treeRows(tree)).map((e) => ({ results: e[4] })));
      for (const { results } of rows) await rewriteTree(store, db, results, (list) => list.map((r) => (r[0] === subject ? [r[0], status, ...r.slice(2)] : r)));
    });
  },
};
