import { hostname } from 'node:os';
import { systemClock } from '../../core/clock.js';
import { Redactor } from '../../core/redact.js';
import { UsageError } from '../../core/errors.js';
import { planCollection } from '../../pipeline/plan.js';
import { prepareQueue, scheduleRun, waitForSeal } from '../../scale/queue.js';
import { startWorker, workerHealth } from '../../scale/worker.js';
import type { AnnexaConfig } from '../../config/config.js';
import { openEvidenceStore } from '../../../storage/open-store.js';
import type { RunDetail, RunJob } from '../../../storage/evidence-store.js';
import { commandLogger, loadConfig, outboundFetch, type CliIO, type GlobalOptions } from '../runtime.js';
import { json, table } from '../table.js';
import { exitCodes } from '../exit-codes.js';

/** The database URL of a PostgreSQL store config, or a usage error: the queue lives next to the store. */
function databaseUrl(config: AnnexaConfig): string {
  if (config.store.kind !== 'postgres') {
    throw new UsageError(`${config.file}: store: distributed collection needs the PostgreSQL store (store: { url: \${ANNEXA_DATABASE_URL} }), not a SQLite file`);
  }
  return typeof config.store.url === 'string' ? config.store.url : config.store.url.reveal();
}

export interface ScheduleOptions extends GlobalOptions {
  only?: string[];
  wait?: boolean;
  /** Keep running and enqueue a run every interval (`30m`, `24h`): the compose file's scheduler. */
  every?: string;
}

/**
 * `annexa schedule`: enqueues one run as jobs, one per unit (a connector instance, or an AWS account of one), for `annexa worker`
 * processes to take. While a run over the same units is still open it joins that one instead, so
 * two schedulers firing at once make one run. `--wait` waits until the run is sealed (exit 3 when partial).
 */
export async function scheduleCommand(options: ScheduleOptions, io: CliIO, command: string): Promise<number> {
  if (options.every !== undefined) {
    const match = /^(\d+)(s|m|h)$/.exec(options.every);
    if (!match || Number(match[1]) === 0) throw new UsageError(`--every ${options.every}: expected an interval like 30m or 24h`);
    const intervalMs = Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
    const stopped = new AbortController();
    const stop = () => stopped.abort();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    try {
      while (!stopped.signal.aborted) {
        await scheduleCommand({ ...options, every: undefined }, io, command);
        await systemClock.sleep(intervalMs, stopped.signal).catch(() => {});
      }
    } finally {
      process.removeListener('SIGTERM', stop);
      process.removeListener('SIGINT', stop);
    }
    return exitCodes.ok;
  }
  const redactor = new Redactor();
  // The scheduler needs no connector credentials, only the plan and the database.
  const config = loadConfig(options, io, redactor, true);
  const url = databaseUrl(config);
  const plan = planCollection(config, options.only ?? []);
  const store = await openEvidenceStore(config.store);
  try {
    await prepareQueue(url);
    const scheduled = await scheduleRun({ store, plan, command, now: systemClock.now() });
    if (!options.wait) {
      io.stdout(
        options.json
          ? json(scheduled)
          : `${scheduled.created ? 'Enqueued' : 'Joined the open'} run ${scheduled.runId}: ${scheduled.units.map((u) => u.unit).join(', ')}\n`,
      );
      return exitCodes.ok;
    }
    let run: RunDetail | undefined;
    await waitForSeal(url, scheduled.runId, async () => {
      run = await store.run(scheduled.runId);
      return run !== undefined && run.status !== 'running';
    });
    if (!run) throw new Error(`run ${scheduled.runId} is gone from the store`);
    const jobs = (await store.sharedRuns?.jobs(run.id)) ?? [];
    io.stdout(options.json ? json({ ...scheduled, run, jobs }) : formatSharedRun(run, jobs));
    return run.status === 'complete' ? exitCodes.ok : exitCodes.partial;
  } finally {
    await store.close();
  }
}

export interface WorkerCommandOptions extends GlobalOptions {
  concurrency: string;
  name?: string;
  visibilityTimeout: string;
  grace: string;
  healthcheck?: boolean;
}

/** `annexa worker`: takes jobs until SIGTERM/SIGINT (graceful); `--healthcheck` for container probes. */
export async function workerCommand(options: WorkerCommandOptions, io: CliIO): Promise<number> {
  const concurrency = positive(options.concurrency, '--concurrency');
  const visibilityTimeoutMs = positive(options.visibilityTimeout, '--visibility-timeout') * 1000;
  const graceMs = positive(options.grace, '--grace') * 1000;
  const name = options.name ?? io.env.ANNEXA_WORKER_NAME ?? hostname();
  const redactor = new Redactor();
  if (options.healthcheck) {
    const config = loadConfig(options, io, redactor, true);
    const health = await workerHealth(databaseUrl(config), name, visibilityTimeoutMs);
    io.stdout(`${health.ok ? 'healthy' : 'UNHEALTHY'}: ${redactor.redact(health.detail)}\n`);
    return health.ok ? exitCodes.ok : exitCodes.unexpected;
  }
  const config = loadConfig(options, io, redactor);
  const url = databaseUrl(config);
  const logger = commandLogger(options, io, redactor, config.logLevel);
  const store = await openEvidenceStore(config.store);
  try {
    const worker = await startWorker({ config, url, store, name, concurrency, visibilityTimeoutMs, graceMs, fetch: outboundFetch(io, logger, redactor), clock: systemClock, logger, redactor });
    logger.info({ worker: name, concurrency }, 'worker started: waiting for jobs');
    const stop = (signal: NodeJS.Signals) => {
      logger.warn({ signal }, 'stopping: running units finish or are handed back');
      void worker.stop();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    try {
      await worker.done;
    } finally {
      process.removeListener('SIGTERM', stop);
      process.removeListener('SIGINT', stop);
    }
    logger.info({ worker: name }, 'worker stopped');
    return exitCodes.ok;
  } finally {
    await store.close();
  }
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} ${value}: expected a positive number`);
  return n;
}

/** A shared run: its outcomes, and which worker ran which unit, attempt by attempt. */
export function formatSharedRun(run: RunDetail, jobs: readonly RunJob[]): string {
  const retries = jobs.filter((j) => j.attempt > 1).length;
  return (
    `Run ${run.id} ${run.status}: ${run.observationCount} observations, hash ${run.hash?.slice(0, 16) ?? '-'}…${retries ? ` (${retries} retried attempt(s))` : ''}\n\n` +
    formatJobs(jobs)
  );
}

export function formatJobs(jobs: readonly RunJob[]): string {
  return table(
    ['unit', 'attempt', 'worker', 'started', 'ended', 'result'],
    jobs.map((j) => [j.unit, j.attempt, j.worker, j.startedAt, j.endedAt ?? '-', j.result ?? (j.attempt > 0 ? 'no end (worker died or still running)' : '-')]),
  );
}
