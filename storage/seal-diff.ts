import type { VerifyProblem } from './evidence-store.js';
import type { RunManifest, RunRow } from './sqlite-store.js';

/** What a run's content hashes to now, in the shape its seal recorded. */
export type RunContent = Pick<RunManifest, 'kinds' | 'outcomes' | 'checks'>;

/**
 * Compares a run's content as stored now with what its seal recorded, and names each difference
 * by run and kind. Shared by every backend's `verify`, so a tamper reads the same everywhere.
 * `noun` is what a kind holds (`records`, or `observations` for schema-1 runs); `unexplained` says
 * what an edit that kept the count means for that schema.
 */
export function sealDifferences(
  run: Pick<RunRow, 'id' | 'seq'>,
  actual: RunContent,
  sealed: Partial<RunContent>,
  wording: { noun: string; unexplained: string },
): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  const one = wording.noun.slice(0, -1);
  const kinds = new Set([...Object.keys(actual.kinds), ...Object.keys(sealed.kinds ?? {})]);
  for (const kind of [...kinds].sort()) {
    const expected = sealed.kinds?.[kind]?.count ?? 0;
    const found = actual.kinds[kind]?.count ?? 0;
    if (sealed.kinds?.[kind]?.hash === actual.kinds[kind]?.hash) continue;
    const detail =
      found < expected ? `${expected - found} ${one}(s) deleted` : found > expected ? `${found - expected} ${one}(s) added` : wording.unexplained;
    problems.push({ problem: 'observations_changed', runId: run.id, runSeq: run.seq, kind, message: `${wording.noun} of ${kind} in run ${run.id} differ from the seal: ${detail}` });
  }
  if (actual.checks.hash !== sealed.checks?.hash) {
    problems.push({
      problem: 'check_results_changed',
      runId: run.id,
      runSeq: run.seq,
      message: `check results of run ${run.id} differ from the seal (${actual.checks.count} stored, ${sealed.checks?.count ?? 0} sealed)`,
    });
  }
  if (actual.outcomes.hash !== sealed.outcomes?.hash) {
    problems.push({
      problem: 'outcomes_changed',
      runId: run.id,
      runSeq: run.seq,
      message: `collector outcomes of run ${run.id} differ from the seal (${actual.outcomes.count} stored, ${sealed.outcomes?.count ?? 0} sealed)`,
    });
  }
  return problems;
}
