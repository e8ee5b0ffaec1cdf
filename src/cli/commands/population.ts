import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { buildChangePopulation, changePopulationCsv } from '../../populations/changes.js';
import { openStoreForReading, parseAsOf, type CliIO, type GlobalOptions } from '../runtime.js';
import { json } from '../table.js';

export interface PopulationOptions extends GlobalOptions {
  from: string;
  to: string;
  format: string;
  out?: string;
  asOf?: string;
}

/** `YYYY-MM-DD` (start or end of that UTC day) or an ISO timestamp. */
function parseBound(flag: string, value: string, endOfDay: boolean): Date {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z`) : new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${flag} ${value}: expected a date like 2026-03-31 or an ISO-8601 timestamp`);
  return date;
}

/**
 * `annexa population changes --from --to`: every deployed Jira change and merged pull request of
 * the period with its approval evidence, as CSV (default) or JSON. Warnings about incomplete
 * sources go to stderr so the CSV stays clean.
 */
export async function populationChangesCommand(options: PopulationOptions, io: CliIO): Promise<number> {
  const from = parseBound('--from', options.from, false);
  const to = parseBound('--to', options.to, true);
  if (from > to) throw new UsageError(`--from ${options.from} is after --to ${options.to}`);
  const store = await openStoreForReading(options, io);
  try {
    const population = await buildChangePopulation(store, from, to, parseAsOf(options.asOf) ?? new Date());
    for (const s of population.sources) {
      if (s.lastCollectionFailed) io.stderr(`warning: the last collection of ${s.kind} from ${s.instanceId} failed; items come from ${s.collectedAt ?? 'no earlier collection'}\n`);
    }
    if (population.sources.length === 0) io.stderr('warning: no change evidence (jira.change_ticket.v1, github.merged_pull_request.v1) has been collected\n');
    const text = options.format === 'json' ? json(population) : changePopulationCsv(population);
    if (options.out) {
      writeFileSync(resolve(io.cwd, options.out), text);
      io.stderr(`${population.size} changes from ${population.sources.length} source(s) written to ${options.out}\n`);
    } else io.stdout(text);
    return 0;
  } finally {
    await store.close();
  }
}
