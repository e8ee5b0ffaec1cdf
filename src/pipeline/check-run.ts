import type { Clock } from '../core/clock.js';
import type { ConnectorDefinition } from '../core/connector.js';
import { toolVersion } from '../core/version.js';
import type { CheckDefinition } from '../checks/check.js';
import { evaluateChecks, type CheckEvaluation } from '../checks/run-checks.js';
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
          evidence: e.evidence,
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
