import type { CollectionPlan } from './plan.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Redactor } from '../core/redact.js';
import type { CollectorDefinition, EvidenceRecord, PreviousCollection, ScopeFailure } from '../core/connector.js';
import type { ConnectorInstanceConfig } from '../config/config.js';
import { CollectError, StoreWriteError, classifyError, isStoreIoError, type CollectErrorCode } from '../core/errors.js';
import { createHttpFetch } from '../http/http-fetch.js';
import type { EvidenceStore, ObservationInput, RunInfo, RunWriter } from '../../storage/evidence-store.js';
import { toolName, toolVersion } from '../core/version.js';

/** What a collection needs; all I/O injected. */
export interface CollectOptions {
  plan: CollectionPlan;
  store: EvidenceStore;
  /** The transport under the shared HTTP layer (`nodeFetch` in production, `src/http/node-fetch.ts`). */
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  redactor: Redactor;
  /** Cancels the run (SIGINT/SIGTERM): collectors end as `aborted`, the run as partial. */
  signal?: AbortSignal;
  /** The command line, recorded with the run. */
  command: string;
  /** Called as each collector ends (the CLI prints progress from it). */
  onOutcome?: (outcome: CollectorOutcome) => void;
  /**
   * Records waiting for the store, all collectors of the run together (default 5000): when they
   * reach it, they are written in one call (see {@link RunBuffer}).
   */
  batchSize?: number;
}

/** How one collector ended. */
export interface CollectorOutcome {
  instanceId: string;
  connectorType: string;
  collectorId: string;
  kind: string;
  status: 'collected' | 'failed';
  recordCount: number;
  errorCode?: CollectErrorCode;
  errorMessage?: string;
  /**
   * Parts of the scope that failed while the rest was collected (an AWS account whose role could
   * not be assumed). The outcome stays `collected`, stores the first code and every failure in
   * its message, and the run is `partial`.
   */
  scopeFailures?: ScopeFailure[];
  durationMs: number;
}

/** The result of a run: `complete` when every collector collected, `partial` when some failed. */
export interface CollectResult {
  run: RunInfo;
  status: 'complete' | 'partial' | 'failed';
  outcomes: CollectorOutcome[];
}

/**
 * Runs a collection plan into the store: one run, every collector of every instance, in parallel
 * (each instance's HTTP queue bounds its API load). A failing collector records a failed outcome
 * with a stable code and never stops the others; records are validated against the collector's
 * payload schema, redacted, and written in batches so memory stays flat.
 */
export async function runCollection(options: CollectOptions): Promise<CollectResult> {
  const { plan, store, clock, logger } = options;
  const writer = await storeWrite(store, () => store.startRun({ command: options.command, toolVersion, startedAt: clock.now() }));
  logger.info({ runId: writer.runId }, 'collection started');
  let outcomes: CollectorOutcome[];
  try {
    outcomes = await collectInto(writer, options);
  } catch (error) {
    // Only store failures reach here (collectors never throw): leave the run for the next start to seal.
    await writer.abandon();
    throw error;
  }
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  const partlyFailed = outcomes.filter((o) => o.scopeFailures?.length).length;
  const status = failed === 0 && partlyFailed === 0 ? 'complete' : failed === outcomes.length ? 'failed' : 'partial';
  const run = await writer.finish(status, clock.now());
  logger.info({ runId: run.id, status, collectors: outcomes.length, failed }, 'collection finished');
  return { run, status, outcomes: sortOutcomes(outcomes, plan) };
}

/**
 * Collects a plan into an open run: every collector of every instance in parallel (each
 * instance's HTTP queue bounds its API load). Used by {@link runCollection} for a whole run and by
 * `annexa worker` for one unit of a shared run. Throws only when the store fails.
 */
export async function collectInto(writer: RunWriter, options: Omit<CollectOptions, 'command'>): Promise<CollectorOutcome[]> {
  const { clock, logger } = options;
  const { plan } = options;
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const outcomes: CollectorOutcome[] = [];
  const buffer = new RunBuffer(writer, options.store, options.batchSize ?? 5000);
  await Promise.all(
    plan.instances.map(async ({ instance, collectors }) => {
      const instanceLogger = logger.child({ connector: instance.id });
      const io = {
        fetch: createHttpFetch({ policy: instance.http, fetch: options.fetch, clock, logger: instanceLogger, signal }),
        clock,
        logger: instanceLogger,
        signal,
      };
      let client: unknown;
      let clientError: unknown;
      try {
        client = instance.definition.createClient(instance.settings, io);
      } catch (error) {
        clientError = error;
      }
      await Promise.all(
        collectors.map(async (collector) => {
          const outcome = await runCollector({ ...options, writer, instance, collector, client, clientError, signal, logger: instanceLogger, buffer });
          outcomes.push(outcome);
          options.onOutcome?.(outcome);
        }),
      );
    }),
  );
  return outcomes;
}

interface CollectorJob extends Omit<CollectOptions, 'command'> {
  writer: RunWriter;
  instance: ConnectorInstanceConfig;
  collector: CollectorDefinition<unknown, unknown>;
  client: unknown;
  clientError: unknown;
  signal: AbortSignal;
  buffer: RunBuffer;
}

/**
 * The records of a run's collectors waiting for the store, all collectors together: when they
 * reach `limit`, every one of them is written in one call, which the store makes one transaction.
 *
 * Why one buffer for the run: every collector runs at once (25 at scale 50). A batch per collector
 * either let 25 full batches wait in memory or, bounded run-wide, made collectors write small
 * batches of their own: each a transaction whose cost hardly depends on its size (SQLite, 100,000
 * records: 2.5-2.9 s in batches of 500, 1.6-1.7 s in batches of 5,000).
 *
 * Writes go one at a time. A full buffer goes to the store and collectors go on filling the
 * next one; a collector waits only when that one is full too while the store still writes (so at
 * most two buffers' records are held). The store takes its time over a write (SQLite hands the
 * event loop back as it goes), and a collector that waited for it, with its cursor chain, stood
 * still for as long. A collector's records still waiting when it ends go with its outcome
 * ({@link takeOf}), taken in turn with the writes, so its outcome is never stored before records
 * of its own that an earlier write holds. A failed write reaches every collector that adds to a
 * full buffer or ends after it.
 */
export class RunBuffer {
  private records: ObservationInput[] = [];
  private writing: Promise<void> = Promise.resolve();
  /** Writes queued and not ended. */
  private queued = 0;

  constructor(
    private readonly writer: RunWriter,
    private readonly store: EvidenceStore,
    private readonly limit: number,
  ) {}

  /** Adds a record; when the buffer is full and the store is still writing, resolves once it is free. */
  async add(record: ObservationInput): Promise<void> {
    this.records.push(record);
    if (this.records.length < this.limit) return;
    if (this.queued > 0) {
      await this.writing;
      // Another collector may have queued a write of this buffer meanwhile.
      if (this.records.length < this.limit) return;
    }
    this.queued += 1;
    this.writing = this.writing.then(() => this.write()).finally(() => (this.queued -= 1));
    // Reaches the collectors that add to a full buffer or end later (through the chain).
    this.writing.catch(() => undefined);
  }

  /**
   * Takes out the records of one collector still waiting. Queued on the same chain as the writes:
   * it runs once every write queued before it has ended, and a write queued after it cannot take
   * this collector's records first.
   */
  takeOf(instanceId: string, collectorId: string): Promise<ObservationInput[]> {
    const taken = this.writing.then(() => {
      const mine: ObservationInput[] = [];
      const others: ObservationInput[] = [];
      for (const r of this.records) (r.instanceId === instanceId && r.collectorId === collectorId ? mine : others).push(r);
      this.records = others;
      return mine;
    });
    this.writing = taken.then(() => undefined);
    // A failed write stays in the chain for whoever writes next; the caller of takeOf gets it through `taken`.
    this.writing.catch(() => undefined);
    return taken;
  }

  private async write(): Promise<void> {
    // A write queued behind another may find the buffer emptied by it.
    if (this.records.length < this.limit) return;
    const batch = this.records;
    this.records = [];
    await storeWrite(this.store, () => this.writer.addObservations(batch));
  }
}

async function runCollector(job: CollectorJob): Promise<CollectorOutcome> {
  const { writer, instance, collector, clock, redactor, logger } = job;
  const startedAt = clock.now();
  const started = performance.now();
  let count = 0;
  let failure: { code: CollectErrorCode; message: string } | undefined;
  const classify = (error: unknown) => {
    const classified = instance.definition.classifyError?.(error) ?? classifyError(error);
    return { code: job.signal.aborted && classified.code === 'unexpected' ? ('aborted' as const) : classified.code, message: redactor.redact(classified.message) };
  };
  const scopeFailures: ScopeFailure[] = [];
  try {
    if (job.clientError) throw job.clientError;
    const records = collector.collect({
      client: job.client,
      config: instance.settings,
      instanceId: instance.id,
      clock,
      logger: logger.child({ collector: collector.id }),
      signal: job.signal,
      scopeFailed: (scope, error) => {
        const classified = classify(error);
        scopeFailures.push({ scope: redactor.redact(scope), ...classified });
        logger.error({ collector: collector.id, scope, code: classified.code, err: classified.message }, 'collector failed for part of its scope');
      },
      previous: () => previousCollection(job.store, instance.id, collector.kind),
    });
    for await (const record of records) {
      const checked = collector.payload.safeParse(record.payload);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw new CollectError(
          'invalid_payload',
          `${collector.kind} record "${record.subject}" does not match its schema: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
        );
      }
      count++;
      await job.buffer.add({
        instanceId: instance.id,
        collectorId: collector.id,
        kind: collector.kind,
        subject: redactor.redact(record.subject),
        payload: redactor.redactDeep(checked.data),
        collectedAt: clock.now(),
        provenance: { tool: toolName, connectorType: instance.type, requests: redactor.redactDeep(record.requests) },
      });
    }
  } catch (error) {
    // The store failed, not the collector: the run stops (runCollection leaves it unsealed).
    if (error instanceof StoreWriteError) throw error;
    failure = classify(error);
  }
  // A failed part is reported like a failure, but the outcome stays `collected`: the other parts are current evidence.
  const partial =
    !failure && scopeFailures.length > 0
      ? { code: scopeFailures[0]!.code, message: `partially collected: ${scopeFailures.map((f) => `${f.scope}: ${f.code}: ${f.message}`).join('; ')}` }
      : undefined;
  // Records seen before a failure are kept: they are evidence of what was visible, marked by the
  // failed outcome. The records still waiting go with the outcome: one write, not two.
  const last = await job.buffer.takeOf(instance.id, collector.id);
  const outcome: CollectorOutcome = {
    instanceId: instance.id,
    connectorType: instance.type,
    collectorId: collector.id,
    kind: collector.kind,
    status: failure ? 'failed' : 'collected',
    recordCount: count,
    ...(failure ? { errorCode: failure.code, errorMessage: failure.message } : {}),
    ...(partial ? { errorCode: partial.code, errorMessage: partial.message, scopeFailures } : {}),
    durationMs: Math.round(performance.now() - started),
  };
  await storeWrite(job.store, () => writer.addOutcome({
    instanceId: outcome.instanceId,
    connectorType: outcome.connectorType,
    collectorId: outcome.collectorId,
    kind: outcome.kind,
    status: outcome.status,
    recordCount: count,
    ...(failure ? { errorCode: failure.code, errorMessage: failure.message } : {}),
    ...(partial ? { errorCode: partial.code, errorMessage: partial.message } : {}),
    startedAt,
    finishedAt: clock.now(),
  }, last));
  if (failure) logger.error({ collector: collector.id, code: failure.code, err: failure.message }, 'collector failed');
  else logger.info({ collector: collector.id, records: count }, 'collector finished');
  return outcome;
}

/**
 * The newest successful collection of a kind from an instance, unless it was partial (a failed
 * account has nothing to carry forward, so incremental collection would leave a gap for it).
 * The store keeps requests once per collection; `requestsOf` resolves each record's.
 */
async function previousCollection(store: EvidenceStore, instanceId: string, kind: string): Promise<PreviousCollection | undefined> {
  const snapshot = (await store.latest(kind, { instanceId }))[0];
  const last = snapshot?.lastCollected;
  if (!snapshot || !last || last.errorCode) return undefined;
  const records: EvidenceRecord<unknown>[] = [];
  for (const record of snapshot.records) records.push({ subject: record.subject, payload: record.payload, requests: await store.requestsOf(record) });
  return { startedAt: last.startedAt, records };
}

/** A write to the store; its failure (disk full, read-only) becomes a {@link StoreWriteError}. */
async function storeWrite<T>(store: EvidenceStore, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw isStoreIoError(error) ? new StoreWriteError(store.location, error) : error;
  }
}

/** Plan order, so output does not depend on which collector finished first. */
function sortOutcomes(outcomes: CollectorOutcome[], plan: CollectionPlan): CollectorOutcome[] {
  const order = plan.instances.flatMap(({ instance, collectors }) => collectors.map((c) => `${instance.id}/${c.id}`));
  return [...outcomes].sort((a, b) => order.indexOf(`${a.instanceId}/${a.collectorId}`) - order.indexOf(`${b.instanceId}/${b.collectorId}`));
}
