import type { RequestRef } from '../src/core/connector.js';

/**
 * The evidence store contract. Everything above storage talks to this interface only, so a
 * server database (PostgreSQL) can implement it later without changes elsewhere; that is why the
 * methods are async even though the SQLite implementation is synchronous underneath. A backend is
 * done when it passes the conformance suite (`test/storage/conformance.ts`).
 *
 * The store never interprets evidence: it keeps payloads content-addressed, records who saw what
 * when, seals runs into a hash chain, and answers "what was the latest evidence as of date X".
 *
 * Store v2 model (how a backend keeps it cheap, not something callers see): each collection (one
 * run, one collector of one connector instance) is a **tree**, the sorted list of
 * (subject, payload digest, request pointers) rows, addressed by the sha256 of its canonical JSON.
 * An unchanged collection has the same tree digest as the day before and stores only a reference.
 * The requests a collection made are kept once per collection ({@link CollectionProvenance}).
 * Check results are trees too. Each run's seal covers the tree digests, so the hash chain still
 * commits to every record. History reads ({@link EvidenceStore.history},
 * {@link EvidenceStore.population}, {@link EvidenceStore.changesBetween}) cost time in proportion
 * to what they return, not to the number of runs kept.
 */
export interface EvidenceStore {
  /** Opens a run for writing. Seals runs that an earlier crash left open as `incomplete` first. */
  startRun(meta: RunMeta): Promise<RunWriter>;
  /** The latest collection of a kind per connector instance as of a date (default: now). */
  latest(kind: string, options?: { asOf?: Date; instanceId?: string }): Promise<EvidenceSnapshot[]>;
  /**
   * Every observation of one subject of a kind, oldest first: one record per collection that held
   * the subject (an unchanged subject appears once per run, with the same digest). `since`/`until`
   * bound the records' `collectedAt`.
   */
  history(kind: string, subject: string, options?: { since?: Date; until?: Date }): Promise<StoredRecord[]>;
  /** Kinds with their newest outcome per instance, as of a date. */
  kinds(options?: { asOf?: Date }): Promise<KindSummary[]>;
  /** Runs, newest first. */
  runs(options?: { limit?: number }): Promise<RunInfo[]>;
  /** One run with its outcomes, by id or by a unique id prefix. */
  run(id: string): Promise<RunDetail | undefined>;
  /** A stored blob's JSON value, by digest. */
  blob(digest: string): Promise<unknown>;
  /** Every observation of a kind (across runs) up to a date, oldest first: accumulating evidence such as manual files. */
  records(kind: string, options?: { until?: Date }): Promise<StoredRecord[]>;
  /** Successful collections (outcomes) finished in a window, oldest first, for change detection. */
  collections(options?: { since?: Date; until?: Date }): Promise<StoredOutcome[]>;
  /** Subject and payload digest of every record of a collection, by subject (cheap: no payloads are read). */
  subjectDigests(outcome: StoredOutcome): Promise<{ subject: string; digest: string }[]>;
  /** Recorded check results of runs started in a window, in run order (within a run: per evaluation, by subject). */
  checkResults(options?: { since?: Date; until?: Date }): Promise<StoredCheckResult[]>;
  /** The newest run that recorded check results, started before a date (default: ever). */
  lastCheckRun(options?: { before?: Date }): Promise<{ runId: string; startedAt: string } | undefined>;
  /** Streams a stored file's bytes (manual evidence), verifying each chunk as it is read. */
  readFile(digest: string): AsyncIterable<Uint8Array>;
  /**
   * The population of a kind over a period, the set an auditor samples from: every distinct
   * record (subject and payload digest) that any successful collection finished within
   * `[since, until]` held, once, with the first and last collection in the period that held it.
   * A merged pull request seen on any day of the period is in it; a member whose record changed
   * mid-period appears once per version. Ordered by instance, subject, then first seen.
   * Costs time in proportion to the population (plus the collections in the period), not to the
   * runs kept.
   */
  population(kind: string, options: { since: Date; until: Date; instanceId?: string }): Promise<PopulationRecord[]>;
  /**
   * What changed in the evidence between two runs: for every collector stream (kind, instance,
   * collector), the records of its newest successful collection as of run `fromRunId` against
   * those as of run `toRunId` (ids or unique prefixes; `fromRunId` before `toRunId`). Streams whose
   * tree digest did not change cost nothing; the rest cost in proportion to what changed.
   * Ordered by kind, instance, subject. Throws when a run id is unknown.
   */
  changesBetween(fromRunId: string, toRunId: string, options?: { kind?: string }): Promise<RecordChange[]>;
  /**
   * The API requests one stored record came from (method, URL, status, the API's request id,
   * time), resolved from its collection's compact provenance. Empty for records without requests
   * (manual evidence).
   */
  requestsOf(record: StoredRecord): Promise<RequestRef[]>;
  /** Re-hashes every blob and walks the run chain. Read-only. */
  verify(): Promise<VerifyReport>;
  /** Where the store is, safe to print: a file path, or a database URL with its password redacted. */
  readonly location: string;
  /** Runs written by several processes; undefined for single-writer backends (SQLite). */
  readonly sharedRuns?: SharedRuns;
  close(): Promise<void>;
}

/** Describes the process that starts a run. */
export interface RunMeta {
  /** The command line that started it (`collect --only github-acme`), for the audit trail. */
  command: string;
  toolVersion: string;
  startedAt: Date;
}

/** Where a record came from: the tool and the API calls. Stored content-addressed with the observation. */
export interface Provenance {
  tool: string;
  connectorType: string;
  requests: readonly RequestRef[];
}

/** One record to store. */
export interface ObservationInput {
  instanceId: string;
  collectorId: string;
  kind: string;
  subject: string;
  payload: unknown;
  collectedAt: Date;
  provenance: Provenance;
  /** sha256 of a file stored with {@link RunWriter.addFile} that this record describes. */
  attachment?: string;
}

/** A collector run's end: `collected` with a count, or `failed` with a stable code. */
export interface OutcomeInput {
  instanceId: string;
  connectorType: string;
  collectorId: string;
  kind: string;
  status: 'collected' | 'failed';
  recordCount: number;
  errorCode?: string;
  /** Already redacted. */
  errorMessage?: string;
  startedAt: Date;
  finishedAt: Date;
}

/** How a run ended. `incomplete` is set by the store for runs a crash left open. */
export type RunStatus = 'complete' | 'partial' | 'failed' | 'incomplete';

/** A check result to record, tied to the evidence it read. */
export interface CheckResultInput {
  checkId: string;
  instanceId: string;
  subject: string;
  status: string;
  message: string;
  /** The date the evidence was judged as of. */
  asOf: Date;
  /** What was read: kinds, runs and payload digests (stored content-addressed). */
  evidence: unknown;
}

/** A recorded check result. */
export interface StoredCheckResult {
  runId: string;
  runSeq: number;
  /** When the check run started. */
  recordedAt: string;
  checkId: string;
  instanceId: string;
  subject: string;
  status: string;
  message: string;
  asOf: string;
  evidenceDigest: string;
}

/** A file stored in chunks (manual evidence), addressed by its sha256. */
export interface StoredFile {
  digest: string;
  size: number;
}

/** Writes one run. Each call is atomic; `finish` seals the run into the chain. */
export interface RunWriter {
  readonly runId: string;
  addObservations(batch: readonly ObservationInput[]): Promise<void>;
  /**
   * Streams a file into the store in content-addressed chunks, in one transaction (a crash or a
   * read error leaves nothing behind), and returns its sha256. Memory stays flat for large files.
   */
  addFile(content: AsyncIterable<Uint8Array>): Promise<StoredFile>;
  addCheckResults(batch: readonly CheckResultInput[]): Promise<void>;
  /**
   * Ends a collector's collection. `last`: its records not yet written (of that collector), written
   * with the outcome in one step, so a store need not park them as waiting records first.
   */
  addOutcome(outcome: OutcomeInput, last?: readonly ObservationInput[]): Promise<void>;
  finish(status: Exclude<RunStatus, 'incomplete'>, finishedAt: Date): Promise<RunInfo>;
  /** Releases the writer lock without sealing (the next start seals the run as incomplete). */
  abandon(): Promise<void>;
}

/** A stored observation with its payload. */
export interface StoredRecord {
  runId: string;
  instanceId: string;
  collectorId: string;
  kind: string;
  subject: string;
  digest: string;
  payload: unknown;
  /** When the record's collection wrote it (store v2: the collection's last record time). */
  collectedAt: string;
  /**
   * Digest of the provenance of the record's collection ({@link CollectionProvenance}, readable
   * with {@link EvidenceStore.blob}); {@link EvidenceStore.requestsOf} resolves the record's own requests.
   */
  provenanceDigest: string;
  attachment: string | null;
}

/**
 * The requests of one collection, kept once (store v2): request templates (method and URL,
 * identical from day to day, so stored once) in a blob of their own, and per collection only what
 * differs each day: status, the API's request id and time. A record points at its requests by
 * index into `templates.requests`.
 */
export interface CollectionProvenance {
  tool: string;
  connectorType: string;
  /** Digest of a blob `{ requests: [method, url][] }`, sorted. */
  templates: string;
  /** Time of the first response. */
  at: string | null;
  /** Status per request, run-length encoded: `[status, count][]`. */
  statuses: [number, number][];
  /** The API's request id per request (null when it sent none). */
  requestIds: (string | null)[];
  /** Per request, milliseconds after the request before it (the first: after `at`). */
  offsetsMs: number[];
}

/** A collector outcome as stored. */
export interface StoredOutcome extends Omit<OutcomeInput, 'startedAt' | 'finishedAt'> {
  runId: string;
  startedAt: string;
  finishedAt: string;
  /** Digest of the collection's record tree (store v2), when it stored any record. */
  tree?: string;
}

/** One distinct record of a population ({@link EvidenceStore.population}). */
export interface PopulationRecord {
  kind: string;
  instanceId: string;
  collectorId: string;
  subject: string;
  digest: string;
  payload: unknown;
  attachment: string | null;
  /** The first collection in the period that held this version of the record. */
  firstSeen: { runId: string; at: string };
  /** The last collection in the period that held it. */
  lastSeen: { runId: string; at: string };
}

/** One subject that differs between two runs ({@link EvidenceStore.changesBetween}). */
export interface RecordChange {
  kind: string;
  instanceId: string;
  collectorId: string;
  subject: string;
  change: 'appeared' | 'disappeared' | 'changed';
  /** Payload digest as of the earlier run (null when absent). */
  before: string | null;
  /** Payload digest as of the later run (null when absent). */
  after: string | null;
}

/** The latest collection of one kind from one connector instance. */
export interface EvidenceSnapshot {
  kind: string;
  instanceId: string;
  /** The newest outcome as of the date; when it failed, `records` come from `lastCollected`. */
  latestOutcome: StoredOutcome;
  /** The newest successful collection as of the date, if any. */
  lastCollected?: StoredOutcome;
  /** Records of `lastCollected` (empty when there is none), ordered by subject (store v2: the tree's order, not the collector's). */
  records: StoredRecord[];
}

export interface KindSummary {
  kind: string;
  instanceId: string;
  collectorId: string;
  latestOutcome: StoredOutcome;
  lastCollected?: StoredOutcome;
}

export interface RunInfo {
  id: string;
  seq: number;
  command: string;
  toolVersion: string;
  startedAt: string;
  /** `running` while open (or crashed and not yet sealed). */
  status: RunStatus | 'running';
  finishedAt?: string;
  hash?: string;
  prevHash?: string;
  observationCount: number;
}

export interface RunDetail extends RunInfo {
  outcomes: StoredOutcome[];
}

/** One thing `verify` found wrong, located by run and kind where it can be. */
export interface VerifyProblem {
  problem:
    | 'blob_hash_mismatch'
    | 'blob_missing'
    | 'observations_changed'
    | 'outcomes_changed'
    | 'run_hash_mismatch'
    | 'chain_broken'
    | 'run_missing'
    | 'seal_missing'
    | 'file_hash_mismatch'
    | 'file_missing'
    | 'check_results_changed'
    | 'worker_log_changed'
    | 'tree_hash_mismatch'
    | 'tree_missing'
    | 'legacy_index_mismatch';
  message: string;
  runId?: string;
  runSeq?: number;
  kind?: string;
  digest?: string;
}

export interface VerifyReport {
  ok: boolean;
  blobsChecked: number;
  runsChecked: number;
  /** Hash of the newest sealed run: record it elsewhere to detect a rewritten history. */
  headHash?: string;
  /** Runs open right now or left open by a crash (sealed as incomplete by the next write). */
  unsealedRuns: string[];
  problems: VerifyProblem[];
}

/**
 * Runs written by several processes at once (distributed collection with `annexa worker`). A
 * backend with one writer per store (SQLite) leaves {@link EvidenceStore.sharedRuns} undefined.
 *
 * A shared run is split into units, each written by one process at a time through
 * {@link SharedRuns.beginUnit}: a connector instance (`github-acme`), or one part of an instance
 * its connector splits (`aws-prod/111122223333`, one AWS account). A part's outcomes are kept per
 * (run, unit, collector), exactly once; when every unit has ended, the parts of an instance are
 * merged into one collection and outcome per (run, instance, collector), as a single process
 * would have written them (a failed part makes the merged outcome partial). The seal commits to
 * the worker log and the part outcomes too, so `verify` detects an edited log.
 *
 * A shared run is never sealed as interrupted by another run starting; it is sealed exactly once,
 * by whichever {@link SharedRuns.endUnit} ends its last unit, with the status its outcomes give (`complete`, `partial` when any collector failed
 * or a unit gave up, `failed` when nothing collected).
 */
export interface SharedRuns {
  /**
   * Opens a run split into `units`. While a shared run over the same units is still open, returns
   * that one instead (`created: false`): two schedulers firing at once make one run. `enqueue`
   * runs in the transaction that creates the run, so a run exists exactly when its jobs do.
   */
  create(meta: RunMeta, units: readonly string[], enqueue?: EnqueueInTransaction): Promise<{ runId: string; created: boolean }>;
  /**
   * Starts an attempt at a unit in this process: records which worker runs it, drops records an
   * earlier attempt left without an outcome, and returns a writer (whose `finish` is not used:
   * {@link SharedRuns.endUnit} seals) with the `instance/collector` keys that already have an
   * outcome in this run (for a part: in this part), which a retried attempt must skip (evidence
   * exactly once per run, instance or part, and collector; the store rejects a second outcome besides).
   */
  beginUnit(runId: string, unit: string, worker: string, attempt: number): Promise<{ writer: RunWriter; done: ReadonlySet<string> }>;
  /**
   * Ends an attempt: `ended` (ran to the end), `gave_up` (no more attempts; the run will be
   * partial), or `released` (a worker shutting down handed the unit back: another attempt follows).
   * When every unit has ended or given up, seals the run and returns it. An end after the seal
   * changes nothing (the sealed log is final) and returns the sealed run.
   */
  endUnit(runId: string, unit: string, worker: string, attempt: number, result: 'ended' | 'gave_up' | 'released', at: Date): Promise<RunInfo | undefined>;
  /** Which worker ran which unit, attempt by attempt (a retry shows as attempt 2). */
  jobs(runId: string): Promise<RunJob[]>;
  /** Units of open shared runs that have neither ended nor given up (for a reaper to check against its queue). */
  unfinishedUnits(): Promise<{ runId: string; unit: string }[]>;
}

/** One attempt at a unit of a shared run. */
export interface RunJob {
  unit: string;
  worker: string;
  attempt: number;
  startedAt: string;
  /** `ended`, `gave_up` or `released`; absent while running, or when the worker died. */
  result?: string;
  endedAt?: string;
}

/** Adds a shared run's jobs to a queue inside the transaction that creates the run. */
export type EnqueueInTransaction = (tx: { query(sql: string, params: unknown[]): Promise<unknown> }, runId: string) => Promise<void>;
