import type { Clock } from '../core/clock.js';
import type { ConnectorDefinition } from '../core/connector.js';
import { toolVersion } from '../core/version.js';
import type { CheckDefinition } from '../checks/check.js';
import { evaluateChecks, type CheckEvaluation, type EvidenceRef } from '../checks/run-checks.js';
import type { EvidenceStore, RunInfo } from '../../storage/evidence-store.js';

export interface CheckRunResult {
  run: RunInfo;
  evaluations: CheckEvaluation[];
}

/**
 * `annexa check`: evaluates every check as of a date and records the results in a run of their
 * own, sealed into the same hash chain, each result tied to the evidence digests it read.
 */
export async function recordCheckRun(options: {
  store: EvidenceStore;
  checks: readonly CheckDefinition<unknown>[];
  connectors: readonly ConnectorDefinition[];
  params: Readonly<Record<string, unknown>>;
  asOf: Date;
  clock: Clock;
  command: string;
}): Promise<CheckRunResult> {
  const evaluations = await evaluateChecks(options);
  const treeOf = await collectionTrees(options.store, evaluations);
  const storedEvidence = new Map(evaluations.map((e) => [e, e.evidence.map((ref) => compactEvidence(ref, treeOf))]));
  const writer = await options.store.startRun({ command: options.command, toolVersion, startedAt: options.clock.now() });
  try {
    await writer.addCheckResults(
      evaluations.flatMap((e) =>
        e.results.map((r) => ({
          checkId: e.checkId,
          instanceId: e.instanceId,
          subject: r.subject,
          status: r.status,
          message: r.message,
          asOf: options.asOf,
          // One object per evaluation: the store keeps it once, content-addressed.
          evidence: storedEvidence.get(e)!,
        })),
      ),
    );
  } catch (error) {
    await writer.abandon();
    throw error;
  }
  const run = await writer.finish('complete', options.clock.now());
  return { run, evaluations };
}

/**
 * What a recorded result keeps of the evidence it read: the collection's tree digest stands for
 * its payload digests (the tree commits to them), so an unchanged evaluation stores a few hundred
 * bytes instead of one digest per record.
 */
function compactEvidence(ref: EvidenceRef, treeOf: Map<string, string>): Omit<EvidenceRef, 'digests'> & { records: number; tree: string | null } {
  const { digests, ...rest } = ref;
  return { ...rest, records: digests.length, tree: treeOf.get(`${ref.runId}\u0000${ref.kind}\u0000${ref.instanceId}`) ?? null };
}

/** The record-tree digest of every collection the evaluations read, keyed by run, kind and instance. */
async function collectionTrees(store: EvidenceStore, evaluations: readonly CheckEvaluation[]): Promise<Map<string, string>> {
  const trees = new Map<string, string>();
  const runIds = new Set(evaluations.flatMap((e) => e.evidence.map((ref) => ref.runId)).filter((id): id is string => id !== null));
  for (const runId of runIds) {
    for (const o of (await store.run(runId))?.outcomes ?? []) {
      if (o.tree) trees.set(`${runId}\u0000${o.kind}\u0000${o.instanceId}`, o.tree);
    }
  }
  return trees;
}

/** Results counted by status, per check, for summaries. */
export function countByCheck(evaluations: readonly CheckEvaluation[]): Map<string, Record<string, number>> {
  const counts = new Map<string, Record<string, number>>();
  for (const e of evaluations) {
    const c = counts.get(e.checkId) ?? {};
    for (const r of e.results) c[r.status] = (c[r.status] ?? 0) + 1;
    counts.set(e.checkId, c);
  }
  return counts;
}
