import { Logger as GraphileLogger, runMigrations } from 'graphile-worker';
import type { Logger as AppLogger } from '../core/logger.js';
import pg from 'pg';
import { z } from 'zod';
import { planUnits, type CollectionPlan } from '../pipeline/plan.js';
import type { EvidenceStore, SharedRuns } from '../../storage/evidence-store.js';
import { runSealedChannel } from '../../storage/postgres-store.js';
import { toolVersion } from '../core/version.js';
import { UsageError } from '../core/errors.js';

/**
 * Distributed collection on a PostgreSQL job queue (graphile-worker, in its own schema next to the
 * evidence store). A run is split into units (`planUnits`); each unit is one job. A unit is a
 * connector instance (one credential, one rate budget, one HTTP queue), or one part of it when its
 * connector splits (an AWS organisation: one unit per account, `aws-prod/111122223333`, each
 * account's assumed role its own budget). The job's queue name is the unit (`annexa:<unit>`), and
 * graphile-worker runs the jobs of one queue name one at a time across all workers, so no two
 * workers ever spend the same budget, even for two runs.
 */

/** The graphile-worker task that collects one unit. */
export const collectUnitTask = 'annexa_collect_unit';
/** The schema graphile-worker keeps its jobs in (mutable, unlike the evidence tables). */
export const queueSchema = 'annexa_queue';
/** Attempts per unit before it gives up (a retry after a dead worker counts as one). */
export const maxAttempts = 5;

/** A job's payload: which run, which unit, which of its collectors. */
export const unitJobPayload = z.strictObject({ runId: z.string(), unit: z.string(), collectors: z.array(z.string()) });
export type UnitJobPayload = z.infer<typeof unitJobPayload>;

/** One unit of a planned run, as enqueued. */
export interface QueuedUnit {
  unit: string;
  /** The budget the unit spends: jobs with the same queue name never run at once. */
  queueName: string;
  collectors: string[];
}

/** The jobs of a plan: one per unit (`planUnits`). */
export function queuedUnits(plan: CollectionPlan): QueuedUnit[] {
  return planUnits(plan).map(({ unit, collectors }) => ({ unit, queueName: `annexa:${unit}`, collectors: collectors.map((c) => c.id) }));
}

/**
 * Creates or upgrades the queue's schema (graphile-worker's own migrations), one process at a
 * time (an advisory lock): three workers starting together must not race to create it.
 */
export async function prepareQueue(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('annexa.queue.migrate'))");
    await runMigrations({ connectionString: url, schema: queueSchema, logger: queueLogger() });
    await client.query(`CREATE TABLE IF NOT EXISTS ${queueSchema}.worker_heartbeats (worker_id text PRIMARY KEY, name text NOT NULL, beat_at timestamptz NOT NULL)`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The store's shared runs, or a usage error naming what is needed. */
export function sharedRunsOf(store: EvidenceStore): SharedRuns {
  if (!store.sharedRuns) throw new UsageError(`distributed collection needs the PostgreSQL store (store.url in the config); ${store.location} is a single-writer store`);
  return store.sharedRuns;
}

/**
 * Enqueues one run: creates the shared run and its jobs in one transaction. While a run over the
 * same units is still open, returns it instead and enqueues nothing (two schedulers firing at once
 * make one run). The queue must exist: {@link prepareQueue} first, once per process (it costs a
 * connection and graphile-worker's migration check, about 50 ms here).
 */
export async function scheduleRun(args: { store: EvidenceStore; plan: CollectionPlan; command: string; now: Date }): Promise<{ runId: string; created: boolean; units: QueuedUnit[] }> {
  const units = queuedUnits(args.plan);
  const { runId, created } = await sharedRunsOf(args.store).create(
    { command: args.command, toolVersion, startedAt: args.now },
    units.map((u) => u.unit),
    async (tx, id) => {
      // graphile-worker's add_jobs: every job in one statement (add_job per unit cost the run's
      // start a round trip each). `true`: a job key already queued keeps its run_at.
      await tx.query(
        `SELECT COUNT(*) FROM ${queueSchema}.add_jobs(
           ARRAY(SELECT ROW($1::text, payload, queue_name, NULL::timestamptz, $2::integer, job_key, NULL::integer, NULL::text[])::${queueSchema}.job_spec
                 FROM unnest($3::json[], $4::text[], $5::text[]) WITH ORDINALITY AS u(payload, queue_name, job_key, n) ORDER BY n),
           true)`,
        [
          collectUnitTask,
          maxAttempts,
          units.map((unit) => JSON.stringify({ runId: id, unit: unit.unit, collectors: unit.collectors } satisfies UnitJobPayload)),
          units.map((unit) => unit.queueName),
          units.map((unit) => `${id}:${unit.unit}`),
        ],
      );
    },
  );
  return { runId, created, units };
}

/**
 * Resolves once `sealed()` says the run is sealed. It asks when listening has begun (a seal
 * before that notified no one), then each time the seal's notification names the run
 * ({@link runSealedChannel}), and every `recheckMs` besides (a notification is lost with its
 * connection). A waiter polling every quarter second learned of a seal 125 ms late on average.
 */
export async function waitForSeal(url: string, runId: string, sealed: () => Promise<boolean>, recheckMs = 5000): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    let notified = false;
    let wake = () => {};
    client.on('notification', (n) => {
      if (n.payload !== runId) return;
      notified = true;
      wake();
    });
    await client.query(`LISTEN ${runSealedChannel}`);
    while (!(await sealed())) {
      if (!notified) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, recheckMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      notified = false;
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/** graphile-worker's own log lines, sent to our logger (debug) instead of the console. */
export function queueLogger(logger?: AppLogger): GraphileLogger {
  return new GraphileLogger(() => (level, message) => logger?.debug({ queue: level }, message));
}
