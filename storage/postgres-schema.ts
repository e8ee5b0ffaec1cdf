import type pg from 'pg';

/**
 * The PostgreSQL schema: the same tables as the SQLite store v2 (`sqlite-schema.ts`), so a store
 * copies row for row between the two (`annexa store migrate`) and both seal the same hashes, plus
 * what several processes writing at once need (`run_seals.chain_pos`, `shared_runs`, `run_jobs`).
 *
 * Text columns use the "C" collation: rows sort byte by byte as in SQLite, so both backends hash
 * and list them in the same order.
 *
 * Migrations are versioned SQL, applied in order, all pending ones in one transaction under an
 * advisory lock (two processes starting at once: one migrates, the other waits and finds nothing
 * to do). They are only ever appended to: a released migration never changes.
 */
export const postgresMigrations: readonly { version: number; description: string; sql: string; appendOnly: readonly string[] }[] = [
  {
    version: 1,
    description: 'evidence store v2 tables, append-only triggers',
    sql: `
CREATE TABLE blobs (digest TEXT COLLATE "C" PRIMARY KEY, json TEXT COLLATE "C" NOT NULL, size BIGINT NOT NULL);
CREATE TABLE runs (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  started_at TEXT COLLATE "C" NOT NULL,
  command TEXT COLLATE "C" NOT NULL,
  tool_version TEXT COLLATE "C" NOT NULL
);
CREATE TABLE outcomes (
  id BIGSERIAL PRIMARY KEY,
  run_seq BIGINT NOT NULL REFERENCES runs(seq),
  instance_id TEXT COLLATE "C" NOT NULL,
  connector_type TEXT COLLATE "C" NOT NULL,
  collector_id TEXT COLLATE "C" NOT NULL,
  kind TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('collected', 'failed')),
  record_count BIGINT NOT NULL,
  error_code TEXT COLLATE "C",
  error_message TEXT COLLATE "C",
  started_at TEXT COLLATE "C" NOT NULL,
  finished_at TEXT COLLATE "C" NOT NULL
);
-- Exactly once per (run, instance, collector): a job retried after a worker died cannot add a second outcome.
CREATE UNIQUE INDEX outcomes_once_per_run ON outcomes(run_seq, instance_id, collector_id, kind);
CREATE INDEX outcomes_by_stream ON outcomes(kind, instance_id, collector_id, finished_at);
CREATE INDEX outcomes_by_finish ON outcomes(status, finished_at);
-- Values written anew every day (a collection's request ids and times), deflated; addressed by the
-- sha256 of their canonical JSON like any blob.
CREATE TABLE packed_blobs (digest TEXT COLLATE "C" PRIMARY KEY, data BYTEA NOT NULL, size BIGINT NOT NULL);
CREATE TABLE chunks (digest TEXT COLLATE "C" PRIMARY KEY, data BYTEA NOT NULL);
CREATE TABLE files (digest TEXT COLLATE "C" PRIMARY KEY, size BIGINT NOT NULL, chunks TEXT COLLATE "C" NOT NULL);
CREATE TABLE run_seals (
  run_seq BIGINT PRIMARY KEY REFERENCES runs(seq),
  status TEXT COLLATE "C" NOT NULL,
  finished_at TEXT COLLATE "C" NOT NULL,
  prev_hash TEXT COLLATE "C" NOT NULL,
  manifest TEXT COLLATE "C" NOT NULL,
  hash TEXT COLLATE "C" NOT NULL,
  -- Runs may be written at the same time here, so the chain follows sealing order, not run order.
  chain_pos BIGSERIAL NOT NULL UNIQUE
);
-- Two seals naming the same predecessor would fork the chain.
CREATE UNIQUE INDEX run_seals_one_successor ON run_seals(prev_hash);
CREATE TABLE streams (
  id BIGSERIAL PRIMARY KEY,
  kind TEXT COLLATE "C" NOT NULL,
  instance_id TEXT COLLATE "C" NOT NULL,
  collector_id TEXT COLLATE "C" NOT NULL,
  UNIQUE (kind, instance_id, collector_id)
);
CREATE TABLE trees (
  id BIGSERIAL PRIMARY KEY,
  digest TEXT COLLATE "C" NOT NULL UNIQUE,
  base TEXT COLLATE "C",
  depth INTEGER NOT NULL,
  row_count BIGINT NOT NULL,
  data TEXT COLLATE "C" NOT NULL
);
CREATE TABLE collections (
  id BIGSERIAL PRIMARY KEY,
  run_seq BIGINT NOT NULL REFERENCES runs(seq),
  stream_id BIGINT NOT NULL REFERENCES streams(id),
  outcome_id BIGINT REFERENCES outcomes(id),
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('collected', 'failed', 'incomplete')),
  tree TEXT COLLATE "C" NOT NULL,
  provenance TEXT COLLATE "C" NOT NULL,
  record_count BIGINT NOT NULL,
  collected_at TEXT COLLATE "C",
  finished_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX collections_by_stream ON collections(stream_id, status, finished_at);
CREATE INDEX collections_by_run ON collections(run_seq);
CREATE INDEX collections_by_outcome ON collections(outcome_id);
CREATE TABLE subject_changes (
  id BIGSERIAL PRIMARY KEY,
  stream_id BIGINT NOT NULL REFERENCES streams(id),
  collection_id BIGINT NOT NULL REFERENCES collections(id),
  subject TEXT COLLATE "C" NOT NULL,
  entry TEXT COLLATE "C"
);
CREATE INDEX subject_changes_by_subject ON subject_changes(stream_id, subject, collection_id);
CREATE INDEX subject_changes_by_collection ON subject_changes(collection_id);
CREATE TABLE check_evaluations (
  id BIGSERIAL PRIMARY KEY,
  run_seq BIGINT NOT NULL REFERENCES runs(seq),
  check_id TEXT COLLATE "C" NOT NULL,
  instance_id TEXT COLLATE "C" NOT NULL,
  as_of TEXT COLLATE "C" NOT NULL,
  evidence TEXT COLLATE "C" NOT NULL,
  results TEXT COLLATE "C" NOT NULL,
  result_count BIGINT NOT NULL
);
CREATE INDEX check_evaluations_by_run ON check_evaluations(run_seq);
CREATE INDEX check_evaluations_by_check ON check_evaluations(check_id, instance_id, id);
-- Records of a collection still running wait here (committed batch by batch, so a crash keeps
-- them) until its outcome turns them into a tree. Scratch space: never sealed, rows leave.
CREATE TABLE pending (
  id BIGSERIAL PRIMARY KEY,
  run_seq BIGINT NOT NULL REFERENCES runs(seq),
  instance_id TEXT COLLATE "C" NOT NULL,
  collector_id TEXT COLLATE "C" NOT NULL,
  kind TEXT COLLATE "C" NOT NULL,
  tool TEXT COLLATE "C" NOT NULL,
  connector_type TEXT COLLATE "C" NOT NULL,
  record_count BIGINT NOT NULL,
  data TEXT COLLATE "C" NOT NULL
);
CREATE INDEX pending_by_key ON pending(run_seq, instance_id, collector_id, kind);
-- A run written by several processes (annexa worker): the units it was split into. Such a run is
-- sealed when its last unit ends, never as "interrupted" by another run starting.
CREATE TABLE shared_runs (run_seq BIGINT PRIMARY KEY REFERENCES runs(seq), units TEXT COLLATE "C" NOT NULL, created_at TEXT COLLATE "C" NOT NULL);
-- Which worker ran which unit of a shared run, attempt by attempt (started, then ended).
CREATE TABLE run_jobs (
  id BIGSERIAL PRIMARY KEY,
  run_seq BIGINT NOT NULL REFERENCES runs(seq),
  unit TEXT COLLATE "C" NOT NULL,
  worker TEXT COLLATE "C" NOT NULL,
  attempt INTEGER NOT NULL,
  event TEXT COLLATE "C" NOT NULL CHECK (event IN ('started', 'ended')),
  detail TEXT COLLATE "C",
  at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX run_jobs_by_run ON run_jobs(run_seq, id);

CREATE FUNCTION annexa_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'evidence store is append-only: % on % rejected', TG_OP, TG_TABLE_NAME;
END $$;
`,
    appendOnly: [
      'blobs',
      'packed_blobs',
      'chunks',
      'files',
      'runs',
      'outcomes',
      'run_seals',
      'streams',
      'trees',
      'collections',
      'subject_changes',
      'check_evaluations',
      'shared_runs',
      'run_jobs',
      'schema_migrations',
    ],
  },
  {
    version: 2,
    description: 'outcomes per unit of a split instance (an AWS account of an organisation)',
    sql: `
-- A shared run's instance split into units (one per AWS account) gets one outcome per (run, unit,
-- collector) here; when every unit has ended they are merged into the one outcome per
-- (run, instance, collector) in outcomes, as a single process would have written it.
CREATE TABLE unit_outcomes (
  id BIGSERIAL PRIMARY KEY,
  run_seq BIGINT NOT NULL REFERENCES runs(seq),
  unit TEXT COLLATE "C" NOT NULL,
  instance_id TEXT COLLATE "C" NOT NULL,
  connector_type TEXT COLLATE "C" NOT NULL,
  collector_id TEXT COLLATE "C" NOT NULL,
  kind TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('collected', 'failed')),
  record_count BIGINT NOT NULL,
  error_code TEXT COLLATE "C",
  error_message TEXT COLLATE "C",
  started_at TEXT COLLATE "C" NOT NULL,
  finished_at TEXT COLLATE "C" NOT NULL
);
-- Exactly once per (run, unit, collector): a retried unit cannot add a second outcome for an account.
CREATE UNIQUE INDEX unit_outcomes_once_per_run ON unit_outcomes(run_seq, unit, collector_id, kind);
`,
    appendOnly: ['unit_outcomes'],
  },
  {
    version: 3,
    description: 'check runs: one row per check run, evaluations as a tree (store schema 3)',
    // As SQLite's schema 3 (sqlite-schema.ts): the evaluation tree's digest and the evidence
    // digests as raw sha256 bytes. Schema-2 check evaluations stay as they were.
    sql: `
CREATE TABLE check_runs (
  id BIGSERIAL PRIMARY KEY,
  run_seq BIGINT NOT NULL REFERENCES runs(seq),
  as_of TEXT COLLATE "C" NOT NULL,
  evaluations BYTEA NOT NULL,
  evidence BYTEA NOT NULL,
  evaluation_count BIGINT NOT NULL
);
CREATE INDEX check_runs_by_run ON check_runs(run_seq);
`,
    appendOnly: ['check_runs'],
  },
];

/** Tables that only ever grow: triggers reject UPDATE, DELETE and TRUNCATE on them. */
export const postgresAppendOnlyTables: readonly string[] = postgresMigrations.flatMap((m) => m.appendOnly);

/** The append-only triggers of one migration's tables. */
export function appendOnlyTriggersSql(tables: readonly string[]): string {
  return tables
    .map(
      (table) => `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION annexa_reject_change();
CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION annexa_reject_change();`,
    )
    .join('\n');
}

export const currentPostgresSchemaVersion = postgresMigrations.at(-1)!.version;

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)`;

/** Thrown when the database holds a schema newer than this Annexa knows. */
export class PostgresSchemaError extends Error {
  override name = 'PostgresSchemaError';
}

/**
 * Applies pending migrations in one transaction under a transaction-level advisory lock; returns
 * the versions applied (empty when the schema was current, which needs only SELECT).
 */
export async function migratePostgres(client: pg.ClientBase, options: { readonly?: boolean } = {}): Promise<number[]> {
  const current = await appliedVersion(client);
  if (current !== undefined && current > currentPostgresSchemaVersion) {
    throw new PostgresSchemaError(
      `the PostgreSQL evidence store has schema ${current}; this Annexa knows up to ${currentPostgresSchemaVersion}: upgrade Annexa to use it`,
    );
  }
  if (current === currentPostgresSchemaVersion) return [];
  if (options.readonly) throw new PostgresSchemaError('the PostgreSQL evidence store is not initialised: run `annexa store init` (or any writing command) first');
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${lockKey('migrate')})`);
    await client.query(migrationsTable);
    const applied = (await appliedVersion(client)) ?? 0;
    const done: number[] = [];
    for (const migration of postgresMigrations.filter((m) => m.version > applied)) {
      await client.query(migration.sql);
      await client.query(appendOnlyTriggersSql(migration.appendOnly));
      await client.query('INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.description,
        new Date().toISOString(),
      ]);
      done.push(migration.version);
    }
    await client.query('COMMIT');
    return done;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

async function appliedVersion(client: pg.ClientBase): Promise<number | undefined> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (!exists.rows[0]?.t) return undefined;
  const row = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return row.rows[0]?.v ?? undefined;
}

/**
 * An advisory lock key (SQL expression) for a purpose, scoped to the current schema: two stores in
 * two schemas of one database do not block each other.
 */
export function lockKey(purpose: 'migrate' | 'chain' | 'run', id?: number): string {
  const name = `'annexa.' || current_schema() || '.${purpose}'`;
  return id === undefined ? `hashtext(${name})` : `hashtext(${name}), ${Math.trunc(id) | 0}`;
}

/**
 * The GRANTs for the role Annexa writes with (`annexa store init --print-grants`): INSERT and
 * SELECT on the evidence tables, nothing that changes a row; `pending` (records waiting for their
 * collector's outcome, never sealed) also DELETE; the sequences for ids. Migrations and the job
 * queue's own schema belong to the owner role.
 */
export function grantsSql(role: string, schema = 'public'): string {
  const quoted = `"${role.replace(/"/g, '""')}"`;
  const s = `"${schema.replace(/"/g, '""')}"`;
  return [
    `-- Run as the owner of the Annexa schema, after \`annexa store init\`.`,
    `GRANT USAGE ON SCHEMA ${s} TO ${quoted};`,
    `GRANT SELECT, INSERT ON ${postgresAppendOnlyTables.map((t) => `${s}.${t}`).join(', ')} TO ${quoted};`,
    `-- Records wait in pending until their collector's outcome turns them into a tree; they are never sealed.`,
    `GRANT SELECT, INSERT, DELETE ON ${s}.pending TO ${quoted};`,
    `GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${s} TO ${quoted};`,
    `-- Nothing else: no UPDATE, DELETE or TRUNCATE on evidence (the triggers reject them for every role besides).`,
    '',
  ].join('\n');
}
