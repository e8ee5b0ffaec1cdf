import type Database from 'better-sqlite3';
import { createHash, type Hash } from 'node:crypto';

/**
 * The SQLite schema, version 2 (store v2), and what is left of version 1.
 *
 * Version 1 kept one `observations` row per record per run and one `check_results` row per result.
 * Version 2 keeps a collection as a tree (`trees`, `collections`), the requests once per collection
 * (a provenance blob, deflated in `packed_blobs`: request ids and times differ every day and
 * are most of what an unchanged day adds), check results as result trees (`check_evaluations`), and a change index
 * (`subject_changes`: one row per subject whose record changed between two successful collections
 * of a stream) that makes history reads cost what they return. The version-1 tables stay: a store
 * upgraded in place keeps its schema-1 runs (and their seals) as they were, with version-2 rows
 * derived from them so reads see one model; `verify` checks both.
 *
 * Version 3 keeps a check run as one `check_runs` row instead of one `check_evaluations` row per
 * check: the run's evaluations are themselves a tree (`[position, check, instance, evidence index,
 * result-tree digest, result count]`), so an unchanged day's evaluations are the same tree as the
 * day before and add one row. The evidence each evaluation read names the runs it read, which
 * change daily, so those digests stay out of the tree: the row keeps them as raw 32-byte digests,
 * one after another, and the tree rows point into that list. The upgrade from 2 adds the table;
 * schema-2 evaluations stay as they were (and are read and verified as before).
 *
 * Version 3 also keeps `packed_blobs` in a rowid table (digest under a unique index): written in
 * schema 2 as a table clustered on the digest, every day's new rows (about 600 bytes each) went to
 * random places in the tree, leaving its pages about half empty, and rows over about 1 KB spilled
 * into overflow pages. Appended in write order, the same rows take half the pages. The upgrade
 * copies the rows over, byte for byte ({@link rewriteClusteredTables}).
 *
 * `blobs` went the same way on 2026-12-02, without a new schema version (the columns, and every
 * statement that reads or writes them, are the same; an older Annexa reads and writes the new
 * layout): a collection's payloads have random digests, so each insert into the table clustered
 * on the digest dirtied a random page of the whole table. At scale 50 a batch of 5,000 records
 * rewrote thousands of pages (and synced them), and the first collection spent more time in
 * those commits than in anything else. Appended in write order, with a unique index on the digest
 * (about 80 bytes a row), a batch dirties the pages it fills and a few hundred index pages. A
 * writing open rewrites an older store's table once.
 */
export const currentSchemaVersion = 3;

/** The columns of the two content-addressed tables, appended in write order (see above); the rewrite builds the same. */
const blobsColumns = 'id INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE, json TEXT NOT NULL, size INTEGER NOT NULL';
const packedBlobsColumns = 'id INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE, data BLOB NOT NULL, size INTEGER NOT NULL';

export const schemaSql = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (${blobsColumns});
CREATE TABLE IF NOT EXISTS runs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  started_at TEXT NOT NULL,
  command TEXT NOT NULL,
  tool_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS observations (
  id INTEGER PRIMARY KEY,
  run_seq INTEGER NOT NULL REFERENCES runs(seq),
  instance_id TEXT NOT NULL,
  collector_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  digest TEXT NOT NULL REFERENCES blobs(digest),
  provenance TEXT NOT NULL REFERENCES blobs(digest),
  collected_at TEXT NOT NULL,
  attachment TEXT REFERENCES files(digest)
);
CREATE INDEX IF NOT EXISTS observations_by_run ON observations(run_seq, instance_id, kind);
CREATE TABLE IF NOT EXISTS outcomes (
  id INTEGER PRIMARY KEY,
  run_seq INTEGER NOT NULL REFERENCES runs(seq),
  instance_id TEXT NOT NULL,
  connector_type TEXT NOT NULL,
  collector_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('collected', 'failed')),
  record_count INTEGER NOT NULL,
  error_code TEXT,
  error_message TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
  digest TEXT PRIMARY KEY,
  data BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
  digest TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  chunks TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS check_results (
  id INTEGER PRIMARY KEY,
  run_seq INTEGER NOT NULL REFERENCES runs(seq),
  check_id TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  message TEXT NOT NULL,
  as_of TEXT NOT NULL,
  evidence TEXT NOT NULL REFERENCES blobs(digest)
);
CREATE INDEX IF NOT EXISTS check_results_by_run ON check_results(run_seq);
CREATE TABLE IF NOT EXISTS run_seals (
  run_seq INTEGER PRIMARY KEY REFERENCES runs(seq),
  status TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  manifest TEXT NOT NULL,
  hash TEXT NOT NULL
);
`;

export const schemaV2Sql = `
CREATE INDEX IF NOT EXISTS outcomes_by_stream ON outcomes(kind, instance_id, collector_id, finished_at);
CREATE INDEX IF NOT EXISTS outcomes_collected_by_stream ON outcomes(kind, instance_id, collector_id, status, finished_at);
CREATE INDEX IF NOT EXISTS outcomes_by_finish ON outcomes(status, finished_at);
CREATE TABLE IF NOT EXISTS streams (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  collector_id TEXT NOT NULL,
  UNIQUE (kind, instance_id, collector_id)
);
CREATE TABLE IF NOT EXISTS trees (
  id INTEGER PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE,
  base TEXT,
  depth INTEGER NOT NULL,
  row_count INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS collections (
  id INTEGER PRIMARY KEY,
  run_seq INTEGER NOT NULL REFERENCES runs(seq),
  stream_id INTEGER NOT NULL REFERENCES streams(id),
  outcome_id INTEGER REFERENCES outcomes(id),
  status TEXT NOT NULL CHECK (status IN ('collected', 'failed', 'incomplete')),
  tree TEXT NOT NULL,
  provenance TEXT NOT NULL,
  record_count INTEGER NOT NULL,
  collected_at TEXT,
  finished_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS collections_by_stream ON collections(stream_id, status, finished_at);
CREATE INDEX IF NOT EXISTS collections_by_run ON collections(run_seq);
CREATE INDEX IF NOT EXISTS collections_by_outcome ON collections(outcome_id);
CREATE TABLE IF NOT EXISTS subject_changes (
  id INTEGER PRIMARY KEY,
  stream_id INTEGER NOT NULL REFERENCES streams(id),
  collection_id INTEGER NOT NULL REFERENCES collections(id),
  subject TEXT NOT NULL,
  entry TEXT
);
CREATE INDEX IF NOT EXISTS subject_changes_by_subject ON subject_changes(stream_id, subject, collection_id);
CREATE INDEX IF NOT EXISTS subject_changes_by_collection ON subject_changes(collection_id);
CREATE TABLE IF NOT EXISTS check_evaluations (
  id INTEGER PRIMARY KEY,
  run_seq INTEGER NOT NULL REFERENCES runs(seq),
  check_id TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  as_of TEXT NOT NULL,
  evidence TEXT NOT NULL,
  results TEXT NOT NULL,
  result_count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS check_evaluations_by_run ON check_evaluations(run_seq);
CREATE INDEX IF NOT EXISTS check_evaluations_by_check ON check_evaluations(check_id, instance_id, id);
CREATE TABLE IF NOT EXISTS packed_blobs (${packedBlobsColumns});
CREATE TABLE IF NOT EXISTS pending (
  id INTEGER PRIMARY KEY,
  run_seq INTEGER NOT NULL REFERENCES runs(seq),
  instance_id TEXT NOT NULL,
  collector_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  tool TEXT NOT NULL,
  connector_type TEXT NOT NULL,
  record_count INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_by_key ON pending(run_seq, instance_id, collector_id, kind);
`;

/** Schema 3: one row per check run (see above). Digests are raw sha256 bytes, not hex text. */
export const schemaV3Sql = `
CREATE TABLE IF NOT EXISTS check_runs (
  id INTEGER PRIMARY KEY,
  run_seq INTEGER NOT NULL REFERENCES runs(seq),
  as_of TEXT NOT NULL,
  evaluations BLOB NOT NULL,
  evidence BLOB NOT NULL,
  evaluation_count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS check_runs_by_run ON check_runs(run_seq);
`;

/**
 * Tables that only ever grow. `pending` is the exception: a collection's records wait there
 * (committed batch by batch, so a crash keeps them) until its tree is written, then leave.
 */
export const appendOnlyTables = [
  'blobs',
  'chunks',
  'files',
  'runs',
  'observations',
  'outcomes',
  'check_results',
  'run_seals',
  'streams',
  'trees',
  'collections',
  'subject_changes',
  'check_evaluations',
  'packed_blobs',
  'check_runs',
];

export const appendOnlyTriggers = appendOnlyTables
  .flatMap((table) =>
    ['UPDATE', 'DELETE'].map(
      (op) => `CREATE TRIGGER IF NOT EXISTS ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
       BEGIN SELECT RAISE(ABORT, 'evidence store is append-only: ${op} on ${table} rejected'); END;`,
    ),
  )
  .join('\n');

/**
 * Rewrites the tables written clustered on their digest (`WITHOUT ROWID`: `packed_blobs` before
 * schema 3, `blobs` before 2026-12-02) as rowid tables with the digest under a unique index,
 * inside the caller's transaction: the same rows, byte for byte, so every digest still verifies.
 * The caller turns foreign keys off around its transaction (schema-1
 * `observations` and `check_results` point at `blobs`; dropping the old table would otherwise
 * check them against an empty one) and recreates the append-only triggers, dropped with the table.
 *
 * The new table is built beside the old one and renamed once the old one is gone (SQLite's
 * procedure for changing a table's layout): renaming the old one first would rename the tables'
 * references to it too.
 */
export function rewriteClusteredTables(db: Database.Database): void {
  for (const [table, columns, definition] of [
    ['packed_blobs', 'digest, data, size', packedBlobsColumns],
    ['blobs', 'digest, json, size', blobsColumns],
  ] as const) {
    const sql = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(table) as string | undefined;
    if (!sql || !/WITHOUT ROWID/i.test(sql)) continue;
    db.exec(`CREATE TABLE ${table}_rowid (${definition});
      INSERT INTO ${table}_rowid (${columns}) SELECT ${columns} FROM ${table} ORDER BY digest;
      DROP TABLE ${table};
      ALTER TABLE ${table}_rowid RENAME TO ${table};`);
  }
}

/** The version a store file says it was written by (1 for files from before the meta key existed). */
export function storedSchemaVersion(db: Database.Database): number | undefined {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) return undefined;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  return row ? Number(row.value) : undefined;
}

/** What a schema-1 seal committed to: per-kind hashes over observation rows, outcomes, check results. */
export interface ManifestV1 {
  status: string;
  finishedAt: string;
  kinds: Record<string, { count: number; hash: string }>;
  outcomes: { count: number; hash: string };
  checks: { count: number; hash: string };
}

/** Hashes a schema-1 run's content exactly as schema 1 sealed it (for verify and for sealing at upgrade). */
export function hashV1RunContent(db: Database.Database, seq: number): Pick<ManifestV1, 'kinds' | 'outcomes' | 'checks'> {
  const hashes = new Map<string, { count: number; hash: Hash }>();
  const rows = db
    .prepare('SELECT instance_id, collector_id, kind, subject, digest, provenance, collected_at, attachment FROM observations WHERE run_seq = ? ORDER BY id')
    .raw()
    .iterate(seq) as IterableIterator<string[]>;
  for (const row of rows) {
    const kind = row[2]!;
    let entry = hashes.get(kind);
    if (!entry) hashes.set(kind, (entry = { count: 0, hash: createHash('sha256') }));
    entry.count++;
    entry.hash.update(JSON.stringify(row) + '\n');
  }
  const kinds: ManifestV1['kinds'] = {};
  for (const [kind, entry] of [...hashes].sort(([a], [b]) => a.localeCompare(b))) {
    kinds[kind] = { count: entry.count, hash: entry.hash.digest('hex') };
  }
  return {
    kinds,
    outcomes: hashOutcomes(db, seq),
    checks: hashRows(db, 'SELECT check_id, instance_id, subject, status, message, as_of, evidence FROM check_results WHERE run_seq = ? ORDER BY id', seq),
  };
}

/** Outcomes are hashed the same way in both versions. */
export function hashOutcomes(db: Database.Database, seq: number): { count: number; hash: string } {
  return hashRows(
    db,
    'SELECT instance_id, connector_type, collector_id, kind, status, record_count, error_code, error_message, started_at, finished_at FROM outcomes WHERE run_seq = ? ORDER BY id',
    seq,
  );
}

export function hashRows(db: Database.Database, sql: string, ...params: unknown[]): { count: number; hash: string } {
  const hash = createHash('sha256');
  let count = 0;
  for (const row of db.prepare(sql).raw().iterate(...params) as IterableIterator<unknown[]>) {
    count++;
    hash.update(JSON.stringify(row) + '\n');
  }
  return { count, hash: hash.digest('hex') };
}
