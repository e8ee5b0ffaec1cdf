import type { z } from 'zod';

/**
 * A check's verdict about one subject.
 * - `pass` / `fail`: judged on current evidence;
 * - `warn`: current evidence that needs a human look (an outside collaborator to review);
 * - `stale`: the newest evidence is older than its collector's TTL;
 * - `not_collected`: no evidence, or the last collection failed;
 * - `error`: the evidence cannot support a verdict (a field the token could not see).
 * Only `pass` and `warn` count as evidence that a control operates.
 */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'stale' | 'not_collected' | 'error';

export const checkStatuses: readonly CheckStatus[] = ['pass', 'fail', 'warn', 'stale', 'not_collected', 'error'];

/** One result of a check. */
export interface CheckResult {
  /** What the verdict is about (a member login, a repository, `owner/name#12`). */
  subject: string;
  status: CheckStatus;
  /** One line a security lead can act on. */
  message: string;
}

/** The current records of one evidence kind from one connector instance. */
export interface EvidenceSet<Payload = unknown> {
  kind: string;
  instanceId: string;
  /** When the collection these records come from finished. */
  collectedAt: string;
  records: readonly { subject: string; payload: Payload; digest: string }[];
}

/** What `evaluate` receives: only evidence, the date and parameters. No I/O, by construction. */
export interface CheckInput<Params> {
  /** Evidence by kind, for one connector instance; every declared kind is present and current. */
  evidence: Readonly<Record<string, EvidenceSet>>;
  instanceId: string;
  asOf: Date;
  params: Params;
}

/**
 * A check: a pure function from stored evidence to results. Checks never fetch; the runner
 * decides `stale` and `not_collected` before `evaluate` is called, so a check can only pass on
 * current, successfully collected evidence.
 */
export interface CheckDefinition<Params = unknown> {
  /** Reads as a sentence: `github.default_branch.requires_review`. */
  id: string;
  title: string;
  description: string;
  /** Evidence kinds read; all must be current for `evaluate` to run. */
  kinds: readonly string[];
  /** Parameters (with defaults) settable under `checks.<id>` in annexa.yaml. */
  params?: z.ZodType<Params>;
  evaluate(input: CheckInput<Params>): CheckResult[];
}

/** Declares a check; the identity function exists for type inference. */
export function defineCheck<Params>(definition: CheckDefinition<Params>): CheckDefinition<Params> {
  return definition;
}

/** Typed access to an evidence set's payloads (the collector's zod schema guaranteed the shape at write time). */
export function payloadsOf<P>(set: EvidenceSet | undefined): readonly { subject: string; payload: P }[] {
  return (set?.records ?? []) as readonly { subject: string; payload: P }[];
}
