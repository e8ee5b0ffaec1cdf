import type { CollectorContext } from '../../src/core/connector.js';
import type { AccountSession, AwsApi } from './client.js';
import type { AwsSettings } from './settings.js';
import { mergeConcurrent } from '../../src/core/concurrency.js';

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

/**
 * Like {@link eachRegion}, but the accounts and regions are collected side by side (up to
 * `concurrency` at once) and their records interleave. For collectors whose time is a cursor chain
 * per account and region under a per-account-and-region rate limit (CloudTrail LookupEvents): one
 * after another, the chains would add up; side by side the collection takes the longest one.
 */
export async function* eachRegionConcurrently<T>(ctx: AwsContext, collect: (session: AccountSession, region: string) => AsyncIterable<T>, concurrency = 8): AsyncGenerator<T> {
  const tracker = new ScopeTracker(ctx);
  const parts: (() => AsyncIterable<T>)[] = [];
  for (const target of await ctx.client.accounts()) {
    let session: AccountSession;
    try {
      session = await ctx.client.session(target);
    } catch (error) {
      tracker.fail(`account ${target.id}`, error);
      continue;
    }
    for (const region of ctx.config.regions) {
      parts.push(async function* () {
        try {
          yield* collect(session, region);
          tracker.ok();
        } catch (error) {
          tracker.fail(`account ${target.id} region ${region}`, error);
        }
      });
    }
  }
  yield* mergeConcurrent(parts, concurrency);
  tracker.finish();
}

/** ISO-8601 UTC of an SDK date (or null). */
export function iso(date: Date | undefined | null): string | null {
  return date ? date.toISOString() : null;
}
