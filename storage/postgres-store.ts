import pg from 'pg';
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { canonicalJson, sha256Hex } from '../src/core/canonical.js';
import type { RequestRef } from '../src/core/connector.js';
import { buildCollection, foldPopulation, resolveRequests, type BuiltCollection, type PendingRecord, type RecordRow } from './collection.js';
import { TreeCache, changeRows, compareText, decodeTree, encodeTree, parseRows, treeDigest, type RowText } from './trees.js';
import { hashRows } from './postgres-hash.js';
import { lockKey, migratePostgres } from './postgres-schema.js';
import { verifyPostgresStore } from './postgres-verify.js';
import { digestBytes, digestsOf, evaluationRows, planCheckRuns, resultsByEvaluation } from './check-runs.js';
import { PostgresSharedRuns } from './postgres-shared-runs.js';
import { redactUrl } from '../src/http/sanitize-url.js';
import {
  checkRowsSql,
  collectionFields,
  collectionSelect,
  genesisHash,
  CollectionsHash,
  newRunId,
  runHash,
  toOutcome,
  toRunInfo,
  type CollectionRow,
  type OutcomeRow,
  type RunManifest,
  type RunRow,
  type SealRow,
  type StreamRow,
} from './sqlite-store.js';
import type {
  CheckResultInput,
  CollectionProvenance,
  EvidenceSnapshot,
  EvidenceStore,
  KindSummary,
  ObservationInput,
  OutcomeInput,
  PopulationRecord,
  RecordChange,
  RunDetail,
  RunInfo,
  RunMeta,
  RunStatus,
  RunWriter,
  SharedRuns,
  StoredCheckResult,
  StoredFile,
  StoredOutcome,
  StoredRecord,
  VerifyReport,
} from './evidence-store.js';


/** Node's `pg` returns int8 as strings; ids and counts here fit in a double. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PostgresStoreOptions {
  /** Open without creating tables or writing (verify, reports). */
  readonly?: boolean;
  /** Connections in the pool (default 4). */
  poolSize?: number;
}

/** Opens the PostgreSQL evidence store at `url`, applying pending migrations unless read-only. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresEvidenceStore> {
  const pool = resilientPool({ connectionString: url, max: options.poolSize ?? 4, types, application_name: 'annexa' });
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client, { readonly: options.readonly ?? false });
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end();
    throw new Error(`cannot open the PostgreSQL evidence store at ${redactUrl(url)}: ${(error as Error).message}`, { cause: error });
  }
  return new PostgresEvidenceStore(pool, { connectionString: url, application_name: 'annexa' }, redactUrl(url), options.readonly ?? false);
}

/**
 * A pool whose connections may be cut (a restarted server, `pg_terminate_backend`) without
 * crashing the process: the error of a connection, idle or checked out, is handled; the query that
 * was running fails and its caller decides (a transaction rolls back, a job is retried), and the
 * broken connection is never handed out again.
 */
export function resilientPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** @internal A pool or a transaction's client. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * {@link EvidenceStore} on PostgreSQL (driver `pg`). The same tables, trees, manifests and chain
 * hashes as the SQLite store, so a store moves between the two without re-sealing; what differs is
 * that several processes write at once:
 *
 * - Sealing takes a transaction-level advisory lock and links to the last sealed run (the chain
 *   follows sealing order), and a unique index on `prev_hash` makes a fork impossible even so.
 * - A run's writer holds a session advisory lock on its run; `startRun` seals as `incomplete` only
 *   runs whose writer's session is gone (a crashed process), never a live one.
 * - Shared runs ({@link SharedRuns}) are written by several workers and sealed by the last unit.
 */
export class PostgresEvidenceStore implements EvidenceStore {
  private readonly trees = new TreeCache();
  /** The request index of the collection `requestsOf` read last. */
  private requestIndex: { key: string; rows: Map<string, number[]>; requests: RequestRef[] } | undefined;
  readonly sharedRuns: SharedRuns;

  constructor(
    /** @internal */ readonly pool: pg.Pool,
    /** @internal How to open a connection of its own (a run writer's lock session). */
    readonly connection: pg.ClientConfig,
    /** The URL with its password redacted, for messages. */
    readonly location: string,
    private readonly readonly: boolean,
  ) {
    this.sharedRuns = new PostgresSharedRuns(this);
  }

  /** @internal Rows of a query on the pool or a transaction's client. */
  async rows<T>(sql: string, params: unknown[] = [], on: Queryable = this.pool): Promise<T[]> {
    return (await on.query(sql, params)).rows as T[];
  }

  /**
   * @internal Rows of a statement each connection prepares once (parsed and planned once, not per
   * call): for the statements every collector runs. graphile-worker prepares its own statements
   * too, so a connection pooler in front must support prepared statements (PgBouncer 1.21+).
   */
  async prepared<T>(name: string, sql: string, params: unknown[], on: Queryable = this.pool): Promise<T[]> {
    return (await on.query({ name: `annexa.${name}`, text: sql, values: params })).rows as T[];
  }

  /** @internal Runs `fn` in one transaction on one client. */
  async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      // The connection may be what failed (a restarted server): never hand it out again.
      client.release(true);
      throw error;
    }
  }

  /**
   * @internal Statements without parameters sent as one simple query (one round trip), each with
   * its own snapshot; when one fails, the transaction they opened is rolled back.
   */
  async simple(statements: readonly string[]): Promise<pg.QueryResult[]> {
    const client = await this.pool.connect();
    try {
      const result = (await client.query(statements.join(';\n'))) as unknown as pg.QueryResult | pg.QueryResult[];
      client.release();
      return Array.isArray(result) ? result : [result];
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      client.release(true);
      throw error;
    }
  }

  private assertWritable(): void {
    if (this.readonly) throw new Error('the evidence store was opened read-only');
  }

  // ---------------------------------------------------------------- writing

  async startRun(meta: RunMeta): Promise<RunWriter> {
    this.assertWritable();
    await this.sealInterruptedRuns();
    const id = newRunId(meta.startedAt);
    // The writer's own session holds its run's lock while it lives, so a crashed writer's run is
    // recognisably orphaned; taken before the run commits, so no one sees the run unlocked. A
    // connection of its own, so open writers never starve the pool.
    const owner = new pg.Client({ ...this.connection, types });
    owner.on('error', () => {});
    try {
      await owner.connect();
      await owner.query('BEGIN');
      const [run] = await this.rows<{ seq: number }>(
        'INSERT INTO runs (id, started_at, command, tool_version) VALUES ($1, $2, $3, $4) RETURNING seq',
        [id, meta.startedAt.toISOString(), meta.command, meta.toolVersion],
        owner,
      );
      await owner.query(`SELECT pg_advisory_lock(${lockKey('run', run!.seq)})`);
      await owner.query('COMMIT');
      return new PostgresRunWriter(this, run!.seq, id, owner);
    } catch (error) {
      await owner.end().catch(() => {});
      throw error;
    }
  }

  /**
   * Seals as `incomplete` the open runs whose writer is gone: not shared runs (their units end
   * them) and not runs whose writer session still holds its lock.
   */
  private async sealInterruptedRuns(): Promise<void> {
    const open = await this.rows<{ seq: number }>(
      `SELECT r.seq FROM runs r LEFT JOIN run_seals s ON s.run_seq = r.seq LEFT JOIN shared_runs x ON x.run_seq = r.seq
       WHERE s.run_seq IS NULL AND x.run_seq IS NULL ORDER BY r.seq`,
    );
    for (const { seq } of open) {
      const client = await this.pool.connect();
      try {
        const [got] = await this.rows<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${lockKey('run', seq)}) AS ok`, [], client);
        if (!got?.ok) continue;
        try {
          await this.sealAt(seq, 'incomplete', undefined);
        } finally {
          await client.query(`SELECT pg_advisory_unlock(${lockKey('run', seq)})`);
        }
      } finally {
        client.release();
      }
    }
  }

  /**
   * @internal Seals a run (finishedAt: the given time, or the run's last write). Returns undefined
   * when it was already sealed. `sharedContent` (shared runs) adds what else the seal commits to,
   * computed in the sealing transaction.
   */
  async sealAt(seq: number, status: RunStatus, finishedAt: string | undefined, sharedContent?: (client: Queryable) => Promise<object>): Promise<SealRow | undefined> {
    return this.tx(async (client) => {
      // One sealer at a time per store: the chain's head cannot move between reading and extending it.
      await client.query(`SELECT pg_advisory_xact_lock(${lockKey('chain')})`);
      const [already] = await this.rows('SELECT 1 FROM run_seals WHERE run_seq = $1', [seq], client);
      if (already) return undefined;
      await this.commitLeftovers(client, seq);
      const at =
        finishedAt ??
        (
          await this.rows<{ t: string }>(
            `SELECT MAX(t) AS t FROM (
               SELECT MAX(collected_at) AS t FROM collections WHERE run_seq = $1
               UNION ALL SELECT MAX(finished_at) FROM outcomes WHERE run_seq = $1
               UNION ALL SELECT started_at FROM runs WHERE seq = $1) x`,
            [seq],
            client,
          )
        )[0]!.t;
      const [prev] = await this.rows<{ hash: string }>('SELECT hash FROM run_seals ORDER BY chain_pos DESC LIMIT 1', [], client);
      const [run] = await this.rows<RunRow>('SELECT seq, id, started_at, command, tool_version FROM runs WHERE seq = $1', [seq], client);
      const manifest: RunManifest = { v: 3, status, finishedAt: at, ...(await this.hashRunContent(seq, client)), ...(await sharedContent?.(client)) };
      const prevHash = prev?.hash ?? genesisHash;
      const row: SealRow = { run_seq: seq, status, finished_at: at, prev_hash: prevHash, manifest: canonicalJson(manifest), hash: runHash(prevHash, run!, manifest) };
      // The notification (the run's id) is delivered when the seal commits: `schedule --wait` and
      // other waiters learn of it at once instead of polling.
      await client.query(
        `WITH s AS (INSERT INTO run_seals (run_seq, status, finished_at, prev_hash, manifest, hash) VALUES ($1, $2, $3, $4, $5, $6) RETURNING run_seq)
         SELECT pg_notify('${runSealedChannel}', $7) FROM s`,
        [row.run_seq, row.status, row.finished_at, row.prev_hash, row.manifest, row.hash, run!.id],
      );
      return row;
    });
  }

  /** @internal What a seal (manifest `v`) hashes, recomputed from the stored rows (the same as the SQLite store's). */
  async hashRunContent(seq: number, on: Queryable = this.pool, v: RunManifest['v'] = 3): Promise<Pick<RunManifest, 'kinds' | 'outcomes' | 'checks'>> {
    const collections = await this.rows<CollectionRow>(`${collectionSelect} WHERE c.run_seq = $1 ORDER BY c.id`, [seq], on);
    // Change rows in pages, in the order the seal hashes them: a first run changes every subject,
    // and one query for all of them held the whole run in memory.
    const hash = new CollectionsHash();
    let page: { id: number; collection_id: number; subject: string; entry: string | null }[] = [];
    let at = 0;
    let read = false;
    const nextChange = async () => {
      if (at === page.length && !read) {
        const last = page.at(-1);
        page = await this.rows(
          `SELECT x.id, x.collection_id, x.subject, x.entry FROM subject_changes x JOIN collections c ON c.id = x.collection_id
           WHERE c.run_seq = $1 AND ($2::bigint IS NULL OR (x.collection_id, x.subject, x.id) > ($2::bigint, $3::text, $4::bigint))
           ORDER BY x.collection_id, x.subject, x.id LIMIT ${changePage}`,
          [seq, last?.collection_id ?? null, last?.subject ?? null, last?.id ?? null],
          on,
        );
        at = 0;
        read = page.length < changePage;
      }
      return page[at];
    };
    for (const c of collections) {
      hash.collection({ kind: c.kind, fields: collectionFields(c), recordCount: c.record_count });
      for (let change = await nextChange(); change && change.collection_id === c.id; change = await nextChange()) {
        hash.change([change.subject, change.entry]);
        at++;
      }
    }
    return {
      kinds: hash.digest(),
      outcomes: await hashRows(
        on,
        'SELECT instance_id, connector_type, collector_id, kind, status, record_count, error_code, error_message, started_at, finished_at FROM outcomes WHERE run_seq = $1 ORDER BY id',
        [seq],
      ),
      checks:
        v === 2
          ? await hashRows(on, 'SELECT check_id, instance_id, as_of, evidence, results, result_count FROM check_evaluations WHERE run_seq = $1 ORDER BY id', [seq])
          : await hashRows(on, checkRowsSql("encode(evaluations, 'hex')", "encode(evidence, 'hex')", '$1', '$1'), [seq]),
    };
  }

  /** @internal Stores JSON values content-addressed; returns their digests in order. */
  async putBlobs(client: Queryable, values: readonly unknown[]): Promise<string[]> {
    const jsons = values.map((v) => canonicalJson(v));
    const digests = jsons.map((j) => sha256Hex(j));
    const blobs = sortedBlobs(digests, jsons);
    if (blobs.digests.length > 0) await client.query(insertBlobsSql('$1', '$2'), [blobs.digests, blobs.jsons]);
    return digests;
  }

  /**
   * @internal Payloads go to blobs at once; the records wait in `pending` until their collection
   * ends. One statement (atomic on its own, so no transaction around it): every round trip costs
   * the worker and the database CPU, and a unit writes a batch per collector.
   */
  async insertObservations(seq: number, batch: readonly ObservationInput[]): Promise<void> {
    const { jsons, digests } = payloadBlobs(batch);
    const groups = new Map<string, { o: ObservationInput; records: { s: string; d: string; t: string; r: readonly RequestRef[]; a?: string }[] }>();
    batch.forEach((o, i) => {
      const key = collectorKey(o);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { o, records: [] }));
      group.records.push({ s: o.subject, d: digests[i]!, t: o.collectedAt.toISOString(), r: o.provenance.requests, ...(o.attachment ? { a: o.attachment } : {}) });
    });
    const blobs = sortedBlobs(digests, jsons);
    const pending = [...groups.values()];
    await this.prepared(
      'insert-observations',
      `WITH b AS (${insertBlobsSql('$1', '$2')})
       INSERT INTO pending (run_seq, instance_id, collector_id, kind, tool, connector_type, record_count, data)
       SELECT $3, i, c, k, t, ct, n, d FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[]) WITH ORDINALITY AS g(i, c, k, t, ct, n, d, o) ORDER BY o`,
      [
        blobs.digests,
        blobs.jsons,
        seq,
        pending.map((g) => g.o.instanceId),
        pending.map((g) => g.o.collectorId),
        pending.map((g) => g.o.kind),
        pending.map((g) => g.o.provenance.tool),
        pending.map((g) => g.o.provenance.connectorType),
        pending.map((g) => g.records.length),
        pending.map((g) => JSON.stringify(g.records)),
      ],
    );
  }

  /**
   * @internal An outcome ends a collection: its waiting records become a tree. Two round trips
   * (read, then one statement that writes everything or nothing), no transaction, unless the
   * stream is new (then `commitCollection` in a transaction creates it first) or `on` is given (a
   * transaction of the caller's). A unit writes one per collector: each round trip costs the
   * worker and PostgreSQL CPU.
   */
  async insertOutcome(seq: number, o: OutcomeInput, on?: pg.PoolClient, last: readonly ObservationInput[] = [], parked = true): Promise<void> {
    const key = { instance_id: o.instanceId, collector_id: o.collectorId, kind: o.kind };
    // The collector's last records go into the collection's own statement: parking them in
    // `pending` cost a round trip to write them and sent them back to be read.
    if (last.some((r) => r.instanceId !== o.instanceId || r.collectorId !== o.collectorId || r.kind !== o.kind)) {
      throw new Error(`records given with the outcome of ${o.instanceId}/${o.collectorId} belong to another collector`);
    }
    const records = lastRecords(last);
    if (on) return this.commitCollection(on, seq, key, o, records);
    let read: CollectionRead;
    let prepared: PreparedCollection | undefined;
    if (o.status === 'collected' && !parked) {
      const tried = await this.writeIfUnchanged(seq, key, o, records);
      if (!tried) return;
      ({ read, prepared } = tried);
    } else {
      read = await this.readCollection(this.pool, seq, key);
    }
    if (read.streamId === null) return this.tx((client) => this.commitCollection(client, seq, key, o, records));
    // Prepared from the last records alone: right unless records were waiting after all.
    await this.writeCollection(this.pool, seq, read as CollectionRead & { streamId: number }, o, records, read.pending.length === 0 ? prepared : undefined);
  }

  /**
   * One round trip for a collection whose records all came with its outcome and whose rows are
   * its stream's previous tree's (a day that changed nothing): the outcome and the collection,
   * naming the stored tree, are written if the stream's newest tree is that one and no records
   * wait; otherwise nothing is written and the statement returns what {@link readCollection}
   * reads, with the collection prepared. Undefined when written.
   */
  private async writeIfUnchanged(seq: number, key: CollectionKey, o: OutcomeInput, last: LastRecords): Promise<{ read: CollectionRead; prepared: PreparedCollection } | undefined> {
    const prepared = prepareCollection(buildCollection(last.records, last.source ?? { tool: '-', connectorType: o.connectorType }));
    const { built } = prepared;
    const rows = await this.prepared<{ written: boolean; sealed: boolean; stream_id: number | null; tree: string | null; depth: number | null; id: number | null; tool: string; connector_type: string; data: string }>(
      'write-if-unchanged',
      `WITH s AS (SELECT id FROM streams WHERE kind = $2 AND instance_id = $3 AND collector_id = $4),
       prev AS (SELECT c.tree, t.depth FROM collections c JOIN trees t ON t.digest = c.tree WHERE c.stream_id = (SELECT id FROM s) AND c.status = 'collected' ORDER BY c.id DESC LIMIT 1),
       waiting AS (SELECT id, tool, connector_type, data FROM pending WHERE run_seq = $1 AND instance_id = $3 AND collector_id = $4 AND kind = $2),
       sealed AS (SELECT 1 FROM run_seals WHERE run_seq = $1::bigint),
       o AS (INSERT INTO outcomes (run_seq, instance_id, connector_type, collector_id, kind, status, record_count, error_code, error_message, started_at, finished_at)
         SELECT $1::bigint, $6::text, $7::text, $8::text, $9::text, $10::text, $11::bigint, $12::text, $13::text, $14::text, $15::text
         WHERE EXISTS (SELECT 1 FROM prev WHERE tree = $5::text) AND NOT EXISTS (SELECT 1 FROM waiting) AND NOT EXISTS (SELECT 1 FROM sealed) RETURNING id),
       b AS (INSERT INTO blobs (digest, json, size) SELECT $16::text, $17::text, octet_length($17::text) WHERE EXISTS (SELECT 1 FROM o) ON CONFLICT (digest) DO NOTHING),
       p AS (INSERT INTO packed_blobs (digest, data, size) SELECT $18::text, $19::bytea, $20::bigint WHERE EXISTS (SELECT 1 FROM o) ON CONFLICT (digest) DO NOTHING),
       c AS (INSERT INTO collections (run_seq, stream_id, outcome_id, status, tree, provenance, record_count, collected_at, finished_at)
         SELECT $1::bigint, (SELECT id FROM s), o.id, $10::text, $5::text, $18::text, $21::bigint, $22::text, $15::text FROM o),
       r AS (${insertBlobsSql('$23', '$24', 'EXISTS (SELECT 1 FROM o)')})
       SELECT EXISTS (SELECT 1 FROM o) AS written, EXISTS (SELECT 1 FROM sealed) AS sealed, (SELECT id FROM s) AS stream_id, prev.tree, prev.depth, w.id, w.tool, w.connector_type, w.data
       FROM (SELECT 1) one LEFT JOIN prev ON true LEFT JOIN waiting w ON true ORDER BY w.id`,
      [
        seq,
        key.kind,
        key.instance_id,
        key.collector_id,
        treeDigest(built.rows),
        ...outcomeValues(o),
        ...prepared.blobs,
        built.recordCount,
        built.collectedAt,
        last.blobs.digests,
        last.blobs.jsons,
      ],
    );
    const first = rows[0]!;
    if (first.written) return undefined;
    if (first.sealed) throw new Error(`run #${seq} is already sealed: its outcomes cannot change`);
    return { read: collectionRead(key, rows), prepared };
  }

  /**
   * @internal Records written without an outcome become `incomplete` collections, except those of
   * a collector that has an outcome in this run (left by an attempt that lost its unit to a retry).
   */
  async commitLeftovers(client: Queryable, seq: number): Promise<void> {
    const keys = await this.rows<{ instance_id: string; collector_id: string; kind: string }>(
      `SELECT p.instance_id, p.collector_id, p.kind, MIN(p.id) AS first FROM pending p WHERE p.run_seq = $1
         AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.run_seq = p.run_seq AND o.instance_id = p.instance_id AND o.collector_id = p.collector_id AND o.kind = p.kind)
       GROUP BY p.instance_id, p.collector_id, p.kind ORDER BY first`,
      [seq],
      client,
    );
    for (const key of keys) await this.commitCollection(client, seq, key, undefined);
    await client.query('DELETE FROM pending WHERE run_seq = $1', [seq]);
  }

  /** A collection's waiting records (and the outcome, if given) written in `client`'s transaction; creates its stream if new. */
  private async commitCollection(client: Queryable, seq: number, key: CollectionKey, outcome: OutcomeInput | undefined, last: LastRecords = noLastRecords): Promise<void> {
    const read = await this.readCollection(client, seq, key);
    const streamId = read.streamId ?? (await this.streamId(client, key.kind, key.instance_id, key.collector_id));
    await this.writeCollection(client, seq, { ...read, streamId }, outcome, last);
  }

  /** A collection's stream, the stream's newest collected tree and the records waiting for it, in one query. */
  private async readCollection(client: Queryable, seq: number, key: CollectionKey): Promise<CollectionRead> {
    const rows = await this.prepared<{ stream_id: number | null; tree: string | null; depth: number | null; id: number | null; tool: string; connector_type: string; data: string }>(
      'read-collection',
      `SELECT s.id AS stream_id, prev.tree, prev.depth, p.id, p.tool, p.connector_type, p.data FROM (SELECT 1) one
       LEFT JOIN streams s ON s.kind = $4 AND s.instance_id = $2 AND s.collector_id = $3
       LEFT JOIN LATERAL (SELECT c.tree, t.depth FROM collections c JOIN trees t ON t.digest = c.tree WHERE c.stream_id = s.id AND c.status = 'collected' ORDER BY c.id DESC LIMIT 1) prev ON true
       LEFT JOIN LATERAL (SELECT id, tool, connector_type, data FROM pending WHERE run_seq = $1 AND instance_id = $2 AND collector_id = $3 AND kind = $4) p ON true
       ORDER BY p.id`,
      [seq, key.instance_id, key.collector_id, key.kind],
      client,
    );
    return collectionRead(key, rows);
  }

  /**
   * @internal The id of a stream, created on first use (safe when two writers create it at once).
   */
  async streamId(client: Queryable, kind: string, instanceId: string, collectorId: string): Promise<number> {
    await client.query('INSERT INTO streams (kind, instance_id, collector_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [kind, instanceId, collectorId]);
    const [row] = await this.rows<{ id: number }>('SELECT id FROM streams WHERE kind = $1 AND instance_id = $2 AND collector_id = $3', [kind, instanceId, collectorId], client);
    return row!.id;
  }

  /**
   * Writes a collection in one statement: the outcome (unless there is none: leftovers), the
   * collection's tree (a delta against the stream's previous tree when small), templates,
   * provenance and change rows, and clears the records it read. Nothing is written when the run
   * is sealed meanwhile. A failed collector without records gets its outcome and no collection.
   */
  private async writeCollection(
    client: Queryable,
    seq: number,
    read: CollectionRead & { streamId: number },
    outcome: OutcomeInput | undefined,
    last: LastRecords = noLastRecords,
    /** The collection prepared from `last` alone (no records waiting), when the caller prepared it already. */
    ready?: PreparedCollection,
  ): Promise<void> {
    const { pending, previous } = read;
    const collect = pending.length > 0 || last.records.length > 0 || outcome?.status === 'collected';
    // The collection's parameters ($15, $16, $18 to $29), all null when there is none.
    let collection: unknown[] = Array(14).fill(null);
    let changes: [string, string | null][] = [];
    if (collect) {
      let prepared = ready;
      if (!prepared) {
        const records: PendingRecord[] = [];
        for (const p of pending) {
          for (const r of JSON.parse(p.data) as { s: string; d: string; t: string; r: RequestRef[]; a?: string }[]) {
            records.push({ subject: r.s, digest: r.d, collectedAt: r.t, requests: r.r, attachment: r.a ?? null });
          }
        }
        records.push(...last.records);
        const source = pending[0] ? { tool: pending[0].tool, connectorType: pending[0].connector_type } : (last.source ?? { tool: '-', connectorType: outcome!.connectorType });
        prepared = prepareCollection(buildCollection(records, source));
      }
      const { built } = prepared;
      const status = outcome?.status ?? 'incomplete';
      const finishedAt =
        outcome?.finishedAt.toISOString() ??
        built.collectedAt ??
        (await this.rows<{ started_at: string }>('SELECT started_at FROM runs WHERE seq = $1', [seq], client))[0]!.started_at;
      // Rows equal to the previous tree's (most collections of a day change nothing) need neither
      // the previous rows (a round trip), nor a delta, nor change rows: the stored tree is named again.
      const digest = previous ? treeDigest(built.rows) : undefined;
      let tree: ReturnType<typeof encodeTree> | undefined;
      if (!previous || digest !== previous.tree) {
        // Like the SQLite writer, the live writer caches neither this base nor the new tree: nothing reads them again soon.
        const previousRows = previous ? await this.treeRows(previous.tree, client, false) : undefined;
        tree = encodeTree(built.rows, previous && previousRows ? { digest: previous.tree, depth: previous.depth, rows: previousRows } : undefined, digest);
        if (status === 'collected') changes = changeRows(previousRows ?? [], built.rows);
      }
      collection = [
        ...prepared.blobs,
        tree?.digest ?? previous!.tree,
        // No tree (and no data): it is stored already, and the insert below skips it.
        tree?.base ?? null,
        tree?.depth ?? null,
        tree?.rowCount ?? null,
        tree?.data ?? null,
        status,
        built.recordCount,
        built.collectedAt,
        finishedAt,
      ];
    }
    const [result] = await this.prepared<{ written: boolean }>(
      'write-collection',
      `WITH o AS (INSERT INTO outcomes (run_seq, instance_id, connector_type, collector_id, kind, status, record_count, error_code, error_message, started_at, finished_at)
         SELECT $1::bigint, $4::text, $5::text, $6::text, $7::text, $8::text, $9::bigint, $10::text, $11::text, $12::text, $13::text
         WHERE $3::boolean AND NOT EXISTS (SELECT 1 FROM run_seals WHERE run_seq = $1::bigint) RETURNING id),
       ok AS (SELECT (SELECT id FROM o) AS outcome_id WHERE NOT $3::boolean OR EXISTS (SELECT 1 FROM o)),
       d AS (DELETE FROM pending WHERE id = ANY($14::bigint[]) AND EXISTS (SELECT 1 FROM ok)),
       b AS (INSERT INTO blobs (digest, json, size) SELECT $15::text, $16::text, octet_length($16::text) WHERE $17::boolean ON CONFLICT (digest) DO NOTHING),
       p AS (INSERT INTO packed_blobs (digest, data, size) SELECT $18::text, $19::bytea, $20::bigint WHERE $17::boolean ON CONFLICT (digest) DO NOTHING),
       t AS (INSERT INTO trees (digest, base, depth, row_count, data) SELECT $21::text, $22::text, $23::integer, $24::bigint, $25::text WHERE $17::boolean AND $25::text IS NOT NULL ON CONFLICT (digest) DO NOTHING),
       c AS (INSERT INTO collections (run_seq, stream_id, outcome_id, status, tree, provenance, record_count, collected_at, finished_at)
         SELECT $1::bigint, $2::bigint, ok.outcome_id, $26::text, $21::text, $18::text, $27::bigint, $28::text, $29::text FROM ok WHERE $17::boolean RETURNING id),
       x AS (INSERT INTO subject_changes (stream_id, collection_id, subject, entry)
         SELECT $2::bigint, c.id, s, e FROM c, unnest($30::text[], $31::text[]) WITH ORDINALITY AS u(s, e, n) ORDER BY n),
       r AS (${insertBlobsSql('$32', '$33', 'EXISTS (SELECT 1 FROM ok)')})
       SELECT EXISTS (SELECT 1 FROM ok) AS written`,
      [
        seq,
        read.streamId,
        outcome !== undefined,
        ...(outcome ? outcomeValues(outcome) : Array(10).fill(null)),
        pending.map((p) => p.id),
        ...collection.slice(0, 2),
        collect,
        ...collection.slice(2),
        changes.map((c) => c[0]),
        changes.map((c) => c[1]),
        last.blobs.digests,
        last.blobs.jsons,
      ],
      client,
    );
    if (!result?.written) throw new Error(`run #${seq} is already sealed: its outcomes cannot change`);
  }

  /**
   * @internal Check results become one `check_runs` row per as-of date, as in the SQLite store: an
   * evaluation tree naming one result tree per evaluation; trees already stored are not written
   * again, a new one is a delta against the previous check run's when small.
   */
  async insertCheckResults(seq: number, batch: readonly CheckResultInput[]): Promise<void> {
    await this.tx(async (client) => {
      const evidence = new Map<unknown, unknown>();
      const plans = planCheckRuns(batch, (value) => {
        const digest = sha256Hex(canonicalJson(value));
        evidence.set(digest, value);
        return digest;
      });
      await this.putBlobs(client, [...evidence.values()]);
      const [last] = await this.rows<{ tree: string; depth: number }>(
        `SELECT encode(c.evaluations, 'hex') AS tree, t.depth FROM check_runs c JOIN trees t ON t.digest = encode(c.evaluations, 'hex') ORDER BY c.id DESC LIMIT 1`,
        [],
        client,
      );
      let previous = last ? { ...last, results: resultsByEvaluation(await this.treeRows(last.tree, client)) } : undefined;
      for (const run of plans) {
        for (const e of run.evaluations) {
          if (await this.hasTree(client, e.digest)) continue;
          let base = previous?.results.get(`${e.checkId}\u0000${e.instanceId}`);
          base ??= (
            await this.rows<{ results: string }>('SELECT results FROM check_evaluations WHERE check_id = $1 AND instance_id = $2 ORDER BY id DESC LIMIT 1', [e.checkId, e.instanceId], client)
          )[0]?.results;
          const [baseTree] = base ? await this.rows<{ depth: number }>('SELECT depth FROM trees WHERE digest = $1', [base], client) : [];
          await this.insertTree(client, encodeTree(e.results, base && baseTree ? { digest: base, depth: baseTree.depth, rows: await this.treeRows(base, client) } : undefined, e.digest), e.results);
        }
        // An unchanged day's evaluation tree is stored already: found by its digest, never diffed.
        const tree = { digest: treeDigest(run.rows), depth: 0 };
        const [stored] = await this.rows<{ depth: number }>('SELECT depth FROM trees WHERE digest = $1', [tree.digest], client);
        if (stored) tree.depth = stored.depth;
        else {
          const encoded = encodeTree(run.rows, previous ? { digest: previous.tree, depth: previous.depth, rows: await this.treeRows(previous.tree, client) } : undefined, tree.digest);
          await this.insertTree(client, encoded, run.rows);
          tree.depth = encoded.depth;
        }
        await client.query('INSERT INTO check_runs (run_seq, as_of, evaluations, evidence, evaluation_count) VALUES ($1, $2, $3, $4, $5)', [
          seq,
          run.asOf,
          digestBytes([tree.digest]),
          digestBytes(run.evidence),
          run.evaluations.length,
        ]);
        previous = { tree: tree.digest, depth: tree.depth, results: resultsByEvaluation(run.rows) };
      }
    });
  }

  private async hasTree(client: Queryable, digest: string): Promise<boolean> {
    return (await this.rows('SELECT 1 FROM trees WHERE digest = $1', [digest], client)).length > 0;
  }

  private async insertTree(client: Queryable, tree: ReturnType<typeof encodeTree>, rows: RowText[]): Promise<void> {
    await client.query('INSERT INTO trees (digest, base, depth, row_count, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (digest) DO NOTHING', [
      tree.digest,
      tree.base,
      tree.depth,
      tree.rowCount,
      tree.data,
    ]);
    this.trees.set(tree.digest, rows);
  }

  /**
   * @internal Streams a file into content-addressed chunks in one transaction: each chunk is sent
   * as it fills, so memory holds one chunk, and an error or a crash mid-file leaves nothing.
   */
  async insertFile(content: AsyncIterable<Uint8Array>): Promise<StoredFile> {
    return this.tx(async (client) => {
      const whole = createHash('sha256');
      const chunkDigests: string[] = [];
      let size = 0;
      let pending: Buffer[] = [];
      let pendingSize = 0;
      const writeChunk = async (chunk: Buffer) => {
        const digest = sha256Hex(chunk);
        await client.query('INSERT INTO chunks (digest, data) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING', [digest, chunk]);
        chunkDigests.push(digest);
      };
      for await (const piece of content) {
        const buffer = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
        whole.update(buffer);
        size += buffer.length;
        pending.push(buffer);
        pendingSize += buffer.length;
        while (pendingSize >= fileChunkSize) {
          const joined = Buffer.concat(pending);
          await writeChunk(joined.subarray(0, fileChunkSize));
          pending = [joined.subarray(fileChunkSize)];
          pendingSize = joined.length - fileChunkSize;
        }
      }
      if (pendingSize > 0 || chunkDigests.length === 0) await writeChunk(Buffer.concat(pending));
      const digest = whole.digest('hex');
      await client.query('INSERT INTO files (digest, size, chunks) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING', [digest, size, JSON.stringify(chunkDigests)]);
      return { digest, size };
    });
  }

  // ---------------------------------------------------------------- reading

  /** @internal The rows of a tree, rebuilt through its delta chain (cached, with the chain, unless `cache` is false). */
  async treeRows(digest: string, on: Queryable = this.pool, cache = true): Promise<RowText[]> {
    const cached = this.trees.get(digest);
    if (cached) return cached;
    const [row] = await this.rows<{ base: string | null; data: string }>('SELECT base, data FROM trees WHERE digest = $1', [digest], on);
    if (!row) throw new Error(`evidence store is missing tree ${digest}; run \`annexa verify\``);
    const rows = decodeTree(row.data, row.base ? await this.treeRows(row.base, on, cache) : undefined);
    if (cache) this.trees.set(digest, rows);
    return rows;
  }

  /** Payloads by digest, in one query. */
  private async payloads(digests: readonly string[]): Promise<Map<string, unknown>> {
    const unique = [...new Set(digests)];
    const out = new Map<string, unknown>();
    if (unique.length === 0) return out;
    for (const row of await this.rows<{ digest: string; json: string }>('SELECT digest, json FROM blobs WHERE digest = ANY($1::text[])', [unique])) {
      out.set(row.digest, JSON.parse(row.json) as unknown);
    }
    for (const digest of unique) if (!out.has(digest)) throw new Error(`evidence store is missing payload ${digest}; run \`annexa verify\``);
    return out;
  }

  /** Records of (collection, tree row) pairs, payloads read in one query. */
  private async toRecords(pairs: readonly { c: CollectionRow; row: RecordRow }[]): Promise<StoredRecord[]> {
    const payloads = await this.payloads(pairs.map((p) => p.row[1]));
    return pairs.map(({ c, row }) => ({
      runId: c.run_id,
      instanceId: c.instance_id,
      collectorId: c.collector_id,
      kind: c.kind,
      subject: row[0],
      digest: row[1],
      payload: payloads.get(row[1]),
      collectedAt: c.collected_at ?? c.finished_at,
      provenanceDigest: c.provenance,
      attachment: row[3] ?? null,
    }));
  }

  private async recordsOfCollection(c: CollectionRow): Promise<StoredRecord[]> {
    return this.toRecords(parseRows<RecordRow>(await this.treeRows(c.tree)).map((row) => ({ c, row })));
  }

  private async streams(kind?: string, instanceId?: string): Promise<StreamRow[]> {
    return this.rows<StreamRow>(
      'SELECT * FROM streams WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR instance_id = $2) ORDER BY kind, instance_id, collector_id',
      [kind ?? null, instanceId ?? null],
    );
  }

  /** Newest outcome and newest successful outcome per stream as of a date, in one query. */
  private async summaries(asOf: string, kind?: string, instanceId?: string): Promise<{ stream: StreamRow; latest: OutcomeRow; collected?: OutcomeRow }[]> {
    const pick = (onlyCollected: boolean) => `LEFT JOIN LATERAL (
        SELECT row_to_json(x) AS j FROM (SELECT o.*, r.id AS run_id, c.tree, c.id AS collection_id FROM outcomes o JOIN runs r ON r.seq = o.run_seq
          LEFT JOIN collections c ON c.outcome_id = o.id
          WHERE o.kind = s.kind AND o.instance_id = s.instance_id AND o.collector_id = s.collector_id AND o.finished_at <= $3 ${onlyCollected ? "AND o.status = 'collected'" : ''}
          ORDER BY o.finished_at DESC, o.id DESC LIMIT 1) x) ${onlyCollected ? 'c' : 'l'} ON true`;
    const rows = await this.rows<StreamRow & { latest: OutcomeRow | null; collected: OutcomeRow | null }>(
      `SELECT s.*, l.j AS latest, c.j AS collected FROM streams s ${pick(false)} ${pick(true)}
       WHERE ($1::text IS NULL OR s.kind = $1) AND ($2::text IS NULL OR s.instance_id = $2) AND l.j IS NOT NULL ORDER BY s.kind, s.instance_id, s.collector_id`,
      [kind ?? null, instanceId ?? null, asOf],
    );
    return rows.map(({ latest, collected, ...stream }) => ({ stream, latest: latest!, ...(collected ? { collected } : {}) }));
  }

  async kinds(options: { asOf?: Date } = {}): Promise<KindSummary[]> {
    return (await this.summaries(options.asOf?.toISOString() ?? '9999')).map((s) => ({
      kind: s.stream.kind,
      instanceId: s.stream.instance_id,
      collectorId: s.stream.collector_id,
      latestOutcome: toOutcome(s.latest),
      ...(s.collected ? { lastCollected: toOutcome(s.collected) } : {}),
    }));
  }

  async latest(kind: string, options: { asOf?: Date; instanceId?: string } = {}): Promise<EvidenceSnapshot[]> {
    const out: EvidenceSnapshot[] = [];
    for (const s of await this.summaries(options.asOf?.toISOString() ?? '9999', kind, options.instanceId)) {
      out.push({
        kind,
        instanceId: s.stream.instance_id,
        latestOutcome: toOutcome(s.latest),
        ...(s.collected ? { lastCollected: toOutcome(s.collected) } : {}),
        records: s.collected?.collection_id ? await this.recordsOfCollection(await this.collection(s.collected.collection_id)) : [],
      });
    }
    return out;
  }

  private async collection(id: number): Promise<CollectionRow> {
    return (await this.rows<CollectionRow>(`${collectionSelect} WHERE c.id = $1`, [id]))[0]!;
  }

  async history(kind: string, subject: string, options: { since?: Date; until?: Date } = {}): Promise<StoredRecord[]> {
    const since = options.since?.toISOString() ?? '';
    const until = options.until?.toISOString() ?? '9999';
    const pairs: { c: CollectionRow; row: RecordRow }[] = [];
    const inRange = (c: CollectionRow) => (c.collected_at ?? c.finished_at) >= since && (c.collected_at ?? c.finished_at) <= until;
    for (const stream of await this.streams(kind)) {
      // Successful collections: the change index gives the intervals in which the subject existed.
      const changes = await this.rows<{ collection_id: number; entry: string | null }>(
        'SELECT collection_id, entry FROM subject_changes WHERE stream_id = $1 AND subject = $2 ORDER BY collection_id',
        [stream.id, subject],
      );
      for (const [i, change] of changes.entries()) {
        if (change.entry === null) continue;
        const rows = JSON.parse(change.entry) as RecordRow[];
        const end = changes[i + 1]?.collection_id ?? Number.MAX_SAFE_INTEGER;
        const between = await this.rows<CollectionRow>(`${collectionSelect} WHERE c.stream_id = $1 AND c.status = 'collected' AND c.id >= $2 AND c.id < $3 ORDER BY c.id`, [
          stream.id,
          change.collection_id,
          end,
        ]);
        for (const c of between) if (inRange(c)) for (const row of rows) pairs.push({ c, row });
      }
      // Failed and interrupted collections are few: look the subject up in each.
      for (const c of await this.rows<CollectionRow>(`${collectionSelect} WHERE c.stream_id = $1 AND c.status != 'collected' ORDER BY c.id`, [stream.id])) {
        if (!inRange(c)) continue;
        for (const row of parseRows<RecordRow>(await this.treeRows(c.tree)).filter((r) => r[0] === subject)) pairs.push({ c, row });
      }
    }
    pairs.sort((a, b) => compareText(a.c.collected_at ?? a.c.finished_at, b.c.collected_at ?? b.c.finished_at) || a.c.id - b.c.id);
    return this.toRecords(pairs);
  }

  async records(kind: string, options: { until?: Date } = {}): Promise<StoredRecord[]> {
    const collections = await this.rows<CollectionRow>(
      `${collectionSelect} WHERE s.kind = $1 AND COALESCE(c.collected_at, c.finished_at) <= $2 AND c.record_count > 0 ORDER BY COALESCE(c.collected_at, c.finished_at), c.id`,
      [kind, options.until?.toISOString() ?? '9999'],
    );
    const out: StoredRecord[] = [];
    for (const c of collections) out.push(...(await this.recordsOfCollection(c)));
    return out;
  }

  async population(kind: string, options: { since: Date; until: Date; instanceId?: string }): Promise<PopulationRecord[]> {
    const versions: { stream: StreamRow; rows: RecordRow[]; first: CollectionRow; last: CollectionRow }[] = [];
    for (const stream of await this.streams(kind, options.instanceId)) {
      const collections = await this.rows<CollectionRow>(
        `${collectionSelect} WHERE c.stream_id = $1 AND c.status = 'collected' AND c.finished_at >= $2 AND c.finished_at <= $3 ORDER BY c.id`,
        [stream.id, options.since.toISOString(), options.until.toISOString()],
      );
      const first = collections[0];
      const last = collections.at(-1);
      if (!first || !last) continue;
      const position = new Map(collections.map((c, i) => [c.id, i]));
      const live = new Map<string, { rows: RecordRow[]; first: CollectionRow }>();
      for (const row of parseRows<RecordRow>(await this.treeRows(first.tree))) {
        const version = live.get(row[0]);
        if (version) version.rows.push(row);
        else live.set(row[0], { rows: [row], first });
      }
      const changes = await this.rows<{ collection_id: number; subject: string; entry: string | null }>(
        'SELECT collection_id, subject, entry FROM subject_changes WHERE stream_id = $1 AND collection_id > $2 AND collection_id <= $3 ORDER BY collection_id, id',
        [stream.id, first.id, last.id],
      );
      for (const change of changes) {
        const at = position.get(change.collection_id);
        if (at === undefined) continue;
        const ended = live.get(change.subject);
        if (ended) versions.push({ stream, ...ended, last: collections[at - 1]! });
        live.delete(change.subject);
        if (change.entry !== null) live.set(change.subject, { rows: JSON.parse(change.entry) as RecordRow[], first: collections[at]! });
      }
      for (const version of live.values()) versions.push({ stream, ...version, last });
    }
    const payloads = await this.payloads(versions.flatMap((v) => v.rows.map((r) => r[1])));
    const seen = (c: CollectionRow) => ({ runId: c.run_id, at: c.finished_at });
    const out: PopulationRecord[] = versions.flatMap((version) =>
      version.rows.map((row) => ({
        kind,
        instanceId: version.stream.instance_id,
        collectorId: version.stream.collector_id,
        subject: row[0],
        digest: row[1],
        payload: payloads.get(row[1]),
        attachment: row[3] ?? null,
        firstSeen: seen(version.first),
        lastSeen: seen(version.last),
      })),
    );
    return foldPopulation(out).sort((a, b) => compareText(a.instanceId, b.instanceId) || compareText(a.subject, b.subject) || compareText(a.firstSeen.at, b.firstSeen.at) || compareText(a.digest, b.digest));
  }

  async changesBetween(fromRunId: string, toRunId: string, options: { kind?: string } = {}): Promise<RecordChange[]> {
    const from = await this.run(fromRunId);
    const to = await this.run(toRunId);
    if (!from) throw new Error(`no run ${fromRunId} (or the prefix is ambiguous)`);
    if (!to) throw new Error(`no run ${toRunId} (or the prefix is ambiguous)`);
    const asOf = `${collectionSelect} WHERE c.stream_id = $1 AND c.status = 'collected' AND c.run_seq <= $2 ORDER BY c.id DESC LIMIT 1`;
    const entryAsOf = 'SELECT entry FROM subject_changes WHERE stream_id = $1 AND subject = $2 AND collection_id <= $3 ORDER BY collection_id DESC, id DESC LIMIT 1';
    const out: RecordChange[] = [];
    for (const stream of await this.streams(options.kind)) {
      const [before] = await this.rows<CollectionRow>(asOf, [stream.id, from.seq]);
      const [after] = await this.rows<CollectionRow>(asOf, [stream.id, to.seq]);
      if (!after || before?.tree === after.tree) continue;
      const touched = await this.rows<{ subject: string }>(
        'SELECT DISTINCT subject FROM subject_changes WHERE stream_id = $1 AND collection_id > $2 AND collection_id <= $3 ORDER BY subject',
        [stream.id, before?.id ?? 0, after.id],
      );
      for (const { subject } of touched) {
        const was = before ? ((await this.rows<{ entry: string | null }>(entryAsOf, [stream.id, subject, before.id]))[0]?.entry ?? null) : null;
        const now = (await this.rows<{ entry: string | null }>(entryAsOf, [stream.id, subject, after.id]))[0]?.entry ?? null;
        if (was === now) continue;
        const digestOf = (entry: string | null) => (entry === null ? null : (JSON.parse(entry) as RecordRow[]).map((r) => r[1]).join(' '));
        out.push({
          kind: stream.kind,
          instanceId: stream.instance_id,
          collectorId: stream.collector_id,
          subject,
          change: was === null ? 'appeared' : now === null ? 'disappeared' : 'changed',
          before: digestOf(was),
          after: digestOf(now),
        });
      }
    }
    return out.sort((a, b) => compareText(a.kind, b.kind) || compareText(a.instanceId, b.instanceId) || compareText(a.subject, b.subject));
  }

  async requestsOf(record: StoredRecord): Promise<RequestRef[]> {
    // Callers walk a collection record by record: its requests and rows are resolved once.
    const key = [record.runId, record.kind, record.instanceId, record.collectorId, record.provenanceDigest].join('\u0000');
    if (this.requestIndex?.key !== key) {
      const rows = new Map<string, number[]>();
      let requests: RequestRef[] = [];
      const collections = await this.rows<CollectionRow>(
        `${collectionSelect} WHERE r.id = $1 AND s.kind = $2 AND s.instance_id = $3 AND s.collector_id = $4 AND c.provenance = $5 ORDER BY c.id`,
        [record.runId, record.kind, record.instanceId, record.collectorId, record.provenanceDigest],
      );
      for (const c of collections) {
        for (const row of parseRows<RecordRow>(await this.treeRows(c.tree))) if (!rows.has(`${row[0]}\u0000${row[1]}`)) rows.set(`${row[0]}\u0000${row[1]}`, row[2]);
        const provenance = (await this.blob(c.provenance)) as CollectionProvenance;
        requests = resolveRequests(provenance, (await this.blob(provenance.templates)) as { requests: [string, string][] });
      }
      this.requestIndex = { key, rows, requests };
    }
    const { rows, requests } = this.requestIndex;
    return (rows.get(`${record.subject}\u0000${record.digest}`) ?? []).map((i) => requests[i]!);
  }

  async collections(options: { since?: Date; until?: Date } = {}): Promise<StoredOutcome[]> {
    const rows = await this.rows<OutcomeRow>(
      `SELECT o.*, r.id AS run_id, c.tree, c.id AS collection_id FROM outcomes o JOIN runs r ON r.seq = o.run_seq LEFT JOIN collections c ON c.outcome_id = o.id
       WHERE o.status = 'collected' AND o.finished_at >= $1 AND o.finished_at <= $2 ORDER BY o.finished_at, o.id`,
      [options.since?.toISOString() ?? '', options.until?.toISOString() ?? '9999'],
    );
    return rows.map(toOutcome);
  }

  async subjectDigests(outcome: StoredOutcome): Promise<{ subject: string; digest: string }[]> {
    const trees = await this.rows<{ tree: string }>(
      `SELECT c.tree FROM collections c JOIN streams s ON s.id = c.stream_id JOIN runs r ON r.seq = c.run_seq
       WHERE r.id = $1 AND s.instance_id = $2 AND s.kind = $3 AND s.collector_id = $4 ORDER BY c.id`,
      [outcome.runId, outcome.instanceId, outcome.kind, outcome.collectorId],
    );
    const out: { subject: string; digest: string }[] = [];
    for (const { tree } of trees) for (const row of parseRows<RecordRow>(await this.treeRows(tree))) out.push({ subject: row[0], digest: row[1] });
    return out;
  }

  async lastCheckRun(options: { before?: Date } = {}): Promise<{ runId: string; startedAt: string } | undefined> {
    const [row] = await this.rows<{ id: string; started_at: string }>(
      `SELECT r.id, r.started_at FROM runs r WHERE r.started_at < $1
         AND (EXISTS (SELECT 1 FROM check_runs c WHERE c.run_seq = r.seq) OR EXISTS (SELECT 1 FROM check_evaluations e WHERE e.run_seq = r.seq)) ORDER BY r.seq DESC LIMIT 1`,
      [options.before?.toISOString() ?? '9999'],
    );
    return row ? { runId: row.id, startedAt: row.started_at } : undefined;
  }

  async checkResults(options: { since?: Date; until?: Date } = {}): Promise<StoredCheckResult[]> {
    const window = [options.since?.toISOString() ?? '', options.until?.toISOString() ?? '9999'];
    const out: StoredCheckResult[] = [];
    const checkRuns = await this.rows<{ run_id: string; run_seq: number; started_at: string; as_of: string; evaluations: string; evidence: Buffer }>(
      `SELECT r.id AS run_id, r.seq AS run_seq, r.started_at, c.as_of, encode(c.evaluations, 'hex') AS evaluations, c.evidence
       FROM check_runs c JOIN runs r ON r.seq = c.run_seq WHERE r.started_at >= $1 AND r.started_at <= $2 ORDER BY r.seq, c.id`,
      window,
    );
    for (const c of checkRuns) {
      const evidence = digestsOf(c.evidence);
      for (const [, checkId, instanceId, index, results] of evaluationRows(await this.treeRows(c.evaluations))) {
        for (const [subject, status, message] of parseRows<[string, string, string]>(await this.treeRows(results))) {
          out.push({ runId: c.run_id, runSeq: c.run_seq, recordedAt: c.started_at, checkId, instanceId, subject, status, message, asOf: c.as_of, evidenceDigest: evidence[index]! });
        }
      }
    }
    // Runs sealed before schema 3 keep one row per evaluation.
    const evaluations = await this.rows<{ run_id: string; run_seq: number; started_at: string; check_id: string; instance_id: string; as_of: string; evidence: string; results: string }>(
      `SELECT r.id AS run_id, r.seq AS run_seq, r.started_at, e.check_id, e.instance_id, e.as_of, e.evidence, e.results
       FROM check_evaluations e JOIN runs r ON r.seq = e.run_seq WHERE r.started_at >= $1 AND r.started_at <= $2 ORDER BY r.seq, e.id`,
      window,
    );
    for (const e of evaluations) {
      for (const [subject, status, message] of parseRows<[string, string, string]>(await this.treeRows(e.results))) {
        out.push({ runId: e.run_id, runSeq: e.run_seq, recordedAt: e.started_at, checkId: e.check_id, instanceId: e.instance_id, subject, status, message, asOf: e.as_of, evidenceDigest: e.evidence });
      }
    }
    // A stable sort: each run's results stay in their order.
    return out.sort((a, b) => a.runSeq - b.runSeq);
  }

  async runs(options: { limit?: number } = {}): Promise<RunInfo[]> {
    const rows = await this.rows<RunRow & Partial<SealRow> & { observation_count: number }>(
      `SELECT r.*, s.status, s.finished_at, s.hash, s.prev_hash, ${observationCount} AS observation_count FROM runs r LEFT JOIN run_seals s ON s.run_seq = r.seq
       ORDER BY r.seq DESC LIMIT $1`,
      [options.limit ?? null],
    );
    return rows.map(toRunInfo);
  }

  async run(id: string): Promise<RunDetail | undefined> {
    const rows = await this.rows<RunRow & Partial<SealRow> & { observation_count: number }>(
      `SELECT r.*, s.status, s.finished_at, s.hash, s.prev_hash, ${observationCount} AS observation_count
       FROM runs r LEFT JOIN run_seals s ON s.run_seq = r.seq WHERE r.id = $1 OR r.id LIKE $2 ORDER BY r.seq LIMIT 2`,
      [id, `${id.replace(/[%_\\]/g, '')}%`],
    );
    const exact = rows.find((r) => r.id === id);
    const row = exact ?? (rows.length === 1 ? rows[0] : undefined);
    if (!row) return undefined;
    const outcomes = await this.rows<OutcomeRow>(
      `SELECT o.*, r.id AS run_id, c.tree, c.id AS collection_id FROM outcomes o JOIN runs r ON r.seq = o.run_seq LEFT JOIN collections c ON c.outcome_id = o.id
       WHERE o.run_seq = $1 ORDER BY o.id`,
      [row.seq],
    );
    return { ...toRunInfo(row), outcomes: outcomes.map(toOutcome) };
  }

  async blob(digest: string): Promise<unknown> {
    const [row] = await this.rows<{ json: string }>('SELECT json FROM blobs WHERE digest = $1', [digest]);
    if (row) return JSON.parse(row.json) as unknown;
    const [packed] = await this.rows<{ data: Buffer }>('SELECT data FROM packed_blobs WHERE digest = $1', [digest]);
    if (packed) return JSON.parse(inflateRawSync(packed.data).toString('utf8')) as unknown;
    const [tree] = await this.rows('SELECT 1 FROM trees WHERE digest = $1', [digest]);
    return tree ? parseRows(await this.treeRows(digest)) : undefined;
  }

  async *readFile(digest: string): AsyncGenerator<Uint8Array> {
    const [file] = await this.rows<{ chunks: string }>('SELECT chunks FROM files WHERE digest = $1', [digest]);
    if (!file) throw new Error(`no stored file ${digest}`);
    for (const chunkDigest of JSON.parse(file.chunks) as string[]) {
      const [row] = await this.rows<{ data: Buffer }>('SELECT data FROM chunks WHERE digest = $1', [chunkDigest]);
      if (!row) throw new Error(`stored file ${digest} is missing chunk ${chunkDigest}`);
      if (sha256Hex(row.data) !== chunkDigest) throw new Error(`stored file ${digest} has a modified chunk ${chunkDigest}`);
      yield row.data;
    }
  }

  async verify(): Promise<VerifyReport> {
    return verifyPostgresStore(this);
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}

/** The canonical JSON of each record's payload and its digest, in order. */
function payloadBlobs(batch: readonly ObservationInput[]): { jsons: string[]; digests: string[] } {
  const jsons = batch.map((o) => canonicalJson(o.payload));
  return { jsons, digests: jsons.map((j) => sha256Hex(j)) };
}

/** A collector's last records, given with its outcome, encoded once: as collection records, their payload blobs, their source. */
interface LastRecords {
  records: PendingRecord[];
  blobs: { digests: string[]; jsons: string[] };
  source: { tool: string; connectorType: string } | undefined;
}

const noLastRecords: LastRecords = { records: [], blobs: { digests: [], jsons: [] }, source: undefined };

function lastRecords(last: readonly ObservationInput[]): LastRecords {
  if (last.length === 0) return noLastRecords;
  const { jsons, digests } = payloadBlobs(last);
  return {
    records: last.map((o, i) => ({ subject: o.subject, digest: digests[i]!, collectedAt: o.collectedAt.toISOString(), requests: o.provenance.requests, attachment: o.attachment ?? null })),
    blobs: sortedBlobs(digests, jsons),
    source: { tool: last[0]!.provenance.tool, connectorType: last[0]!.provenance.connectorType },
  };
}

/** A built collection with the statement parameters of its templates and provenance blobs (digest, JSON; digest, deflated JSON, size). */
interface PreparedCollection {
  built: BuiltCollection;
  blobs: [string, string, string, Buffer, number];
}

function prepareCollection(built: BuiltCollection): PreparedCollection {
  const templatesJson = canonicalJson(built.templates);
  const templatesDigest = sha256Hex(templatesJson);
  const provenanceJson = canonicalJson({ ...built.provenance, templates: templatesDigest } satisfies CollectionProvenance);
  return { built, blobs: [templatesDigest, templatesJson, sha256Hex(provenanceJson), deflateRawSync(provenanceJson, { level: 9 }), Buffer.byteLength(provenanceJson)] };
}

/** A {@link CollectionRead} from the rows of a read: one per waiting record chunk, or one with a null id. */
function collectionRead(
  key: CollectionKey,
  rows: readonly { stream_id: number | null; tree: string | null; depth: number | null; id: number | null; tool: string; connector_type: string; data: string }[],
): CollectionRead {
  const first = rows[0]!;
  return {
    key,
    streamId: first.stream_id,
    previous: first.tree !== null ? { tree: first.tree, depth: first.depth! } : undefined,
    pending: rows.filter((r) => r.id !== null) as { id: number; tool: string; connector_type: string; data: string }[],
  };
}

/** Which collection `readCollection` read: its key, stream (null when new), previous tree and waiting records. */
type CollectionKey = { instance_id: string; collector_id: string; kind: string };
interface CollectionRead {
  key: CollectionKey;
  streamId: number | null;
  previous: { tree: string; depth: number } | undefined;
  pending: { id: number; tool: string; connector_type: string; data: string }[];
}

/** Digests and JSON texts without duplicates, in digest order (concurrent writers take row locks in one order). */
function sortedBlobs(digests: readonly string[], jsons: readonly string[]): { digests: string[]; jsons: string[] } {
  const unique = new Map(digests.map((d, i) => [d, jsons[i]!]));
  const keys = [...unique.keys()].sort();
  return { digests: keys, jsons: keys.map((k) => unique.get(k)!) };
}

/** Inserts content-addressed JSON blobs from two text arrays (digests, JSON), skipping those stored; `where`: a condition on inserting any. */
function insertBlobsSql(digests: string, jsons: string, where = 'true'): string {
  return `INSERT INTO blobs (digest, json, size) SELECT d, j, octet_length(j) FROM unnest(${digests}::text[], ${jsons}::text[]) AS t(d, j) WHERE ${where} ON CONFLICT (digest) DO NOTHING`;
}

/** The PostgreSQL notification channel a seal notifies, with the sealed run's id as payload. */
export const runSealedChannel = 'annexa_run_sealed';

/** Change rows a seal reads at once (a first run has one per record it wrote). */
const changePage = 10_000;

/** Manual evidence files are stored in chunks of this size (the same as the SQLite store). */
const fileChunkSize = 1024 * 1024;

const observationCount = `((SELECT COALESCE(SUM(record_count), 0) FROM collections c WHERE c.run_seq = r.seq)
  + (SELECT COALESCE(SUM(record_count), 0) FROM pending p WHERE p.run_seq = r.seq))::bigint`;

/** @internal A run writer: a local run (holding its lock session) or one unit of a shared run. */
export class PostgresRunWriter implements RunWriter {
  private done = false;
  /** Collectors with records parked in `pending` by this writer (their collection is read back at the outcome). */
  private readonly parked = new Set<string>();
  constructor(
    private readonly store: PostgresEvidenceStore,
    private readonly seq: number,
    readonly runId: string,
    /** Holds the run's session lock (local runs); undefined for a unit of a shared run. */
    private readonly owner: pg.Client | undefined,
  ) {}

  async addObservations(batch: readonly ObservationInput[]): Promise<void> {
    this.assertOpen();
    for (const o of batch) this.parked.add(collectorKey(o));
    if (batch.length > 0) await this.store.insertObservations(this.seq, batch);
  }

  async addOutcome(outcome: OutcomeInput, last: readonly ObservationInput[] = []): Promise<void> {
    this.assertOpen();
    await this.store.insertOutcome(this.seq, outcome, undefined, last, this.parked.has(collectorKey(outcome)));
  }

  async addFile(content: AsyncIterable<Uint8Array>): Promise<StoredFile> {
    this.assertOpen();
    return this.store.insertFile(content);
  }

  async addCheckResults(batch: readonly CheckResultInput[]): Promise<void> {
    this.assertOpen();
    await this.store.insertCheckResults(this.seq, batch);
  }

  async finish(status: Exclude<RunStatus, 'incomplete'>, finishedAt: Date): Promise<RunInfo> {
    this.assertOpen();
    if (!this.owner) throw new Error(`run ${this.runId} is shared: it is sealed when its last unit ends`);
    try {
      const sealed = await this.store.sealAt(this.seq, status, finishedAt.toISOString());
      if (!sealed) throw new Error(`run ${this.runId} was already sealed`);
    } finally {
      await this.release();
    }
    return (await this.store.run(this.runId)) as RunInfo;
  }

  async abandon(): Promise<void> {
    await this.release();
  }

  private async release(): Promise<void> {
    if (this.done) return;
    this.done = true;
    if (!this.owner) return;
    // Closing the session releases its lock.
    await this.owner.end().catch(() => {});
  }

  private assertOpen(): void {
    if (this.done) throw new Error(`run ${this.runId} is already finished`);
  }
}

/** @internal An outcome's column values from `instance_id` to `finished_at`, in table order (outcomes, unit_outcomes). */
export function outcomeValues(o: OutcomeInput): unknown[] {
  return [o.instanceId, o.connectorType, o.collectorId, o.kind, o.status, o.recordCount, o.errorCode ?? null, o.errorMessage ?? null, o.startedAt.toISOString(), o.finishedAt.toISOString()];
}

function collectorKey(o: { instanceId: string; collectorId: string; kind: string }): string {
  return `${o.instanceId}\u0000${o.collectorId}\u0000${o.kind}`;
}

