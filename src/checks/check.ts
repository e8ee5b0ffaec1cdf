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

/**
 * One input (a kind from one connector instance) the runner withheld from a cross-instance check
 * because it is not current. The runner reports it as its own result; the check may name it.
 */
export interface UnavailableInput {
  kind: string;
  instanceId: string;
  status: 'stale' | 'not_collected';
  message: string;
}

/** What `evaluate` receives: only evidence, the date and parameters. No I/O, by construction. */
export interface CheckInput<Params> {
  /**
   * Evidence by kind, for one connector instance; every declared kind is present and current.
   * Empty for `across-instances` checks (one kind can come from several instances): read `sets`.
   */
  evidence: Readonly<Record<string, EvidenceSet>>;
  /** The instance judged; `*` for an `across-instances` check. */
  instanceId: string;
  /**
   * Every current evidence set the check may read, one per (kind, instance), sorted by kind then
   * instance. For a per-instance check these are the values of `evidence`. (Optional only so
   * inputs built by hand for per-instance checks stay valid; the runner always sets it.)
   */
  sets?: readonly EvidenceSet[];
  /**
   * `across-instances` only: inputs the runner withheld because they are stale or their last
   * collection failed (always empty for per-instance checks, which are not evaluated at all then).
   */
  unavailable?: readonly UnavailableInput[];
  asOf: Date;
  params: Params;
}

/**
 * How a check is applied to connector instances.
 * - `instance` (the default): once per connector instance that collected any of `kinds`, over
 *   that instance's evidence; if any kind is not current for it, `evaluate` is not called.
 * - `across-instances`: once (instance id `*`) over the current evidence of `kinds` from every
 *   instance that collected them, e.g. linking one person's accounts across GitHub, Entra ID and
 *   Google. Inputs that are stale or failed are withheld from `evaluate` and reported by the
 *   runner, one result per input; because the check then sees only part of the picture, the
 *   runner turns its `pass`/`warn` results into `stale`/`not_collected` (its `fail`/`error`
 *   results stand: they were judged on current evidence). A current collection that failed for
 *   part of its scope (one AWS account) is judged on what was collected, and each gap is named
 *   as a `not_collected` result (`instance/kind`), as for per-instance checks.
 */
export type CheckScope = 'instance' | 'across-instances';

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
  /**
   * Evidence kinds read. Per-instance checks: all must be current for `evaluate` to run.
   * Cross-instance checks: every current set of these kinds, from any instance, is passed in.
   */
  kinds: readonly string[];
  /** Default `instance`; see {@link CheckScope}. */
  scope?: CheckScope;
  /**
   * `across-instances` only: kinds in `kinds` that no instance needs to have collected (an
   * organisation without AWS still gets its people checks). A required kind (every other one)
   * that no instance has collected makes the check `not_collected`, one result per missing kind,
   * without calling `evaluate`. Default: none, all required.
   */
  optionalKinds?: readonly string[];
  /** Parameters (with defaults) settable under `checks.<id>` in annexa.yaml. */
  params?: z.ZodType<Params>;
  evaluate(input: CheckInput<Params>): CheckResult[];
}

/** Declares a check; the identity function exists for type inference. */
export function defineCheck<Params>(definition: CheckDefinition<Params>): CheckDefinition<Params> {
  return definition;
}

/** Every current set of one kind, from every instance (for `across-instances` checks). */
export function setsOfKind(input: Pick<CheckInput<unknown>, 'sets'>, kind: string): readonly EvidenceSet[] {
  return (input.sets ?? []).filter((s) => s.kind === kind);
}

/** Typed access to an evidence set's payloads (the collector's zod schema guaranteed the shape at write time). */
export function payloadsOf<P>(set: EvidenceSet | undefined): readonly { subject: string; payload: P }[] {
  return (set?.records ?? []) as readonly { subject: string; payload: P }[];
}
