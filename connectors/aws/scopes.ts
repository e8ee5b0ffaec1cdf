import type { CollectorContext, EvidenceRecord } from '../../src/core/connector.js';
import type { AccountSession, AwsApi } from './client.js';
import type { AwsSettings } from './settings.js';

/** What an AWS collector receives. */
export type AwsContext = CollectorContext<AwsApi, AwsSettings>;

/**
 * Tracks the parts of a collector's scope. A part that fails (AccessDenied on AssumeRole, a
 * disabled region) is reported to the pipeline as a failed part and the next part is collected;
 * when every part fails the collector fails as a whole, so an unreachable setup is never "partial".
 */
class ScopeTracker {
  private firstError: unknown;
  private failed = 0;
  private succeeded = 0;
  constructor(private readonly ctx: AwsContext) {}

  ok(): void {
    this.succeeded++;
  }

  fail(label: string, error: unknown): void {
    if (this.ctx.signal.aborted || !this.ctx.scopeFailed) throw error;
    this.firstError ??= error;
    this.failed++;
    this.ctx.scopeFailed(label, error);
  }

  finish(): void {
    if (this.succeeded === 0 && this.failed > 0) throw this.firstError;
  }
}

/** Yields what `collect` yields for every account (IAM is global: one pass per account). */
export async function* eachAccount<T>(ctx: AwsContext, collect: (session: AccountSession) => AsyncIterable<T>): AsyncGenerator<T> {
  const tracker = new ScopeTracker(ctx);
  for (const target of await ctx.client.accounts()) {
    try {
      yield* collect(await ctx.client.session(target));
      tracker.ok();
    } catch (error) {
      tracker.fail(`account ${target.id}`, error);
    }
  }
  tracker.finish();
}

/**
 * Yields what `collect` yields for every account and configured region. An account whose role
 * cannot be assumed fails once (not once per region); a region failing fails only that region.
 */
export async function* eachRegion<T>(ctx: AwsContext, collect: (session: AccountSession, region: string) => AsyncIterable<T>): AsyncGenerator<T> {
  const tracker = new ScopeTracker(ctx);
  for (const target of await ctx.client.accounts()) {
    let session: AccountSession;
    try {
      session = await ctx.client.session(target);
    } catch (error) {
      tracker.fail(`account ${target.id}`, error);
      continue;
    }
    for (const region of ctx.config.regions) {
      try {
        yield* collect(session, region);
        tracker.ok();
      } catch (error) {
        tracker.fail(`account ${target.id} region ${region}`, error);
      }
    }
  }
  tracker.finish();
}

/** Where an incremental population starts fetching, and what it carries forward from the previous collection. */
export interface IncrementalWindow<P> {
  /** Fetch items created at or after this instant. */
  since: Date;
  /** Previous records of this scope created in the period and before `since`. */
  carried: EvidenceRecord<P>[];
}

/**
 * Incremental collection of an append-mostly population (events, backup jobs): fetch only what was
 * created since the previous collection started (minus a settling margin for late delivery), carry
 * the previous records still inside the period forward, and re-fetch anything that was still open
 * (a running job) so its final state is recorded. Without a usable previous collection, the whole
 * period is fetched.
 */
export function incrementalWindow<P>(options: {
  previous: { startedAt: string; records: readonly EvidenceRecord<unknown>[] } | undefined;
  /** Keeps the previous records of this scope. */
  inScope: (payload: P) => boolean;
  periodStart: Date;
  settleMs: number;
  createdAt: (payload: P) => string;
  isOpen?: (payload: P) => boolean;
}): IncrementalWindow<P> {
  const { previous, periodStart } = options;
  if (!previous) return { since: periodStart, carried: [] };
  const records = (previous.records as EvidenceRecord<P>[]).filter((r) => options.inScope(r.payload));
  let since = Math.max(periodStart.getTime(), Date.parse(previous.startedAt) - options.settleMs);
  for (const r of records) if (options.isOpen?.(r.payload)) since = Math.min(since, Date.parse(options.createdAt(r.payload)));
  const carried = records.filter((r) => {
    const created = Date.parse(options.createdAt(r.payload));
    return created >= periodStart.getTime() && created < since;
  });
  return { since: new Date(since), carried };
}

/** ISO-8601 UTC of an SDK date (or null). */
export function iso(date: Date | undefined | null): string | null {
  return date ? date.toISOString() : null;
}
