import type { EvidenceStore, StoredCheckResult, StoredOutcome } from '../../storage/evidence-store.js';
import { manualEvidenceKind } from '../pipeline/manual-evidence.js';

/** A check result whose status changed between two recorded check runs. */
export interface CheckStatusChange {
  checkId: string;
  instanceId: string;
  subject: string;
  /** `null`: the subject had no result before (new) or has none now (gone). */
  from: string | null;
  to: string | null;
  message: string;
  /** The check run where the change was first seen. */
  runId: string;
  at: string;
}

/** A subject that appeared, disappeared or changed between two collections of a kind. */
export interface EvidenceChange {
  kind: string;
  instanceId: string;
  subject: string;
  change: 'appeared' | 'disappeared' | 'changed';
  /** Payload digests before and after (null when absent). */
  before: string | null;
  after: string | null;
  runId: string;
  at: string;
}

export interface ChangesReport {
  since: string;
  until: string;
  checkChanges: CheckStatusChange[];
  evidenceChanges: EvidenceChange[];
}

const failing = new Set(['fail', 'error']);

/**
 * Kinds whose collections accumulate instead of replacing the previous snapshot: a manual
 * evidence run records only the file it adds, so comparing it with the run before would report
 * every earlier file as disappeared.
 */
const accumulatingKinds: ReadonlySet<string> = new Set([manualEvidenceKind]);

/** Status changes that newly fail (the gate `annexa run --fail-on new-failing` uses). */
export function newlyFailing(report: ChangesReport): CheckStatusChange[] {
  return report.checkChanges.filter((c) => c.to !== null && failing.has(c.to) && (c.from === null || !failing.has(c.from)));
}

/**
 * What changed since a date: check results that changed status between consecutive recorded check
 * runs, and subjects that appeared, disappeared or changed between consecutive collections of each
 * kind. Cheap because evidence is content-addressed: comparing tree digests first (an unchanged
 * collection is the same tree), then payload digests, never payloads. Each change
 * carries the run and time where it was first seen.
 */
export async function computeChanges(store: EvidenceStore, since: Date, until: Date): Promise<ChangesReport> {
  return {
    since: since.toISOString(),
    until: until.toISOString(),
    checkChanges: await checkChanges(store, since, until),
    evidenceChanges: await evidenceChanges(store, since, until),
  };
}

async function checkChanges(store: EvidenceStore, since: Date, until: Date): Promise<CheckStatusChange[]> {
  // Only the window and its baseline (the last check run before it) are read, not all history.
  const baseline = await store.lastCheckRun({ before: since });
  const from = baseline ? new Date(baseline.startedAt) : since;
  const runs = [...groupBy(await store.checkResults({ since: from, until }), (r) => r.runId).values()];
  const changes: CheckStatusChange[] = [];
  for (const [before, after] of pairsSince(runs, since, (results) => results[0]!.recordedAt)) {
    const previous = keyed(before);
    const current = keyed(after);
    const { runId, recordedAt: at } = after[0]!;
    for (const [key, now] of current) {
      const was = previous.get(key);
      if (was?.status === now.status) continue;
      changes.push({ checkId: now.checkId, instanceId: now.instanceId, subject: now.subject, from: was?.status ?? null, to: now.status, message: now.message, runId, at });
    }
    for (const [key, was] of previous) {
      if (current.has(key)) continue;
      changes.push({ checkId: was.checkId, instanceId: was.instanceId, subject: was.subject, from: was.status, to: null, message: 'no longer evaluated (subject gone)', runId, at });
    }
  }
  return changes;
}

async function evidenceChanges(store: EvidenceStore, since: Date, until: Date): Promise<EvidenceChange[]> {
  const streams = groupBy(await store.collections({ until }), (c) => `${c.instanceId}\u0000${c.kind}\u0000${c.collectorId}`);
  const changes: EvidenceChange[] = [];
  for (const stream of streams.values()) {
    if (accumulatingKinds.has(stream[0]!.kind)) {
      // Each collection adds records to the earlier ones (one file per `evidence add`): every
      // record of a collection in the window is new, and nothing disappears.
      for (const added of stream.filter((c) => c.finishedAt >= since.toISOString())) {
        const base = { kind: added.kind, instanceId: added.instanceId, runId: added.runId, at: added.finishedAt };
        for (const [subject, digest] of await digestsOf(store, added)) changes.push({ ...base, subject, change: 'appeared', before: null, after: digest });
      }
      continue;
    }
    for (const [before, after] of pairsSince(stream, since, (c) => c.finishedAt)) {
      // Same tree digest, same records: an unchanged day costs one comparison.
      if (before.tree !== undefined && before.tree === after.tree) continue;
      const previous = await digestsOf(store, before);
      const current = await digestsOf(store, after);
      const base = { kind: after.kind, instanceId: after.instanceId, runId: after.runId, at: after.finishedAt };
      for (const [subject, digest] of current) {
        const was = previous.get(subject);
        if (was === undefined) changes.push({ ...base, subject, change: 'appeared', before: null, after: digest });
        else if (was !== digest) changes.push({ ...base, subject, change: 'changed', before: was, after: digest });
      }
      for (const [subject, digest] of previous) {
        if (!current.has(subject)) changes.push({ ...base, subject, change: 'disappeared', before: digest, after: null });
      }
    }
  }
  return changes.sort((a, b) => a.at.localeCompare(b.at) || a.kind.localeCompare(b.kind) || a.subject.localeCompare(b.subject));
}

/**
 * Consecutive pairs to compare: each item at or after `since` with the one before it. The last
 * item before `since` is the baseline; with none, the first item after it is.
 */
function pairsSince<T>(ordered: readonly T[], since: Date, timeOf: (item: T) => string): [T, T][] {
  const first = ordered.findIndex((item) => timeOf(item) >= since.toISOString());
  if (first === -1) return [];
  const pairs: [T, T][] = [];
  for (let i = Math.max(first, 1); i < ordered.length; i++) pairs.push([ordered[i - 1]!, ordered[i]!]);
  return pairs;
}

async function digestsOf(store: EvidenceStore, outcome: StoredOutcome): Promise<Map<string, string>> {
  return new Map((await store.subjectDigests(outcome)).map((r) => [r.subject, r.digest]));
}

function keyed(results: readonly StoredCheckResult[]): Map<string, StoredCheckResult> {
  return new Map(results.map((r) => [`${r.checkId}\u0000${r.instanceId}\u0000${r.subject}`, r]));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
