import type { CheckResultInput } from './evidence-store.js';
import { parseRows, toRowTexts, treeDigest, type RowText } from './trees.js';

/**
 * Check runs as trees (store schema 3), shared by both backends. A check run's evaluations are one
 * tree of rows `[position, check id, instance id, evidence index, result-tree digest, result count]`;
 * each evaluation's results are a tree of `[subject, status, message]` as before. An evaluation
 * whose results did not change names the same result tree, and a day on which nothing changed
 * has the same evaluation tree as the day before: the run adds one `check_runs` row.
 *
 * The evidence an evaluation read names the collections' runs, which are new every day, so it is
 * kept out of the tree: the row holds the evidence blobs' digests as raw bytes, in order of first
 * use, and a tree row points at one by index.
 */

/** A row of an evaluation tree. */
export type EvaluationRow = [position: number, checkId: string, instanceId: string, evidence: number, results: string, resultCount: number];

/** One evaluation about to be stored: its result rows (sorted texts) and their tree digest. */
export interface PlannedEvaluation {
  checkId: string;
  instanceId: string;
  results: RowText[];
  digest: string;
}

/** What one `check_runs` row will hold: results of one as-of date, in the order given. */
export interface PlannedCheckRun {
  asOf: string;
  /** Evidence blob digests (hex), in order of first use. */
  evidence: string[];
  evaluations: PlannedEvaluation[];
  /** The evaluation tree's rows, sorted. */
  rows: RowText[];
}

/**
 * Groups a batch of results into check runs (one per as-of date) and evaluations (one per check,
 * instance and evidence read), as they were given. `evidenceDigest` stores an evidence value and
 * returns its digest (called once per distinct value object).
 */
export function planCheckRuns(batch: readonly CheckResultInput[], evidenceDigest: (evidence: unknown) => string): PlannedCheckRun[] {
  const digests = new Map<unknown, string>();
  type Group = { checkId: string; instanceId: string; evidence: number; rows: [string, string, string][] };
  const runs = new Map<string, { evidence: string[]; groups: Map<string, Group> }>();
  // Results arrive evaluation by evaluation: the group of the previous result is usually this one's.
  let last: { r: CheckResultInput; group: Group } | undefined;
  for (const r of batch) {
    if (last && last.r.evidence === r.evidence && last.r.checkId === r.checkId && last.r.instanceId === r.instanceId && last.r.asOf.getTime() === r.asOf.getTime()) {
      last.group.rows.push([r.subject, r.status, r.message]);
      continue;
    }
    let digest = digests.get(r.evidence);
    if (!digest) digests.set(r.evidence, (digest = evidenceDigest(r.evidence)));
    const asOf = r.asOf.toISOString();
    let run = runs.get(asOf);
    if (!run) runs.set(asOf, (run = { evidence: [], groups: new Map() }));
    let index = run.evidence.indexOf(digest);
    if (index < 0) index = run.evidence.push(digest) - 1;
    const key = `${r.checkId}\u0000${r.instanceId}\u0000${index}`;
    let group = run.groups.get(key);
    if (!group) run.groups.set(key, (group = { checkId: r.checkId, instanceId: r.instanceId, evidence: index, rows: [] }));
    group.rows.push([r.subject, r.status, r.message]);
    last = { r, group };
  }
  return [...runs].map(([asOf, run]) => {
    const evaluations: PlannedEvaluation[] = [];
    const rows: EvaluationRow[] = [];
    for (const group of run.groups.values()) {
      const results = toRowTexts(group.rows);
      const digest = treeDigest(results);
      rows.push([rows.length, group.checkId, group.instanceId, group.evidence, digest, results.length]);
      evaluations.push({ checkId: group.checkId, instanceId: group.instanceId, results, digest });
    }
    return { asOf, evidence: run.evidence, evaluations, rows: toRowTexts(rows) };
  });
}

/** An evaluation tree's rows in the order the evaluations were written. */
export function evaluationRows(rows: readonly RowText[]): EvaluationRow[] {
  return parseRows<EvaluationRow>(rows).sort((a, b) => a[0] - b[0]);
}

/** The result tree of each evaluation in an evaluation tree, by check and instance. */
export function resultsByEvaluation(rows: readonly RowText[]): Map<string, string> {
  return new Map(evaluationRows(rows).map((row) => [`${row[1]}\u0000${row[2]}`, row[4]]));
}

/** Hex digests as one buffer of raw 32-byte digests. */
export function digestBytes(digests: readonly string[]): Buffer {
  return Buffer.from(digests.join(''), 'hex');
}

/** The hex digests a buffer of raw 32-byte digests holds. */
export function digestsOf(bytes: Uint8Array): string[] {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  const out: string[] = [];
  for (let i = 0; i < hex.length; i += 64) out.push(hex.slice(i, i + 64));
  return out;
}
