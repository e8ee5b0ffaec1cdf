import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startScaleOutSandbox, type ScaleOutSandbox } from '../../src/sandbox/scale-out.js';
import { openPostgresStore, type PostgresEvidenceStore } from '../../storage/postgres-store.js';
import { githubConnector } from '../../connectors/github/index.js';
import { awsConnector } from '../../connectors/aws/index.js';
import { queueSchema } from '../../src/scale/queue.js';
import { testDatabase, withDatabase } from '../storage/postgres-helpers.js';

/**
 * Distributed collection end to end: real `annexa worker` and `annexa schedule` processes, the
 * GitHub sandbox behind 50 ms of latency, PostgreSQL as store and queue. Each test gets a
 * database of its own.
 */
const server = await testDatabase('scale');
const dir = mkdtempSync(join(tmpdir(), 'annexa-scale-'));
const created: string[] = [];
afterAll(async () => {
  if (server) {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await server.drop();
  }
  rmSync(dir, { recursive: true, force: true });
});

const collectorsPerInstance = githubConnector.collectors.length;
let databases = 0;
let sandbox: ScaleOutSandbox | undefined;
let store: PostgresEvidenceStore | undefined;
afterEach(async () => {
  await sandbox?.close();
  await store?.close();
  sandbox = undefined;
  store = undefined;
});

async function setUp(instances: number, latencyMs = 50, aws?: { latencyMs: number }): Promise<{ url: string }> {
  const name = `annexa_test_scale_${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: server!.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  created.push(name);
  await admin.end();
  const url = withDatabase(server!.url, name);
  const sub = mkdtempSync(join(dir, 'case-'));
  sandbox = await startScaleOutSandbox({ dir: sub, databaseUrl: url, instances, latencyMs, ...(aws ? { aws } : {}) });
  return { url };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Outcomes per (instance, collector) of a run: each must be there exactly once. */
async function outcomeKeys(runId: string): Promise<string[]> {
  return (await store!.run(runId))!.outcomes.map((o) => `${o.instanceId}/${o.collectorId}`).sort();
}

describe.skipIf(!server)('annexa worker on a PostgreSQL queue', () => {
  it('a worker killed with SIGKILL mid-unit: another takes the unit after the visibility timeout, the run completes once and verifies', { timeout: 120_000 }, async () => {
    const { url } = await setUp(4);
    const w1 = sandbox!.worker('w1', ['--visibility-timeout', '2']);
    const scheduled = await sandbox!.cli(['schedule', '--json']);
    expect(scheduled.code).toBe(0);
    const { runId } = JSON.parse(scheduled.stdout) as { runId: string };
    store = await openPostgresStore(url);
    // Kill w1 once it is inside a unit (started, not ended).
    const victim = await until('w1 to start a unit', async () => {
      const jobs = await store!.sharedRuns.jobs(runId);
      return jobs.find((j) => j.worker === 'w1' && !j.result);
    });
    w1.kill('SIGKILL');
    const w2 = sandbox!.worker('w2', ['--visibility-timeout', '2']);
    const waited = await sandbox!.cli(['schedule', '--wait', '--json']);
    expect(waited.stderr).toBe('');
    const result = JSON.parse(waited.stdout) as { created: boolean; runId: string; run: { status: string }; jobs: { unit: string; attempt: number; worker: string; result?: string }[] };
    // The second scheduler joined the open run instead of starting another.
    expect(result).toMatchObject({ created: false, runId, run: { status: 'complete' } });
    expect(waited.code).toBe(0);
    // The killed attempt has no end; the unit's next attempt ran on w2.
    expect(result.jobs).toContainEqual({ unit: victim.unit, attempt: 1, worker: 'w1', startedAt: expect.any(String) });
    expect(result.jobs).toContainEqual(expect.objectContaining({ unit: victim.unit, attempt: 2, worker: 'w2', result: 'ended' }));
    expect(result.jobs.filter((j) => j.result === 'ended').map((j) => j.unit).sort()).toEqual(sandbox!.instanceIds);
    // Evidence exactly once per (run, instance, collector).
    const keys = await outcomeKeys(runId);
    expect(keys).toEqual([...new Set(keys)]);
    expect(keys).toHaveLength(4 * collectorsPerInstance);
    expect((await store.run(runId))!.outcomes.every((o) => o.status === 'collected')).toBe(true);
    const shown = await sandbox!.cli(['runs', runId]);
    expect(shown.stdout).toMatch(new RegExp(`${victim.unit}\\s+2\\s+w2\\s`));
    const verified = await sandbox!.cli(['verify']);
    expect(verified).toMatchObject({ code: 0, stdout: expect.stringMatching(/^OK: /) });
    w2.kill('SIGTERM');
    expect(await new Promise((done) => w2.once('exit', done))).toBe(0);
  });

  it('PostgreSQL connections dropped mid-run: workers reconnect, the run completes with the evidence of each collector once and verifies', { timeout: 120_000 }, async () => {
    const { url } = await setUp(3);
    const w1 = sandbox!.worker('w1', ['--visibility-timeout', '5']);
    const scheduled = JSON.parse((await sandbox!.cli(['schedule', '--json'])).stdout) as { runId: string };
    store = await openPostgresStore(url);
    await until('a unit to start', async () => (await store!.sharedRuns.jobs(scheduled.runId)).find((j) => !j.result));
    // Every other session of this database, the worker's included, is cut off.
    const database = new URL(url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: server!.url });
    await admin.connect();
    const { rows } = await admin.query<{ n: number }>(
      'SELECT COUNT(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    await admin.end();
    expect(rows[0]!.n).toBeGreaterThan(0);
    const waited = await sandbox!.cli(['schedule', '--wait', '--json']);
    const result = JSON.parse(waited.stdout) as { run: { status: string }; jobs: { attempt: number; result?: string }[] };
    expect(result.run.status).toBe('complete');
    const keys = await outcomeKeys(scheduled.runId);
    expect(keys).toEqual([...new Set(keys)]);
    expect(keys).toHaveLength(3 * collectorsPerInstance);
    expect((await sandbox!.cli(['verify'])).code).toBe(0);
    w1.kill('SIGTERM');
    await new Promise((done) => w1.once('exit', done));
  });

  it('SIGTERM mid-unit: the worker hands the unit back after --grace and exits 0; another worker finishes it, evidence once', { timeout: 120_000 }, async () => {
    // 400 ms per request: a unit lasts several seconds, so it cannot finish inside the 0.2 s grace
    // however late the poll below notices it started (with 50 ms it sometimes did, on a loaded CI).
    const { url } = await setUp(2, 400);
    const w1 = sandbox!.worker('w1', ['--grace', '0.2']);
    const { runId } = JSON.parse((await sandbox!.cli(['schedule', '--json'])).stdout) as { runId: string };
    store = await openPostgresStore(url);
    const first = await until('w1 to start a unit', async () => (await store!.sharedRuns.jobs(runId)).find((j) => j.worker === 'w1' && !j.result));
    w1.kill('SIGTERM');
    expect(await new Promise((done) => w1.once('exit', done))).toBe(0);
    const handedBack = (await store.sharedRuns.jobs(runId)).find((j) => j.unit === first.unit && j.attempt === 1);
    expect(handedBack).toMatchObject({ worker: 'w1', result: 'released' });
    const w2 = sandbox!.worker('w2');
    const waited = JSON.parse((await sandbox!.cli(['schedule', '--wait', '--json'])).stdout) as { run: { status: string }; jobs: { unit: string; attempt: number; worker: string; result?: string }[] };
    expect(waited.run.status).toBe('complete');
    expect(waited.jobs).toContainEqual(expect.objectContaining({ unit: first.unit, attempt: 2, worker: 'w2', result: 'ended' }));
    const keys = await outcomeKeys(runId);
    expect(keys).toEqual([...new Set(keys)]);
    expect(keys).toHaveLength(2 * collectorsPerInstance);
    expect((await store.run(runId))!.outcomes.every((o) => o.status === 'collected')).toBe(true);
    w2.kill('SIGTERM');
    await new Promise((done) => w2.once('exit', done));
  });

  it('a unit out of attempts gives up: the run is sealed partial, with the units that did end', { timeout: 120_000 }, async () => {
    const { url } = await setUp(2);
    // The scheduler that waits is the one that enqueues: a second `schedule --wait` started after
    // the worker could come after the seal (a unit takes well under a second) and start a new run.
    const waiting = sandbox!.cli(['schedule', '--wait', '--json']);
    // As if workers had died on github-02 five times (graphile-worker's own table: no API sets attempts).
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const exhausted = await until('the run\'s jobs', async () => {
      const updated = await client.query(`UPDATE ${queueSchema}._private_jobs SET attempts = max_attempts WHERE key LIKE '%:github-02'`).catch(() => undefined);
      return updated?.rowCount ? updated.rowCount : undefined;
    });
    await client.end();
    expect(exhausted).toBe(1);
    const w1 = sandbox!.worker('w1', ['--visibility-timeout', '1']);
    const waited = await waiting;
    expect(waited.code).toBe(3);
    const result = JSON.parse(waited.stdout) as { run: { status: string; outcomes: { instanceId: string }[] }; jobs: { unit: string; attempt: number; worker: string; result?: string }[] };
    expect(result.run.status).toBe('partial');
    expect(new Set(result.run.outcomes.map((o) => o.instanceId))).toEqual(new Set(['github-01']));
    expect(result.jobs).toContainEqual(expect.objectContaining({ unit: 'github-01', attempt: 1, worker: 'w1', result: 'ended' }));
    expect(result.jobs).toContainEqual(expect.objectContaining({ unit: 'github-02', attempt: 5, worker: 'w1', result: 'gave_up' }));
    store = await openPostgresStore(url);
    expect((await store.verify()).ok).toBe(true);
    w1.kill('SIGTERM');
    await new Promise((done) => w1.once('exit', done));
  });

  it('annexa collect without a queue writes to the PostgreSQL store; runs and verify read it', { timeout: 60_000 }, async () => {
    await setUp(2);
    const collected = await sandbox!.cli(['collect', '--json']);
    expect(collected.stderr).toBe('');
    expect(collected.code).toBe(0);
    const result = JSON.parse(collected.stdout) as { status: string; run: { id: string; status: string }; outcomes: unknown[] };
    expect(result).toMatchObject({ status: 'complete', run: { status: 'complete' } });
    expect(result.outcomes).toHaveLength(2 * collectorsPerInstance);
    const runs = JSON.parse((await sandbox!.cli(['runs', '--json'])).stdout) as { id: string }[];
    expect(runs.map((r) => r.id)).toEqual([result.run.id]);
    expect(await sandbox!.cli(['verify'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^OK: .* 1 runs verified/) });
  });

  it('two schedulers at once make one run with one job per unit; SIGTERM stops an idle worker cleanly; --healthcheck', { timeout: 60_000 }, async () => {
    const { url } = await setUp(3);
    const [a, b] = await Promise.all([sandbox!.cli(['schedule', '--json']), sandbox!.cli(['schedule', '--json'])]);
    const runs = [a, b].map((r) => JSON.parse(r.stdout) as { runId: string; created: boolean });
    expect(runs[0]!.runId).toBe(runs[1]!.runId);
    expect(runs.map((r) => r.created).sort()).toEqual([false, true]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const jobs = await client.query(`SELECT key, queue_name FROM ${queueSchema}.jobs ORDER BY 1`);
    await client.end();
    expect(jobs.rows).toEqual(sandbox!.instanceIds.map((id) => ({ key: `${runs[0]!.runId}:${id}`, queue_name: `annexa:${id}` })));

    expect(await sandbox!.cli(['worker', '--name', 'w9', '--healthcheck'])).toMatchObject({ code: 1, stdout: 'UNHEALTHY: no heartbeat from worker w9\n' });
    const w9 = sandbox!.worker('w9', ['--visibility-timeout', '4']);
    store = await openPostgresStore(url);
    await until('the run to be sealed', async () => ((await store!.run(runs[0]!.runId))!.status === 'running' ? undefined : true));
    expect(await sandbox!.cli(['worker', '--name', 'w9', '--healthcheck', '--visibility-timeout', '4'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^healthy: worker w9: last heartbeat/) });
    w9.kill('SIGTERM');
    expect(await new Promise((done) => w9.once('exit', done))).toBe(0);
  });

  it('an AWS organisation of two accounts: one unit per account over two workers, a killed account unit retried, evidence once and the same as annexa collect', { timeout: 120_000 }, async () => {
    // 100 ms per AWS call: an account unit lasts long enough for each worker to take one.
    const { url } = await setUp(0, 50, { latencyMs: 100 });
    const accounts = sandbox!.sandbox.aws.world.accounts.map((a) => a.id).sort();
    const units = accounts.map((id) => `aws-acme/${id}`);
    expect(units).toHaveLength(2);
    const w1 = sandbox!.worker('w1', ['--visibility-timeout', '2']);
    const w2 = sandbox!.worker('w2', ['--visibility-timeout', '2']);
    const scheduled = JSON.parse((await sandbox!.cli(['schedule', '--json'])).stdout) as { runId: string; units: { unit: string; queueName: string }[] };
    // One job per account, each on a queue of its own: one account's budget is never split, two accounts run at once.
    expect(scheduled.units.map((u) => [u.unit, u.queueName])).toEqual(units.map((u) => [u, `annexa:${u}`]));
    const { runId } = scheduled;
    store = await openPostgresStore(url);
    // Both accounts in flight at once, one per worker; then w1 dies mid-account.
    const running = await until('both account units to run', async () => {
      const open = (await store!.sharedRuns.jobs(runId)).filter((j) => !j.result);
      return open.length === 2 ? open : undefined;
    });
    expect(running.map((j) => j.worker).sort()).toEqual(['w1', 'w2']);
    const victim = running.find((j) => j.worker === 'w1')!;
    w1.kill('SIGKILL');
    // (Not `schedule --wait`: the run may be sealed before a new CLI process is up, and it would start another.)
    const sealed = await until('the run to be sealed', async () => {
      const run = await store!.run(runId);
      return run?.status === 'running' ? undefined : run;
    });
    expect(sealed.status).toBe('complete');
    const result = { jobs: await store.sharedRuns.jobs(runId) };
    // The retry is visible: attempt 1 on w1 without an end, attempt 2 on w2.
    expect(result.jobs).toContainEqual({ unit: victim.unit, attempt: 1, worker: 'w1', startedAt: expect.any(String) });
    expect(result.jobs).toContainEqual(expect.objectContaining({ unit: victim.unit, attempt: 2, worker: 'w2', result: 'ended' }));
    expect(result.jobs.filter((j) => j.result === 'ended').map((j) => j.unit).sort()).toEqual(units);
    const shown = await sandbox!.cli(['runs', runId]);
    expect(shown.stdout).toMatch(new RegExp(`${victim.unit.replace('/', '\\/')}\\s+2\\s+w2\\s`));

    // Evidence once per (run, instance, collector), merged over the accounts, every collector collected.
    const queued = (await store.run(runId))!.outcomes;
    const awsCollectors = awsConnector.collectors.map((c) => c.id).sort();
    expect(queued.map((o) => `${o.instanceId}/${o.collectorId}`).sort()).toEqual(awsCollectors.map((c) => `aws-acme/${c}`));
    expect(queued.filter((o) => o.status !== 'collected' || o.errorCode)).toEqual([]);
    // Records from both accounts, none twice.
    const users = (await store.latest('aws.iam_user.v1'))[0]!.records.map((r) => r.subject);
    expect(new Set(users.map((s) => s.split('/')[0]))).toEqual(new Set(accounts));
    expect(users).toEqual([...new Set(users)]);

    // The same configuration collected in one process (annexa collect, no queue) holds the same records.
    const collected = await sandbox!.cli(['collect', '--json']);
    expect(collected.code).toBe(0);
    const local = (await store.run((JSON.parse(collected.stdout) as { run: { id: string } }).run.id))!.outcomes;
    const records = async (outcomes: typeof queued) =>
      Object.fromEntries(await Promise.all(outcomes.map(async (o) => [o.collectorId, { count: o.recordCount, rows: await store!.subjectDigests(o) }] as const)));
    expect(await records(queued)).toEqual(await records(local));
    expect(await store.verify()).toMatchObject({ ok: true, runsChecked: 2 });
    w2.kill('SIGTERM');
    expect(await new Promise((done) => w2.once('exit', done))).toBe(0);
  });
});
