import type { CollectionProvenance, EvidenceStore, PopulationRecord, RunInfo, StoredCheckResult, StoredOutcome, StoredRecord } from '../../storage/evidence-store.js';
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
 * interface: record versions from the store v2 `population(kind, {since, until})` read, each with
 * its API requests from `requestsOf`; check results day by day (windows keep memory flat).
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
  /**
   * The subject and payload digest of every record of the collection a check result's evidence
   * reference names by its tree digest (store v2 check runs keep the tree, not one digest per
   * record); undefined when the store holds no such collection.
   */
  treeRecords(ref: { runId: string; kind: string; instanceId: string; tree: string }): Promise<{ subject: string; digest: string }[] | undefined>;
  /** A stored JSON value by digest (the evidence a check result read). */
  blob(digest: string): Promise<unknown>;
  /** A stored file's bytes, each chunk verified as it is read. */
  readFile(digest: string): AsyncIterable<Uint8Array>;
}

/** A {@link PeriodReader} over any {@link EvidenceStore}. */
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
      const population = await store.population(kind, { since: periodStart(period), until: periodEnd(period) });
      // The collections in the period, by run, kind and instance: the window in which to find each version's first observation.
      const outcomes = new Map<string, StoredOutcome>();
      for (const o of await store.collections({ since: periodStart(period), until: periodEnd(period) })) {
        if (o.kind === kind) outcomes.set(`${o.runId}\u0000${o.instanceId}\u0000${o.collectorId}`, o);
      }
      for (const version of population) {
        const outcome = outcomes.get(`${version.firstSeen.runId}\u0000${version.instanceId}\u0000${version.collectorId}`);
        const first = outcome ? await firstObservation(store, version, outcome) : undefined;
        const provenance = first ? ((await store.blob(first.provenanceDigest)) as Partial<CollectionProvenance> | undefined) : undefined;
        yield {
          kind,
          instanceId: version.instanceId,
          collectorId: version.collectorId,
          subject: version.subject,
          digest: version.digest,
          payload: version.payload,
          firstSeen: { runId: version.firstSeen.runId, at: first?.collectedAt ?? version.firstSeen.at },
          lastSeen: version.lastSeen,
          source: provenance?.connectorType ? { connectorType: provenance.connectorType, tool: provenance.tool ?? '' } : null,
          requests: first ? await store.requestsOf(first) : [],
        };
      }
    },

    async treeRecords(ref) {
      const outcome = (await store.run(ref.runId))?.outcomes.find((o) => o.tree === ref.tree && o.kind === ref.kind && o.instanceId === ref.instanceId);
      return outcome ? store.subjectDigests(outcome) : undefined;
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

/** The stored observation of a version in the collection that first held it (for its collection time, provenance and requests). */
async function firstObservation(store: EvidenceStore, version: PopulationRecord, outcome: StoredOutcome): Promise<StoredRecord | undefined> {
  const records = await store.history(version.kind, version.subject, { since: new Date(outcome.startedAt), until: new Date(outcome.finishedAt) });
  return records.find((r) => r.runId === outcome.runId && r.instanceId === outcome.instanceId && r.digest === version.digest);
}
