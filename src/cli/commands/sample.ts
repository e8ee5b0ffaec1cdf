import { resolve } from 'node:path';
import { sha256Hex } from '../../core/canonical.js';
import { UsageError } from '../../core/errors.js';
import { parsePeriod } from '../../bundle/period.js';
import { storePeriodReader } from '../../bundle/period-reader.js';
import { readPopulation } from '../../bundle/population-reader.js';
import { populationByName, populationCsv, populationId, populationTable } from '../../bundle/populations.js';
import {
  autoSampleSize,
  defaultSampleSizeTable,
  drawSample,
  loadSampleSizeTable,
  parseSampleSize,
  sampleMethod,
  type SampleRecord,
} from '../../sampling/sample.js';
import { openStoreForReading, type CliIO, type GlobalOptions } from '../runtime.js';
import { json, table } from '../table.js';
import { exitCodes } from '../exit-codes.js';

export interface SampleCommandOptions extends GlobalOptions {
  population: string;
  from?: string;
  to?: string;
  size: string;
  seed?: string;
  sizeTable?: string;
}

/** `annexa sample`: a deterministic sample an auditor can re-draw from the population CSV and the seed. */
export async function sampleCommand(options: SampleCommandOptions, io: CliIO): Promise<number> {
  const definition = populationByName(options.population);
  if (!definition) throw new UsageError(`--population ${options.population}: expected one of ${populationTable.map((p) => p.name).join(', ')}`);
  const period = parsePeriod(options.from, options.to);
  if (!options.seed) throw new UsageError("--seed is required: the auditor's seed, so the sample can be re-drawn");
  const requested = parseSampleSize(options.size);
  const sizeTable = options.sizeTable ? loadSampleSizeTable(resolve(io.cwd, options.sizeTable)) : defaultSampleSizeTable;
  const store = await openStoreForReading(options, io);
  try {
    const items = await readPopulation(storePeriodReader(store), definition, period);
    const size = requested === 'auto' ? autoSampleSize(items.length, sizeTable) : Math.min(requested, items.length);
    const ids = drawSample(items.map(populationId), options.seed, size);
    const record: SampleRecord = {
      population: definition.name,
      kind: definition.kind,
      period,
      seed: options.seed,
      method: sampleMethod,
      size,
      sizeRule: requested === 'auto' ? `auto: ${JSON.stringify(sizeTable)}` : `fixed: ${requested}`,
      populationSize: items.length,
      populationSha256: sha256Hex(populationCsv(definition, items)),
      ids,
    };
    if (options.json) {
      io.stdout(json(record));
    } else {
      io.stdout(
        `${definition.title}, ${period.from} to ${period.to}: ${size} of ${items.length} (seed "${options.seed}")\n` +
          `Population sha256 ${record.populationSha256} (the bytes of populations/${definition.name}.csv in a bundle of the same period)\n` +
          `Method: ${sampleMethod}\n\n` +
          table(['#', 'id'], ids.map((id, i) => [String(i + 1), id])),
      );
    }
    return exitCodes.ok;
  } finally {
    await store.close();
  }
}
