import type { EvidenceStore } from '../../storage/evidence-store.js';
import type { ConnectorDefinition } from '../core/connector.js';
import type { CheckDefinition, CheckResult, EvidenceSet } from './check.js';

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

/**
 * Evaluates checks over stored evidence as of a date. The runner, not the check, decides
 * `not_collected` (never collected, or the newest collection failed) and `stale` (older than the
 * collector's TTL), so `evaluate` only ever sees current evidence and cannot pass on missing data.
 */
export async function evaluateChecks(options: EvaluateOptions): Promise<CheckEvaluation[]> {
  const { store, asOf } = options;
  const ttlByKind = new Map(options.connectors.flatMap((c) => c.collectors.map((k) => [k.kind, k.ttlHours] as const)));
  const summaries = await store.kinds({ asOf });
  const evaluations: CheckEvaluation[] = [];
  for (const check of options.checks) {
    const instances = [...new Set(summaries.filter((s) => check.kinds.includes(s.kind)).map((s) => s.instanceId))].sort();
    if (instances.length === 0) {
      evaluations.push({
        checkId: check.id,
        instanceId: '-',
        asOf: asOf.toISOString(),
        results: [{ subject: '-', status: 'not_collected', message: `no evidence of ${check.kinds.join(', ')} has been collected` }],
        evidence: [],
      });
      continue;
    }
    for (const instanceId of instances) {
      evaluations.push(await evaluateForInstance(check, instanceId, store, asOf, ttlByKind, options.params?.[check.id]));
    }
  }
  return evaluations;
}

async function evaluateForInstance(
  check: CheckDefinition<unknown>,
  instanceId: string,
  store: EvidenceStore,
  asOf: Date,
  ttlByKind: Map<string, number>,
  rawParams: unknown,
): Promise<CheckEvaluation> {
  const evidence: Record<string, EvidenceSet> = {};
  const refs: EvidenceRef[] = [];
  const blocked: CheckResult[] = [];
  // A collection that failed for part of its scope (one AWS account) is judged on the parts that
  // were collected, and the failed parts are named, so a missing account never reads as a pass.
  const gaps: CheckResult[] = [];
  for (const kind of check.kinds) {
    const snapshot = (await store.latest(kind, { asOf, instanceId }))[0];
    const last = snapshot?.lastCollected;
    refs.push({
      kind,
      instanceId,
      runId: last?.runId ?? null,
      collectedAt: last?.finishedAt ?? null,
      digests: snapshot?.records.map((r) => r.digest) ?? [],
    });
    if (snapshot?.latestOutcome.status === 'failed') {
      // Checked before "never collected": a first collection that failed must show its error code.
      const o = snapshot.latestOutcome;
      const error = [o.errorCode, o.errorMessage].filter(Boolean).join(': ') || 'no error recorded';
      blocked.push({
        subject: instanceId,
        status: 'not_collected',
        message: `the last collection of ${kind} failed at ${o.finishedAt} (${error}); ${last ? `last good evidence ${last.finishedAt}` : 'it has never been collected successfully'}`,
      });
      continue;
    }
    if (!snapshot || !last) {
      blocked.push({ subject: instanceId, status: 'not_collected', message: `${kind} has never been collected from ${instanceId}` });
      continue;
    }
    const ttlHours = ttlByKind.get(kind) ?? 24;
    const ageHours = (asOf.getTime() - Date.parse(last.finishedAt)) / 3_600_000;
    if (ageHours > ttlHours) {
      blocked.push({
        subject: instanceId,
        status: 'stale',
        message: `newest ${kind} evidence is from ${last.finishedAt}, ${Math.floor(ageHours)} h old (fresh for ${ttlHours} h)`,
      });
      continue;
    }
    if (last.errorCode) gaps.push({ subject: instanceId, status: 'not_collected', message: `${kind}: ${last.errorMessage ?? last.errorCode}` });
    evidence[kind] = {
      kind,
      instanceId,
      collectedAt: last.finishedAt,
      records: snapshot.records.map((r) => ({ subject: r.subject, payload: r.payload, digest: r.digest })),
    };
  }
  const base = { checkId: check.id, instanceId, asOf: asOf.toISOString(), evidence: refs };
  if (blocked.length > 0) {
    // not_collected outranks stale: the one that needs fixing first is shown.
    const worst = blocked.find((b) => b.status === 'not_collected') ?? blocked[0]!;
    return { ...base, results: [{ ...worst, message: blocked.map((b) => b.message).join('; ') }] };
  }
  try {
    const params = check.params ? check.params.parse(rawParams ?? undefined) : undefined;
    return { ...base, results: [...check.evaluate({ evidence, instanceId, asOf, params }), ...gaps] };
  } catch (error) {
    return { ...base, results: [{ subject: instanceId, status: 'error', message: `check failed to evaluate: ${(error as Error).message}` }] };
  }
}
