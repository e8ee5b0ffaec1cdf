import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError, UsageError } from '../core/errors.js';
import { compareIds } from '../bundle/populations.js';

/**
 * Samples an auditor can re-draw without Annexa: rank every item's stable id by
 * HMAC-SHA256(key = seed, message = id) as lower-case hex, break ties by id, take the lowest N.
 * Same seed and population, same sample, on any machine ({@link sampleScript} does it in Python).
 */
export const sampleMethod =
  'rank each population id by lower-case hex HMAC-SHA256(key = UTF-8 seed, message = UTF-8 id), ties by id, and take the lowest N';

/** The five-line script in the bundle README that re-draws a sample from a population CSV. */
export const sampleScript = [
  'import csv, hashlib, hmac, sys  # usage: python3 sample.py populations/merged-prs.csv SEED SIZE',
  "rows = list(csv.DictReader(open(sys.argv[1], encoding='utf-8-sig', newline='')))",
  "rank = lambda r: (hmac.new(sys.argv[2].encode(), r['id'].encode(), hashlib.sha256).hexdigest(), r['id'])",
  'for r in sorted(rows, key=rank)[: int(sys.argv[3])]:',
  "    print(r['id'])",
].join('\n');

/** The rank of one id under a seed. */
export function sampleRank(seed: string, id: string): string {
  return createHmac('sha256', Buffer.from(seed, 'utf8')).update(id, 'utf8').digest('hex');
}

/** The ids of a deterministic sample of `size` from `ids` (all of them when size ≥ the population). */
export function drawSample(ids: readonly string[], seed: string, size: number): string[] {
  if (seed.length === 0) throw new UsageError('--seed must not be empty: it is what lets the auditor re-draw the sample');
  return ids
    .map((id) => ({ id, rank: sampleRank(seed, id) }))
    .sort((a, b) => compareIds(a.rank, b.rank) || compareIds(a.id, b.id))
    .slice(0, Math.max(0, size))
    .map((r) => r.id);
}

/**
 * A sample-size table of the kind audit firms publish: the first row whose `upTo` is at least the
 * population size applies; `size` is a count or `all`, `percent` a share rounded up.
 */
export interface SampleSizeRow {
  /** Largest population this row covers; omit on the last row (no upper bound). */
  upTo?: number;
  size?: number | 'all';
  percent?: number;
}

/** The default table: up to 5 items, all of them; 6–50, 5; 51–250, 10 % (rounded up); over 250, 25. */
export const defaultSampleSizeTable: readonly SampleSizeRow[] = [
  { upTo: 5, size: 'all' },
  { upTo: 50, size: 5 },
  { upTo: 250, percent: 10 },
  { size: 25 },
];

const sizeTableSchema = z
  .array(
    z
      .strictObject({
        upTo: z.number().int().positive().optional(),
        size: z.union([z.number().int().positive(), z.literal('all')]).optional(),
        percent: z.number().positive().max(100).optional(),
      })
      .refine((r) => (r.size === undefined) !== (r.percent === undefined), 'give exactly one of size or percent'),
  )
  .min(1)
  .refine((rows) => rows.at(-1)!.upTo === undefined, 'the last row must have no upTo (it covers every larger population)')
  .refine((rows) => rows.every((r, i) => i === 0 || (r.upTo ?? Infinity) > (rows[i - 1]!.upTo ?? Infinity)), 'upTo must increase from row to row');

/** Loads a sample-size table from YAML or JSON (`--size-table`); errors name the file and row. */
export function loadSampleSizeTable(file: string): SampleSizeRow[] {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: ${(error as Error).message.split('\n')[0]}`, file);
  }
  const result = sizeTableSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${file}: ${i.path.length ? i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') : '(top level)'}: ${i.message}`);
    throw new ConfigError(issues.join('\n'), file, issues);
  }
  return result.data as SampleSizeRow[];
}

/** The sample size for a population under a table. */
export function autoSampleSize(populationSize: number, table: readonly SampleSizeRow[] = defaultSampleSizeTable): number {
  const row = table.find((r) => r.upTo === undefined || populationSize <= r.upTo) ?? table.at(-1)!;
  const size = row.size === 'all' ? populationSize : row.size !== undefined ? row.size : Math.ceil((populationSize * row.percent!) / 100);
  return Math.min(size, populationSize);
}

/** The table as README lines. */
export function describeSampleSizeTable(table: readonly SampleSizeRow[]): string[] {
  let previous = 0;
  return table.map((r) => {
    const range = r.upTo === undefined ? `over ${previous}` : `${previous + 1}–${r.upTo}`;
    previous = r.upTo ?? previous;
    return `${range} items: ${r.size === 'all' ? 'all' : r.size !== undefined ? r.size : `${r.percent}% (rounded up)`}`;
  });
}

/** `--size 25` or `--size auto`. */
export function parseSampleSize(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--size ${value}: expected a positive whole number or auto`);
  return Number(value);
}

/** What the bundle (and `annexa sample --json`) records about a sample. */
export interface SampleRecord {
  population: string;
  kind: string;
  period: { from: string; to: string };
  seed: string;
  method: string;
  /** Requested size (`auto` resolved through the table). */
  size: number;
  sizeRule: string;
  populationSize: number;
  /** sha256 of the population CSV the sample was drawn from (`populations/<name>.csv`). */
  populationSha256: string;
  ids: string[];
}
