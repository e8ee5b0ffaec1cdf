import { recordCheckRun, countByCheck } from '../../pipeline/check-run.js';
import { checkRegistry } from '../../checks/registry.js';
import { connectorRegistry } from '../../registry.js';
import { systemClock } from '../../core/clock.js';
import { Redactor } from '../../core/redact.js';
import { checkStatuses } from '../../checks/check.js';
import type { CheckEvaluation } from '../../checks/run-checks.js';
import { openEvidenceStore } from '../../../storage/open-store.js';
import { loadConfig, parseAsOf, type CliIO, type GlobalOptions } from '../runtime.js';
import { json, table } from '../table.js';

/** `annexa check`: evaluate every check against the store and record the results. */
export async function checkCommand(options: GlobalOptions & { asOf?: string; json?: boolean }, io: CliIO, command: string): Promise<number> {
  const config = loadConfig(options, io, new Redactor(), true);
  // A check run reads every current payload: mapped, as the reading commands do.
  const store = await openEvidenceStore(config.store, { mapForReading: true });
  try {
    const asOf = parseAsOf(options.asOf) ?? systemClock.now();
    const { run, evaluations } = await recordCheckRun({
      store,
      checks: checkRegistry,
      connectors: connectorRegistry,
      params: config.checkParams,
      asOf,
      clock: systemClock,
      command,
    });
    io.stdout(options.json ? json({ run, evaluations }) : formatCheckSummary(evaluations) + `\nResults recorded in run ${run.id} (as of ${asOf.toISOString()}).\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/** One line per check with counts by status, then the subjects that fail. */
export function formatCheckSummary(evaluations: readonly CheckEvaluation[]): string {
  const counts = countByCheck(evaluations);
  const rows = [...counts].map(([id, c]) => [id, ...checkStatuses.map((s) => c[s] ?? 0)]);
  const failing = evaluations.flatMap((e) =>
    e.results.filter((r) => r.status !== 'pass' && r.status !== 'warn').map((r) => `  ${e.checkId}  ${r.status}  ${r.subject}: ${r.message}\n`),
  );
  return table(['check', ...checkStatuses], rows) + (failing.length ? `\nNot passing:\n${failing.join('')}` : '');
}
