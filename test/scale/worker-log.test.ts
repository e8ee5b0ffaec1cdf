import { afterAll, afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
const pgClient = pg.Client;
import { openPostgresStore, type PostgresEvidenceStore } from '../../storage/postgres-store.js';
import { testDatabase } from '../storage/postgres-helpers.js';
import { copyStore } from '../../storage/copy-store.js';
import { postgresMigrations } from '../../storage/postgres-schema.js';
import { instanceId, observation, outcome } from '../storage/helpers.js';
import { waitForSeal } from '../../src/scale/queue.js';

/**
 * The worker log of a shared run (`run_jobs`: which worker took which unit, attempt, result) and
 * its part outcomes (`unit_outcomes`) are committed by the run's seal: `annexa verify` names a run
 * whose log was edited, shortened or extended behind the store's back.
 */
const database = await testDatabase('worker-log');
afterAll(async () => database?.drop());
let store: PostgresEvidenceStore | undefined;
let sourceUrl: string | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const day = new Date(Date.UTC(2024, 0, 2));
const at = (ms: number) => new Date(day.getTime() + ms);
const member = 'test.member.v1';
const [p1, p2] = [`${instanceId}/111122223333`, `${instanceId}/444455556666`];

/** A sealed shared run of two parts, the second retried once. */
async function sealedRun(): Promise<string> {
  sourceUrl = await database!.freshSchema();
  store = await openPostgresStore(sourceUrl);
  const shared = store.sharedRuns;
  const { runId } = await shared.create({ command: 'schedule', toolVersion: '0.0.0-test', startedAt: day }, [p1, p2]);
  for (const [unit, worker, attempt] of [[p1, 'w1', 1], [p2, 'w2', 1], [p2, 'w1', 2]] as const) {
    const { writer } = await shared.beginUnit(runId, unit, worker, attempt);
    if (worker === 'w2') continue; // w2 dies mid-unit
    await writer.addObservations([observation(member, `${unit}/alice`, { mfa: true }, at(100))]);
    await writer.addOutcome(outcome(member, 'collected', 1, day, at(200)));
    await shared.endUnit(runId, unit, worker, attempt, 'ended', at(300 + attempt));
  }
  expect((await store.run(runId))!.status).toBe('complete');
  return runId;
}

/** Edits through a plain connection with the append-only triggers off, as a superuser could. */
async function tamper(table: string, sql: string, params: unknown[]): Promise<void> {
  const db: pg.PoolClient = await store!.pool.connect();
  try {
    await db.query(`ALTER TABLE ${table} DISABLE TRIGGER ALL`);
    const { rowCount } = await db.query(sql, params);
    expect(rowCount).toBe(1);
    await db.query(`ALTER TABLE ${table} ENABLE TRIGGER ALL`);
  } finally {
    db.release();
  }
}

const problemsOf = async () => (await store!.verify()).problems.map((p) => ({ problem: p.problem, runId: p.runId, message: p.message }));

describe.skipIf(!database)('the worker log is sealed with its run', () => {
  it('verifies untouched; a late end after the seal adds nothing', async () => {
    const runId = await sealedRun();
    const before = await store!.sharedRuns.jobs(runId);
    expect(before.map((j) => [j.unit, j.worker, j.attempt, j.result ?? null])).toEqual([
      [p1, 'w1', 1, 'ended'],
      [p2, 'w2', 1, null],
      [p2, 'w1', 2, 'ended'],
    ]);
    // w2 was only presumed dead and reports in after the seal: refused, the sealed log stays.
    expect((await store!.sharedRuns.endUnit(runId, p2, 'w2', 1, 'ended', at(900)))!.status).toBe('complete');
    await expect(store!.sharedRuns.beginUnit(runId, p2, 'w3', 3)).rejects.toThrow(/already sealed/);
    expect(await store!.sharedRuns.jobs(runId)).toEqual(before);
    expect(await store!.verify()).toMatchObject({ ok: true, problems: [] });
  });

  it('detects a worker log row re-attributed to another worker', async () => {
    const runId = await sealedRun();
    await tamper('run_jobs', "UPDATE run_jobs SET worker = 'w9' WHERE unit = $1 AND attempt = 2 AND event = 'started'", [p2]);
    expect(await problemsOf()).toEqual([
      { problem: 'worker_log_changed', runId, message: `worker log (run_jobs) of run ${runId} does not match the seal (5 rows stored, 5 sealed)` },
    ]);
  });

  it('detects a deleted retry (the log hides that a worker died)', async () => {
    const runId = await sealedRun();
    await tamper('run_jobs', "DELETE FROM run_jobs WHERE unit = $1 AND worker = 'w2'", [p2]);
    expect(await problemsOf()).toEqual([
      { problem: 'worker_log_changed', runId, message: `worker log (run_jobs) of run ${runId} does not match the seal (4 rows stored, 5 sealed)` },
    ]);
  });

  it('detects a row added after the seal and an edited part outcome', async () => {
    const runId = await sealedRun();
    await tamper('run_jobs', "INSERT INTO run_jobs (run_seq, unit, worker, attempt, event, detail, at) SELECT seq, $1, 'w2', 1, 'ended', 'ended', $2 FROM runs WHERE id = $3", [
      p2,
      at(1000).toISOString(),
      runId,
    ]);
    await tamper('unit_outcomes', 'UPDATE unit_outcomes SET record_count = 7 WHERE unit = $1', [p1]);
    expect((await problemsOf()).map((p) => [p.problem, p.runId, p.message.split(' of run ')[0]])).toEqual([
      ['worker_log_changed', runId, 'worker log (run_jobs)'],
      ['worker_log_changed', runId, 'the part outcome list (unit_outcomes)'],
    ]);
  });

  it('a copy to another PostgreSQL store carries the worker log: both verify to the same head', async () => {
    const runId = await sealedRun();
    const target = await database!.freshSchema();
    const copied = await copyStore({ kind: 'postgres', url: sourceUrl! }, { kind: 'postgres', url: target });
    expect(copied).toMatchObject({ ok: true, rows: { run_jobs: 5, unit_outcomes: 2, shared_runs: 1 } });
    const copy = await openPostgresStore(target);
    try {
      expect(await copy.sharedRuns.jobs(runId)).toEqual(await store!.sharedRuns.jobs(runId));
    } finally {
      await copy.close();
    }
  });

  it('a store written before part outcomes and check runs existed (migration 1) gets them on the next open, with its triggers', async () => {
    const url = await database!.freshSchema();
    await (await openPostgresStore(url)).close();
    // Back to schema 1, as a store deployed before migration 2.
    const db = new pgClient({ connectionString: url });
    await db.connect();
    try {
      await db.query('DROP TABLE unit_outcomes, check_runs');
      await db.query('ALTER TABLE schema_migrations DISABLE TRIGGER ALL');
      await db.query('DELETE FROM schema_migrations WHERE version >= 2');
      await db.query('ALTER TABLE schema_migrations ENABLE TRIGGER ALL');
      store = await openPostgresStore(url);
      expect((await db.query('SELECT version FROM schema_migrations ORDER BY version')).rows).toEqual(postgresMigrations.map(({ version }) => ({ version })));
      // (TRUNCATE: a row trigger has nothing to fire on in an empty table.)
      await expect(db.query('TRUNCATE unit_outcomes')).rejects.toThrow(/append-only/);
    } finally {
      await db.end();
    }
  });
});

describe.skipIf(!database)('waiting for a shared run', () => {
  it('wakes on the seal\'s notification, not the fallback check; a run sealed before the wait resolves at once', async () => {
    const url = await database!.freshSchema();
    store = await openPostgresStore(url);
    const shared = store.sharedRuns;
    const { runId } = await shared.create({ command: 'schedule', toolVersion: '0.0.0-test', startedAt: day }, [instanceId]);
    let checks = 0;
    const sealed = async () => {
      checks++;
      return (await store!.run(runId))!.status !== 'running';
    };
    // The fallback check is a minute away: only the notification can end this wait within the test's time.
    const waited = waitForSeal(url, runId, sealed, 60_000);
    const { writer } = await shared.beginUnit(runId, instanceId, 'w1', 1);
    await writer.addOutcome(outcome(member, 'collected', 1, day, at(200)), [observation(member, 'alice', { mfa: true }, at(100))]);
    await new Promise((r) => setTimeout(r, 200));
    expect(checks).toBe(1);
    await shared.endUnit(runId, instanceId, 'w1', 1, 'ended', at(300));
    await waited;
    expect(checks).toBe(2);
    await waitForSeal(url, runId, sealed, 60_000);
    expect(checks).toBe(3);
  });
});
