import Database from 'better-sqlite3';
import { mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { canonicalJson, sha256Hex } from '../src/core/canonical.js';
import type { RequestRef } from '../src/core/connector.js';
import { acquireWriterLock, type WriterLock } from './lock.js';
import { buildCollection, foldPopulation, resolveRequests, type BuiltCollection, type PendingRecord, type RecordRow } from './collection.js';
import { TreeCache, changeRows, compareText, decodeTree, encodeTree, parseRows, treeDigest, type RowText } from './trees.js';
import {
  appendOnlyTriggers,
  currentSchemaVersion,
  hashOutcomes,
  hashRows,
  hashV1RunContent,
  rewriteClusteredTables,
  schemaSql,
  schemaV2Sql,
  schemaV3Sql,
  storedSchemaVersion,
  type ManifestV1,
} from './sqlite-schema.js';
import { verifySqliteStore } from './sqlite-verify.js';
import { digestBytes, digestsOf, evaluationRows, planCheckRuns, resultsByEvaluation, type PlannedEvaluation } from './check-runs.js';
import type {
  CheckResultInput,
  CollectionProvenance,
  StoredCheckResult,
  StoredFile,
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
  StoredOutcome,
  StoredRecord,
  VerifyReport,
} from './evidence-store.js';


/** How much of the file SQLite may map for reading (address space, not memory: pages are the OS's cache). */
const mappedBytes = 256 * 1024 * 1024;
/** The hash that precedes the first run. */
export const genesisHash = '0'.repeat(64);

/** Thrown when a store file cannot be used by this version (written by a newer Annexa, or not yet upgraded). */
export class StoreVersionError extends Error {
  override name = 'StoreVersionError';
}

/** @internal */
export interface RunRow {
  seq: number;
  id: string;
  started_at: string;
  command: string;
  tool_version: string;
}
/** @internal */
export interface SealRow {
  run_seq: number;
  status: RunStatus;
  finished_at: string;
  prev_hash: string;
  manifest: string;
  hash: string;
}
/** @internal */
export interface OutcomeRow {
  id: number;
  run_seq: number;
  run_id: string;
  instance_id: string;
  connector_type: string;
  collector_id: string;
  kind: string;
  status: 'collected' | 'failed';
  record_count: number;
  error_code: string | null;
  error_message: string | null;
  started_at: string;
  finished_at: string;
  tree: string | null;
  collection_id: number | null;
}
/** @internal A collection joined with its stream and run. */
export interface CollectionRow {
  id: number;
  run_seq: number;
  run_id: string;
  stream_id: number;
  kind: string;
  instance_id: string;
  collector_id: string;
  status: 'collected' | 'failed' | 'incomplete';
  tree: string;
  provenance: string;
  record_count: number;
  collected_at: string | null;
  finished_at: string;
}
/** A record waiting in `pending`: subject, payload digest, collection time, request indexes, attachment. */
type PendingRow = [string, string, string, number[]] | [string, string, string, number[], string];

/** @internal */
export interface StreamRow {
  id: number;
  kind: string;
  instance_id: string;
  collector_id: string;
}

/**
 * What a schema-2 or -3 seal commits to (kept as JSON in `run_seals.manifest`, covered by the run
 * hash): per kind, a hash over the run's collections (tree and provenance digests, counts, times)
 * and the change-index rows they added; a hash over outcomes; a hash over check results (`v: 2`:
 * the `check_evaluations` rows and their result-tree digests; `v: 3`: the `check_runs` rows, whose
 * evaluation tree names the result trees, then any `check_evaluations` rows). Trees and blobs are
 * content-addressed, so the chain commits to every record.
 */
export interface RunManifest {
  v: 2 | 3;
  status: RunStatus;
  finishedAt: string;
  kinds: Record<string, { count: number; hash: string }>;
  outcomes: { count: number; hash: string };
  checks: { count: number; hash: string };
}

/**
 * @internal A collection as its seal hashes it: its fields and its change rows. The rows may be
 * read lazily: a first run's change index holds every record it wrote.
 */
export interface PlannedCollection {
  kind: string;
  fields: unknown[];
  recordCount: number;
  changes: Iterable<[string, string | null]>;
}

/** @internal */
export const collectionSelect = `SELECT c.id, c.run_seq, r.id AS run_id, c.stream_id, s.kind, s.instance_id, s.collector_id, c.status, c.tree, c.provenance,
  c.record_count, c.collected_at, c.finished_at FROM collections c JOIN streams s ON s.id = c.stream_id JOIN runs r ON r.seq = c.run_seq`;

/** Options for {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Open an existing store without creating it or writing (verify, reports). */
  readonly?: boolean;
  /**
   * Read the file through a memory mapping (default: when read-only). For commands that read many
   * payloads (reports, `annexa check`): a check run reads every current payload, scattered over a
   * year-old file by digest, a third faster than through a read call per page. Not for `collect`:
   * the pages it touches would count in its resident memory as the file grows.
   */
  mapForReading?: boolean;
}

/**
 * Opens (creating when needed) the SQLite evidence store at `path`. A writer upgrades a schema-1
 * store in place, in one transaction; a store written by a newer version is refused.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteEvidenceStore {
  if (options.readonly && !existsSync(path)) {
    throw new Error(`no evidence store at ${path}: run \`annexa collect\` (or \`annexa demo\`) first`);
  }
  if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  try {
    return new SqliteEvidenceStore(db, path, options.readonly ?? false, options.mapForReading ?? options.readonly ?? false);
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * WAL pages between automatic checkpoints for a writing connection. 100,000 observations in
 * batches of 500: 4.5-5.1 s with SQLite's default of 1,000, 2.5-2.9 s with 10,000. The WAL file
 * grows to about 40 MB between checkpoints; the last connection to close checkpoints and removes it.
 */
export const walCheckpointPages = 10_000;

/** Records a write stores between two turns of the event loop (see `inStepsYielding`). */
export const stepsPerTurn = 250;

/** {@link EvidenceStore} on SQLite (WAL, synchronous transactions, append-only triggers). */
export class SqliteEvidenceStore implements EvidenceStore {
  /** The schema the file holds: 1 only for a schema-1 store opened read-only (verify works, reads ask for an upgrade). */
  readonly schemaVersion: number;
  private readonly trees = new TreeCache();
  private readonly collectionRecords = new Map<number, StoredRecord[]>();
  private requestIndex?: { key: string; rows: Map<string, number[]>; requests: RequestRef[] };
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    /** @internal */ readonly db: Database.Database,
    readonly path: string,
    private readonly readonly: boolean,
    private readonly mapped = false,
  ) {
    db.pragma('busy_timeout = 5000');
    // See `mapForReading`. `verify`, which reads every page once, turns it off so its memory does
    // not grow with the file.
    if (mapped) db.pragma(`mmap_size = ${mappedBytes}`);
    const found = storedSchemaVersion(db);
    if (found !== undefined && found > currentSchemaVersion) {
      throw new StoreVersionError(
        `${path} was written by a newer Annexa (store schema ${found}; this version knows up to ${currentSchemaVersion}): upgrade Annexa to read it`,
      );
    }
    if (readonly) {
      this.schemaVersion = found ?? currentSchemaVersion;
      return;
    }
    db.pragma('journal_mode = WAL');
    // FULL: a committed observation survives power loss, which evidence needs more than speed.
    db.pragma('synchronous = FULL');
    // A checkpoint every 10,000 pages (40 MB of WAL) instead of SQLite's 1,000: a first collection
    // at scale 50 commits a few hundred batches, and with the default nearly every one ran a
    // checkpoint, writing the same index pages to the file again and again (see walCheckpointPages).
    db.pragma(`wal_autocheckpoint = ${walCheckpointPages}`);
    this.schemaVersion = currentSchemaVersion;
    // Off while the schema may change layout (see rewriteClusteredTables); it cannot change inside a transaction.
    db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        db.exec(schemaSql);
        const version = storedSchemaVersion(db);
        db.exec(schemaV2Sql);
        db.exec(schemaV3Sql);
        rewriteClusteredTables(db);
        db.exec(appendOnlyTriggers);
        if (version === 1) this.upgradeFromV1();
        // From 2: the new table (above); schema-2 check evaluations stay as they were.
        else if (version === 2) db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(currentSchemaVersion));
        else db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(currentSchemaVersion));
      }).immediate();
    } finally {
      db.pragma('foreign_keys = ON');
    }
  }

  get location(): string {
    return this.path;
  }

  /** @internal A cached prepared statement. */
  sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) this.statements.set(text, (statement = this.db.prepare(text)));
    return statement;
  }

  private requireCurrent(): void {
    if (this.schemaVersion < currentSchemaVersion) {
      throw new StoreVersionError(
        `${this.path} was written by store schema ${this.schemaVersion}; \`annexa verify\` reads it as it is, other commands need it upgraded first: run \`annexa store upgrade --store ${this.path}\` (or any writing command)`,
      );
    }
  }

  // ---------------------------------------------------------------- writing

  async startRun(meta: RunMeta): Promise<RunWriter> {
    if (this.readonly) throw new Error('the evidence store was opened read-only');
    const lock = acquireWriterLock(this.path, meta.command);
    try {
      this.sealInterruptedRuns();
      const id = newRunId(meta.startedAt);
      const info = this.db
        .prepare('INSERT INTO runs (id, started_at, command, tool_version) VALUES (?, ?, ?, ?)')
        .run(id, meta.startedAt.toISOString(), meta.command, meta.toolVersion);
      return new SqliteRunWriter(this, Number(info.lastInsertRowid), id, lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** Runs left open by a crash are sealed as `incomplete`, keeping what they wrote verifiable. */
  private sealInterruptedRuns(): void {
    const open = this.db
      .prepare('SELECT r.seq FROM runs r LEFT JOIN run_seals s ON s.run_seq = r.seq WHERE s.run_seq IS NULL ORDER BY r.seq')
      .all() as { seq: number }[];
    for (const { seq } of open) {
      this.db.transaction(() => {
        this.commitLeftovers(seq);
        const last = this.db
          .prepare(
            `SELECT MAX(t) AS t FROM (
               SELECT MAX(collected_at) AS t FROM collections WHERE run_seq = ?
               UNION ALL SELECT MAX(finished_at) FROM outcomes WHERE run_seq = ?
               UNION ALL SELECT started_at FROM runs WHERE seq = ?)`,
          )
          .get(seq, seq, seq) as { t: string };
        this.seal(seq, 'incomplete', last.t);
      })();
    }
  }

  /** @internal Records written without an outcome (an interrupted collector) become `incomplete` collections. */
  commitLeftovers(seq: number): void {
    const keys = this.db
      .prepare('SELECT instance_id, collector_id, kind, MIN(id) AS first FROM pending WHERE run_seq = ? GROUP BY instance_id, collector_id, kind ORDER BY first')
      .all(seq) as { instance_id: string; collector_id: string; kind: string }[];
    for (const key of keys) this.commitCollection(seq, key, undefined);
  }

  /** @internal Seals a run: computes its manifest and chain hash in one transaction. */
  seal(seq: number, status: RunStatus, finishedAt: string): SealRow {
    return this.db.transaction(() => {
      this.commitLeftovers(seq);
      const prev = this.db.prepare('SELECT hash FROM run_seals WHERE run_seq < ? ORDER BY run_seq DESC LIMIT 1').get(seq) as { hash: string } | undefined;
      const run = this.db.prepare('SELECT * FROM runs WHERE seq = ?').get(seq) as RunRow;
      const manifest: RunManifest = { v: 3, status, finishedAt, ...this.hashRunContent(seq, 3) };
      const prevHash = prev?.hash ?? genesisHash;
      const hash = runHash(prevHash, run, manifest);
      const row: SealRow = { run_seq: seq, status, finished_at: finishedAt, prev_hash: prevHash, manifest: canonicalJson(manifest), hash };
      this.db
        .prepare('INSERT INTO run_seals (run_seq, status, finished_at, prev_hash, manifest, hash) VALUES (@run_seq, @status, @finished_at, @prev_hash, @manifest, @hash)')
        .run(row);
      return row;
    })();
  }

  /** @internal What a schema-2 or -3 seal (manifest `v`) hashes, recomputed from the stored rows. */
  hashRunContent(seq: number, v: RunManifest['v']): Pick<RunManifest, 'kinds' | 'outcomes' | 'checks'> {
    const changesOf = this.sql('SELECT subject, entry FROM subject_changes WHERE collection_id = ? ORDER BY subject, id');
    const planned = (this.db.prepare(`${collectionSelect} WHERE c.run_seq = ? ORDER BY c.id`).all(seq) as CollectionRow[]).map(
      (c): PlannedCollection => ({
        kind: c.kind,
        fields: collectionFields(c),
        recordCount: c.record_count,
        // Read while hashing, one row at a time: a first run changes every subject, and holding a
        // whole run's change rows at once (250,000 rows at scale 50) was the collection's memory peak.
        changes: { [Symbol.iterator]: () => changesOf.raw().iterate(c.id) as IterableIterator<[string, string | null]> },
      }),
    );
    return {
      kinds: hashCollections(planned),
      outcomes: hashOutcomes(this.db, seq),
      checks:
        v === 2
          ? hashRows(this.db, 'SELECT check_id, instance_id, as_of, evidence, results, result_count FROM check_evaluations WHERE run_seq = ? ORDER BY id', seq)
          : hashRows(this.db, checkRowsSql('lower(hex(evaluations))', 'lower(hex(evidence))', '?', '?'), seq, seq),
    };
  }

  /** @internal Stores a JSON value content-addressed; returns its digest. */
  putBlob(value: unknown): string {
    const json = canonicalJson(value);
    const digest = sha256Hex(json);
    this.sql('INSERT OR IGNORE INTO blobs (digest, json, size) VALUES (?, ?, ?)').run(digest, json, Buffer.byteLength(json));
    return digest;
  }

  /**
   * @internal Stores a JSON value deflated, addressed like any blob by the sha256 of its canonical
   * JSON: for values written anew every day (a collection's request ids and times).
   */
  putPackedBlob(value: unknown): string {
    const json = canonicalJson(value);
    const digest = sha256Hex(json);
    if (!this.sql('SELECT 1 FROM packed_blobs WHERE digest = ?').get(digest)) {
      this.sql('INSERT INTO packed_blobs (digest, data, size) VALUES (?, ?, ?)').run(digest, deflateRawSync(json, { level: 9 }), Buffer.byteLength(json));
    }
    return digest;
  }

  /** @internal A blob's JSON text, plain or packed. */
  blobJson(digest: string): string | undefined {
    const json = this.sql('SELECT json FROM blobs WHERE digest = ?').pluck().get(digest) as string | undefined;
    if (json !== undefined || this.schemaVersion < currentSchemaVersion) return json;
    const packed = this.sql('SELECT data FROM packed_blobs WHERE digest = ?').pluck().get(digest) as Buffer | undefined;
    return packed ? inflateRawSync(packed).toString('utf8') : undefined;
  }

  /**
   * @internal Payloads go to blobs at once; the records wait in `pending` until their collection
   * ends. One transaction, handing the event loop back as it goes (see {@link inStepsYielding}).
   */
  insertObservations(seq: number, batch: readonly ObservationInput[]): Promise<void> {
    return this.inStepsYielding(this.observationSteps(seq, batch));
  }

  /**
   * Runs a write's steps (one per record) in one transaction, handing the event loop back every
   * {@link stepsPerTurn} steps. Written at once, a batch of 5,000 records or the end of a
   * collection of 10,000 took 0.2-0.4 s at scale 50 and held back every collector's next request
   * (a cursor chain's next page) as long. No statement iterates across a turn (another query on
   * this connection would find it busy), and the caller makes sure nothing else writes on this
   * connection until the promise settles (the run writer queues its writes).
   */
  private async inStepsYielding(steps: Generator<void>): Promise<void> {
    this.db.exec('BEGIN');
    try {
      let done = 0;
      for (const step of steps) {
        void step;
        if (++done % stepsPerTurn === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Writes a batch's payloads (one step per record), then its pending rows. */
  private *observationSteps(seq: number, batch: readonly ObservationInput[]): Generator<void> {
    // Per collection: its requests once ([method, url, status, request id, time]) and its records pointing at them.
    const groups = new Map<string, { o: ObservationInput; requests: Map<string, number>; records: PendingRow[] }>();
    for (const o of batch) {
      const key = `${o.instanceId}\u0000${o.collectorId}\u0000${o.kind}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { o, requests: new Map(), records: [] }));
      const indexes = o.provenance.requests.map((r) => {
        const text = JSON.stringify([r.method, r.url, r.status, r.requestId ?? null, r.at]);
        let index = group.requests.get(text);
        if (index === undefined) group.requests.set(text, (index = group.requests.size));
        return index;
      });
      const row: PendingRow = [o.subject, this.putBlob(o.payload), o.collectedAt.toISOString(), indexes];
      if (o.attachment) row.push(o.attachment);
      group.records.push(row);
      yield;
    }
    const put = this.sql(
      'INSERT INTO pending (run_seq, instance_id, collector_id, kind, tool, connector_type, record_count, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const { o, requests, records } of groups.values()) {
      const data = `{"q":[${[...requests.keys()].join(',')}],"r":${JSON.stringify(records)}}`;
      put.run(seq, o.instanceId, o.collectorId, o.kind, o.provenance.tool, o.provenance.connectorType, records.length, data);
    }
  }

  /**
   * @internal An outcome ends a collection: its waiting records become a tree. `last`: the
   * collector's records not written yet, written in the same transaction (one commit, not two).
   * Handing the event loop back as it goes (see {@link inStepsYielding}).
   */
  insertOutcome(seq: number, o: OutcomeInput, last: readonly ObservationInput[] = []): Promise<void> {
    return this.inStepsYielding(this.outcomeSteps(seq, o, last));
  }

  private *outcomeSteps(seq: number, o: OutcomeInput, last: readonly ObservationInput[]): Generator<void> {
    if (last.length > 0) yield* this.observationSteps(seq, last);
    const info = this.sql(
      `INSERT INTO outcomes (run_seq, instance_id, connector_type, collector_id, kind, status, record_count, error_code, error_message, started_at, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      seq,
      o.instanceId,
      o.connectorType,
      o.collectorId,
      o.kind,
      o.status,
      o.recordCount,
      o.errorCode ?? null,
      o.errorMessage ?? null,
      o.startedAt.toISOString(),
      o.finishedAt.toISOString(),
    );
    yield* this.commitCollectionSteps(
      seq,
      { instance_id: o.instanceId, collector_id: o.collectorId, kind: o.kind },
      { id: Number(info.lastInsertRowid), status: o.status, finishedAt: o.finishedAt.toISOString(), connectorType: o.connectorType },
    );
  }

  /** Turns the pending records of one collection into its tree, provenance and change rows. */
  private commitCollection(
    seq: number,
    key: { instance_id: string; collector_id: string; kind: string },
    outcome: { id: number; status: 'collected' | 'failed'; finishedAt: string; connectorType: string } | undefined,
  ): void {
    drain(this.commitCollectionSteps(seq, key, outcome));
  }

  private *commitCollectionSteps(
    seq: number,
    key: { instance_id: string; collector_id: string; kind: string },
    outcome: { id: number; status: 'collected' | 'failed'; finishedAt: string; connectorType: string } | undefined,
  ): Generator<void> {
    const streamId = this.streamId(key.kind, key.instance_id, key.collector_id);
    // Chunk by chunk (one statement iterates while the rows are parsed): a collection of 50,000
    // records is never in memory as its pending JSON and its parsed records at once.
    const records: PendingRecord[] = [];
    let source: { tool: string; connectorType: string } | undefined;
    for (const p of this.sql('SELECT tool, connector_type, data FROM pending WHERE run_seq = ? AND instance_id = ? AND collector_id = ? AND kind = ? ORDER BY id').iterate(
      seq,
      key.instance_id,
      key.collector_id,
      key.kind,
    ) as IterableIterator<{ tool: string; connector_type: string; data: string }>) {
      source ??= { tool: p.tool, connectorType: p.connector_type };
      const data = JSON.parse(p.data) as { q: [string, string, number, string | null, string][]; r: PendingRow[] };
      const requests = data.q.map(([method, url, status, requestId, at]): RequestRef => ({ method, url, status, ...(requestId ? { requestId } : {}), at }));
      for (const [subject, digest, collectedAt, indexes, attachment] of data.r) {
        records.push({ subject, digest, collectedAt, requests: indexes.map((i) => requests[i]!), attachment: attachment ?? null });
      }
    }
    if (!source && outcome?.status !== 'collected') return;
    const built = buildCollection(records, source ?? { tool: '-', connectorType: outcome!.connectorType });
    records.length = 0;
    const status = outcome?.status ?? 'incomplete';
    const finishedAt = outcome?.finishedAt ?? built.collectedAt ?? (this.sql('SELECT started_at FROM runs WHERE seq = ?').pluck().get(seq) as string);
    // The live writer keeps no tree it wrote or read in the cache: a run reads neither again, and
    // at scale 50 a run's trees are about 30 MB of row text (they stayed in memory to the end).
    yield* this.writeCollectionSteps(seq, streamId, outcome?.id ?? null, status, finishedAt, built, { cacheTrees: false });
    this.sql('DELETE FROM pending WHERE run_seq = ? AND instance_id = ? AND collector_id = ? AND kind = ?').run(seq, key.instance_id, key.collector_id, key.kind);
  }

  /** @internal The id of a stream (kind, instance, collector), created on first use. */
  streamId(kind: string, instanceId: string, collectorId: string): number {
    const found = this.sql('SELECT id FROM streams WHERE kind = ? AND instance_id = ? AND collector_id = ?').pluck().get(kind, instanceId, collectorId) as number | undefined;
    if (found !== undefined) return found;
    return Number(this.sql('INSERT INTO streams (kind, instance_id, collector_id) VALUES (?, ?, ?)').run(kind, instanceId, collectorId).lastInsertRowid);
  }

  /** @internal The previous successful collection's tree of a stream (before run `beforeSeq`, or ever). */
  previousTree(streamId: number, beforeSeq = Number.MAX_SAFE_INTEGER): string | null {
    return (
      (this.sql("SELECT tree FROM collections WHERE stream_id = ? AND status = 'collected' AND run_seq < ? ORDER BY id DESC LIMIT 1").pluck().get(streamId, beforeSeq) as
        | string
        | undefined) ?? null
    );
  }

  /**
   * @internal Plans one collection: its tree (a delta against the stream's previous successful
   * tree when small), provenance blobs, and, for a successful collection, the change rows
   * against that previous tree. Pure apart from reads, so `verify` can re-plan upgraded runs.
   */
  planCollection(
    kind: string,
    stream: { instance_id: string; collector_id: string },
    status: string,
    finishedAt: string,
    built: BuiltCollection,
    previousTree: string | null,
    options: { cacheTrees?: boolean } = {},
  ): { planned: PlannedCollection; digest: string; tree: ReturnType<typeof encodeTree> | undefined; templates: unknown; provenance: CollectionProvenance } {
    const templatesDigest = sha256Hex(canonicalJson(built.templates));
    const provenance: CollectionProvenance = { ...built.provenance, templates: templatesDigest };
    const provenanceDigest = sha256Hex(canonicalJson(provenance));
    // Rows equal to the previous tree's (most collections of a day change nothing) need neither
    // the previous rows, nor a delta, nor change rows: the stored tree is named again.
    const digest = previousTree ? treeDigest(built.rows) : undefined;
    let tree: ReturnType<typeof encodeTree> | undefined;
    let changes: [string, string | null][] = [];
    if (!previousTree || digest !== previousTree) {
      const previousRows = previousTree ? this.treeRows(previousTree, options.cacheTrees) : undefined;
      const depth = previousTree ? ((this.sql('SELECT depth FROM trees WHERE digest = ?').pluck().get(previousTree) as number | undefined) ?? 0) : 0;
      tree = encodeTree(built.rows, previousTree && previousRows ? { digest: previousTree, depth, rows: previousRows } : undefined, digest);
      if (status === 'collected') changes = changeRows(previousRows ?? [], built.rows);
    }
    const collectionTree = tree?.digest ?? previousTree!;
    const fields = [stream.instance_id, stream.collector_id, kind, status, collectionTree, provenanceDigest, built.recordCount, built.collectedAt, finishedAt];
    return { planned: { kind, fields, recordCount: built.recordCount, changes }, digest: collectionTree, tree, templates: built.templates, provenance };
  }

  /**
   * @internal Writes a collection (used by the writer and by the schema-1 upgrade, which walks
   * every run in order and so keeps each stream's latest tree cached as the next one's base).
   */
  writeCollection(...collection: Parameters<SqliteEvidenceStore['writeCollectionSteps']>): void {
    drain(this.writeCollectionSteps(...collection));
  }

  /** The steps of {@link writeCollection}: one per change row. */
  private *writeCollectionSteps(
    seq: number,
    streamId: number,
    outcomeId: number | null,
    status: string,
    finishedAt: string,
    built: BuiltCollection,
    options: { cacheTrees?: boolean } = {},
  ): Generator<void> {
    const stream = this.sql('SELECT kind, instance_id, collector_id FROM streams WHERE id = ?').get(streamId) as StreamRow;
    const { planned, digest, tree, templates, provenance } = this.planCollection(stream.kind, stream, status, finishedAt, built, this.previousTree(streamId), options);
    this.putBlob(templates);
    const provenanceDigest = this.putPackedBlob(provenance);
    if (tree) this.insertTree(tree, built.rows, options.cacheTrees);
    const info = this.sql(
      'INSERT INTO collections (run_seq, stream_id, outcome_id, status, tree, provenance, record_count, collected_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(seq, streamId, outcomeId, status, digest, provenanceDigest, built.recordCount, built.collectedAt, finishedAt);
    const put = this.sql('INSERT INTO subject_changes (stream_id, collection_id, subject, entry) VALUES (?, ?, ?, ?)');
    for (const [subject, entry] of planned.changes) {
      put.run(streamId, info.lastInsertRowid, subject, entry);
      yield;
    }
  }

  /**
   * @internal Check results become one `check_runs` row per as-of date: an evaluation tree naming
   * one result tree per evaluation (check, instance, evidence read). Trees already stored (an
   * unchanged evaluation, an unchanged day) are not written again; a new one is stored as a delta
   * against the previous check run's tree of the same check and instance when that is small.
   */
  insertCheckResults(seq: number, batch: readonly CheckResultInput[]): void {
    this.db.transaction(() => {
      let previous: { tree: string; depth: number; results: Map<string, string> } | null | undefined;
      const previousRun = () => (previous === undefined ? (previous = this.previousCheckRun()) : previous);
      for (const run of planCheckRuns(batch, (evidence) => this.putBlob(evidence))) {
        for (const e of run.evaluations) {
          if (this.hasTree(e.digest)) continue;
          this.putTree(e.digest, e.results, previousRun()?.results.get(`${e.checkId}\u0000${e.instanceId}`) ?? this.previousEvaluation(e));
        }
        // An unchanged day's evaluation tree is stored already: found by its digest, never diffed.
        const tree = { digest: treeDigest(run.rows), depth: 0 };
        const stored = this.treeDepth(tree.digest);
        if (stored !== undefined) tree.depth = stored;
        else {
          const encoded = encodeTree(run.rows, previousRun() ? { digest: previous!.tree, depth: previous!.depth, rows: this.treeRows(previous!.tree) } : undefined, tree.digest);
          this.insertTree(encoded, run.rows);
          tree.depth = encoded.depth;
        }
        this.sql('INSERT INTO check_runs (run_seq, as_of, evaluations, evidence, evaluation_count) VALUES (?, ?, ?, ?, ?)').run(
          seq,
          run.asOf,
          digestBytes([tree.digest]),
          digestBytes(run.evidence),
          run.evaluations.length,
        );
        previous = { tree: tree.digest, depth: tree.depth, results: resultsByEvaluation(run.rows) };
      }
    })();
  }

  private hasTree(digest: string): boolean {
    return this.sql('SELECT 1 FROM trees WHERE digest = ?').get(digest) !== undefined;
  }

  private insertTree(tree: ReturnType<typeof encodeTree>, rows: RowText[], cache = true): void {
    this.sql('INSERT OR IGNORE INTO trees (digest, base, depth, row_count, data) VALUES (?, ?, ?, ?, ?)').run(tree.digest, tree.base, tree.depth, tree.rowCount, tree.data);
    if (cache) this.trees.set(tree.digest, rows);
  }

  /** Stores sorted `rows` as a tree, a delta against `base` (a stored tree) when that is small. */
  private putTree(digest: string, rows: RowText[], base: string | undefined): void {
    const depth = base === undefined ? undefined : this.treeDepth(base);
    this.insertTree(encodeTree(rows, base !== undefined && depth !== undefined ? { digest: base, depth, rows: this.treeRows(base) } : undefined, digest), rows);
  }

  /** A stored tree's delta depth; `undefined` when no tree has this digest. */
  private treeDepth(digest: string): number | undefined {
    return this.sql('SELECT depth FROM trees WHERE digest = ?').pluck().get(digest) as number | undefined;
  }

  /** The newest check run's evaluation tree, and its result trees by check and instance. */
  private previousCheckRun(): { tree: string; depth: number; results: Map<string, string> } | null {
    const row = this.sql('SELECT lower(hex(c.evaluations)) AS tree, t.depth FROM check_runs c JOIN trees t ON t.digest = lower(hex(c.evaluations)) ORDER BY c.id DESC LIMIT 1').get() as
      | { tree: string; depth: number }
      | undefined;
    return row ? { ...row, results: resultsByEvaluation(this.treeRows(row.tree)) } : null;
  }

  /** A schema-2 store's newest result tree of an evaluation (before its first schema-3 check run). */
  private previousEvaluation(e: PlannedEvaluation): string | undefined {
    return this.sql('SELECT results FROM check_evaluations WHERE check_id = ? AND instance_id = ? ORDER BY id DESC LIMIT 1').pluck().get(e.checkId, e.instanceId) as string | undefined;
  }

  /**
   * @internal Streams a file into content-addressed chunks. One explicit transaction spans the
   * whole stream (better-sqlite3's transaction helper cannot await), so an error or a crash
   * mid-file rolls everything back; the writer lock guarantees no other statement interleaves.
   */
  async insertFile(content: AsyncIterable<Uint8Array>): Promise<StoredFile> {
    const putChunk = this.db.prepare('INSERT OR IGNORE INTO chunks (digest, data) VALUES (?, ?)');
    const whole = createHash('sha256');
    const chunkDigests: string[] = [];
    let size = 0;
    let pending: Buffer[] = [];
    let pendingSize = 0;
    const writeChunk = (chunk: Buffer) => {
      const digest = sha256Hex(chunk);
      putChunk.run(digest, chunk);
      chunkDigests.push(digest);
    };
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for await (const piece of content) {
        const buffer = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
        whole.update(buffer);
        size += buffer.length;
        pending.push(buffer);
        pendingSize += buffer.length;
        while (pendingSize >= chunkSize) {
          const joined = Buffer.concat(pending);
          writeChunk(joined.subarray(0, chunkSize));
          pending = [joined.subarray(chunkSize)];
          pendingSize = joined.length - chunkSize;
        }
      }
      if (pendingSize > 0 || chunkDigests.length === 0) writeChunk(Buffer.concat(pending));
      const digest = whole.digest('hex');
      this.db.prepare('INSERT OR IGNORE INTO files (digest, size, chunks) VALUES (?, ?, ?)').run(digest, size, JSON.stringify(chunkDigests));
      this.db.exec('COMMIT');
      return { digest, size };
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  // ---------------------------------------------------------------- schema-1 upgrade

  /**
   * Upgrades a schema-1 store in place (inside the constructor's transaction): seals runs a crash
   * left open as schema 1 would have, then derives collections, trees and the change index from
   * every schema-1 run. The schema-1 rows and seals stay untouched, so the chain verifies as before;
   * `verify` re-derives the upgraded rows from them to prove nothing was lost or added.
   */
  private upgradeFromV1(): void {
    const open = this.db.prepare('SELECT r.seq FROM runs r LEFT JOIN run_seals s ON s.run_seq = r.seq WHERE s.run_seq IS NULL ORDER BY r.seq').pluck().all() as number[];
    for (const seq of open) {
      const last = this.db
        .prepare(
          `SELECT MAX(t) FROM (SELECT MAX(collected_at) AS t FROM observations WHERE run_seq = ?
             UNION ALL SELECT MAX(finished_at) FROM outcomes WHERE run_seq = ? UNION ALL SELECT started_at FROM runs WHERE seq = ?)`,
        )
        .pluck()
        .get(seq, seq, seq) as string;
      const prev = this.db.prepare('SELECT hash FROM run_seals WHERE run_seq < ? ORDER BY run_seq DESC LIMIT 1').pluck().get(seq) as string | undefined;
      const run = this.db.prepare('SELECT * FROM runs WHERE seq = ?').get(seq) as RunRow;
      const manifest: ManifestV1 = { status: 'incomplete', finishedAt: last, ...hashV1RunContent(this.db, seq) };
      const prevHash = prev ?? genesisHash;
      this.db
        .prepare('INSERT INTO run_seals (run_seq, status, finished_at, prev_hash, manifest, hash) VALUES (?, ?, ?, ?, ?, ?)')
        .run(seq, 'incomplete', last, prevHash, canonicalJson(manifest), runHash(prevHash, run, manifest));
    }
    const seqs = this.db.prepare('SELECT seq FROM runs ORDER BY seq').pluck().all() as number[];
    for (const seq of seqs) {
      for (const c of this.deriveV1Collections(seq)) this.writeCollection(seq, c.streamId, c.outcomeId, c.status, c.finishedAt, c.built);
    }
    this.db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(currentSchemaVersion));
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('schema1_last_run', String(seqs.at(-1) ?? 0));
  }

  /** @internal The collections a schema-1 run's observations and outcomes amount to, in write order. */
  deriveV1Collections(seq: number): { streamId: number; outcomeId: number | null; status: string; finishedAt: string; built: BuiltCollection }[] {
    const groups = new Map<string, { source: { tool: string; connectorType: string }; records: PendingRecord[] }>();
    const provenanceCache = new Map<string, { tool: string; connectorType: string; requests: RequestRef[] }>();
    const rows = this.db
      .prepare('SELECT instance_id, collector_id, kind, subject, digest, provenance, collected_at, attachment FROM observations WHERE run_seq = ? ORDER BY id')
      .all(seq) as { instance_id: string; collector_id: string; kind: string; subject: string; digest: string; provenance: string; collected_at: string; attachment: string | null }[];
    for (const o of rows) {
      let provenance = provenanceCache.get(o.provenance);
      if (!provenance) {
        const json = this.sql('SELECT json FROM blobs WHERE digest = ?').pluck().get(o.provenance) as string | undefined;
        provenance = json ? (JSON.parse(json) as typeof provenance) : { tool: '-', connectorType: '-', requests: [] };
        provenanceCache.set(o.provenance, provenance!);
      }
      const key = `${o.instance_id}\u0000${o.collector_id}\u0000${o.kind}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { source: { tool: provenance!.tool, connectorType: provenance!.connectorType }, records: [] }));
      group.records.push({ subject: o.subject, digest: o.digest, collectedAt: o.collected_at, requests: provenance!.requests ?? [], attachment: o.attachment });
    }
    const out: ReturnType<SqliteEvidenceStore['deriveV1Collections']> = [];
    const outcomes = this.db.prepare('SELECT * FROM outcomes WHERE run_seq = ? ORDER BY id').all(seq) as OutcomeRow[];
    for (const o of outcomes) {
      const key = `${o.instance_id}\u0000${o.collector_id}\u0000${o.kind}`;
      const group = groups.get(key);
      groups.delete(key);
      if (!group && o.status !== 'collected') continue;
      const built = buildCollection(group?.records ?? [], group?.source ?? { tool: '-', connectorType: o.connector_type });
      out.push({ streamId: this.streamId(o.kind, o.instance_id, o.collector_id), outcomeId: o.id, status: o.status, finishedAt: o.finished_at, built });
    }
    const startedAt = this.sql('SELECT started_at FROM runs WHERE seq = ?').pluck().get(seq) as string;
    for (const [key, group] of groups) {
      const [instanceId, collectorId, kind] = key.split('\u0000') as [string, string, string];
      const built = buildCollection(group.records, group.source);
      out.push({ streamId: this.streamId(kind, instanceId, collectorId), outcomeId: null, status: 'incomplete', finishedAt: built.collectedAt ?? startedAt, built });
    }
    return out;
  }

  // ---------------------------------------------------------------- reading

  /** @internal Rows of rebuilt trees held in memory (tests: the writer keeps none). */
  get cachedTreeRows(): number {
    return this.trees.rowCount;
  }

  /** @internal The rows of a tree, rebuilt through its delta chain (cached, with the chain, unless `cache` is false). */
  treeRows(digest: string, cache = true): RowText[] {
    const cached = this.trees.get(digest);
    if (cached) return cached;
    const row = this.sql('SELECT base, data FROM trees WHERE digest = ?').get(digest) as { base: string | null; data: string } | undefined;
    if (!row) throw new Error(`evidence store is missing tree ${digest}; run \`annexa verify\``);
    const rows = decodeTree(row.data, row.base ? this.treeRows(row.base, cache) : undefined);
    if (cache) this.trees.set(digest, rows);
    return rows;
  }

  private payload(digest: string): unknown {
    const json = this.blobJson(digest);
    if (json === undefined) throw new Error(`evidence store is missing payload ${digest}; run \`annexa verify\``);
    return JSON.parse(json) as unknown;
  }

  /**
   * Many payloads at once: looked up in digest order (neighbouring pages), a thousand per
   * statement, so reading a whole collection is not one round trip per record.
   */
  private payloads(digests: readonly string[]): Map<string, unknown> {
    const out = new Map<string, unknown>();
    const wanted = [...new Set(digests)].sort();
    const select = this.sql('SELECT digest, json FROM blobs WHERE digest IN (SELECT value FROM json_each(?))').raw();
    for (let i = 0; i < wanted.length; i += 1000) {
      for (const [digest, json] of select.all(JSON.stringify(wanted.slice(i, i + 1000))) as [string, string][]) out.set(digest, JSON.parse(json) as unknown);
    }
    for (const digest of wanted) if (!out.has(digest)) out.set(digest, this.payload(digest));
    return out;
  }

  /**
   * The records of one collection. The last few are cached: a check run reads the same
   * collections for several checks, and records never change once written.
   */
  private recordsOfCollection(c: CollectionRow): StoredRecord[] {
    const cached = this.collectionRecords.get(c.id);
    if (cached) {
      this.collectionRecords.delete(c.id);
      this.collectionRecords.set(c.id, cached);
      return [...cached];
    }
    const rows = parseRows<RecordRow>(this.treeRows(c.tree));
    const payloads = this.payloads(rows.map((row) => row[1]));
    const records = rows.map((row) => ({
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
    this.collectionRecords.set(c.id, records);
    while (this.collectionRecords.size > 8) this.collectionRecords.delete(this.collectionRecords.keys().next().value!);
    return [...records];
  }

  private streams(kind?: string, instanceId?: string): StreamRow[] {
    return (this.sql('SELECT * FROM streams ORDER BY kind, instance_id, collector_id').all() as StreamRow[]).filter(
      (s) => (kind === undefined || s.kind === kind) && (instanceId === undefined || s.instance_id === instanceId),
    );
  }

  /** Newest outcome and newest successful outcome per stream as of a date: two indexed look-ups per stream. */
  private summaries(asOf: string, kind?: string, instanceId?: string): { stream: StreamRow; latest: OutcomeRow; collected?: OutcomeRow }[] {
    const select = `SELECT o.*, r.id AS run_id, c.tree, c.id AS collection_id FROM outcomes o JOIN runs r ON r.seq = o.run_seq
      LEFT JOIN collections c ON c.outcome_id = o.id WHERE o.kind = ? AND o.instance_id = ? AND o.collector_id = ? AND o.finished_at <= ?`;
    const latest = this.sql(`${select} ORDER BY o.finished_at DESC, o.id DESC LIMIT 1`);
    const collected = this.sql(`${select} AND o.status = 'collected' ORDER BY o.finished_at DESC, o.id DESC LIMIT 1`);
    const out = [];
    for (const stream of this.streams(kind, instanceId)) {
      const l = latest.get(stream.kind, stream.instance_id, stream.collector_id, asOf) as OutcomeRow | undefined;
      if (!l) continue;
      const c = l.status === 'collected' ? l : (collected.get(stream.kind, stream.instance_id, stream.collector_id, asOf) as OutcomeRow | undefined);
      out.push({ stream, latest: l, ...(c ? { collected: c } : {}) });
    }
    return out;
  }

  async kinds(options: { asOf?: Date } = {}): Promise<KindSummary[]> {
    this.requireCurrent();
    return this.summaries(options.asOf?.toISOString() ?? '9999').map((s) => ({
      kind: s.stream.kind,
      instanceId: s.stream.instance_id,
      collectorId: s.stream.collector_id,
      latestOutcome: toOutcome(s.latest),
      ...(s.collected ? { lastCollected: toOutcome(s.collected) } : {}),
    }));
  }

  async latest(kind: string, options: { asOf?: Date; instanceId?: string } = {}): Promise<EvidenceSnapshot[]> {
    this.requireCurrent();
    return this.summaries(options.asOf?.toISOString() ?? '9999', kind, options.instanceId).map((s) => ({
      kind,
      instanceId: s.stream.instance_id,
      latestOutcome: toOutcome(s.latest),
      ...(s.collected ? { lastCollected: toOutcome(s.collected) } : {}),
      records: s.collected?.collection_id ? this.recordsOfCollection(this.collection(s.collected.collection_id)) : [],
    }));
  }

  private collection(id: number): CollectionRow {
    return this.sql(`${collectionSelect} WHERE c.id = ?`).get(id) as CollectionRow;
  }

  async history(kind: string, subject: string, options: { since?: Date; until?: Date } = {}): Promise<StoredRecord[]> {
    this.requireCurrent();
    const since = options.since?.toISOString() ?? '';
    const until = options.until?.toISOString() ?? '9999';
    const out: { record: StoredRecord; order: number }[] = [];
    const inRange = (c: CollectionRow) => (c.collected_at ?? c.finished_at) >= since && (c.collected_at ?? c.finished_at) <= until;
    for (const stream of this.streams(kind)) {
      // Successful collections: the change index gives the intervals in which the subject existed.
      const changes = this.sql('SELECT collection_id, entry FROM subject_changes WHERE stream_id = ? AND subject = ? ORDER BY collection_id').all(stream.id, subject) as {
        collection_id: number;
        entry: string | null;
      }[];
      const between = this.sql(`${collectionSelect} WHERE c.stream_id = ? AND c.status = 'collected' AND c.id >= ? AND c.id < ? ORDER BY c.id`);
      changes.forEach((change, i) => {
        if (change.entry === null) return;
        const rows = JSON.parse(change.entry) as RecordRow[];
        const end = changes[i + 1]?.collection_id ?? Number.MAX_SAFE_INTEGER;
        for (const c of between.all(stream.id, change.collection_id, end) as CollectionRow[]) {
          if (!inRange(c)) continue;
          for (const row of rows) out.push({ record: this.toRecord(c, row), order: c.id });
        }
      });
      // Failed and interrupted collections are few: look the subject up in each.
      for (const c of this.sql(`${collectionSelect} WHERE c.stream_id = ? AND c.status != 'collected' ORDER BY c.id`).all(stream.id) as CollectionRow[]) {
        if (!inRange(c)) continue;
        for (const row of parseRows<RecordRow>(this.treeRows(c.tree)).filter((r) => r[0] === subject)) out.push({ record: this.toRecord(c, row), order: c.id });
      }
    }
    return out.sort((a, b) => compareText(a.record.collectedAt, b.record.collectedAt) || a.order - b.order).map((o) => o.record);
  }

  private toRecord(c: CollectionRow, row: RecordRow): StoredRecord {
    return {
      runId: c.run_id,
      instanceId: c.instance_id,
      collectorId: c.collector_id,
      kind: c.kind,
      subject: row[0],
      digest: row[1],
      payload: this.payload(row[1]),
      collectedAt: c.collected_at ?? c.finished_at,
      provenanceDigest: c.provenance,
      attachment: row[3] ?? null,
    };
  }

  async records(kind: string, options: { until?: Date } = {}): Promise<StoredRecord[]> {
    this.requireCurrent();
    const collections = this.db
      .prepare(`${collectionSelect} WHERE s.kind = ? AND COALESCE(c.collected_at, c.finished_at) <= ? AND c.record_count > 0 ORDER BY COALESCE(c.collected_at, c.finished_at), c.id`)
      .all(kind, options.until?.toISOString() ?? '9999') as CollectionRow[];
    return collections.flatMap((c) => this.recordsOfCollection(c));
  }

  async population(kind: string, options: { since: Date; until: Date; instanceId?: string }): Promise<PopulationRecord[]> {
    this.requireCurrent();
    const out: PopulationRecord[] = [];
    for (const stream of this.streams(kind, options.instanceId)) {
      const collections = this.sql(
        `${collectionSelect} WHERE c.stream_id = ? AND c.status = 'collected' AND c.finished_at >= ? AND c.finished_at <= ? ORDER BY c.id`,
      ).all(stream.id, options.since.toISOString(), options.until.toISOString()) as CollectionRow[];
      const first = collections[0];
      const last = collections.at(-1);
      if (!first || !last) continue;
      const seen = (c: CollectionRow) => ({ runId: c.run_id, at: c.finished_at });
      const position = new Map(collections.map((c, i) => [c.id, i]));
      // Versions live now, by subject; each holds its rows and when it was first seen.
      const live = new Map<string, { rows: RecordRow[]; first: CollectionRow }>();
      for (const row of parseRows<RecordRow>(this.treeRows(first.tree))) {
        const version = live.get(row[0]);
        if (version) version.rows.push(row);
        else live.set(row[0], { rows: [row], first });
      }
      const finished: { rows: RecordRow[]; first: CollectionRow; last: CollectionRow }[] = [];
      const changes = this.sql('SELECT collection_id, subject, entry FROM subject_changes WHERE stream_id = ? AND collection_id > ? AND collection_id <= ? ORDER BY collection_id, id').all(
        stream.id,
        first.id,
        last.id,
      ) as { collection_id: number; subject: string; entry: string | null }[];
      for (const change of changes) {
        const at = position.get(change.collection_id);
        if (at === undefined) continue;
        const ended = live.get(change.subject);
        if (ended) finished.push({ ...ended, last: collections[at - 1]! });
        live.delete(change.subject);
        if (change.entry !== null) live.set(change.subject, { rows: JSON.parse(change.entry) as RecordRow[], first: collections[at]! });
      }
      for (const version of live.values()) finished.push({ ...version, last });
      for (const version of finished) {
        for (const row of version.rows) {
          out.push({
            kind,
            instanceId: stream.instance_id,
            collectorId: stream.collector_id,
            subject: row[0],
            digest: row[1],
            payload: this.payload(row[1]),
            attachment: row[3] ?? null,
            firstSeen: seen(version.first),
            lastSeen: seen(version.last),
          });
        }
      }
    }
    return foldPopulation(out).sort((a, b) => compareText(a.instanceId, b.instanceId) || compareText(a.subject, b.subject) || compareText(a.firstSeen.at, b.firstSeen.at) || compareText(a.digest, b.digest));
  }

  async changesBetween(fromRunId: string, toRunId: string, options: { kind?: string } = {}): Promise<RecordChange[]> {
    this.requireCurrent();
    const from = await this.run(fromRunId);
    const to = await this.run(toRunId);
    if (!from) throw new Error(`no run ${fromRunId} (or the prefix is ambiguous)`);
    if (!to) throw new Error(`no run ${toRunId} (or the prefix is ambiguous)`);
    const asOf = this.sql(`${collectionSelect} WHERE c.stream_id = ? AND c.status = 'collected' AND c.run_seq <= ? ORDER BY c.id DESC LIMIT 1`);
    const entryAsOf = this.sql('SELECT entry FROM subject_changes WHERE stream_id = ? AND subject = ? AND collection_id <= ? ORDER BY collection_id DESC, id DESC LIMIT 1').pluck();
    const out: RecordChange[] = [];
    for (const stream of this.streams(options.kind)) {
      const before = asOf.get(stream.id, from.seq) as CollectionRow | undefined;
      const after = asOf.get(stream.id, to.seq) as CollectionRow | undefined;
      if (!after || before?.tree === after.tree) continue;
      const touched = this.sql('SELECT DISTINCT subject FROM subject_changes WHERE stream_id = ? AND collection_id > ? AND collection_id <= ? ORDER BY subject')
        .pluck()
        .all(stream.id, before?.id ?? 0, after.id) as string[];
      for (const subject of touched) {
        const was = before ? ((entryAsOf.get(stream.id, subject, before.id) as string | null | undefined) ?? null) : null;
        const now = (entryAsOf.get(stream.id, subject, after.id) as string | null | undefined) ?? null;
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
    this.requireCurrent();
    // Callers walk a collection record by record: its requests and rows are resolved once.
    const key = [record.runId, record.kind, record.instanceId, record.collectorId, record.provenanceDigest].join('\u0000');
    if (this.requestIndex?.key !== key) {
      const rows = new Map<string, number[]>();
      let requests: RequestRef[] = [];
      const collections = this.db
        .prepare(`${collectionSelect} WHERE r.id = ? AND s.kind = ? AND s.instance_id = ? AND s.collector_id = ? AND c.provenance = ? ORDER BY c.id`)
        .all(record.runId, record.kind, record.instanceId, record.collectorId, record.provenanceDigest) as CollectionRow[];
      for (const c of collections) {
        for (const row of parseRows<RecordRow>(this.treeRows(c.tree))) if (!rows.has(`${row[0]}\u0000${row[1]}`)) rows.set(`${row[0]}\u0000${row[1]}`, row[2]);
        const provenance = this.payload(c.provenance) as CollectionProvenance;
        requests = resolveRequests(provenance, this.payload(provenance.templates) as { requests: [string, string][] });
      }
      this.requestIndex = { key, rows, requests };
    }
    const { rows, requests } = this.requestIndex;
    return (rows.get(`${record.subject}\u0000${record.digest}`) ?? []).map((i) => requests[i]!);
  }

  async collections(options: { since?: Date; until?: Date } = {}): Promise<StoredOutcome[]> {
    this.requireCurrent();
    const rows = this.db
      .prepare(
        `SELECT o.*, r.id AS run_id, c.tree, c.id AS collection_id FROM outcomes o JOIN runs r ON r.seq = o.run_seq LEFT JOIN collections c ON c.outcome_id = o.id
         WHERE o.status = 'collected' AND o.finished_at >= ? AND o.finished_at <= ? ORDER BY o.finished_at, o.id`,
      )
      .all(options.since?.toISOString() ?? '', options.until?.toISOString() ?? '9999') as OutcomeRow[];
    return rows.map(toOutcome);
  }

  async subjectDigests(outcome: StoredOutcome): Promise<{ subject: string; digest: string }[]> {
    this.requireCurrent();
    const trees = this.db
      .prepare(
        `SELECT c.tree FROM collections c JOIN streams s ON s.id = c.stream_id JOIN runs r ON r.seq = c.run_seq
         WHERE r.id = ? AND s.instance_id = ? AND s.kind = ? AND s.collector_id = ? ORDER BY c.id`,
      )
      .pluck()
      .all(outcome.runId, outcome.instanceId, outcome.kind, outcome.collectorId) as string[];
    return trees.flatMap((tree) => parseRows<RecordRow>(this.treeRows(tree)).map((row) => ({ subject: row[0], digest: row[1] })));
  }

  async lastCheckRun(options: { before?: Date } = {}): Promise<{ runId: string; startedAt: string } | undefined> {
    this.requireCurrent();
    const row = this.db
      .prepare(
        `SELECT r.id, r.started_at FROM runs r WHERE r.started_at < ? AND (EXISTS (SELECT 1 FROM check_runs c WHERE c.run_seq = r.seq)
           OR EXISTS (SELECT 1 FROM check_evaluations e WHERE e.run_seq = r.seq)
           OR EXISTS (SELECT 1 FROM check_results c WHERE c.run_seq = r.seq))
         ORDER BY r.seq DESC LIMIT 1`,
      )
      .get(options.before?.toISOString() ?? '9999') as { id: string; started_at: string } | undefined;
    return row ? { runId: row.id, startedAt: row.started_at } : undefined;
  }

  async checkResults(options: { since?: Date; until?: Date } = {}): Promise<StoredCheckResult[]> {
    this.requireCurrent();
    const window = [options.since?.toISOString() ?? '', options.until?.toISOString() ?? '9999'];
    const out: StoredCheckResult[] = [];
    const checkRuns = this.db
      .prepare(
        `SELECT r.id AS run_id, r.seq AS run_seq, r.started_at, c.as_of, lower(hex(c.evaluations)) AS evaluations, c.evidence
         FROM check_runs c JOIN runs r ON r.seq = c.run_seq WHERE r.started_at >= ? AND r.started_at <= ? ORDER BY r.seq, c.id`,
      )
      .all(...window) as { run_id: string; run_seq: number; started_at: string; as_of: string; evaluations: string; evidence: Buffer }[];
    for (const c of checkRuns) {
      const evidence = digestsOf(c.evidence);
      for (const [, checkId, instanceId, index, results] of evaluationRows(this.treeRows(c.evaluations))) {
        for (const [subject, status, message] of parseRows<[string, string, string]>(this.treeRows(results))) {
          out.push({ runId: c.run_id, runSeq: c.run_seq, recordedAt: c.started_at, checkId, instanceId, subject, status, message, asOf: c.as_of, evidenceDigest: evidence[index]! });
        }
      }
    }
    // Schema-2 runs keep one row per evaluation.
    const evaluations = this.db
      .prepare(
        `SELECT r.id AS run_id, r.seq AS run_seq, r.started_at, e.check_id, e.instance_id, e.as_of, e.evidence, e.results
         FROM check_evaluations e JOIN runs r ON r.seq = e.run_seq WHERE r.started_at >= ? AND r.started_at <= ? ORDER BY r.seq, e.id`,
      )
      .all(...window) as { run_id: string; run_seq: number; started_at: string; check_id: string; instance_id: string; as_of: string; evidence: string; results: string }[];
    for (const e of evaluations) {
      for (const [subject, status, message] of parseRows<[string, string, string]>(this.treeRows(e.results))) {
        out.push({ runId: e.run_id, runSeq: e.run_seq, recordedAt: e.started_at, checkId: e.check_id, instanceId: e.instance_id, subject, status, message, asOf: e.as_of, evidenceDigest: e.evidence });
      }
    }
    // Schema-1 runs of an upgraded store keep their results as rows.
    const legacy = this.db
      .prepare(
        `SELECT r.id AS runId, r.seq AS runSeq, r.started_at AS recordedAt, c.check_id AS checkId, c.instance_id AS instanceId, c.subject, c.status, c.message,
                c.as_of AS asOf, c.evidence AS evidenceDigest
         FROM check_results c JOIN runs r ON r.seq = c.run_seq WHERE r.started_at >= ? AND r.started_at <= ? ORDER BY r.seq, c.id`,
      )
      .all(...window) as StoredCheckResult[];
    // A stable sort: each run's results stay in their order.
    return [...legacy, ...out].sort((a, b) => a.runSeq - b.runSeq);
  }

  async runs(options: { limit?: number } = {}): Promise<RunInfo[]> {
    this.requireCurrent();
    const rows = this.db
      .prepare(`SELECT r.*, s.status, s.finished_at, s.hash, s.prev_hash, ${observationCount} AS observation_count FROM runs r LEFT JOIN run_seals s ON s.run_seq = r.seq ORDER BY r.seq DESC LIMIT ?`)
      .all(options.limit ?? -1) as (RunRow & Partial<SealRow> & { observation_count: number })[];
    return rows.map(toRunInfo);
  }

  async run(id: string): Promise<RunDetail | undefined> {
    this.requireCurrent();
    const rows = this.db
      .prepare(
        `SELECT r.*, s.status, s.finished_at, s.hash, s.prev_hash, ${observationCount} AS observation_count
         FROM runs r LEFT JOIN run_seals s ON s.run_seq = r.seq WHERE r.id = ? OR r.id LIKE ? ORDER BY r.seq LIMIT 2`,
      )
      .all(id, `${id.replace(/[%_]/g, '')}%`) as (RunRow & Partial<SealRow> & { observation_count: number })[];
    const exact = rows.find((r) => r.id === id);
    const row = exact ?? (rows.length === 1 ? rows[0] : undefined);
    if (!row) return undefined;
    const outcomes = this.db
      .prepare('SELECT o.*, r.id AS run_id, c.tree, c.id AS collection_id FROM outcomes o JOIN runs r ON r.seq = o.run_seq LEFT JOIN collections c ON c.outcome_id = o.id WHERE o.run_seq = ? ORDER BY o.id')
      .all(row.seq) as OutcomeRow[];
    return { ...toRunInfo(row), outcomes: outcomes.map(toOutcome) };
  }

  async blob(digest: string): Promise<unknown> {
    const json = this.blobJson(digest);
    if (json !== undefined) return JSON.parse(json) as unknown;
    if (this.schemaVersion < currentSchemaVersion) return undefined;
    const tree = this.db.prepare('SELECT 1 FROM trees WHERE digest = ?').get(digest);
    return tree ? parseRows(this.treeRows(digest)) : undefined;
  }

  async *readFile(digest: string): AsyncGenerator<Uint8Array> {
    const file = this.db.prepare('SELECT chunks FROM files WHERE digest = ?').get(digest) as { chunks: string } | undefined;
    if (!file) throw new Error(`no stored file ${digest}`);
    const getChunk = this.db.prepare('SELECT data FROM chunks WHERE digest = ?');
    for (const chunkDigest of JSON.parse(file.chunks) as string[]) {
      const row = getChunk.get(chunkDigest) as { data: Buffer } | undefined;
      if (!row) throw new Error(`stored file ${digest} is missing chunk ${chunkDigest}`);
      if (sha256Hex(row.data) !== chunkDigest) throw new Error(`stored file ${digest} has a modified chunk ${chunkDigest}`);
      yield row.data;
    }
  }

  async verify(): Promise<VerifyReport> {
    this.db.pragma('mmap_size = 0');
    try {
      return verifySqliteStore(this);
    } finally {
      if (this.mapped) this.db.pragma(`mmap_size = ${mappedBytes}`);
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Manual evidence files are stored in chunks of this size, each content-addressed. */
const chunkSize = 1024 * 1024;

const observationCount = `(SELECT COALESCE(SUM(record_count), 0) FROM collections c WHERE c.run_seq = r.seq)
  + (SELECT COALESCE(SUM(record_count), 0) FROM pending p WHERE p.run_seq = r.seq)`;

class SqliteRunWriter implements RunWriter {
  private done = false;
  /**
   * The writes so far, one after another: a batch of observations is written over several turns
   * of the event loop in one open transaction, which nothing else may write into meanwhile.
   */
  private writing: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly store: SqliteEvidenceStore,
    private readonly seq: number,
    readonly runId: string,
    private readonly lock: WriterLock,
  ) {}

  addObservations(batch: readonly ObservationInput[]): Promise<void> {
    return this.inTurn(() => this.store.insertObservations(this.seq, batch));
  }

  addOutcome(outcome: OutcomeInput, last: readonly ObservationInput[] = []): Promise<void> {
    return this.inTurn(() => this.store.insertOutcome(this.seq, outcome, last));
  }

  addFile(content: AsyncIterable<Uint8Array>): Promise<StoredFile> {
    return this.inTurn(() => this.store.insertFile(content));
  }

  addCheckResults(batch: readonly CheckResultInput[]): Promise<void> {
    return this.inTurn(() => this.store.insertCheckResults(this.seq, batch));
  }

  finish(status: Exclude<RunStatus, 'incomplete'>, finishedAt: Date): Promise<RunInfo> {
    return this.inTurn(async () => {
      try {
        this.store.seal(this.seq, status, finishedAt.toISOString());
      } finally {
        this.done = true;
        this.lock.release();
      }
      return (await this.store.run(this.runId)) as RunInfo;
    });
  }

  async abandon(): Promise<void> {
    // After whatever write is under way: its transaction ends (committed or rolled back) first.
    await this.writing.catch(() => undefined);
    this.done = true;
    this.lock.release();
  }

  /** Runs `write` once the writes before it have ended (whether or not they failed). */
  private inTurn<T>(write: () => T | Promise<T>): Promise<T> {
    const run = this.writing.catch(() => undefined).then(() => {
      this.assertOpen();
      return write();
    });
    this.writing = run;
    return run;
  }

  private assertOpen(): void {
    if (this.done) throw new Error(`run ${this.runId} is already finished`);
  }
}

/** Runs a write's steps at once (inside a transaction the caller holds). */
function drain(steps: Generator<void>): void {
  for (const step of steps) void step;
}

/** The chain hash of a run: previous hash, the run header and the manifest, as canonical JSON. */
export function runHash(prevHash: string, run: RunRow, manifest: RunManifest | ManifestV1): string {
  return sha256Hex(
    canonicalJson({
      prev: prevHash,
      run: { seq: run.seq, id: run.id, startedAt: run.started_at, command: run.command, toolVersion: run.tool_version },
      manifest,
    }),
  );
}

/** @internal The fields of a stored collection its seal hashes (same order as {@link SqliteEvidenceStore.planCollection}). */
export function collectionFields(c: CollectionRow): unknown[] {
  return [c.instance_id, c.collector_id, c.kind, c.status, c.tree, c.provenance, c.record_count, c.collected_at, c.finished_at];
}

/**
 * @internal Per-kind hashes over collections and their change rows, in write order, fed one
 * collection and one change row at a time (so a reader can stream the rows).
 */
export class CollectionsHash {
  private readonly hashes = new Map<string, { count: number; hash: ReturnType<typeof createHash> }>();
  private current: ReturnType<typeof createHash> | undefined;

  collection(c: Pick<PlannedCollection, 'kind' | 'fields' | 'recordCount'>): void {
    let entry = this.hashes.get(c.kind);
    if (!entry) this.hashes.set(c.kind, (entry = { count: 0, hash: createHash('sha256') }));
    entry.count += c.recordCount;
    entry.hash.update(JSON.stringify(c.fields) + '\n');
    this.current = entry.hash;
  }

  /** A change row of the collection given last. */
  change(change: readonly [string, string | null]): void {
    this.current!.update(JSON.stringify(change) + '\n');
  }

  digest(): RunManifest['kinds'] {
    const kinds: RunManifest['kinds'] = {};
    for (const [kind, entry] of [...this.hashes].sort(([a], [b]) => compareText(a, b))) kinds[kind] = { count: entry.count, hash: entry.hash.digest('hex') };
    return kinds;
  }
}

/** @internal Per-kind hashes over collections and their change rows, in write order. */
export function hashCollections(collections: Iterable<PlannedCollection>): RunManifest['kinds'] {
  const hash = new CollectionsHash();
  for (const c of collections) {
    hash.collection(c);
    for (const change of c.changes) hash.change(change);
  }
  return hash.digest();
}

/**
 * @internal What a schema-3 seal hashes of a run's check results: its `check_runs` rows (digests as
 * hex), then any `check_evaluations` rows, so no row of either table escapes the seal. `hex` writes
 * a bytes column as lowercase hex in the backend's SQL; `seq1`, `seq2` are the run placeholders.
 */
export function checkRowsSql(evaluationsHex: string, evidenceHex: string, seq1: string, seq2: string): string {
  return `SELECT t, a, b, c, d, e, f FROM (
    SELECT 0 AS t, id, as_of AS a, ${evaluationsHex} AS b, ${evidenceHex} AS c, NULL AS d, NULL AS e, evaluation_count AS f FROM check_runs WHERE run_seq = ${seq1}
    UNION ALL SELECT 1, id, check_id, instance_id, as_of, evidence, results, result_count FROM check_evaluations WHERE run_seq = ${seq2}) x ORDER BY t, id`;
}


/** @internal */
export function newRunId(startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** @internal */
export function toOutcome(row: OutcomeRow): StoredOutcome {
  return {
    runId: row.run_id,
    instanceId: row.instance_id,
    connectorType: row.connector_type,
    collectorId: row.collector_id,
    kind: row.kind,
    status: row.status,
    recordCount: row.record_count,
    ...(row.error_code ? { errorCode: row.error_code } : {}),
    ...(row.error_message ? { errorMessage: row.error_message } : {}),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    ...(row.tree ? { tree: row.tree } : {}),
  };
}

/** @internal */
export function toRunInfo(row: RunRow & Partial<SealRow> & { observation_count: number }): RunInfo {
  return {
    id: row.id,
    seq: row.seq,
    command: row.command,
    toolVersion: row.tool_version,
    startedAt: row.started_at,
    status: row.status ?? 'running',
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
    ...(row.hash ? { hash: row.hash } : {}),
    ...(row.prev_hash ? { prevHash: row.prev_hash } : {}),
    observationCount: row.observation_count,
  };
}

