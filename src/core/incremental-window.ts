import type { EvidenceRecord, PreviousCollection } from './connector.js';

/** Where an incremental population starts fetching, and what it carries forward from the previous collection. */
export interface IncrementalWindow<P> {
  /** Fetch items created at or after this instant. */
  since: Date;
  /** Previous records of this scope created in the period and before `since`. */
  carried: EvidenceRecord<P>[];
}

/**
 * Incremental collection of an append-mostly population (events, backup jobs): fetch only what was
 * created since the previous collection started (minus a settling margin for late delivery), carry
 * the previous records still inside the period forward, and re-fetch anything that was still open
 * (a running job) so its final state is recorded. Without a usable previous collection, the whole
 * period is fetched.
 */
export function incrementalWindow<P>(options: {
  previous: PreviousCollection | undefined;
  /** Keeps the previous records of this scope. */
  inScope: (payload: P) => boolean;
  periodStart: Date;
  settleMs: number;
  createdAt: (payload: P) => string;
  isOpen?: (payload: P) => boolean;
}): IncrementalWindow<P> {
  const { previous, periodStart } = options;
  if (!previous) return { since: periodStart, carried: [] };
  const records = (previous.records as EvidenceRecord<P>[]).filter((r) => options.inScope(r.payload));
  let since = Math.max(periodStart.getTime(), Date.parse(previous.startedAt) - options.settleMs);
  for (const r of records) if (options.isOpen?.(r.payload)) since = Math.min(since, Date.parse(options.createdAt(r.payload)));
  const carried = records.filter((r) => {
    const created = Date.parse(options.createdAt(r.payload));
    return created >= periodStart.getTime() && created < since;
  });
  return { since: new Date(since), carried };
}
