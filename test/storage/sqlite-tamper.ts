import Database from 'better-sqlite3';
import type { EvidenceStore } from '../../storage/evidence-store.js';
import type { SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import type { TamperAdapter } from './conformance.js';
import { dropTriggers } from './helpers.js';
import { evaluationRows } from '../../storage/check-runs.js';

/**
 * The SQLite side of the conformance suite's tamper tests: edits through a second, plain
 * connection with the append-only triggers dropped, the way someone with file access would.
 */
function edit(store: EvidenceStore, tables: readonly string[], change: (db: Database.Database) => void): void {
  const db = new Database((store as SqliteEvidenceStore).path);
  try {
    db.pragma('foreign_keys = OFF');
    dropTriggers(db, tables);
    db.transaction(() => change(db))();
  } finally {
    db.close();
  }
}

function collectionTree(db: Database.Database, runId: string, kind: string): string {
  const tree = db
    .prepare('SELECT c.tree FROM collections c JOIN streams s ON s.id = c.stream_id JOIN runs r ON r.seq = c.run_seq WHERE r.id = ? AND s.kind = ?')
    .pluck()
    .get(runId, kind) as string | undefined;
  if (!tree) throw new Error(`no ${kind} collection in run ${runId}`);
  return tree;
}

/** Rewrites the rows of a stored tree in place (full or delta), keeping its address. */
function rewriteTree(store: EvidenceStore, db: Database.Database, digest: string, change: (rows: unknown[][]) => unknown[][]): void {
  const row = db.prepare('SELECT base, data FROM trees WHERE digest = ?').get(digest) as { base: string | null; data: string };
  if (!row.base) {
    db.prepare('UPDATE trees SET data = ? WHERE digest = ?').run(JSON.stringify(change(JSON.parse(row.data) as unknown[][])), digest);
    return;
  }
  // A delta: store the edited full row list in its place (still claiming the old digest).
  const rows = (store as SqliteEvidenceStore).treeRows(digest).map((text) => JSON.parse(text) as unknown[]);
  db.prepare('UPDATE trees SET base = NULL, depth = 0, data = ? WHERE digest = ?').run(JSON.stringify(change(rows)), digest);
}

export const sqliteTamper: TamperAdapter = {
  async changePayloadByte(store, digest) {
    edit(store, ['blobs'], (db) => {
      const json = db.prepare('SELECT json FROM blobs WHERE digest = ?').pluck().get(digest) as string;
      // Upper-case the first letter inside a string value: one byte, same length.
      const at = json.search(/[a-z]/);
      db.prepare('UPDATE blobs SET json = ? WHERE digest = ?').run(json.slice(0, at) + json[at]!.toUpperCase() + json.slice(at + 1), digest);
    });
  },
  async deleteTreeEntry(store, { runId, kind, subject }) {
    edit(store, ['trees'], (db) => rewriteTree(store, db, collectionTree(db, runId, kind), (rows) => rows.filter((r) => r[0] !== subject)));
  },
  async repointTreeEntry(store, { runId, kind, subject }, digest) {
    edit(store, ['trees'], (db) => rewriteTree(store, db, collectionTree(db, runId, kind), (rows) => rows.map((r) => (r[0] === subject ? [r[0], digest, ...r.slice(2)] : r))));
  },
  async repointCollection(store, { runId, kind }, otherRunId) {
    edit(store, ['collections'], (db) => {
      const other = collectionTree(db, otherRunId, kind);
      db.prepare('UPDATE collections SET tree = ? WHERE tree = ? AND run_seq = (SELECT seq FROM runs WHERE id = ?)').run(other, collectionTree(db, runId, kind), runId);
    });
  },
  async removeRun(store, runId) {
    edit(store, ['runs', 'run_seals', 'collections', 'subject_changes', 'outcomes', 'check_evaluations', 'check_runs'], (db) => {
      const seq = db.prepare('SELECT seq FROM runs WHERE id = ?').pluck().get(runId) as number;
      db.prepare('DELETE FROM subject_changes WHERE collection_id IN (SELECT id FROM collections WHERE run_seq = ?)').run(seq);
      for (const table of ['collections', 'outcomes', 'check_evaluations', 'check_runs', 'run_seals']) db.prepare(`DELETE FROM ${table} WHERE run_seq = ?`).run(seq);
      db.prepare('DELETE FROM runs WHERE seq = ?').run(seq);
    });
  },
  async swapRuns(store, a, b) {
    edit(store, ['runs', 'run_seals', 'collections', 'outcomes', 'check_evaluations', 'check_runs'], (db) => {
      const seqOf = (id: string) => db.prepare('SELECT seq FROM runs WHERE id = ?').pluck().get(id) as number;
      const [sa, sb] = [seqOf(a), seqOf(b)];
      for (const [table, column] of [
        ['runs', 'seq'],
        ['run_seals', 'run_seq'],
        ['collections', 'run_seq'],
        ['outcomes', 'run_seq'],
        ['check_evaluations', 'run_seq'],
        ['check_runs', 'run_seq'],
      ] as const) {
        db.prepare(`UPDATE ${table} SET ${column} = -1 WHERE ${column} = ?`).run(sa);
        db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${column} = ?`).run(sa, sb);
        db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${column} = -1`).run(sb);
      }
    });
  },
  async editCheckResult(store, { runId, subject }, status) {
    edit(store, ['trees'], (db) => {
      // The run's result trees: named by its evaluation trees (schema 3) or its evaluation rows (schema 2).
      const evaluationTrees = db.prepare('SELECT lower(hex(c.evaluations)) FROM check_runs c JOIN runs r ON r.seq = c.run_seq WHERE r.id = ?').pluck().all(runId) as string[];
      const results = [
        ...evaluationTrees.flatMap((tree) => evaluationRows((store as SqliteEvidenceStore).treeRows(tree)).map((e) => e[4])),
        ...(db.prepare('SELECT e.results FROM check_evaluations e JOIN runs r ON r.seq = e.run_seq WHERE r.id = ?').pluck().all(runId) as string[]),
      ];
      for (const digest of results) rewriteTree(store, db, digest, (rows) => rows.map((r) => (r[0] === subject ? [r[0], status, ...r.slice(2)] : r)));
    });
  },
};
