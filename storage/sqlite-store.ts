import Database from 'better-sqlite3';
import { mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes, createHash, type Hash } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../src/core/canonical.js';
import { acquireWriterLock, type WriterLock } from './lock.js';
import type {
  CheckResultInput,
  StoredCheckResult,
  StoredFile,
  EvidenceSnapshot,
  EvidenceStore,
  KindSummary,
  ObservationInput,
  OutcomeInput,
  RunDetail,
  RunInfo,
  RunMeta,
  RunStatus,
  RunWriter,
  StoredOutcome,
  StoredRecord,
  VerifyProblem,
  VerifyReport,
} from './evidence-store.js';

const schemaVersion = '1';

/**
 * Append-only schema. Payloads live once in `blobs` under the sha256 of their canonical JSON;
 * `observations` say which run saw which blob about which subject; `run_seals` close a run
 * with a hash over the previous seal, its observations and its outcomes. Triggers reject every
 * UPDATE and DELETE, so only a client that drops them first can edit — and `verify` notices.
 */
const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (
  digest TEXT PRIMARY KEY,
  json TEXT NOT NULL,
  size INTEGER NOT NULL
) WITHOUT ROWID;
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
CREATE INDEX IF NOT EXISTS observations_by_subject ON observations(kind, subject);
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
CREATE INDEX IF NOT EXISTS outcomes_by_kind ON outcomes(kind, instance_id, finished_at);
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

const appendOnlyTables = ['blobs', 'chunks', 'files', 'runs', 'observations', 'outcomes', 'check_results', 'run_seals'];

/** Manual evidence files are stored in chunks of this size, each content-addressed. */
const chunkSize = 1024 * 1024;
const appendOnlyTriggers = appendOnlyTables
  .flatMap((table) =>
    ['UPDATE', 'DELETE'].map(
      (op) => `CREATE TRIGGER IF NOT EXISTS ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
       BEGIN SELECT RAISE(ABORT, 'evidence store is append-only: ${op} on ${table} rejected'); END;`,
    ),
  )
  .join('\n');

/** The hash that precedes the first run. */
export const genesisHash = '0'.repeat(64);

interface RunRow {
  seq: number;
  id: string;
  started_at: string;
  command: string;
  tool_version: string;
}
interface SealRow {
  run_seq: number;
  status: RunStatus;
  finished_at: string;
  prev_hash: string;
  manifest: string;
  hash: string;
}
interface OutcomeRow {
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
}
interface ObservationRow {
  run_id: string;
  instance_id: string;
  collector_id: string;
  kind: string;
  subject: string;
  digest: string;
  provenance: string;
  collected_at: string;
  attachment: string | null;
  json: string;
}

/** What a seal commits to, kept as JSON in `run_seals.manifest` and covered by the run hash. */
export interface RunManifest {
  status: RunStatus;
  finishedAt: string;
  kinds: Record<string, { count: number; hash: string }>;
  outcomes: { count: number; hash: string };
  checks: { count: number; hash: string };
}

/** Options for {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Open an existing store without creating it or writing (verify, reports). */
  readonly?: boolean;
}

/** Opens (creating when needed) the SQLite evidence store at `path`. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteEvidenceStore {
  if (options.readonly && !existsSync(path)) {
    throw new Error(`no evidence store at ${path}: run \`annexa collect\` (or \`annexa demo\`) first`);
  }
  if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  return new SqliteEvidenceStore(db, path, options.readonly ?? false);
}

/** {@link EvidenceStore} on SQLite (WAL, synchronous transactions, append-only triggers). */
export class SqliteEvidenceStore implements EvidenceStore {
  constructor(
    private readonly db: Database.Database,
    readonly path: string,
    private readonly readonly: boolean,
  ) {
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      // FULL: a committed observation survives power loss, which evidence needs more than speed.
      db.pragma('synchronous = FULL');
      db.exec(schema);
      db.exec(appendOnlyTriggers);
      db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema_version', schemaVersion);
    }
    db.pragma('busy_timeout = 5000');
  }

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
      const last = this.db
        .prepare(
          `SELECT MAX(t) AS t FROM (
             SELECT MAX(collected_at) AS t FROM observations WHERE run_seq = ?
             UNION ALL SELECT MAX(finished_at) FROM outcomes WHERE run_seq = ?
             UNION ALL SELECT started_at FROM runs WHERE seq = ?)`,
        )
        .get(seq, seq, seq) as { t: string };
      this.seal(seq, 'incomplete', last.t);
    }
  }

  /** @internal Seals a run: computes its manifest and chain hash in one transaction. */
  seal(seq: number, status: RunStatus, finishedAt: string): SealRow {
    return this.db.transaction(() => {
      const prev = this.db.prepare('SELECT hash FROM run_seals WHERE run_seq < ? ORDER BY run_seq DESC LIMIT 1').get(seq) as
        | { hash: string }
        | undefined;
      const run = this.db.prepare('SELECT * FROM runs WHERE seq = ?').get(seq) as RunRow;
      const content = this.hashRunContent(seq);
      const manifest: RunManifest = { status, finishedAt, ...content };
      const prevHash = prev?.hash ?? genesisHash;
      const hash = runHash(prevHash, run, manifest);
      const row: SealRow = { run_seq: seq, status, finished_at: finishedAt, prev_hash: prevHash, manifest: canonicalJson(manifest), hash };
      this.db
        .prepare('INSERT INTO run_seals (run_seq, status, finished_at, prev_hash, manifest, hash) VALUES (@run_seq, @status, @finished_at, @prev_hash, @manifest, @hash)')
        .run(row);
      return row;
    })();
  }

  /** Per-kind hashes over a run's observations and one hash over its outcomes, in insertion order. */
  private hashRunContent(seq: number): Pick<RunManifest, 'kinds' | 'outcomes' | 'checks'> {
    const hashes = new Map<string, { count: number; hash: Hash }>();
    const rows = this.db
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
    const kinds: RunManifest['kinds'] = {};
    for (const [kind, entry] of [...hashes].sort(([a], [b]) => a.localeCompare(b))) {
      kinds[kind] = { count: entry.count, hash: entry.hash.digest('hex') };
    }
    const outcomes = this.hashRows(
      'SELECT instance_id, connector_type, collector_id, kind, status, record_count, error_code, error_message, started_at, finished_at FROM outcomes WHERE run_seq = ? ORDER BY id',
      seq,
    );
    const checks = this.hashRows(
      'SELECT check_id, instance_id, subject, status, message, as_of, evidence FROM check_results WHERE run_seq = ? ORDER BY id',
      seq,
    );
    return { kinds, outcomes, checks };
  }

  private hashRows(sql: string, seq: number): { count: number; hash: string } {
    const hash = createHash('sha256');
    let count = 0;
    for (const row of this.db.prepare(sql).raw().iterate(seq) as IterableIterator<unknown[]>) {
      count++;
      hash.update(JSON.stringify(row) + '\n');
    }
    return { count, hash: hash.digest('hex') };
  }

  /** @internal */
  insertObservations(seq: number, batch: readonly ObservationInput[]): void {
    const putBlob = this.db.prepare('INSERT OR IGNORE INTO blobs (digest, json, size) VALUES (?, ?, ?)');
    const putObservation = this.db.prepare(
      'INSERT INTO observations (run_seq, instance_id, collector_id, kind, subject, digest, provenance, collected_at, attachment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    // Records of one API page share one provenance object: hash it once.
    const provenanceDigests = new Map<unknown, string>();
    const store = (value: unknown): string => {
      const json = canonicalJson(value);
      const digest = sha256Hex(json);
      putBlob.run(digest, json, Buffer.byteLength(json));
      return digest;
    };
    this.db.transaction(() => {
      for (const o of batch) {
        let provenance = provenanceDigests.get(o.provenance);
        if (!provenance) provenanceDigests.set(o.provenance, (provenance = store(o.provenance)));
        putObservation.run(seq, o.instanceId, o.collectorId, o.kind, o.subject, store(o.payload), provenance, o.collectedAt.toISOString(), o.attachment ?? null);
      }
    })();
  }

  /** @internal */
  insertOutcome(seq: number, o: OutcomeInput): void {
    this.db
      .prepare(
        `INSERT INTO outcomes (run_seq, instance_id, connector_type, collector_id, kind, status, record_count, error_code, error_message, started_at, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
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
  }

  /** @internal */
  insertCheckResults(seq: number, batch: readonly CheckResultInput[]): void {
    const putBlob = this.db.prepare('INSERT OR IGNORE INTO blobs (digest, json, size) VALUES (?, ?, ?)');
    const put = this.db.prepare(
      'INSERT INTO check_results (run_seq, check_id, instance_id, subject, status, message, as_of, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const evidenceDigests = new Map<unknown, string>();
    this.db.transaction(() => {
      for (const r of batch) {
        let digest = evidenceDigests.get(r.evidence);
        if (!digest) {
          const json = canonicalJson(r.evidence);
          digest = sha256Hex(json);
          putBlob.run(digest, json, Buffer.byteLength(json));
          evidenceDigests.set(r.evidence, digest);
        }
        put.run(seq, r.checkId, r.instanceId, r.subject, r.status, r.message, r.asOf.toISOString(), digest);
      }
    })();
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

  async records(kind: string, options: { until?: Date } = {}): Promise<StoredRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT r.id AS run_id, o.instance_id, o.collector_id, o.kind, o.subject, o.digest, o.provenance, o.collected_at, o.attachment, b.json
         FROM observations o JOIN runs r ON r.seq = o.run_seq JOIN blobs b ON b.digest = o.digest
         WHERE o.kind = ? AND o.collected_at <= ? ORDER BY o.collected_at, o.id`,
      )
      .all(kind, options.until?.toISOString() ?? '9999') as ObservationRow[];
    return rows.map(toRecord);
  }

  async collections(options: { since?: Date; until?: Date } = {}): Promise<StoredOutcome[]> {
    const rows = this.db
      .prepare(
        `SELECT o.*, r.id AS run_id FROM outcomes o JOIN runs r ON r.seq = o.run_seq
         WHERE o.status = 'collected' AND o.finished_at >= ? AND o.finished_at <= ? ORDER BY o.finished_at, o.id`,
      )
      .all(options.since?.toISOString() ?? '', options.until?.toISOString() ?? '9999') as OutcomeRow[];
    return rows.map(toOutcome);
  }

  async subjectDigests(outcome: StoredOutcome): Promise<{ subject: string; digest: string }[]> {
    return this.db
      .prepare(
        `SELECT o.subject, o.digest FROM observations o JOIN runs r ON r.seq = o.run_seq
         WHERE r.id = ? AND o.instance_id = ? AND o.kind = ? AND o.collector_id = ? ORDER BY o.id`,
      )
      .all(outcome.runId, outcome.instanceId, outcome.kind, outcome.collectorId) as { subject: string; digest: string }[];
  }

  async lastCheckRun(options: { before?: Date } = {}): Promise<{ runId: string; startedAt: string } | undefined> {
    const row = this.db
      .prepare(
        `SELECT r.id, r.started_at FROM runs r WHERE r.started_at < ? AND EXISTS (SELECT 1 FROM check_results c WHERE c.run_seq = r.seq)
         ORDER BY r.seq DESC LIMIT 1`,
      )
      .get(options.before?.toISOString() ?? '9999') as { id: string; started_at: string } | undefined;
    return row ? { runId: row.id, startedAt: row.started_at } : undefined;
  }

  async checkResults(options: { since?: Date; until?: Date } = {}): Promise<StoredCheckResult[]> {
    const rows = this.db
      .prepare(
        `SELECT r.id AS run_id, r.seq AS run_seq, r.started_at, c.check_id, c.instance_id, c.subject, c.status, c.message, c.as_of, c.evidence
         FROM check_results c JOIN runs r ON r.seq = c.run_seq
         WHERE r.started_at >= ? AND r.started_at <= ? ORDER BY r.seq, c.id`,
      )
      .all(options.since?.toISOString() ?? '', options.until?.toISOString() ?? '9999') as {
      run_id: string;
      run_seq: number;
      started_at: string;
      check_id: string;
      instance_id: string;
      subject: string;
      status: string;
      message: string;
      as_of: string;
      evidence: string;
    }[];
    return rows.map((r) => ({
      runId: r.run_id,
      runSeq: r.run_seq,
      recordedAt: r.started_at,
      checkId: r.check_id,
      instanceId: r.instance_id,
      subject: r.subject,
      status: r.status,
      message: r.message,
      asOf: r.as_of,
      evidenceDigest: r.evidence,
    }));
  }

  async latest(kind: string, options: { asOf?: Date; instanceId?: string } = {}): Promise<EvidenceSnapshot[]> {
    const summaries = (await this.kinds(options)).filter(
      (s) => s.kind === kind && (options.instanceId === undefined || s.instanceId === options.instanceId),
    );
    return summaries.map((s) => ({
      kind,
      instanceId: s.instanceId,
      latestOutcome: s.latestOutcome,
      ...(s.lastCollected ? { lastCollected: s.lastCollected } : {}),
      records: s.lastCollected ? this.recordsOf(s.lastCollected) : [],
    }));
  }

  private recordsOf(outcome: StoredOutcome & { runSeq?: number }): StoredRecord[] {
    const rows = this.db
      .prepare(
        `SELECT r.id AS run_id, o.instance_id, o.collector_id, o.kind, o.subject, o.digest, o.provenance, o.collected_at, o.attachment, b.json
         FROM observations o JOIN runs r ON r.seq = o.run_seq JOIN blobs b ON b.digest = o.digest
         WHERE r.id = ? AND o.instance_id = ? AND o.kind = ? AND o.collector_id = ? ORDER BY o.id`,
      )
      .all(outcome.runId, outcome.instanceId, outcome.kind, outcome.collectorId) as ObservationRow[];
    return rows.map(toRecord);
  }

  async history(kind: string, subject: string, options: { since?: Date; until?: Date } = {}): Promise<StoredRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT r.id AS run_id, o.instance_id, o.collector_id, o.kind, o.subject, o.digest, o.provenance, o.collected_at, o.attachment, b.json
         FROM observations o JOIN runs r ON r.seq = o.run_seq JOIN blobs b ON b.digest = o.digest
         WHERE o.kind = ? AND o.subject = ? AND o.collected_at >= ? AND o.collected_at <= ? ORDER BY o.collected_at, o.id`,
      )
      .all(kind, subject, options.since?.toISOString() ?? '', options.until?.toISOString() ?? '9999') as ObservationRow[];
    return rows.map(toRecord);
  }

  async kinds(options: { asOf?: Date } = {}): Promise<KindSummary[]> {
    const asOf = options.asOf?.toISOString() ?? '9999';
    // Newest outcome and newest successful outcome per (kind, instance, collector) as of the date.
    const rows = this.db
      .prepare(
        `SELECT o.*, r.id AS run_id FROM outcomes o JOIN runs r ON r.seq = o.run_seq
         WHERE o.finished_at <= ? AND o.id IN (
           SELECT MAX(id) FROM outcomes WHERE finished_at <= ? GROUP BY kind, instance_id, collector_id
           UNION
           SELECT MAX(id) FROM outcomes WHERE finished_at <= ? AND status = 'collected' GROUP BY kind, instance_id, collector_id)
         ORDER BY o.kind, o.instance_id, o.id`,
      )
      .all(asOf, asOf, asOf) as OutcomeRow[];
    const byKey = new Map<string, KindSummary>();
    for (const row of rows) {
      const key = `${row.kind}\u0000${row.instance_id}\u0000${row.collector_id}`;
      const outcome = toOutcome(row);
      const existing = byKey.get(key);
      // Rows come in id order: the last one seen is the newest.
      const summary: KindSummary = existing ?? { kind: row.kind, instanceId: row.instance_id, collectorId: row.collector_id, latestOutcome: outcome };
      summary.latestOutcome = outcome;
      if (outcome.status === 'collected') summary.lastCollected = outcome;
      byKey.set(key, summary);
    }
    return [...byKey.values()];
  }

  async runs(options: { limit?: number } = {}): Promise<RunInfo[]> {
    const rows = this.db
      .prepare(
        `SELECT r.*, s.status, s.finished_at, s.hash, s.prev_hash,
                (SELECT COUNT(*) FROM observations o WHERE o.run_seq = r.seq) AS observation_count
         FROM runs r LEFT JOIN run_seals s ON s.run_seq = r.seq ORDER BY r.seq DESC LIMIT ?`,
      )
      .all(options.limit ?? -1) as (RunRow & Partial<SealRow> & { observation_count: number })[];
    return rows.map(toRunInfo);
  }

  async run(id: string): Promise<RunDetail | undefined> {
    const rows = this.db
      .prepare(
        `SELECT r.*, s.status, s.finished_at, s.hash, s.prev_hash,
                (SELECT COUNT(*) FROM observations o WHERE o.run_seq = r.seq) AS observation_count
         FROM runs r LEFT JOIN run_seals s ON s.run_seq = r.seq WHERE r.id = ? OR r.id LIKE ? ORDER BY r.seq LIMIT 2`,
      )
      .all(id, `${id.replace(/[%_]/g, '')}%`) as (RunRow & Partial<SealRow> & { observation_count: number })[];
    const exact = rows.find((r) => r.id === id);
    const row = exact ?? (rows.length === 1 ? rows[0] : undefined);
    if (!row) return undefined;
    const outcomes = this.db
      .prepare('SELECT o.*, r.id AS run_id FROM outcomes o JOIN runs r ON r.seq = o.run_seq WHERE o.run_seq = ? ORDER BY o.id')
      .all(row.seq) as OutcomeRow[];
    return { ...toRunInfo(row), outcomes: outcomes.map(toOutcome) };
  }

  async blob(digest: string): Promise<unknown> {
    const row = this.db.prepare('SELECT json FROM blobs WHERE digest = ?').get(digest) as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as unknown) : undefined;
  }

  async verify(): Promise<VerifyReport> {
    const blobs = this.verifyBlobs();
    const files = this.verifyFiles();
    const chain = this.verifyChain();
    const problems = [...blobs.problems, ...files.problems, ...chain.problems];
    return {
      ok: problems.length === 0,
      blobsChecked: blobs.checked + files.checked,
      runsChecked: chain.runsChecked,
      ...(chain.headHash ? { headHash: chain.headHash } : {}),
      unsealedRuns: chain.unsealedRuns,
      problems,
    };
  }

  /** Where a blob is used: the runs and kinds (or check results) that reference it. */
  private blobUsers(digest: string): { run_id: string; seq: number; kind: string }[] {
    return this.db
      .prepare(
        `SELECT DISTINCT r.id AS run_id, r.seq, o.kind FROM observations o JOIN runs r ON r.seq = o.run_seq
         WHERE o.digest = ? OR o.provenance = ?
         UNION SELECT DISTINCT r.id, r.seq, 'check results' FROM check_results c JOIN runs r ON r.seq = c.run_seq WHERE c.evidence = ?
         ORDER BY 2`,
      )
      .all(digest, digest, digest) as { run_id: string; seq: number; kind: string }[];
  }

  /** Every blob must hash to its address, and every referenced blob must exist. */
  private verifyBlobs(): { checked: number; problems: VerifyProblem[] } {
    const problems: VerifyProblem[] = [];
    let checked = 0;
    for (const [digest, json] of this.db.prepare('SELECT digest, json FROM blobs').raw().iterate() as IterableIterator<[string, string]>) {
      checked++;
      if (sha256Hex(json) === digest) continue;
      const users = this.blobUsers(digest);
      if (users.length === 0) {
        problems.push({ problem: 'blob_hash_mismatch', digest, message: `blob ${digest.slice(0, 12)} does not match its hash (referenced by nothing)` });
      }
      for (const u of users) {
        problems.push({
          problem: 'blob_hash_mismatch',
          digest,
          runId: u.run_id,
          runSeq: u.seq,
          kind: u.kind,
          message: `payload ${digest.slice(0, 12)} of ${u.kind} in run ${u.run_id} was modified: its content no longer hashes to its address`,
        });
      }
    }
    const missing = this.db
      .prepare(
        `SELECT DISTINCT r.id AS run_id, r.seq, d.kind, d.digest FROM (
            SELECT run_seq, kind, digest FROM observations
            UNION ALL SELECT run_seq, kind, provenance FROM observations
            UNION ALL SELECT run_seq, 'check results', evidence FROM check_results) d
         JOIN runs r ON r.seq = d.run_seq
         LEFT JOIN blobs b ON b.digest = d.digest WHERE b.digest IS NULL ORDER BY r.seq`,
      )
      .all() as { run_id: string; seq: number; kind: string; digest: string }[];
    for (const m of missing) {
      problems.push({
        problem: 'blob_missing',
        digest: m.digest,
        runId: m.run_id,
        runSeq: m.seq,
        kind: m.kind,
        message: `payload ${m.digest.slice(0, 12)} of ${m.kind} in run ${m.run_id} is missing (blob row deleted)`,
      });
    }
    return { checked, problems };
  }

  /** Every stored file (manual evidence) must rebuild from its chunks to its address, and exist where referenced. */
  private verifyFiles(): { checked: number; problems: VerifyProblem[] } {
    const problems: VerifyProblem[] = [];
    let checked = 0;
    const attachedTo = (digest: string) =>
      this.db
        .prepare('SELECT DISTINCT r.id AS run_id, r.seq, o.kind FROM observations o JOIN runs r ON r.seq = o.run_seq WHERE o.attachment = ? ORDER BY r.seq')
        .all(digest) as { run_id: string; seq: number; kind: string }[];
    const getChunk = this.db.prepare('SELECT data FROM chunks WHERE digest = ?');
    for (const file of this.db.prepare('SELECT digest, size, chunks FROM files').all() as { digest: string; size: number; chunks: string }[]) {
      checked++;
      const whole = createHash('sha256');
      let size = 0;
      let fault: string | undefined;
      for (const chunkDigest of JSON.parse(file.chunks) as string[]) {
        const row = getChunk.get(chunkDigest) as { data: Buffer } | undefined;
        if (!row) {
          fault = `chunk ${chunkDigest.slice(0, 12)} is missing`;
          break;
        }
        whole.update(row.data);
        size += row.data.length;
      }
      if (!fault && (whole.digest('hex') !== file.digest || size !== file.size)) fault = 'its content no longer hashes to its address';
      if (!fault) continue;
      const users = attachedTo(file.digest);
      for (const u of users.length ? users : [undefined]) {
        problems.push({
          problem: 'file_hash_mismatch',
          digest: file.digest,
          ...(u ? { runId: u.run_id, runSeq: u.seq, kind: u.kind } : {}),
          message: `file ${file.digest.slice(0, 12)}${u ? ` of ${u.kind} in run ${u.run_id}` : ''} was modified: ${fault}`,
        });
      }
    }
    const orphans = this.db
      .prepare(
        `SELECT DISTINCT r.id AS run_id, r.seq, o.kind, o.attachment FROM observations o JOIN runs r ON r.seq = o.run_seq
         LEFT JOIN files f ON f.digest = o.attachment WHERE o.attachment IS NOT NULL AND f.digest IS NULL`,
      )
      .all() as { run_id: string; seq: number; kind: string; attachment: string }[];
    for (const o of orphans) {
      problems.push({
        problem: 'file_missing',
        digest: o.attachment,
        runId: o.run_id,
        runSeq: o.seq,
        kind: o.kind,
        message: `file ${o.attachment.slice(0, 12)} of ${o.kind} in run ${o.run_id} is missing (file row deleted)`,
      });
    }
    return { checked, problems };
  }

  /** Each seal must match its run's content and link to the previous seal; no run may be missing. */
  private verifyChain(): { runsChecked: number; headHash?: string; unsealedRuns: string[]; problems: VerifyProblem[] } {
    const problems: VerifyProblem[] = [];
    const runsBySeq = new Map<number, RunRow>();
    for (const run of this.db.prepare('SELECT * FROM runs ORDER BY seq').all() as RunRow[]) runsBySeq.set(run.seq, run);
    const seals = this.db.prepare('SELECT * FROM run_seals ORDER BY run_seq').all() as SealRow[];
    const sealedSeqs = new Set(seals.map((s) => s.run_seq));
    let prevHash = genesisHash;
    let prevSeq = 0;
    let runsChecked = 0;
    for (const seal of seals) {
      runsChecked++;
      const run = runsBySeq.get(seal.run_seq);
      const label = run?.id ?? `#${seal.run_seq}`;
      for (let gap = prevSeq + 1; gap < seal.run_seq; gap++) {
        if (!runsBySeq.has(gap)) {
          problems.push({ problem: 'run_missing', runSeq: gap, message: `run #${gap} is missing between runs #${prevSeq} and #${seal.run_seq} (deleted)` });
        } else if (!sealedSeqs.has(gap)) {
          problems.push({ problem: 'seal_missing', runSeq: gap, runId: runsBySeq.get(gap)!.id, message: `run ${runsBySeq.get(gap)!.id} has no seal although later runs do (seal deleted)` });
        }
      }
      if (seal.prev_hash !== prevHash) {
        problems.push({
          problem: 'chain_broken',
          runId: label,
          runSeq: seal.run_seq,
          message: `run ${label} does not link to the run before it (a run was deleted, reordered or re-sealed)`,
        });
      }
      if (!run) {
        problems.push({ problem: 'run_missing', runSeq: seal.run_seq, message: `run #${seal.run_seq} has a seal but its run row was deleted` });
      } else {
        let manifest: RunManifest | undefined;
        try {
          manifest = JSON.parse(seal.manifest) as RunManifest;
        } catch {
          manifest = undefined;
        }
        if (!manifest || runHash(seal.prev_hash, run, manifest) !== seal.hash) {
          problems.push({ problem: 'run_hash_mismatch', runId: run.id, runSeq: run.seq, message: `seal of run ${run.id} does not match its hash (run header or seal edited)` });
        } else if (seal.status !== manifest.status || seal.finished_at !== manifest.finishedAt) {
          // `runs()` shows these columns; only their copies in the manifest are hashed.
          problems.push({
            problem: 'run_hash_mismatch',
            runId: run.id,
            runSeq: run.seq,
            message: `seal of run ${run.id} says ${seal.status} at ${seal.finished_at} but its hashed manifest says ${manifest.status} at ${manifest.finishedAt} (seal edited)`,
          });
        }
        if (manifest) problems.push(...this.compareContent(run, manifest));
      }
      prevHash = seal.hash;
      prevSeq = seal.run_seq;
    }
    const unsealed = [...runsBySeq.values()].filter((r) => !sealedSeqs.has(r.seq) && r.seq > prevSeq).map((r) => r.id);
    return { runsChecked, ...(seals.length ? { headHash: prevHash } : {}), unsealedRuns: unsealed, problems };
  }

  private compareContent(run: RunRow, manifest: RunManifest): VerifyProblem[] {
    const problems: VerifyProblem[] = [];
    const actual = this.hashRunContent(run.seq);
    const kinds = new Set([...Object.keys(actual.kinds), ...Object.keys(manifest.kinds ?? {})]);
    for (const kind of [...kinds].sort()) {
      const sealed = manifest.kinds?.[kind];
      const found = actual.kinds[kind];
      if (sealed?.hash === found?.hash) continue;
      const detail =
        (found?.count ?? 0) < (sealed?.count ?? 0)
          ? `${sealed!.count - (found?.count ?? 0)} observation(s) deleted`
          : (found?.count ?? 0) > (sealed?.count ?? 0)
            ? `${(found?.count ?? 0) - (sealed?.count ?? 0)} observation(s) added`
            : 'observations edited or reordered';
      problems.push({
        problem: 'observations_changed',
        runId: run.id,
        runSeq: run.seq,
        kind,
        message: `observations of ${kind} in run ${run.id} differ from the seal: ${detail}`,
      });
    }
    if (actual.checks.hash !== manifest.checks?.hash) {
      problems.push({
        problem: 'check_results_changed',
        runId: run.id,
        runSeq: run.seq,
        message: `check results of run ${run.id} differ from the seal (${actual.checks.count} stored, ${manifest.checks?.count ?? 0} sealed)`,
      });
    }
    if (actual.outcomes.hash !== manifest.outcomes?.hash) {
      problems.push({
        problem: 'outcomes_changed',
        runId: run.id,
        runSeq: run.seq,
        message: `collector outcomes of run ${run.id} differ from the seal (${actual.outcomes.count} stored, ${manifest.outcomes?.count ?? 0} sealed)`,
      });
    }
    return problems;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

class SqliteRunWriter implements RunWriter {
  private done = false;
  constructor(
    private readonly store: SqliteEvidenceStore,
    private readonly seq: number,
    readonly runId: string,
    private readonly lock: WriterLock,
  ) {}

  async addObservations(batch: readonly ObservationInput[]): Promise<void> {
    this.assertOpen();
    this.store.insertObservations(this.seq, batch);
  }

  async addOutcome(outcome: OutcomeInput): Promise<void> {
    this.assertOpen();
    this.store.insertOutcome(this.seq, outcome);
  }

  async addFile(content: AsyncIterable<Uint8Array>): Promise<StoredFile> {
    this.assertOpen();
    return this.store.insertFile(content);
  }

  async addCheckResults(batch: readonly CheckResultInput[]): Promise<void> {
    this.assertOpen();
    this.store.insertCheckResults(this.seq, batch);
  }

  async finish(status: Exclude<RunStatus, 'incomplete'>, finishedAt: Date): Promise<RunInfo> {
    this.assertOpen();
    try {
      this.store.seal(this.seq, status, finishedAt.toISOString());
    } finally {
      this.done = true;
      this.lock.release();
    }
    return (await this.store.run(this.runId)) as RunInfo;
  }

  async abandon(): Promise<void> {
    this.done = true;
    this.lock.release();
  }

  private assertOpen(): void {
    if (this.done) throw new Error(`run ${this.runId} is already finished`);
  }
}

/** The chain hash of a run: previous hash, the run header and the manifest, as canonical JSON. */
export function runHash(prevHash: string, run: RunRow, manifest: RunManifest): string {
  return sha256Hex(
    canonicalJson({
      prev: prevHash,
      run: { seq: run.seq, id: run.id, startedAt: run.started_at, command: run.command, toolVersion: run.tool_version },
      manifest,
    }),
  );
}

function newRunId(startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

function toRecord(row: ObservationRow): StoredRecord {
  return {
    runId: row.run_id,
    instanceId: row.instance_id,
    collectorId: row.collector_id,
    kind: row.kind,
    subject: row.subject,
    digest: row.digest,
    payload: JSON.parse(row.json) as unknown,
    collectedAt: row.collected_at,
    provenanceDigest: row.provenance,
    attachment: row.attachment,
  };
}

function toOutcome(row: OutcomeRow): StoredOutcome {
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
  };
}

function toRunInfo(row: RunRow & Partial<SealRow> & { observation_count: number }): RunInfo {
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
