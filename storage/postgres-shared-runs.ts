import { lockKey } from './postgres-schema.js';
import { newRunId } from './sqlite-store.js';
import { PostgresRunWriter, type PostgresEvidenceStore, type Queryable } from './postgres-store.js';
import type { EnqueueInTransaction, RunInfo, RunJob, RunMeta, RunWriter, SharedRuns } from './evidence-store.js';

/**
 * {@link SharedRuns} on PostgreSQL: runs written by several worker processes. `shared_runs` holds a
 * run's units; `run_jobs` records each attempt's start and end (who ran what). The run is sealed
 * by whichever unit ends last, under the store's chain lock, so exactly once.
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

  private async shared(runId: string, on?: Queryable): Promise<{ seq: number; units: string[]; sealed: boolean }> {
    const [row] = await this.store.rows<{ seq: number; units: string; sealed: boolean }>(
      `SELECT r.seq, x.units, s.run_seq IS NOT NULL AS sealed FROM runs r JOIN shared_runs x ON x.run_seq = r.seq LEFT JOIN run_seals s ON s.run_seq = r.seq WHERE r.id = $1`,
      [runId],
      on,
    );
    if (!row) throw new Error(`no shared run ${runId}`);
    return { seq: row.seq, units: JSON.parse(row.units) as string[], sealed: row.sealed };
  }

  async beginUnit(runId: string, unit: string, worker: string, attempt: number): Promise<{ writer: RunWriter; done: ReadonlySet<string> }> {
    const run = await this.shared(runId);
    if (run.sealed) throw new Error(`shared run ${runId} is already sealed`);
    if (!run.units.includes(unit)) throw new Error(`shared run ${runId} has no unit ${unit}`);
    const instanceId = unit.split('/')[0]!;
    const done = await this.store.tx(async (client) => {
      await client.query('INSERT INTO run_jobs (run_seq, unit, worker, attempt, event, at) VALUES ($1, $2, $3, $4, $5, $6)', [
        run.seq,
        unit,
        worker,
        attempt,
        'started',
        new Date().toISOString(),
      ]);
      // Records an earlier attempt wrote without reaching an outcome are collected again.
      await client.query('DELETE FROM pending WHERE run_seq = $1 AND instance_id = $2', [run.seq, instanceId]);
      return this.store.rows<{ key: string }>("SELECT instance_id || '/' || collector_id AS key FROM outcomes WHERE run_seq = $1 AND instance_id = $2", [run.seq, instanceId], client);
    });
    return { writer: new PostgresRunWriter(this.store, run.seq, runId, undefined), done: new Set(done.map((d) => d.key)) };
  }

  async endUnit(runId: string, unit: string, worker: string, attempt: number, result: 'ended' | 'gave_up' | 'released', at: Date): Promise<RunInfo | undefined> {
    const run = await this.shared(runId);
    await this.store.pool.query('INSERT INTO run_jobs (run_seq, unit, worker, attempt, event, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      run.seq,
      unit,
      worker,
      attempt,
      'ended',
      result,
      at.toISOString(),
    ]);
    if (result === 'released') return undefined;
    const ended = await this.store.rows<{ unit: string; gave_up: boolean }>(
      "SELECT unit, bool_and(detail = 'gave_up') AS gave_up FROM run_jobs WHERE run_seq = $1 AND event = 'ended' AND detail IN ('ended', 'gave_up') GROUP BY unit",
      [run.seq],
    );
    if (!run.units.every((u) => ended.some((e) => e.unit === u))) return undefined;
    const outcomes = await this.store.rows<{ status: string; error_code: string | null }>('SELECT status, error_code FROM outcomes WHERE run_seq = $1', [run.seq]);
    const failed = outcomes.filter((o) => o.status === 'failed').length;
    // A collected outcome with an error code lost part of its scope (an AWS account): partial, as in runCollection.
    const partly = outcomes.some((o) => o.status === 'collected' && o.error_code !== null);
    const status = outcomes.length === 0 || failed === outcomes.length ? 'failed' : failed > 0 || partly || ended.some((e) => e.gave_up) ? 'partial' : 'complete';
    await this.store.sealAt(run.seq, status, at.toISOString());
    return this.store.run(runId);
  }

  async unfinishedUnits(): Promise<{ runId: string; unit: string }[]> {
    const open = await this.store.rows<{ id: string; seq: number; units: string }>(
      'SELECT r.id, r.seq, x.units FROM shared_runs x JOIN runs r ON r.seq = x.run_seq LEFT JOIN run_seals s ON s.run_seq = x.run_seq WHERE s.run_seq IS NULL ORDER BY r.seq',
    );
    const out: { runId: string; unit: string }[] = [];
    for (const run of open) {
      const ended = new Set(
        (await this.store.rows<{ unit: string }>("SELECT DISTINCT unit FROM run_jobs WHERE run_seq = $1 AND event = 'ended' AND detail IN ('ended', 'gave_up')", [run.seq])).map((r) => r.unit),
      );
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

