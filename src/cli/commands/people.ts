import { connectorRegistry } from '../../registry.js';
import { systemClock } from '../../core/clock.js';
import { UsageError } from '../../core/errors.js';
import { currentEvidence } from '../../checks/run-checks.js';
import { accountSources } from '../../people/sources.js';
import { buildIdentityIndex } from '../../people/identity-index.js';
import { renderPeopleCsv, renderPeopleTable, type PeopleView } from '../../people/render.js';
import { loadConfigForReading, openStoreForReading, parseAsOf, type CliIO, type GlobalOptions } from '../runtime.js';
import { json } from '../table.js';

/**
 * `annexa people`: one view of each person across every identity system, from current stored
 * evidence (the same inputs the people.* checks judge), with unmatched accounts listed.
 */
export async function peopleCommand(options: GlobalOptions & { asOf?: string; format: string }, io: CliIO): Promise<number> {
  if (!['table', 'json', 'csv'].includes(options.format)) throw new UsageError(`--format ${options.format}: expected table, json or csv`);
  const config = loadConfigForReading(options, io);
  const store = await openStoreForReading(options, io, config);
  try {
    const asOf = parseAsOf(options.asOf) ?? systemClock.now();
    const current = await currentEvidence({ store, kinds: accountSources.map((s) => s.kind), connectors: connectorRegistry, asOf });
    const index = buildIdentityIndex(current.sets, { sources: accountSources, aliases: config?.people.aliases ?? {} });
    const view: PeopleView = { asOf: asOf.toISOString(), index, unavailable: current.unavailable };
    if (options.format === 'json') io.stdout(json({ asOf: view.asOf, people: index.people, unmatched: index.unmatched, unreadable: index.unreadable, unavailable: view.unavailable }));
    else if (options.format === 'csv') io.stdout(renderPeopleCsv(view));
    else io.stdout(renderPeopleTable(view));
    return 0;
  } finally {
    await store.close();
  }
}
