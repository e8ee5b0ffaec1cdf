import type { EvidenceStore, Provenance, RunInfo, StoredCheckResult, StoredOutcome, StoredRecord } from '../../storage/evidence-store.js';
import { loadManualEvidence } from '../pipeline/manual-evidence.js';
import type { ManualEvidenceItem } from '../reports/coverage.js';
import { dayBounds, periodEnd, periodStart, type Period } from './period.js';

/** The check results one check run recorded (a run of `annexa check` or `annexa run`). */
export interface CheckRunResults {
  runId: string;
  /** When the check run started. */
  recordedAt: string;
  results: StoredCheckResult[];
}

/** One version of one subject's record, with when it was first and last seen in the period. */
export interface RecordVersion {
  kind: string;
  instanceId: string;
  collectorId: string;
  subject: string;
  /** sha256 of the payload's canonical JSON (RFC 8785): recomputable from `payload`. */
  digest: string;
  payload: unknown;
  /** Collection time of the first observation of this version in the period. */
  firstSeen: string;
  firstRunId: string;
  /** End of the last successful collection in the period that still saw this version. */
  lastSeen: string;
  /** How many successful collections in the period saw this version. */
  collections: number;
  provenanceDigest: string;
  /** The tool and the API requests the first observation came from. */
  provenance: Provenance | null;
}

/**
 * Everything the bundle and the period timeline read from the evidence store, behind one small
 * interface. Built today from the store's existing reads (day-by-day windows keep memory flat);
 * the store's v2 period query ("every record of kind K seen in a period") can replace
 * {@link PeriodReader.recordVersions} without touching anything above it.
 */
export interface PeriodReader {
  /** Check runs started on one UTC day, in run order, with their results. */
  checkRunsOn(day: string): Promise<CheckRunResults[]>;
  /** Successful collections that finished in the period, oldest first. */
  collections(period: Period): Promise<StoredOutcome[]>;
  /** Each distinct version of each subject of a kind seen in the period, streamed. */
  recordVersions(kind: string, period: Period): AsyncIterable<RecordVersion>;
  /** Runs started in the period (oldest first) and the newest sealed run (the chain head). */
  runs(period: Period): Promise<{ inPeriod: RunInfo[]; head: RunInfo | undefined }>;
  /** Manual evidence added by the end of the period. */
  manualEvidence(period: Period): Promise<ManualEvidenceItem[]>;
  /** A stored JSON value by digest (the evidence a check result read). */
  blob(digest: string): Promise<unknown>;
  /** A stored file's bytes, each chunk verified as it is read. */
  readFile(digest: string): AsyncIterable<Uint8Array>;
}

/** A {@link PeriodReader} over any {@link EvidenceStore}, using only its existing reads. */
export function storePeriodReader(store: EvidenceStore): PeriodReader {
  return {
    async checkRunsOn(day) {
      const results = await store.checkResults(dayBounds(day));
      const runs: CheckRunResults[] = [];
      for (const result of results) {
        let run = runs.at(-1);
        if (!run || run.runId !== result.runId) runs.push((run = { runId: result.runId, recordedAt: result.recordedAt, results: [] }));
        run.results.push(result);
      }
      return runs;
    },

    collections: (period) => store.collections({ since: periodStart(period), until: periodEnd(period) }),

    async *recordVersions(kind, period) {
      const outcomes = (await store.collections({ since: periodStart(period), until: periodEnd(period) })).filter((o) => o.kind === kind);
      // Per instance: the version of each subject seen by the previous collection.
      const open = new Map<string, Map<string, OpenVersion>>();
      const close = async (version: OpenVersion): Promise<RecordVersion> => {
        const first = await firstObservation(store, kind, version);
        return {
          kind,
          instanceId: version.outcome.instanceId,
          collectorId: version.outcome.collectorId,
          subject: version.subject,
          digest: version.digest,
          payload: first?.payload ?? (await store.blob(version.digest)),
          firstSeen: first?.collectedAt ?? version.outcome.finishedAt,
          firstRunId: version.outcome.runId,
          lastSeen: version.lastSeen,
          collections: version.collections,
          provenanceDigest: first?.provenanceDigest ?? '',
          provenance: first ? ((await store.blob(first.provenanceDigest)) as Provenance | null) : null,
        };
      };
      for (const outcome of outcomes) {
        const previous = open.get(outcome.instanceId) ?? new Map<string, OpenVersion>();
        const current = new Map<string, OpenVersion>();
        for (const { subject, digest } of await store.subjectDigests(outcome)) {
          const before = previous.get(subject);
          if (before && before.digest === digest) {
            before.lastSeen = outcome.finishedAt;
            before.collections++;
            current.set(subject, before);
            previous.delete(subject);
          } else if (!current.has(subject)) {
            current.set(subject, { subject, digest, outcome, lastSeen: outcome.finishedAt, collections: 1 });
          }
        }
        // What the previous collection saw and this one did not (or saw changed) is a closed version.
        for (const gone of previous.values()) yield await close(gone);
        open.set(outcome.instanceId, current);
      }
      for (const versions of open.values()) for (const version of versions.values()) yield await close(version);
    },

    async runs(period) {
      const all = await store.runs();
      const start = periodStart(period).toISOString();
      const end = periodEnd(period).toISOString();
      return {
        inPeriod: all.filter((r) => r.startedAt >= start && r.startedAt <= end).sort((a, b) => a.seq - b.seq),
        head: all.find((r) => r.hash !== undefined),
      };
    },

    manualEvidence: (period) => loadManualEvidence(store, periodEnd(period)),
    blob: (digest) => store.blob(digest),
    readFile: (digest) => store.readFile(digest),
  };
}

interface OpenVersion {
  subject: string;
  digest: string;
  /** The collection that first saw this version. */
  outcome: StoredOutcome;
  lastSeen: string;
  collections: number;
}

/** The observation that first recorded a version (for its collection time and provenance). */
async function firstObservation(store: EvidenceStore, kind: string, version: OpenVersion): Promise<StoredRecord | undefined> {
  const records = await store.history(kind, version.subject, {
    since: new Date(version.outcome.startedAt),
    until: new Date(version.outcome.finishedAt),
  });
  return records.find((r) => r.runId === version.outcome.runId && r.instanceId === version.outcome.instanceId && r.digest === version.digest);
}
