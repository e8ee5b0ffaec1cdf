import type { RequestRef } from '../src/core/connector.js';
import type { CollectionProvenance, PopulationRecord } from './evidence-store.js';
import { compareText, toRowTexts, type RowText } from './trees.js';

/**
 * Turns the records of one collection into what store v2 keeps: a record tree (one row per record,
 * pointing at its payload and at its requests by index) and the collection's provenance, each
 * request kept once. Shared by the writer, the schema-1 upgrade and `verify` (which rebuilds
 * upgraded collections from the schema-1 rows to prove the upgrade changed nothing).
 */

/** A record as the store receives it, its payload already stored under `digest`. */
export interface PendingRecord {
  subject: string;
  digest: string;
  /** ISO time the record was collected. */
  collectedAt: string;
  requests: readonly RequestRef[];
  attachment: string | null;
}

/** A record tree row: `[subject, payload digest, request indexes]`, plus the attachment when there is one. */
export type RecordRow = [string, string, number[]] | [string, string, number[], string];

export interface BuiltCollection {
  rows: RowText[];
  /** Method and URL of each request, sorted: identical from day to day, stored once. */
  templates: { requests: [string, string][] };
  /** Without the `templates` digest, which the caller fills in once the templates blob is stored. */
  provenance: Omit<CollectionProvenance, 'templates'>;
  recordCount: number;
  /** The newest record time (null when there are no records). */
  collectedAt: string | null;
}

export function buildCollection(records: readonly PendingRecord[], source: { tool: string; connectorType: string }): BuiltCollection {
  const byKey = new Map<string, RequestRef>();
  // Records of one page share its request object: its key is built once, not once per record.
  const keys = new Map<RequestRef, string>();
  const keyOf = (r: RequestRef) => {
    let key = keys.get(r);
    if (key === undefined) keys.set(r, (key = `${r.method} ${r.url} ${r.status} ${r.requestId ?? ''} ${r.at}`));
    return key;
  };
  for (const record of records) for (const request of record.requests) byKey.set(keyOf(request), request);
  // Sorted by what stays the same from day to day, so an unchanged record keeps the same indexes.
  const requests = [...byKey.values()].sort(
    (a, b) => compareText(a.method, b.method) || compareText(a.url, b.url) || compareText(a.at, b.at) || compareText(a.requestId ?? '', b.requestId ?? ''),
  );
  const indexOf = new Map(requests.map((r, i) => [keyOf(r), i]));
  const rows = toRowTexts(
    records.map((record): RecordRow => {
      // In the record's own order, so its requests read back exactly as the collector gave them.
      const indexes = [...new Set(record.requests.map((r) => indexOf.get(keyOf(r))!))];
      return record.attachment ? [record.subject, record.digest, indexes, record.attachment] : [record.subject, record.digest, indexes];
    }),
  );
  const times = requests.map((r) => Date.parse(r.at));
  let first: number | null = null;
  for (const t of times) if (first === null || t < first) first = t;
  const statuses: [number, number][] = [];
  for (const r of requests) {
    const last = statuses.at(-1);
    if (last && last[0] === r.status) last[1]++;
    else statuses.push([r.status, 1]);
  }
  let collectedAt: string | null = null;
  for (const record of records) if (collectedAt === null || record.collectedAt > collectedAt) collectedAt = record.collectedAt;
  return {
    rows,
    templates: { requests: requests.map((r) => [r.method, r.url]) },
    provenance: {
      tool: source.tool,
      connectorType: source.connectorType,
      at: first === null ? null : new Date(first).toISOString(),
      statuses,
      requestIds: requests.map((r) => r.requestId ?? null),
      // Each time as a step from the one before: requests listed in URL order were mostly made in that order, so the steps are small.
      offsetsMs: times.map((t, i) => t - (i === 0 ? (first ?? 0) : times[i - 1]!)),
    },
    recordCount: records.length,
    collectedAt,
  };
}

/** Every request of a collection, in stored order, rebuilt from its provenance and templates. */
export function resolveRequests(provenance: CollectionProvenance, templates: { requests: [string, string][] }): RequestRef[] {
  const statusAt: number[] = [];
  for (const [status, count] of provenance.statuses) for (let i = 0; i < count; i++) statusAt.push(status);
  let time = provenance.at ? Date.parse(provenance.at) : 0;
  return templates.requests.map(([method, url], i) => {
    time += provenance.offsetsMs[i]!;
    const requestId = provenance.requestIds[i];
    return { method, url, status: statusAt[i]!, ...(requestId ? { requestId } : {}), at: new Date(time).toISOString() };
  });
}


/**
 * Folds the stretches of a population into one entry per distinct record: a subject that changes
 * and changes back (2FA off, then on again) is one version of each payload, seen from the first
 * collection that held it to the last, as the `EvidenceStore.population` contract says.
 */
export function foldPopulation(stretches: readonly PopulationRecord[]): PopulationRecord[] {
  const byVersion = new Map<string, PopulationRecord>();
  for (const stretch of stretches) {
    const key = JSON.stringify([stretch.instanceId, stretch.collectorId, stretch.subject, stretch.digest]);
    const known = byVersion.get(key);
    if (!known) byVersion.set(key, { ...stretch });
    else {
      if (stretch.firstSeen.at < known.firstSeen.at) known.firstSeen = stretch.firstSeen;
      if (stretch.lastSeen.at > known.lastSeen.at) known.lastSeen = stretch.lastSeen;
    }
  }
  return [...byVersion.values()];
}
