import type { EvidenceStore, KindSummary } from '../../storage/evidence-store.js';
import type { ConnectorDefinition } from '../core/connector.js';
import type { CheckDefinition, CheckInput, CheckResult, EvidenceSet, UnavailableInput } from './check.js';

/** The evidence a check evaluation read, so a recorded result can be traced to the exact payloads. */
export interface EvidenceRef {
  kind: string;
  instanceId: string;
  runId: string | null;
  collectedAt: string | null;
  digests: string[];
}

/** One check evaluated for one connector instance. */
export interface CheckEvaluation {
  checkId: string;
  /** The connector instance whose evidence was judged (`-` when no connector collects the kinds). */
  instanceId: string;
  asOf: string;
  results: CheckResult[];
  evidence: EvidenceRef[];
}

export interface EvaluateOptions {
  store: EvidenceStore;
  checks: readonly CheckDefinition<unknown>[];
  /** Connector definitions, for each evidence kind's freshness TTL. */
  connectors: readonly ConnectorDefinition[];
  asOf: Date;
  /** Parameters per check id (validated against each check's schema; defaults apply). */
  params?: Readonly<Record<string, unknown>>;
}

/** The instance id of an `across-instances` check's evaluation. */
export const acrossInstancesId = '*';

/**
 * Evaluates checks over stored evidence as of a date. The runner, not the check, decides
 * `not_collected` (never collected, or the newest collection failed) and `stale` (older than the
 * collector's TTL), so `evaluate` only ever sees current evidence and cannot pass on missing data.
 */
export async function evaluateChecks(options: EvaluateOptions): Promise<CheckEvaluation[]> {
  const { store, asOf } = options;
  const ttlByKind = new Map(options.connectors.flatMap((c) => c.collectors.map((k) => [k.kind, k.ttlHours] as const)));
  const summaries = await store.kinds({ asOf });
  const judge = inputJudge(store, asOf, ttlByKind);
  const evaluations: CheckEvaluation[] = [];
  // Cross-instance checks over the same kinds (the people checks) judge the same inputs: judged
  // once, so they share one set of evidence objects (and what is derived from them, the identity index).
  const judged = new Map<string, ReturnType<typeof judgeAll>>();
  for (const check of options.checks) {
    const params = options.params?.[check.id];
    if (check.scope === 'across-instances') {
      evaluations.push(await evaluateAcrossInstances(check, summaries, judge, asOf, params, judged));
      continue;
    }
    const instances = [...new Set(summaries.filter((s) => check.kinds.includes(s.kind)).map((s) => s.instanceId))].sort();
    if (instances.length === 0) {
      evaluations.push(nothingCollected(check, '-', asOf));
      continue;
    }
    for (const instanceId of instances) {
      evaluations.push(await evaluateForInstance(check, instanceId, judge, asOf, params));
    }
  }
  return evaluations;
}

function nothingCollected(check: CheckDefinition<unknown>, instanceId: string, asOf: Date): CheckEvaluation {
  return {
    checkId: check.id,
    instanceId,
    asOf: asOf.toISOString(),
    results: [{ subject: '-', status: 'not_collected', message: `no evidence of ${check.kinds.join(', ')} has been collected` }],
    evidence: [],
  };
}

/** One (kind, instance) input judged for currency: the set when current, else why not. */
interface JudgedInput {
  ref: EvidenceRef;
  set?: EvidenceSet;
  unavailable?: UnavailableInput;
  /** The current collection failed for part of its scope: what is missing (`kind: message`). */
  gap?: string;
}

/** Judges one (kind, instance) input; see {@link inputJudge}. */
type InputJudge = (kind: string, instanceId: string) => Promise<JudgedInput>;

/**
 * Judges inputs as of one date, each (kind, instance) once: several checks read the same kind
 * (GitHub members), and judging it again would read and copy its records again. Checks only read
 * their inputs, so sharing one set between them is safe.
 */
function inputJudge(store: EvidenceStore, asOf: Date, ttlByKind: Map<string, number>): InputJudge {
  const judged = new Map<string, Promise<JudgedInput>>();
  return (kind, instanceId) => {
    const key = `${kind}\u0000${instanceId}`;
    let input = judged.get(key);
    if (!input) judged.set(key, (input = judgeInput(kind, instanceId, store, asOf, ttlByKind)));
    return input;
  };
}

async function judgeInput(
  kind: string,
  instanceId: string,
  store: EvidenceStore,
  asOf: Date,
  ttlByKind: Map<string, number>,
): Promise<JudgedInput> {
  const snapshot = (await store.latest(kind, { asOf, instanceId }))[0];
  const last = snapshot?.lastCollected;
  const ref: EvidenceRef = {
    kind,
    instanceId,
    runId: last?.runId ?? null,
    collectedAt: last?.finishedAt ?? null,
    digests: snapshot?.records.map((r) => r.digest) ?? [],
  };
  const unavailable = (status: UnavailableInput['status'], message: string): JudgedInput => ({ ref, unavailable: { kind, instanceId, status, message } });
  if (snapshot?.latestOutcome.status === 'failed') {
    // Checked before "never collected": a first collection that failed must show its error code.
    const o = snapshot.latestOutcome;
    const error = [o.errorCode, o.errorMessage].filter(Boolean).join(': ') || 'no error recorded';
    return unavailable(
      'not_collected',
      `the last collection of ${kind} failed at ${o.finishedAt} (${error}); ${last ? `last good evidence ${last.finishedAt}` : 'it has never been collected successfully'}`,
    );
  }
  if (!snapshot || !last) return unavailable('not_collected', `${kind} has never been collected from ${instanceId}`);
  const ttlHours = ttlByKind.get(kind) ?? 24;
  const ageHours = (asOf.getTime() - Date.parse(last.finishedAt)) / 3_600_000;
  if (ageHours > ttlHours) {
    return unavailable('stale', `newest ${kind} evidence is from ${last.finishedAt}, ${Math.floor(ageHours)} h old (fresh for ${ttlHours} h)`);
  }
  const set: EvidenceSet = {
    kind,
    instanceId,
    collectedAt: last.finishedAt,
    records: snapshot.records.map((r) => ({ subject: r.subject, payload: r.payload, digest: r.digest })),
  };
  return { ref, set, ...(last.errorCode ? { gap: `${kind}: ${last.errorMessage ?? last.errorCode}` } : {}) };
}

function runEvaluate(check: CheckDefinition<unknown>, input: Omit<CheckInput<unknown>, 'params'>, rawParams: unknown): CheckResult[] {
  try {
    const params = check.params ? check.params.parse(rawParams ?? undefined) : undefined;
    return check.evaluate({ ...input, params });
  } catch (error) {
    return [{ subject: input.instanceId, status: 'error', message: `check failed to evaluate: ${(error as Error).message}` }];
  }
}

async function evaluateForInstance(
  check: CheckDefinition<unknown>,
  instanceId: string,
  judge: InputJudge,
  asOf: Date,
  rawParams: unknown,
): Promise<CheckEvaluation> {
  const evidence: Record<string, EvidenceSet> = {};
  const refs: EvidenceRef[] = [];
  const blocked: UnavailableInput[] = [];
  // A collection that failed for part of its scope (one AWS account) is judged on the parts that
  // were collected, and the failed parts are named, so a missing account never reads as a pass.
  const gaps: CheckResult[] = [];
  for (const kind of check.kinds) {
    const judged = await judge(kind, instanceId);
    refs.push(judged.ref);
    if (judged.set) evidence[kind] = judged.set;
    if (judged.unavailable) blocked.push(judged.unavailable);
    if (judged.gap) gaps.push({ subject: instanceId, status: 'not_collected', message: judged.gap });
  }
  const base = { checkId: check.id, instanceId, asOf: asOf.toISOString(), evidence: refs };
  if (blocked.length > 0) {
    // not_collected outranks stale: the one that needs fixing first is shown.
    const worst = blocked.find((b) => b.status === 'not_collected') ?? blocked[0]!;
    return { ...base, results: [{ subject: instanceId, status: worst.status, message: blocked.map((b) => b.message).join('; ') }] };
  }
  const sets = Object.values(evidence);
  return { ...base, results: [...runEvaluate(check, { evidence, instanceId, sets, unavailable: [], asOf }, rawParams), ...gaps] };
}

/** The current evidence of some kinds across every instance, as a cross-instance check would see it. */
export interface CurrentEvidence {
  sets: EvidenceSet[];
  unavailable: UnavailableInput[];
  /** Current sets whose collection failed for part of its scope (one account of several). */
  gaps: { kind: string; instanceId: string; message: string }[];
  refs: EvidenceRef[];
}

/**
 * Every (kind, instance) input of `kinds` as of a date, judged for currency exactly as the runner
 * judges a cross-instance check's inputs. Used by reading commands (`annexa people`) so they show
 * what checks see, with stale and failed inputs named rather than silently used or dropped.
 */
export async function currentEvidence(options: {
  store: EvidenceStore;
  kinds: readonly string[];
  connectors: readonly ConnectorDefinition[];
  asOf: Date;
}): Promise<CurrentEvidence> {
  const ttlByKind = new Map(options.connectors.flatMap((c) => c.collectors.map((k) => [k.kind, k.ttlHours] as const)));
  const summaries = await options.store.kinds({ asOf: options.asOf });
  return judgeAll(options.kinds, summaries, inputJudge(options.store, options.asOf, ttlByKind));
}

async function judgeAll(
  kinds: readonly string[],
  summaries: readonly KindSummary[],
  judge: InputJudge,
): Promise<CurrentEvidence & { inputs: { kind: string; instanceId: string }[] }> {
  const inputs = summaries
    .filter((s) => kinds.includes(s.kind))
    .map((s) => ({ kind: s.kind, instanceId: s.instanceId }))
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.instanceId.localeCompare(b.instanceId));
  const refs: EvidenceRef[] = [];
  const sets: EvidenceSet[] = [];
  const unavailable: UnavailableInput[] = [];
  const gaps: CurrentEvidence['gaps'] = [];
  for (const { kind, instanceId } of inputs) {
    const judged = await judge(kind, instanceId);
    refs.push(judged.ref);
    if (judged.set) sets.push(judged.set);
    if (judged.unavailable) unavailable.push(judged.unavailable);
    if (judged.gap) gaps.push({ kind, instanceId, message: judged.gap });
  }
  return { inputs, refs, sets, unavailable, gaps };
}

async function evaluateAcrossInstances(
  check: CheckDefinition<unknown>,
  summaries: readonly KindSummary[],
  judge: InputJudge,
  asOf: Date,
  rawParams: unknown,
  judged: Map<string, ReturnType<typeof judgeAll>>,
): Promise<CheckEvaluation> {
  const optional = new Set(check.optionalKinds ?? []);
  const present = new Set(summaries.filter((s) => check.kinds.includes(s.kind)).map((s) => s.kind));
  const required = check.kinds.filter((k) => !optional.has(k));
  const missingRequired = required.filter((k) => !present.has(k));
  if (present.size === 0 || (required.length > 0 && missingRequired.length === required.length)) {
    return nothingCollected(check, acrossInstancesId, asOf);
  }
  const key = JSON.stringify(check.kinds);
  if (!judged.has(key)) judged.set(key, judgeAll(check.kinds, summaries, judge));
  const { inputs, refs, sets, unavailable, gaps } = await judged.get(key)!;
  // Parts of a scope that failed (one AWS account) are named; what was collected is still judged.
  const gapResults = gaps.map((g): CheckResult => ({ subject: `${g.instanceId}/${g.kind}`, status: 'not_collected', message: g.message }));
  // A required kind some instance collected but none has current: the check cannot run at all.
  const noCurrent = required.filter((k) => inputs.some((i) => i.kind === k) && !sets.some((s) => s.kind === k));
  const base = { checkId: check.id, instanceId: acrossInstancesId, asOf: asOf.toISOString(), evidence: refs };
  const reported: CheckResult[] = [
    ...missingRequired.map((kind) => ({ subject: kind, status: 'not_collected' as const, message: `no instance has collected ${kind}` })),
    ...unavailable.map((u) => ({ subject: `${u.instanceId}/${u.kind}`, status: u.status, message: u.message })),
  ];
  if (noCurrent.length > 0 || missingRequired.length > 0) return { ...base, results: reported };
  const results = runEvaluate(check, { evidence: {}, instanceId: acrossInstancesId, sets, unavailable, asOf }, rawParams);
  if (unavailable.length === 0) return { ...base, results: [...results, ...gapResults] };
  // Part of the picture is missing: a pass or warn cannot stand, a fail or error still does.
  const worst = unavailable.find((u) => u.status === 'not_collected')?.status ?? 'stale';
  const withheld = unavailable.map((u) => `${u.instanceId}/${u.kind}`).join(', ');
  return {
    ...base,
    results: [
      ...reported,
      ...results.map((r) =>
        r.status === 'pass' || r.status === 'warn' ? { ...r, status: worst, message: `${r.message} (not judged: ${withheld} not current)` } : r,
      ),
      ...gapResults,
    ],
  };
}
