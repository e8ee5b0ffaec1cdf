import pg from 'pg';
import { lockKey } from './postgres-schema.js';
import { hashRows } from './postgres-hash.js';
import { newRunId, type OutcomeRow } from './sqlite-store.js';
import { PostgresRunWriter, outcomeValues, type PostgresEvidenceStore, type Queryable } from './postgres-store.js';
import type {
  CheckResultInput,
  EnqueueInTransaction,
  ObservationInput,
  OutcomeInput,
  RunInfo,
  RunJob,
  RunMeta,
  RunStatus,
  RunWriter,
  SharedRuns,
  StoredFile,
} from './evidence-store.js';

/**
 * {@link SharedRuns} on PostgreSQL: runs written by several worker processes. `shared_runs` holds a
 * run's units; `run_jobs` records each attempt's start and end (who ran what). The run is sealed
 * by whichever unit ends last, under the store's chain lock, so exactly once; the seal commits to
 * the worker log and the per-unit outcomes as well ({@link hashSharedRunContent}), so `verify`
 * detects an edited log.
 *
 * A unit is a connector instance (`github-acme`) or one part of a split instance
 * (`aws-prod/111122223333`, one AWS account). A part's records wait in `pending` under the unit's
 * name and its outcomes go to `unit_outcomes` (once per run, unit and collector), so a retried
 * part drops only its own unfinished records. When every unit has ended, the parts of an instance
 * are merged into the one collection and outcome per (run, instance, collector) that a single
 * process would have written: readers and checks cannot tell how the evidence was collected.
 *
 * The worker log and unit outcomes only grow while the run is open: each append holds the run's
 * advisory lock shared and checks the run is not sealed; the sealer takes it exclusively, so no
 * append lands after the seal has hashed the log.
 */
export class PostgresSharedRuns implements SharedRuns {
  constructor(private readonly store: PostgresEvidenceStore) {}

  async create(meta: RunMeta, units: readonly string[], enqueue?: EnqueueInTransaction): Promise<{ runId: string; created: boolean }> {
    const key = JSON.stringify([...units].sort());
    return this.store.tx(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(${lockKey('run', 0)})`);
      const [open] = await this.store.rows<{ id: string }>(
        `SELECT r.id FROM shared_runs x JOIN runs r ON r.seq = x.run_seq LEFT JOIN run_seals s ON s.run_seq = x.run_seq
         WHERE s.run_seq IS NULL AND x.units = $1 ORDER BY x.run_seq DESC LIMIT 1`,
        [key],
        client,
      );
      if (open) return { runId: open.id, created: false };
      const id = newRunId(meta.startedAt);
      const [run] = await this.store.rows<{ seq: number }>('INSERT INTO runs (id, started_at, command, tool_version) VALUES ($1, $2, $3, $4) RETURNING seq', [
        id,
        meta.startedAt.toISOString(),
        meta.command,
        meta.toolVersion,
      ], client);
      await client.query('INSERT INTO shared_runs (run_seq, units, created_at) VALUES ($1, $2, $3)', [run!.seq, key, new Date().toISOString()]);
      await enqueue?.(client, id);
      return { runId: id, created: true };
    });
  }

  /** Seq and units of the shared runs this process has seen: both are fixed when the run is created. */
  private readonly known = new Map<string, { seq: number; units: string[] }>();

  /**
   * A shared run's seq and units, read once per run and process (every job begins and ends with
   * it). Whether the run is sealed is not remembered: each append checks it under the run's lock.
   */
  private async shared(runId: string): Promise<{ seq: number; units: string[] }> {
    const known = this.known.get(runId);
    if (known) return known;
    const [row] = await this.store.rows<{ seq: number; units: string }>(
      'SELECT r.seq, x.units FROM runs r JOIN shared_runs x ON x.run_seq = r.seq WHERE r.id = $1',
      [runId],
    );
    if (!row) throw new Error(`no shared run ${runId}`);
    const run = { seq: row.seq, units: JSON.parse(row.units) as string[] };
    // A long-lived worker sees a run a day: the few newest are enough.
    if (this.known.size >= 16) this.known.delete(this.known.keys().next().value!);
    this.known.set(runId, run);
    return run;
  }

  /**
   * Appends to an open run's log in one round trip (a worker appends at the start and the end of
   * every unit): BEGIN, the run's lock (shared), the seal check, `statement`, COMMIT, then `after`.
   * Each statement takes its own snapshot: the check sees a seal committed while this waited for
   * the lock, and `after` sees this commit. `statement` has no parameters (values go in as
   * {@link literal}s) and must write nothing when the run is sealed (guard it with {@link open}).
   */
  private async appendAtOnce(seq: number, runId: string, statement: string, after?: string): Promise<{ appended: pg.QueryResult; after?: pg.QueryResult }> {
    const results = await this.store.simple([
      'BEGIN',
      `SELECT pg_advisory_xact_lock_shared(${lockKey('run', seq)})`,
      `SELECT 1 FROM run_seals WHERE run_seq = ${literal(seq)}`,
      statement,
      'COMMIT',
      ...(after ? [after] : []),
    ]);
    if (results[2]!.rows.length > 0) throw new SharedRunSealedError(`shared run ${runId} is already sealed`);
    return { appended: results[3]!, ...(after ? { after: results[5]! } : {}) };
  }

  async beginUnit(runId: string, unit: string, worker: string, attempt: number): Promise<{ writer: RunWriter; done: ReadonlySet<string> }> {
    const run = await this.shared(runId);
    if (!run.units.includes(unit)) throw new Error(`shared run ${runId} has no unit ${unit}`);
    const instanceId = unitInstance(unit);
    const part = unit !== instanceId;
    // The start in the worker log, the clean-up and the collectors already done in one statement
    // (its parts see the same snapshot: none reads what another writes).
    const [seq, unitLiteral] = [literal(run.seq), literal(unit)];
    const { appended } = await this.appendAtOnce(
      run.seq,
      runId,
      `WITH started AS (INSERT INTO run_jobs (run_seq, unit, worker, attempt, event, at)
         SELECT ${seq}, ${unitLiteral}, ${literal(worker)}, ${literal(attempt)}, 'started', ${literal(new Date().toISOString())} WHERE ${open(run.seq)}),
       -- Records an earlier attempt wrote without reaching an outcome are collected again. A part's
       -- records wait under the unit's name until the merge, also those of collectors that ended.
       dropped AS (DELETE FROM pending p WHERE p.run_seq = ${seq} AND p.instance_id = ${unitLiteral} AND ${open(run.seq)}
         AND NOT EXISTS (SELECT 1 FROM unit_outcomes o WHERE o.run_seq = p.run_seq AND o.unit = p.instance_id AND o.collector_id = p.collector_id AND o.kind = p.kind))
       ${part
         ? `SELECT instance_id || '/' || collector_id AS key FROM unit_outcomes WHERE run_seq = ${seq} AND unit = ${unitLiteral}`
         : `SELECT instance_id || '/' || collector_id AS key FROM outcomes WHERE run_seq = ${seq} AND instance_id = ${unitLiteral}`}`,
    );
    const done = appended.rows as { key: string }[];
    const writer = new PostgresRunWriter(this.store, run.seq, runId, undefined);
    return { writer: part ? new UnitPartWriter(writer, this.store, run.seq, unit, (statement) => this.appendAtOnce(run.seq, runId, statement)) : writer, done: new Set(done.map((d) => d.key)) };
  }

  async endUnit(runId: string, unit: string, worker: string, attempt: number, result: 'ended' | 'gave_up' | 'released', at: Date): Promise<RunInfo | undefined> {
    const run = await this.shared(runId);
    let endedRows: pg.QueryResult | undefined;
    try {
      ({ after: endedRows } = await this.appendAtOnce(
        run.seq,
        runId,
        `INSERT INTO run_jobs (run_seq, unit, worker, attempt, event, detail, at)
         SELECT ${literal(run.seq)}, ${literal(unit)}, ${literal(worker)}, ${literal(attempt)}, 'ended', ${literal(result)}, ${literal(at.toISOString())} WHERE ${open(run.seq)}`,
        // After the commit, in its own snapshot: of two workers ending the last two units at once, the later one sees both.
        result === 'released'
          ? undefined
          : `SELECT unit, bool_and(detail = 'gave_up') AS gave_up FROM run_jobs WHERE run_seq = ${literal(run.seq)} AND event = 'ended' AND detail IN ('ended', 'gave_up') GROUP BY unit`,
      ));
    } catch (error) {
      // Sealed meanwhile (a worker presumed dead ends late): the sealed log stays as it was.
      if (error instanceof SharedRunSealedError) return this.store.run(runId);
      throw error;
    }
    if (result === 'released') return undefined;
    const ended = endedRows!.rows as { unit: string; gave_up: boolean }[];
    if (!run.units.every((u) => ended.some((e) => e.unit === u))) return undefined;
    await this.mergeParts(run.seq, run.units);
    const outcomes = await this.store.rows<{ status: string; error_code: string | null }>('SELECT status, error_code FROM outcomes WHERE run_seq = $1', [run.seq]);
    const failed = outcomes.filter((o) => o.status === 'failed').length;
    // A collected outcome with an error code lost part of its scope (an AWS account): partial, as in runCollection.
    const partly = outcomes.some((o) => o.status === 'collected' && o.error_code !== null);
    const status: RunStatus =
      outcomes.length === 0 || failed === outcomes.length ? 'failed' : failed > 0 || partly || ended.some((e) => e.gave_up) ? 'partial' : 'complete';
    await this.store.sealAt(run.seq, status, at.toISOString(), async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(${lockKey('run', run.seq)})`);
      return hashSharedRunContent(client, run.seq);
    });
    return this.store.run(runId);
  }

  /**
   * Merges the parts of each split instance (every unit has ended): their waiting records move to
   * the instance, and each collector gets one outcome from its parts' outcomes. Idempotent (two
   * workers ending the last units at once): a collector with an outcome is skipped.
   */
  private async mergeParts(seq: number, units: readonly string[]): Promise<void> {
    const parts = units.filter((u) => unitInstance(u) !== u);
    if (parts.length === 0) return;
    await this.store.tx(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(${lockKey('run', seq)})`);
      const [sealed] = await this.store.rows('SELECT 1 FROM run_seals WHERE run_seq = $1', [seq], client);
      if (sealed) return;
      for (const instanceId of [...new Set(parts.map(unitInstance))]) {
        const ofInstance = parts.filter((u) => unitInstance(u) === instanceId);
        // In unit order, so the merged records' order does not depend on which account ended first.
        await client.query(
          `INSERT INTO pending (run_seq, instance_id, collector_id, kind, tool, connector_type, record_count, data)
           SELECT run_seq, $2, collector_id, kind, tool, connector_type, record_count, data FROM pending WHERE run_seq = $1 AND instance_id = ANY($3::text[]) ORDER BY instance_id, id`,
          [seq, instanceId, ofInstance],
        );
        await client.query('DELETE FROM pending WHERE run_seq = $1 AND instance_id = ANY($2::text[])', [seq, ofInstance]);
        const rows = await this.store.rows<UnitOutcomeRow>(
          'SELECT unit, connector_type, collector_id, kind, status, record_count, error_code, error_message, started_at, finished_at FROM unit_outcomes WHERE run_seq = $1 AND instance_id = $2 ORDER BY unit, id',
          [seq, instanceId],
          client,
        );
        const merged = await this.store.rows<{ collector_id: string }>('SELECT collector_id FROM outcomes WHERE run_seq = $1 AND instance_id = $2', [seq, instanceId], client);
        const collectors = [...new Set(rows.map((r) => `${r.collector_id}\u0000${r.kind}`))];
        for (const key of collectors) {
          const ofCollector = rows.filter((r) => `${r.collector_id}\u0000${r.kind}` === key);
          if (merged.some((m) => m.collector_id === ofCollector[0]!.collector_id)) continue;
          await this.store.insertOutcome(seq, mergeUnitOutcomes(instanceId, ofInstance, ofCollector), client);
        }
      }
    });
  }

  async unfinishedUnits(): Promise<{ runId: string; unit: string }[]> {
    // One query for every open run (each worker asks at every heartbeat).
    const open = await this.store.rows<{ id: string; units: string; ended: string[] }>(
      `SELECT r.id, x.units, ARRAY(SELECT DISTINCT j.unit FROM run_jobs j WHERE j.run_seq = x.run_seq AND j.event = 'ended' AND j.detail IN ('ended', 'gave_up')) AS ended
       FROM shared_runs x JOIN runs r ON r.seq = x.run_seq LEFT JOIN run_seals s ON s.run_seq = x.run_seq WHERE s.run_seq IS NULL ORDER BY r.seq`,
    );
    const out: { runId: string; unit: string }[] = [];
    for (const run of open) {
      const ended = new Set(run.ended);
      for (const unit of JSON.parse(run.units) as string[]) if (!ended.has(unit)) out.push({ runId: run.id, unit });
    }
    return out;
  }

  async jobs(runId: string): Promise<RunJob[]> {
    const rows = await this.store.rows<{ unit: string; worker: string; attempt: number; event: string; detail: string | null; at: string }>(
      'SELECT j.unit, j.worker, j.attempt, j.event, j.detail, j.at FROM run_jobs j JOIN runs r ON r.seq = j.run_seq WHERE r.id = $1 ORDER BY j.id',
      [runId],
    );
    const out: RunJob[] = [];
    for (const row of rows) {
      if (row.event === 'started') out.push({ unit: row.unit, worker: row.worker, attempt: row.attempt, startedAt: row.at });
      else {
        const job = out.find((j) => j.unit === row.unit && j.attempt === row.attempt && j.worker === row.worker && !j.result);
        if (job) Object.assign(job, { result: row.detail ?? 'ended', endedAt: row.at });
        // A unit given up by a reaper never started in that worker.
        else out.push({ unit: row.unit, worker: row.worker, attempt: row.attempt, startedAt: row.at, result: row.detail ?? 'ended', endedAt: row.at });
      }
    }
    return out;
  }
}

/** A value as an SQL literal, for statements sent without parameters ({@link PostgresSharedRuns.appendAtOnce}). */
function literal(value: unknown): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') return String(Math.trunc(value));
  if (typeof value === 'string') return pg.escapeLiteral(value);
  throw new TypeError(`no SQL literal for ${typeof value}`);
}

/** An SQL condition: the run is not sealed (guards the writes of an append). */
function open(seq: number): string {
  return `NOT EXISTS (SELECT 1 FROM run_seals WHERE run_seq = ${literal(seq)})`;
}

/** A late write to a shared run that is already sealed (a worker presumed dead that was not). */
export class SharedRunSealedError extends Error {
  override name = 'SharedRunSealedError';
}

/** The instance a unit collects (`github-acme`, or `aws-org` of `aws-org/123456789012`). */
export function unitInstance(unit: string): string {
  return unit.split('/')[0]!;
}

/**
 * What a shared run's seal commits to besides its evidence: the worker log (who ran which unit,
 * attempt, result) and the per-unit outcomes of split instances. Recomputed by `verify`.
 */
export async function hashSharedRunContent(on: Queryable, seq: number): Promise<SharedRunContent> {
  return {
    jobs: await hashRows(on, 'SELECT unit, worker, attempt, event, detail, at FROM run_jobs WHERE run_seq = $1 ORDER BY id', [seq]),
    unitOutcomes: await hashRows(
      on,
      'SELECT unit, instance_id, connector_type, collector_id, kind, status, record_count, error_code, error_message, started_at, finished_at FROM unit_outcomes WHERE run_seq = $1 ORDER BY id',
      [seq],
    ),
  };
}

/** The manifest fields a shared run's seal adds. */
export interface SharedRunContent {
  jobs: { count: number; hash: string };
  unitOutcomes: { count: number; hash: string };
}

/** A part's outcome as stored: an outcome row's columns, and the unit. */
type UnitOutcomeRow = { unit: string } & Pick<
  OutcomeRow,
  'connector_type' | 'collector_id' | 'kind' | 'status' | 'record_count' | 'error_code' | 'error_message' | 'started_at' | 'finished_at'
>;

const partiallyCollected = 'partially collected: ';

/**
 * One collector's outcome for a split instance from its parts' outcomes, in the form a single
 * process gives a collector that lost part of its scope: `collected` when any part collected,
 * with the first failed part's code and every failed part in the message; `failed` when none
 * did. A part without an outcome (its unit gave up) counts as failed.
 */
export function mergeUnitOutcomes(instanceId: string, parts: readonly string[], rows: readonly UnitOutcomeRow[]): OutcomeInput {
  const failures: { unit: string; code: string; message: string }[] = [];
  for (const unit of parts) {
    const row = rows.find((r) => r.unit === unit);
    if (!row) failures.push({ unit, code: 'unexpected', message: 'no outcome: the unit gave up (no attempts left)' });
    else if (row.status === 'failed' || row.error_code !== null) {
      const message = row.error_message ?? '';
      failures.push({ unit, code: row.error_code ?? 'unexpected', message: message.startsWith(partiallyCollected) ? message.slice(partiallyCollected.length) : message });
    }
  }
  const collected = rows.some((r) => r.status === 'collected');
  const listed = failures.map((f) => `${f.unit}: ${f.code}: ${f.message}`).join('; ');
  const first = rows[0]!;
  return {
    instanceId,
    connectorType: first.connector_type,
    collectorId: first.collector_id,
    kind: first.kind,
    status: collected ? 'collected' : 'failed',
    recordCount: rows.reduce((sum, r) => sum + r.record_count, 0),
    ...(failures.length ? { errorCode: failures[0]!.code, errorMessage: collected ? `${partiallyCollected}${listed}` : listed } : {}),
    startedAt: new Date(rows.map((r) => r.started_at).sort()[0]!),
    finishedAt: new Date(rows.map((r) => r.finished_at).sort().at(-1)!),
  };
}

/**
 * The writer of one part of a split instance: records wait under the unit's name, the outcome
 * goes to `unit_outcomes`; the rest is the shared run's writer.
 */
class UnitPartWriter implements RunWriter {
  constructor(
    private readonly base: RunWriter,
    private readonly store: PostgresEvidenceStore,
    private readonly seq: number,
    private readonly unit: string,
    /** Appends a statement guarded by {@link open} to the run's log ({@link PostgresSharedRuns.appendAtOnce}). */
    private readonly append: (statement: string) => Promise<unknown>,
  ) {}

  get runId(): string {
    return this.base.runId;
  }

  async addObservations(batch: readonly ObservationInput[]): Promise<void> {
    if (batch.length > 0) await this.store.insertObservations(this.seq, batch.map((o) => ({ ...o, instanceId: this.unit })));
  }

  async addOutcome(o: OutcomeInput, last: readonly ObservationInput[] = []): Promise<void> {
    // A part's records wait under the unit's name until the parts merge.
    await this.addObservations(last);
    await this.append(
      `INSERT INTO unit_outcomes (run_seq, unit, instance_id, connector_type, collector_id, kind, status, record_count, error_code, error_message, started_at, finished_at)
       SELECT ${[this.seq, this.unit, ...outcomeValues(o)].map(literal).join(', ')} WHERE ${open(this.seq)}`,
    );
  }

  addFile(content: AsyncIterable<Uint8Array>): Promise<StoredFile> {
    return this.base.addFile(content);
  }

  addCheckResults(batch: readonly CheckResultInput[]): Promise<void> {
    return this.base.addCheckResults(batch);
  }

  finish(status: Exclude<RunStatus, 'incomplete'>, finishedAt: Date): Promise<RunInfo> {
    return this.base.finish(status, finishedAt);
  }

  abandon(): Promise<void> {
    return this.base.abandon();
  }
}
