import type { EvidenceStore, Provenance, RunInfo, StoredCheckResult, StoredOutcome, StoredRecord } from '../../storage/evidence-store.js';
import type { RequestRef } from '../core/connector.js';
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

/**
 * One version of one subject's record seen in the period: a distinct (instance, subject, payload
 * digest), once, with the first and last collection in the period that held it. The shape of the
 * store v2 `PopulationRecord`, plus where the record came from.
 */
export interface RecordVersion {
  kind: string;
  instanceId: string;
  collectorId: string;
  subject: string;
  /** sha256 of the payload's canonical JSON (RFC 8785): recomputable from `payload`. */
  digest: string;
  payload: unknown;
  /** The first collection in the period that held this version, and when its record was collected. */
  firstSeen: { runId: string; at: string };
  /** The last collection in the period that held it, and when that collection finished. */
  lastSeen: { runId: string; at: string };
  /** The source system (connector type) and tool, from the first observation's provenance. */
  source: { connectorType: string; tool: string } | null;
  /** The API requests the first observation came from (method, URL, status, request id). */
  requests: readonly RequestRef[];
}

/**
 * Everything the bundle and the period timeline read from the evidence store, behind one small
 * interface. Built today from the store's existing reads (day-by-day windows keep memory flat);
 * {@link PeriodReader.recordVersions} has the shape of the store v2 `population(kind, {since,
 * until})` read (plus `requestsOf` for each record's requests) and can be switched to it without
 * touching anything above this module.
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
      const versions = new Map<string, Seen>();
      for (const outcome of outcomes) {
        for (const { subject, digest } of await store.subjectDigests(outcome)) {
          const key = `${outcome.instanceId}\u0000${subject}\u0000${digest}`;
          const seen = versions.get(key);
          if (seen) seen.last = outcome;
          else versions.set(key, { subject, digest, first: outcome, last: outcome });
        }
      }
      const ordered = [...versions.values()].sort(
        (a, b) =>
          compare(a.first.instanceId, b.first.instanceId) || compare(a.subject, b.subject) || compare(a.first.finishedAt, b.first.finishedAt),
      );
      for (const version of ordered) {
        const first = await firstObservation(store, kind, version);
        const provenance = first ? ((await store.blob(first.provenanceDigest)) as Partial<Provenance> | undefined) : undefined;
        yield {
          kind,
          instanceId: version.first.instanceId,
          collectorId: version.first.collectorId,
          subject: version.subject,
          digest: version.digest,
          payload: first?.payload ?? (await store.blob(version.digest)),
          firstSeen: { runId: version.first.runId, at: first?.collectedAt ?? version.first.finishedAt },
          lastSeen: { runId: version.last.runId, at: version.last.finishedAt },
          source: provenance?.connectorType ? { connectorType: provenance.connectorType, tool: provenance.tool ?? '' } : null,
          requests: Array.isArray(provenance?.requests) ? provenance.requests : [],
        };
      }
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

interface Seen {
  subject: string;
  digest: string;
  /** The first and last collections in the period that held this version. */
  first: StoredOutcome;
  last: StoredOutcome;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The observation that first recorded a version (for its collection time and provenance). */
async function firstObservation(store: EvidenceStore, kind: string, version: Seen): Promise<StoredRecord | undefined> {
  const records = await store.history(kind, version.subject, {
    since: new Date(version.first.startedAt),
    until: new Date(version.first.finishedAt),
  });
  return records.find((r) => r.runId === version.first.runId && r.instanceId === version.first.instanceId && r.digest === version.digest);
}
