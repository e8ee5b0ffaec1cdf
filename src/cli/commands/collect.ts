import { runCollection, type CollectResult, type CollectorOutcome } from '../../pipeline/collect.js';
import { planCollection } from '../../pipeline/plan.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { Redactor } from '../../core/redact.js';
import { StoreWriteError, isStoreIoError } from '../../core/errors.js';
import type { AnnexaConfig } from '../../config/config.js';
import { openEvidenceStore } from '../../../storage/open-store.js';
import { commandLogger, loadConfig, outboundFetch, type CliIO, type GlobalOptions } from '../runtime.js';
import { json, table } from '../table.js';
import { exitCodes } from '../exit-codes.js';
import type { Logger } from '../../core/logger.js';

export interface CollectCommandOptions extends GlobalOptions {
  only?: string[];
}

/** `annexa collect`: load config, plan, collect into the store; exit 3 when any collector failed. */
export async function collectCommand(options: CollectCommandOptions, io: CliIO, command: string): Promise<number> {
  const redactor = new Redactor();
  const config = loadConfig(options, io, redactor);
  const logger = commandLogger(options, io, redactor, config.logLevel);
  const result = await collectWithConfig({ config, only: options.only ?? [], io, logger, redactor, command, clock: systemClock, fetch: outboundFetch(io, logger, redactor) });
  io.stdout(options.json ? json(result) : formatCollectResult(result, config.storePath));
  return result.status === 'complete' ? exitCodes.ok : exitCodes.partial;
}

/** Shared by `collect` and `demo`: runs a collection with signal handling and progress lines. */
export async function collectWithConfig(args: {
  config: AnnexaConfig;
  only: readonly string[];
  io: CliIO;
  logger: Logger;
  redactor: Redactor;
  command: string;
  clock: Clock;
  fetch: typeof fetch;
}): Promise<CollectResult> {
  const plan = planCollection(args.config, args.only);
  const store = await openEvidenceStore(args.config.store).catch((error: unknown) => {
    throw isStoreIoError(error) ? new StoreWriteError(args.config.storePath, error) : error;
  });
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    args.logger.warn({ signal }, 'stopping: collectors end as aborted and the run is sealed as partial');
    controller.abort(new Error(`received ${signal}`));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runCollection({
      plan,
      store,
      fetch: args.fetch,
      clock: args.clock,
      logger: args.logger,
      redactor: args.redactor,
      signal: controller.signal,
      command: args.command,
      onOutcome: args.io.isTTY ? (o) => args.io.stderr(progressLine(o)) : undefined,
    });
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    await store.close();
  }
}

function progressLine(o: CollectorOutcome): string {
  const mark = o.status === 'failed' ? '✗' : o.scopeFailures?.length ? '!' : '✓';
  const detail = o.status === 'collected' ? `${o.recordCount} records${o.scopeFailures?.length ? `; ${o.errorMessage}` : ''}` : `${o.errorCode}: ${o.errorMessage}`;
  return `${mark} ${o.instanceId}/${o.collectorId}  ${detail}  (${(o.durationMs / 1000).toFixed(1)} s)\n`;
}

/** The human summary of a collection. */
export function formatCollectResult(result: CollectResult, storePath: string): string {
  const rows = result.outcomes.map((o) => [
    o.instanceId,
    o.collectorId,
    o.kind,
    o.status === 'collected' ? String(o.recordCount) : '-',
    o.status === 'failed' ? `FAILED ${o.errorCode}` : o.scopeFailures?.length ? `PARTIAL ${o.errorCode}` : 'collected',
  ]);
  const failures = result.outcomes
    .filter((o) => o.status === 'failed' || o.scopeFailures?.length)
    .map((o) => `  ${o.instanceId}/${o.collectorId}: ${o.errorCode}: ${o.errorMessage}\n`)
    .join('');
  return (
    table(['connector', 'collector', 'kind', 'records', 'outcome'], rows) +
    (failures ? `\nFailures:\n${failures}` : '') +
    `\nRun ${result.run.id}: ${result.status}, ${result.run.observationCount} observations sealed (hash ${result.run.hash?.slice(0, 16)}…)\n` +
    `Store: ${storePath}\n`
  );
}
