import { describe, expect, it } from 'vitest';
import type { RequirementStatus } from '../../src/reports/coverage-model.js';
import { renderCoverageTable } from '../../src/reports/render-table.js';
import { buildCoverageReport, buildRows, failingSubjectsOf, themes } from './fixture.js';

const counted = ['passing', 'failing', 'stale', 'manual', 'missing'] as const;
const label = (s: string) => s[0]!.toUpperCase() + s.slice(1);

function requirementLines(out: string): string[] {
  const lines = out.split('\n');
  const header = lines.findIndex((l) => /^ID\s+Status\s+Title\s+Checks\s+Failing subjects$/.test(l));
  expect(header).toBeGreaterThan(-1);
  return lines.slice(header + 2).filter((l) => l !== '');
}

describe('renderCoverageTable', () => {
  const report = buildCoverageReport();
  const rows = report.controls;
  const out = renderCoverageTable(report);
  const count = (status: RequirementStatus) => rows.filter((r) => r.status === status).length;

  it('opens with the framework, as-of date and SoA file', () => {
    const [first, second, third] = out.split('\n');
    expect(first).toBe('ISO/IEC 27001:2022 coverage');
    expect(second).toContain('As of 2025-06-30 00:00 UTC');
    expect(third).toBe(`SoA: ${report.soaFile}`);
  });

  it('summarizes applicable, excluded and every status with counts from the rows', () => {
    const applicable = rows.filter((r) => r.applicable).length;
    expect(out).toMatch(new RegExp(`^Applicable\\s+${applicable}$`, 'm'));
    expect(out).toMatch(new RegExp(`^Excluded\\s+${count('excluded')}$`, 'm'));
    for (const s of counted) {
      expect(count(s), `fixture has ${s} rows`).toBeGreaterThan(0);
      expect(out).toMatch(new RegExp(`^${label(s)}\\s+${count(s)}$`, 'm'));
    }
    const current = count('passing') + count('failing') + count('manual');
    const pct = ((100 * current) / applicable).toFixed(1);
    expect(out).toMatch(new RegExp(`^Current evidence\\s+${pct.replace('.', '\\.')}% of applicable requirements`, 'm'));
  });

  it('has one line per theme with its applicable, excluded and status counts', () => {
    for (const t of themes) {
      const inTheme = rows.filter((r) => r.theme === t.theme);
      const expected = [
        inTheme.filter((r) => r.applicable).length,
        inTheme.filter((r) => !r.applicable).length,
        ...counted.map((s) => inTheme.filter((r) => r.status === s).length),
      ];
      const line = out.split('\n').find((l) => l.startsWith(t.title));
      expect(line, t.title).toBeDefined();
      expect(line!.slice(t.title.length).trim().split(/\s+/).map(Number)).toEqual(expected);
    }
  });

  it('has one aligned line per requirement with its id and status', () => {
    const lines = requirementLines(out);
    expect(lines).toHaveLength(rows.length);
    rows.forEach((row, i) => {
      const line = lines[i]!;
      expect(line.split(/\s{2,}/)[0]).toBe(row.id);
      expect(line.split(/\s{2,}/)[1]).toBe(row.status);
    });
    // Columns line up: the status and title columns start at the same offset on every line.
    const statusAt = new Set(lines.map((l, i) => l.indexOf(rows[i]!.status, rows[i]!.id.length)));
    expect(statusAt.size).toBe(1);
    const titleAt = new Set(lines.map((l, i) => l.indexOf(rows[i]!.title.slice(0, 10))));
    expect(titleAt.size).toBe(1);
  });

  it('summarizes checks and lists the first failing subjects', () => {
    const lines = requirementLines(out);
    const failingWithSubjects = rows.filter((r) => r.status === 'failing' && failingSubjectsOf(r).length > 2);
    expect(failingWithSubjects.length).toBeGreaterThan(0);
    for (const row of failingWithSubjects) {
      const line = lines.find((l) => l.startsWith(row.id + ' '))!;
      const failingChecks = row.checks.filter((c) => c.status === 'fail' || c.status === 'error').length;
      expect(line).toContain(`${failingChecks}/${row.checks.length} check${row.checks.length === 1 ? '' : 's'} failing`);
      const subjects = failingSubjectsOf(row);
      expect(line.endsWith(`${subjects[0]}, ${subjects[1]} +${subjects.length - 2}`)).toBe(true);
    }
    const a517 = lines.find((l) => l.startsWith('A.5.17 '))!;
    expect(a517).toMatch(/1\/2 checks failing\s+alice, bob \+1$/);
    const stale = rows.find((r) => r.status === 'stale' && r.checks.length > 0)!;
    expect(lines.find((l) => l.startsWith(stale.id + ' '))).toContain(`1/${stale.checks.length} check`);
    const passing = rows.find((r) => r.status === 'passing' && r.checks.some((c) => c.warnings.length > 0))!;
    const n = passing.checks.length;
    const warned = passing.checks.filter((c) => c.status === 'warn').length;
    expect(lines.find((l) => l.startsWith(passing.id + ' '))).toContain(
      `${n}/${n} check${n === 1 ? '' : 's'} passing, ${warned} with warnings`,
    );
    for (const row of rows.filter((r) => r.checks.length === 0)) {
      expect(lines.find((l) => l.startsWith(row.id + ' '))).toContain('no checks');
    }
  });

  it('truncates long titles', () => {
    const long = rows.find((r) => r.title.length > 44)!;
    const line = requirementLines(out).find((l) => l.startsWith(long.id + ' '))!;
    expect(line).not.toContain(long.title);
    expect(line).toContain(long.title.slice(0, 30));
    expect(line).toContain('…');
  });

  it('is plain text: no colours, and subject names cannot inject escapes or break lines', () => {
    expect(out).not.toContain('\u001b');
    const rowsWithNasty = buildRows();
    const target = rowsWithNasty.find((r) => r.id === 'A.5.17')!;
    const check = target.checks.find((c) => c.failing.length > 0)!;
    check.failing.unshift({ subject: 'evil\u001b[31m\nname\r\u0007', instanceId: 'x', status: 'fail', message: 'm' });
    const nasty = renderCoverageTable(buildCoverageReport(rowsWithNasty));
    expect(nasty).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(requirementLines(nasty)).toHaveLength(rowsWithNasty.length);
    expect(nasty).toContain('evil [31m name');
  });

  it('says when no Statement of Applicability was used', () => {
    const noSoa = { ...report, soaFile: null };
    expect(renderCoverageTable(noSoa)).toContain('SoA: none (every control counts as applicable)');
  });

  it('renders an empty report', () => {
    const empty = buildCoverageReport([]);
    const text = renderCoverageTable(empty);
    expect(text).toMatch(/^Applicable\s+0$/m);
    expect(text).toContain('No requirements.');
  });
});
