import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { populationByName, populationCsv, populationId, type PopulationItem } from '../../src/bundle/populations.js';
import {
  autoSampleSize,
  defaultSampleSizeTable,
  describeSampleSizeTable,
  drawSample,
  loadSampleSizeTable,
  parseSampleSize,
  sampleScript,
} from '../../src/sampling/sample.js';

const dir = mkdtempSync(join(tmpdir(), 'annexa-sample-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const items: PopulationItem[] = Array.from({ length: 120 }, (_, i) => ({
  instanceId: 'github-acme',
  subject: `acme/repo-${i % 7}#${i + 1}`,
  digest: `${i}`.padStart(64, '0'),
  payload: { repository: `acme/repo-${i % 7}`, number: i + 1, title: `Ünïcode change ${i}, "quoted"`, mergedAt: '2026-03-02T11:00:00Z', reviews: [] },
  firstSeen: '2026-03-02T12:00:00.000Z',
  lastSeen: '2026-03-10T02:00:00.000Z',
}));
const ids = items.map(populationId);

describe('drawSample', () => {
  it('gives the same sample for the same seed and population, in any input order', () => {
    const first = drawSample(ids, 'seed-A', 10);
    expect(drawSample([...ids].reverse(), 'seed-A', 10)).toEqual(first);
    expect(first).toHaveLength(10);
    expect(new Set(first).size).toBe(10);
  });

  it('is the lowest N by HMAC-SHA256(seed, id), computed independently', () => {
    const expected = [...ids]
      .map((id) => ({ id, rank: createHmac('sha256', 'seed-A').update(id).digest('hex') }))
      .sort((a, b) => (a.rank < b.rank ? -1 : 1))
      .slice(0, 10)
      .map((r) => r.id);
    expect(drawSample(ids, 'seed-A', 10)).toEqual(expected);
  });

  it('gives another sample for another seed', () => {
    expect(drawSample(ids, 'seed-B', 10)).not.toEqual(drawSample(ids, 'seed-A', 10));
  });

  it('takes everything when the size exceeds the population, and refuses an empty seed', () => {
    expect(drawSample(ids.slice(0, 3), 's', 25).sort()).toEqual(ids.slice(0, 3).sort());
    expect(() => drawSample(ids, '', 5)).toThrow(/--seed must not be empty/);
  });

  it('is re-drawn by the five-line Python script in the bundle README from the population CSV', () => {
    expect(sampleScript.split('\n')).toHaveLength(5);
    const csv = join(dir, 'merged-prs.csv');
    writeFileSync(csv, populationCsv(populationByName('merged-prs')!, items));
    const script = join(dir, 'sample.py');
    writeFileSync(script, sampleScript + '\n');
    const output = execFileSync('python3', [script, csv, 'auditor seed ✓', '12'], { encoding: 'utf8' });
    expect(output.trim().split('\n')).toEqual(drawSample(ids, 'auditor seed ✓', 12));
  });
});

describe('sample sizes', () => {
  it('follows the default table: up to 5 all; 6–50, 5; 51–250, 10% rounded up; over 250, 25', () => {
    expect([0, 1, 5, 6, 50, 51, 120, 250, 251, 10_000].map((n) => autoSampleSize(n))).toEqual([0, 1, 5, 5, 5, 6, 12, 25, 25, 25]);
    expect(describeSampleSizeTable(defaultSampleSizeTable)).toEqual(['1–5 items: all', '6–50 items: 5', '51–250 items: 10% (rounded up)', 'over 250 items: 25']);
  });

  it('reads a configured table, and names the file and row of a bad one', () => {
    const good = join(dir, 'sizes.yaml');
    writeFileSync(good, '- { upTo: 10, size: all }\n- { upTo: 100, size: 8 }\n- { size: 40 }\n');
    const table = loadSampleSizeTable(good);
    expect([10, 11, 100, 101].map((n) => autoSampleSize(n, table))).toEqual([10, 8, 8, 40]);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, '- { upTo: 10, size: 3, percent: 5 }\n- { upTo: 20, size: 4 }\n');
    expect(() => loadSampleSizeTable(bad)).toThrow(ConfigError);
    expect(() => loadSampleSizeTable(bad)).toThrow(`${bad}: [0]: give exactly one of size or percent`);
    expect(() => loadSampleSizeTable(bad)).toThrow('the last row must have no upTo');
  });

  it('parses --size', () => {
    expect(parseSampleSize('25')).toBe(25);
    expect(parseSampleSize('auto')).toBe('auto');
    expect(() => parseSampleSize('0')).toThrow(/positive whole number or auto/);
    expect(() => parseSampleSize('ten')).toThrow(/positive whole number or auto/);
  });
});
