import { computeChanges, type ChangesReport } from '../../reports/changes.js';
import { UsageError } from '../../core/errors.js';
import type { EvidenceStore } from '../../../storage/evidence-store.js';
import { openStoreForReading, parseAsOf, type CliIO, type GlobalOptions } from '../runtime.js';
import { json, table } from '../table.js';

/** Resolves `--since`: a date or timestamp, or a run id (its start time). */
export async function resolveSince(store: EvidenceStore, value: string): Promise<Date> {
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !/^\d{8}T/.test(value)) {
    const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : value);
    if (Number.isNaN(date.getTime())) throw new UsageError(`--since ${value}: not a date`);
    return date;
  }
  const run = await store.run(value);
  if (!run) throw new UsageError(`--since ${value}: neither a date (2026-03-31) nor a run id (see \`annexa runs\`)`);
  return new Date(run.startedAt);
}

/** `annexa changes --since <date|run>`: what changed in check results and evidence. */
export async function changesCommand(options: GlobalOptions & { since: string; until?: string; json?: boolean }, io: CliIO): Promise<number> {
  const store = await openStoreForReading(options, io);
  try {
    const since = await resolveSince(store, options.since);
    const report = await computeChanges(store, since, parseAsOf(options.until) ?? new Date());
    io.stdout(options.json ? json(report) : formatChanges(report));
    return 0;
  } finally {
    await store.close();
  }
}

/** The human form of a changes report. */
export function formatChanges(report: ChangesReport): string {
  const checks = report.checkChanges.length
    ? table(
        ['first seen', 'check', 'subject', 'from', 'to', 'run'],
        report.checkChanges.map((c) => [c.at, c.checkId, c.subject, c.from ?? '(new)', c.to ?? '(gone)', c.runId]),
      )
    : 'No check result changed status.\n';
  const evidence = report.evidenceChanges.length
    ? table(
        ['first seen', 'kind', 'subject', 'change', 'run'],
        report.evidenceChanges.map((c) => [c.at, c.kind, c.subject, c.change, c.runId]),
      )
    : 'No evidence subject appeared, disappeared or changed.\n';
  return `Changes from ${report.since} to ${report.until}\n\nCheck results:\n${checks}\nEvidence:\n${evidence}`;
}
