import { EventEmitter } from 'node:events';
import pg from 'pg';
import { run, type Runner, type Task, type WorkerEvents } from 'graphile-worker';
import type { AnnexaConfig } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Redactor } from '../core/redact.js';
import type { CollectorDefinition } from '../core/connector.js';
import { collectInto } from '../pipeline/collect.js';
import { unitsOf } from '../pipeline/plan.js';
import type { EvidenceStore, RunWriter } from '../../storage/evidence-store.js';
import { resilientPool } from '../../storage/postgres-store.js';
import { SharedRunSealedError, unitInstance } from '../../storage/postgres-shared-runs.js';
import { collectUnitTask, maxAttempts, prepareQueue, queueLogger, queueSchema, sharedRunsOf, unitJobPayload } from './queue.js';

/**
 * `annexa worker`: takes unit jobs from the queue and collects them into their shared run.
 *
 * A worker that dies (SIGKILL, a lost machine) leaves its job locked; graphile-worker alone would
 * wait hours before handing it out again. So every worker beats in `worker_heartbeats`, and every
 * worker releases the jobs of workers whose beat is older than the visibility timeout
 * (graphile-worker's `force_unlock_workers`): another worker takes the job as its next attempt,
 * which skips the collectors that already have an outcome and drops records the dead attempt
 * left unfinished, so the evidence ends up exactly once per run, instance and collector.
 *
 * A unit out of attempts (a worker that keeps dying on it) gives up, and its run is sealed partial.
 *
 * SIGTERM (stop): no new jobs; a running job gets the grace period to finish, then its collectors
 * are aborted and the unit is handed back (`released`, nothing of the unfinished collectors kept)
 * for another worker to run.
 */
export interface WorkerOptions {
  config: AnnexaConfig;
  /** The PostgreSQL URL (the queue lives next to the store). */
  url: string;
  store: EvidenceStore;
  /** Shown in `annexa runs <id>` as who ran what. */
  name: string;
  /** Units run at once by this process. */
  concurrency: number;
  /** A worker silent this long is presumed dead and its job handed to another. */
  visibilityTimeoutMs: number;
  /** How long a running job may take to finish after stop() before it is handed back. */
  graceMs: number;
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  redactor: Redactor;
}

export interface RunningWorker {
  /** Resolves when the worker has stopped. */
  readonly done: Promise<void>;
  /** Graceful stop: finish or hand back the running jobs. */
  stop(): Promise<void>;
}

const heartbeatsTable = `${queueSchema}.worker_heartbeats`;
/** Delays (ms) of the quick retries after a worker found no job, before it sleeps the poll interval. */
export const quickRetries = [10, 100, 400];

/**
 * graphile-worker finds a job with `FOR UPDATE SKIP LOCKED` over every available job queue (one
 * per unit here), so a worker asking while another asks skips them all, finds nothing and sleeps
 * the poll interval though units wait (measured: 2 s lost in one bench run in eight). So a worker
 * that finds nothing is nudged to ask again soon, a few times ({@link quickRetries}), before it
 * sleeps. Its streak of empty asks ends with a job, and with every notification of new jobs: a
 * worker idle past its quick retries would otherwise, when its first ask after the notification
 * met another worker's, wait out the poll interval (measured: 433 ms lost at a run's start, one
 * bench run in three). `alive` says whether a queue worker may still be nudged.
 */
export function retryEmptyAsks(events: WorkerEvents, alive: (workerId: string) => boolean): void {
  const emptyStreaks = new Map<string, number>();
  events.on('job:start', ({ worker }) => emptyStreaks.delete(worker.workerId));
  events.on('pool:listen:notification', () => emptyStreaks.clear());
  events.on('worker:getJob:empty', ({ worker }) => {
    const streak = (emptyStreaks.get(worker.workerId) ?? 0) + 1;
    emptyStreaks.set(worker.workerId, streak);
    if (streak > quickRetries.length) return;
    setTimeout(() => {
      if (!alive(worker.workerId)) return;
      try {
        worker.nudge();
      } catch {
        // The worker ended meanwhile (a runner restart): nothing to wake.
      }
    }, quickRetries[streak - 1]);
  });
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { logger, store } = options;
  const shared = sharedRunsOf(store);
  const pool = resilientPool({ connectionString: options.url, max: 2, application_name: `annexa-worker ${options.name}` });
  // graphile-worker's connections too: a dropped connection fails a job (retried), never the process.
  const queuePool = resilientPool({ connectionString: options.url, max: options.concurrency + 2, application_name: `annexa-worker ${options.name} (queue)` });
  await prepareQueue(options.url);

  const workerIds = new Set<string>();
  const events: WorkerEvents = new EventEmitter() as WorkerEvents;
  events.on('worker:create', ({ worker }) => {
    workerIds.add(worker.workerId);
    void beat();
  });

  let stopping = false;
  retryEmptyAsks(events, (workerId) => !stopping && workerIds.has(workerId));

  const task: Task = async (rawPayload, helpers) => {
    const payload = unitJobPayload.parse(rawPayload);
    const attempt = helpers.job.attempts;
    const jobLogger = logger.child({ run: payload.runId, unit: payload.unit, attempt });
    const instance = options.config.connectors.find((c) => c.id === unitInstance(payload.unit));
    // The unit's instance, its settings narrowed to the unit: planned here once, and collected as is.
    const planned = instance && unitsOf(instance).find((u) => u.unit === payload.unit);
    if (!instance || !planned) {
      // This worker's config does not know the unit: every worker should share one config.
      jobLogger.error({}, `${options.config.file} has no ${instance ? `unit ${payload.unit} of ` : ''}connector ${unitInstance(payload.unit)}: the unit gives up`);
      await shared.endUnit(payload.runId, payload.unit, options.name, attempt, 'gave_up', options.clock.now());
      return;
    }
    let begun: Awaited<ReturnType<typeof shared.beginUnit>>;
    try {
      begun = await shared.beginUnit(payload.runId, payload.unit, options.name, attempt);
    } catch (error) {
      // Another worker ended the run while this job waited (this worker was presumed dead): nothing left to do.
      if (error instanceof SharedRunSealedError) return jobLogger.warn({}, `${error.message}: unit dropped`);
      throw error;
    }
    const { writer, done } = begun;
    if (attempt > 1) jobLogger.warn({ skipped: [...done] }, 'retrying a unit an earlier attempt did not finish');
    const collectors = instance.definition.collectors.filter(
      (c) => payload.collectors.includes(c.id) && !done.has(`${instance.id}/${c.id}`),
    ) as CollectorDefinition<unknown, unknown>[];
    const signal = helpers.abortSignal ?? new AbortController().signal;
    try {
      await collectInto(handBackOnAbort(writer, signal), {
        // The unit's plan: its instance (one account, for AWS) and the collectors still to run.
        plan: { instances: [{ instance: planned.instance, collectors }] },
        store,
        fetch: options.fetch,
        clock: options.clock,
        logger: jobLogger,
        redactor: options.redactor,
        signal,
      });
    } catch (error) {
      // The store failed (a lost connection): the next attempt starts over where this one stood.
      if (attempt >= maxAttempts) await shared.endUnit(payload.runId, payload.unit, options.name, attempt, 'gave_up', options.clock.now()).catch(() => {});
      throw error;
    }
    if (signal.aborted) {
      await shared.endUnit(payload.runId, payload.unit, options.name, attempt, 'released', options.clock.now());
      throw new Error(`worker ${options.name} is stopping: unit ${payload.unit} handed back`);
    }
    const sealed = await shared.endUnit(payload.runId, payload.unit, options.name, attempt, 'ended', options.clock.now());
    jobLogger.info({ collectors: collectors.length }, 'unit finished');
    if (sealed) logger.info({ run: sealed.id, status: sealed.status, hash: sealed.hash }, 'run sealed: every unit ended');
  };

  const runnerOptions = {
    pgPool: queuePool,
    schema: queueSchema,
    concurrency: options.concurrency,
    noHandleSignals: true,
    // New jobs arrive by LISTEN/NOTIFY at once; polling only finds retries and jobs a reaper
    // released. graphile-worker's default: an idle worker's polls cost every worker and the database CPU.
    pollInterval: 2000,
    gracefulShutdownAbortTimeout: options.graceMs,
    taskList: { [collectUnitTask]: task },
    logger: queueLogger(logger),
    events,
  };
  let runner: Runner = await run(runnerOptions);
  let restartRequested = false;
  // graphile-worker retires a queue worker that cannot record its job's end (the connection dropped
  // during completeJob or failJob) and does not replace it: the process would idle, beating, while
  // that job stayed locked for hours. The retired worker's heartbeat goes, so the reaper (ours or
  // another process's) releases its job after the visibility timeout, and the runner restarts.
  events.on('worker:fatalError', ({ worker, error }) => {
    workerIds.delete(worker.workerId);
    void pool.query(`DELETE FROM ${heartbeatsTable} WHERE worker_id = $1`, [worker.workerId]).catch(() => {});
    logger.error({ err: (error as Error).message }, 'the queue could not record a job end: its job is released after the visibility timeout; restarting the queue runner');
    if (stopping || restartRequested) return;
    restartRequested = true;
    void runner.stop().catch(() => {});
  });
  const runners = (async () => {
    for (;;) {
      await runner.promise.catch((error: unknown) => logger.error({ err: (error as Error).message }, 'queue runner ended with an error'));
      if (stopping || !restartRequested) return;
      restartRequested = false;
      // The database may still be dropping connections: try again each second until it answers.
      for (;;) {
        try {
          runner = await run(runnerOptions);
          break;
        } catch (error) {
          logger.warn({ err: (error as Error).message }, 'queue runner restart failed (the database may be restarting); retrying');
          if (stopping) return;
          await options.clock.sleep(1000);
        }
      }
    }
  })();

  async function beat(): Promise<void> {
    try {
      for (const id of workerIds) {
        await pool.query(`INSERT INTO ${heartbeatsTable} (worker_id, name, beat_at) VALUES ($1, $2, now()) ON CONFLICT (worker_id) DO UPDATE SET beat_at = now()`, [id, options.name]);
      }
      await reapDeadWorkers();
      await giveUpExhaustedUnits();
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'heartbeat failed (the database may be restarting); retrying');
    }
  }

  /** Hands the jobs of workers silent for longer than the visibility timeout to the living. */
  async function reapDeadWorkers(): Promise<void> {
    const seconds = options.visibilityTimeoutMs / 1000;
    const dead = await pool.query<{ worker_id: string }>(
      `SELECT worker_id FROM ${heartbeatsTable} WHERE beat_at < now() - make_interval(secs => $1)
       UNION SELECT DISTINCT locked_by FROM ${queueSchema}.jobs WHERE locked_by IS NOT NULL AND locked_at < now() - make_interval(secs => $1)
         AND locked_by NOT IN (SELECT worker_id FROM ${heartbeatsTable})`,
      [seconds],
    );
    const ids = dead.rows.map((r) => r.worker_id).filter((id) => !workerIds.has(id));
    if (ids.length === 0) return;
    await pool.query(`SELECT ${queueSchema}.force_unlock_workers($1::text[])`, [ids]);
    await pool.query(`DELETE FROM ${heartbeatsTable} WHERE worker_id = ANY($1::text[])`, [ids]);
    logger.warn({ workers: ids }, 'released the jobs of workers presumed dead (no heartbeat within the visibility timeout)');
  }

  /**
   * A unit whose job is gone from the queue without an end, or has used up its attempts, will never
   * end by itself: it gives up, so its run is sealed (partial) instead of staying open forever.
   */
  async function giveUpExhaustedUnits(): Promise<void> {
    const unfinished = await shared.unfinishedUnits();
    if (unfinished.length === 0) return;
    // Every unfinished unit's job in one query, not one per unit at every heartbeat of every worker.
    const { rows } = await pool.query<{ key: string; attempts: number; max_attempts: number; locked_at: Date | null }>(
      `SELECT key, attempts, max_attempts, locked_at FROM ${queueSchema}.jobs WHERE key = ANY($1::text[])`,
      [unfinished.map(({ runId, unit }) => `${runId}:${unit}`)],
    );
    const jobs = new Map(rows.map((r) => [r.key, r]));
    for (const { runId, unit } of unfinished) {
      const job = jobs.get(`${runId}:${unit}`);
      if (job && (job.attempts < job.max_attempts || job.locked_at !== null)) continue;
      // Re-read: the unit may have ended while we looked at the queue.
      if (!(await shared.unfinishedUnits()).some((u) => u.runId === runId && u.unit === unit)) continue;
      logger.error({ run: runId, unit, attempts: job?.attempts }, 'unit gave up: no attempts left; its run will be partial');
      const sealed = await shared.endUnit(runId, unit, options.name, job?.attempts ?? 0, 'gave_up', options.clock.now());
      if (sealed) logger.info({ run: sealed.id, status: sealed.status }, 'run sealed');
    }
  }

  const timer = setInterval(() => void beat(), Math.max(250, options.visibilityTimeoutMs / 4));
  const done = runners.finally(async () => {
    clearInterval(timer);
    await pool.query(`DELETE FROM ${heartbeatsTable} WHERE worker_id = ANY($1::text[])`, [[...workerIds]]).catch(() => {});
    await pool.end().catch(() => {});
    await queuePool.end().catch(() => {});
  });
  return {
    done,
    async stop() {
      stopping = true;
      await runner.stop();
      await done;
    },
  };
}

/**
 * While the worker stops, collectors cut short end as failed (`aborted`, or a network error from
 * the cancelled request); those outcomes are evidence of the shutdown, not of the system, so they
 * are not written: the unit is handed back and its unfinished collectors run again. Collectors
 * that finished keep their outcome.
 */
function handBackOnAbort(writer: RunWriter, signal: AbortSignal): RunWriter {
  return {
    runId: writer.runId,
    addObservations: (batch) => writer.addObservations(batch),
    addFile: (content) => writer.addFile(content),
    addCheckResults: (batch) => writer.addCheckResults(batch),
    addOutcome: async (outcome, last) => {
      // Its last records go too: the retry collects them again.
      if (signal.aborted && outcome.status === 'failed') return;
      await writer.addOutcome(outcome, last);
    },
    finish: (status, at) => writer.finish(status, at),
    abandon: () => writer.abandon(),
  };
}

/** `annexa worker --healthcheck`: the database answers and a worker of this name beat recently. */
export async function workerHealth(url: string, name: string, visibilityTimeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('${heartbeatsTable}')::text AS t`);
    if (!exists.rows[0]?.t) return { ok: false, detail: 'no worker has started against this database yet' };
    const { rows } = await client.query<{ age: number | null }>(`SELECT EXTRACT(EPOCH FROM now() - MAX(beat_at))::float8 AS age FROM ${heartbeatsTable} WHERE name = $1`, [name]);
    const age = rows[0]?.age;
    if (age === null || age === undefined) return { ok: false, detail: `no heartbeat from worker ${name}` };
    const ok = age * 1000 < visibilityTimeoutMs;
    return { ok, detail: `worker ${name}: last heartbeat ${age.toFixed(1)} s ago` };
  } catch (error) {
    return { ok: false, detail: `database unreachable: ${(error as Error).message}` };
  } finally {
    await client.end().catch(() => {});
  }
}
