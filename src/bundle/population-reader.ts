import { inPopulation, type PopulationDefinition, type PopulationItem } from './populations.js';
import type { PeriodReader, RecordVersion } from './period-reader.js';
import { periodEnd, periodStart, type Period } from './period.js';

/** Keeps the newest version of each subject; memory grows with the population, not the period. */
export class PopulationAccumulator {
  private readonly newest = new Map<string, PopulationItem>();

  constructor(
    private readonly definition: PopulationDefinition,
    private readonly period: Period,
  ) {}

  add(version: RecordVersion): void {
    const key = `${version.instanceId}\u0000${version.subject}`;
    const known = this.newest.get(key);
    if (known && known.lastSeen > version.lastSeen.at) return;
    this.newest.set(key, {
      instanceId: version.instanceId,
      subject: version.subject,
      digest: version.digest,
      payload: version.payload,
      firstSeen: known && known.firstSeen < version.firstSeen.at ? known.firstSeen : version.firstSeen.at,
      lastSeen: version.lastSeen.at,
    });
  }

  /** The population: newest versions, limited to events dated in the period for event populations. */
  items(): PopulationItem[] {
    const start = periodStart(this.period);
    const end = periodEnd(this.period);
    return [...this.newest.values()].filter((item) => inPopulation(this.definition, item.payload, start, end));
  }
}

/** Every member of a population in a period (for `annexa sample`). */
export async function readPopulation(reader: PeriodReader, definition: PopulationDefinition, period: Period): Promise<PopulationItem[]> {
  const accumulator = new PopulationAccumulator(definition, period);
  for await (const version of reader.recordVersions(definition.kind, period)) accumulator.add(version);
  return accumulator.items();
}
