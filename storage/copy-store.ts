import type pg from 'pg';
import { acquireWriterLock } from './lock.js';
import { SqliteEvidenceStore, openSqliteStore } from './sqlite-store.js';
import { PostgresEvidenceStore, openPostgresStore } from './postgres-store.js';
import type { StoreLocation } from './open-store.js';
import type { VerifyReport } from './evidence-store.js';

/**
 * Copies an evidence store between backends (SQLite ⇄ PostgreSQL) row for row: the same blobs,
 * trees, collections and seals, so nothing is re-sealed, and then verifies both and compares their
 * chain heads. The target must be empty; the copy is one transaction on it (all or nothing).
 */

/** The evidence tables both backends share, in an order that satisfies their references. */
const tables: readonly { name: string; columns: readonly string[]; order: string }[] = [
  { name: 'blobs', columns: ['digest', 'json', 'size'], order: 'digest' },
  { name: 'packed_blobs', columns: ['digest', 'data', 'size'], order: 'digest' },
  { name: 'chunks', columns: ['digest', 'data'], order: 'digest' },
  { name: 'files', columns: ['digest', 'size', 'chunks'], order: 'digest' },
  { name: 'runs', columns: ['seq', 'id', 'started_at', 'command', 'tool_version'], order: 'seq' },
  { name: 'streams', columns: ['id', 'kind', 'instance_id', 'collector_id'], order: 'id' },
  { name: 'trees', columns: ['id', 'digest', 'base', 'depth', 'row_count', 'data'], order: 'id' },
  {
    name: 'outcomes',
    columns: ['id', 'run_seq', 'instance_id', 'connector_type', 'collector_id', 'kind', 'status', 'record_count', 'error_code', 'error_message', 'started_at', 'finished_at'],
    order: 'id',
  },
  { name: 'collections', columns: ['id', 'run_seq', 'stream_id', 'outcome_id', 'status', 'tree', 'provenance', 'record_count', 'collected_at', 'finished_at'], order: 'id' },
  { name: 'subject_changes', columns: ['id', 'stream_id', 'collection_id', 'subject', 'entry'], order: 'id' },
  { name: 'check_evaluations', columns: ['id', 'run_seq', 'check_id', 'instance_id', 'as_of', 'evidence', 'results', 'result_count'], order: 'id' },
  { name: 'check_runs', columns: ['id', 'run_seq', 'as_of', 'evaluations', 'evidence', 'evaluation_count'], order: 'id' },
  // Seals last, in chain order (SQLite: run order; PostgreSQL: sealing order).
  { name: 'run_seals', columns: ['run_seq', 'status', 'finished_at', 'prev_hash', 'manifest', 'hash'], order: 'chain' },
];

/**
 * What only PostgreSQL holds: shared runs, their worker log and per-account outcomes, which their
 * seals commit to. Copied between PostgreSQL stores; a SQLite copy has no tables for them (its
 * seals still carry their hashes, so copying it back reports the log as changed: it is gone).
 */
const sharedRunTables: readonly { name: string; columns: readonly string[]; order: string }[] = [
  { name: 'shared_runs', columns: ['run_seq', 'units', 'created_at'], order: 'run_seq' },
  { name: 'run_jobs', columns: ['id', 'run_seq', 'unit', 'worker', 'attempt', 'event', 'detail', 'at'], order: 'id' },
  {
    name: 'unit_outcomes',
    columns: ['id', 'run_seq', 'unit', 'instance_id', 'connector_type', 'collector_id', 'kind', 'status', 'record_count', 'error_code', 'error_message', 'started_at', 'finished_at'],
    order: 'id',
  },
];

const batchSize = 1000;

/** Thrown when a store cannot be copied as it is (not empty, open runs, schema-1 runs). */
export class StoreCopyError extends Error {
  override name = 'StoreCopyError';
}

export interface CopyResult {
  rows: Record<string, number>;
  source: VerifyReport;
  target: VerifyReport;
  /** Both verified and their chain heads are equal. */
  ok: boolean;
}

/** Copies the store at `from` into the empty store at `to`, then verifies both. */
export async function copyStore(from: StoreLocation, to: StoreLocation): Promise<CopyResult> {
  const source = await openAt(from, true);
  try {
    await assertCopyable(source);
    const target = await openAt(to, false);
    try {
      if ((await target.runs({ limit: 1 })).length > 0) throw new StoreCopyError(`the target store ${target.location} is not empty: copy into a new one`);
      const rows = await (target instanceof SqliteEvidenceStore ? copyIntoSqlite(source, target) : copyIntoPostgres(source, target as PostgresEvidenceStore));
      const [sourceReport, targetReport] = [await source.verify(), await target.verify()];
      return { rows, source: sourceReport, target: targetReport, ok: sourceReport.ok && targetReport.ok && sourceReport.headHash === targetReport.headHash };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

type AnyStore = SqliteEvidenceStore | PostgresEvidenceStore;

async function openAt(location: StoreLocation, readonly: boolean): Promise<AnyStore> {
  if (location.kind === 'sqlite') return openSqliteStore(location.path, { readonly });
  return openPostgresStore(typeof location.url === 'string' ? location.url : location.url.reveal(), { readonly });
}

async function assertCopyable(source: AnyStore): Promise<void> {
  const report = await source.runs();
  const open = report.filter((r) => r.status === 'running');
  if (open.length > 0) {
    throw new StoreCopyError(`run(s) ${open.map((r) => r.id).join(', ')} of ${source.location} are not sealed yet: let them finish (or the next run seal them) first`);
  }
  if (source instanceof SqliteEvidenceStore) {
    const legacy = source.db.prepare('SELECT (SELECT COUNT(*) FROM observations) + (SELECT COUNT(*) FROM check_results)').pluck().get() as number;
    if (legacy > 0) throw new StoreCopyError(`${source.location} holds runs sealed by store schema 1, which the copy does not carry yet`);
  }
}

/** Source rows of a table, a batch at a time, as arrays in `columns` order. */
async function* readRows(source: AnyStore, table: { name: string; columns: readonly string[]; order: string }): AsyncGenerator<unknown[][]> {
  const cols = table.columns.join(', ');
  if (source instanceof SqliteEvidenceStore) {
    const order = table.order === 'chain' ? 'run_seq' : table.order;
    let batch: unknown[][] = [];
    for (const row of source.db.prepare(`SELECT ${cols} FROM ${table.name} ORDER BY ${order}`).raw().iterate() as IterableIterator<unknown[]>) {
      batch.push(row);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
    return;
  }
  const order = table.order === 'chain' ? 'chain_pos' : table.order;
  for (let offset = 0; ; offset += batchSize) {
    const result = await source.pool.query({ text: `SELECT ${cols} FROM ${table.name} ORDER BY ${order} LIMIT ${batchSize} OFFSET ${offset}`, rowMode: 'array' });
    if (result.rows.length > 0) yield result.rows as unknown[][];
    if (result.rows.length < batchSize) return;
  }
}

async function copyIntoPostgres(source: AnyStore, target: PostgresEvidenceStore): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await target.tx(async (client: pg.PoolClient) => {
    for (const table of source instanceof PostgresEvidenceStore ? [...tables, ...sharedRunTables] : tables) {
      counts[table.name] = 0;
      for await (const batch of readRows(source, table)) {
        // One INSERT per batch: unnest one array parameter per column.
        const arrays = table.columns.map((_, c) => batch.map((row) => row[c] ?? null));
        const casts = table.columns.map((column, c) => `$${c + 1}::${pgArrayType(table.name, column)}`).join(', ');
        await client.query(`INSERT INTO ${table.name} (${table.columns.join(', ')}) SELECT * FROM unnest(${casts})`, arrays);
        counts[table.name]! += batch.length;
      }
    }
    for (const [table, column] of [
      ['runs', 'seq'],
      ['streams', 'id'],
      ['trees', 'id'],
      ['outcomes', 'id'],
      ['collections', 'id'],
      ['subject_changes', 'id'],
      ['check_evaluations', 'id'],
      ['run_jobs', 'id'],
      ['unit_outcomes', 'id'],
      ['check_runs', 'id'],
    ] as const) {
      await client.query(`SELECT setval(pg_get_serial_sequence('${table}', '${column}'), GREATEST((SELECT MAX(${column}) FROM ${table}), 1), (SELECT MAX(${column}) FROM ${table}) IS NOT NULL)`);
    }
  });
  return counts;
}

function pgArrayType(table: string, column: string): string {
  if ((table === 'chunks' || table === 'packed_blobs') && column === 'data') return 'bytea[]';
  if (table === 'check_runs' && (column === 'evaluations' || column === 'evidence')) return 'bytea[]';
  if (table === 'runs' && column === 'id') return 'text[]';
  const numeric = ['seq', 'id', 'size', 'run_seq', 'stream_id', 'outcome_id', 'collection_id', 'depth', 'row_count', 'record_count', 'result_count', 'attempt', 'evaluation_count'];
  return numeric.includes(column) ? 'bigint[]' : 'text[]';
}

async function copyIntoSqlite(source: AnyStore, target: SqliteEvidenceStore): Promise<Record<string, number>> {
  if (source instanceof PostgresEvidenceStore) {
    // SQLite chains runs in run order; a PostgreSQL store whose runs were sealed out of order cannot be copied as it is.
    const [outOfOrder] = await source.rows<{ n: number }>(
      'SELECT COUNT(*) AS n FROM (SELECT run_seq, LAG(run_seq) OVER (ORDER BY chain_pos) AS prev FROM run_seals) s WHERE prev > run_seq',
    );
    if (outOfOrder!.n > 0) throw new StoreCopyError(`${source.location} sealed runs out of run order (concurrent runs), which a SQLite store cannot chain`);
  }
  const lock = acquireWriterLock(target.path, 'store migrate');
  const counts: Record<string, number> = {};
  target.db.exec('BEGIN IMMEDIATE');
  try {
    for (const table of tables) {
      counts[table.name] = 0;
      const insert = target.db.prepare(`INSERT INTO ${table.name} (${table.columns.join(', ')}) VALUES (${table.columns.map(() => '?').join(', ')})`);
      for await (const batch of readRows(source, table)) {
        for (const row of batch) insert.run(...row);
        counts[table.name]! += batch.length;
      }
    }
    target.db.exec('COMMIT');
  } catch (error) {
    if (target.db.inTransaction) target.db.exec('ROLLBACK');
    throw error;
  } finally {
    lock.release();
  }
  return counts;
}
