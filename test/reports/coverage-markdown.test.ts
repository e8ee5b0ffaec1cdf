import { describe, expect, it } from 'vitest';
import type { RequirementStatus } from '../../src/reports/coverage-model.js';
import { renderCoverageMarkdown } from '../../src/reports/render-markdown.js';
import { buildCoverageReport, buildRows, failingSubjectsOf, scriptSubject, themes } from './fixture.js';

const counted = ['passing', 'failing', 'stale', 'manual', 'missing'] as const;
const label = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** The text of the `## heading` section, up to the next `## `. */
function section(md: string, heading: string): string {
  const start = md.indexOf(`\n## ${heading}\n`);
  expect(start, `section ${heading}`).toBeGreaterThan(-1);
  const end = md.indexOf('\n## ', start + 1);
  return md.slice(start, end === -1 ? undefined : end);
}

/** Cells of a table line, split on unescaped pipes (as GFM does). */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** Consecutive lines starting with `|`. */
function tables(md: string): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) current.push(line);
    else if (current.length > 0) {
      out.push(current);
      current = [];
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Removes inline code spans (their content is literal text in Markdown). */
function withoutCode(md: string): string {
  return md.replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, '');
}

describe('renderCoverageMarkdown', () => {
  const report = buildCoverageReport();
  const rows = report.controls;
  const md = renderCoverageMarkdown(report);
  const count = (status: RequirementStatus) => rows.filter((r) => r.status === status).length;

  it('has a title with the framework, as-of date and SoA file', () => {
    expect(md.startsWith('# ISO/IEC 27001:2022 coverage\n')).toBe(true);
    expect(md).toContain('As of **2025-06-30 00:00 UTC**');
    expect(md).toContain(`Statement of Applicability: \`${report.soaFile}\``);
  });

  it('summarizes counts by status and theme from the rows', () => {
    const summary = section(md, 'Summary');
    expect(summary).toContain(`| Applicable | ${rows.filter((r) => r.applicable).length} |`);
    expect(summary).toContain(`| Excluded | ${count('excluded')} |`);
    for (const s of counted) expect(summary).toContain(`| ${label(s)} | ${count(s)} |`);
    const current = count('passing') + count('failing') + count('manual');
    expect(summary).toContain(`**${((100 * current) / rows.filter((r) => r.applicable).length).toFixed(1)}%**`);
    for (const t of themes) {
      const inTheme = rows.filter((r) => r.theme === t.theme);
      const line = summary.split('\n').find((l) => l.startsWith(`| ${t.title} |`));
      expect(line, t.title).toBeDefined();
      expect(cells(line!).slice(1).map(Number)).toEqual([
        inTheme.filter((r) => r.applicable).length,
        inTheme.filter((r) => !r.applicable).length,
        ...counted.map((s) => inTheme.filter((r) => r.status === s).length),
      ]);
    }
  });

  it('has one table per theme with a row per requirement', () => {
    for (const t of themes) {
      const body = section(md, t.title);
      const [table] = tables(body);
      expect(cells(table![0]!)).toEqual(['ID', 'Title', 'Applicable', 'Status', 'Checks', 'Failing subjects', 'Newest evidence']);
      const inTheme = rows.filter((r) => r.theme === t.theme);
      expect(table!.slice(2)).toHaveLength(inTheme.length);
      inTheme.forEach((row, i) => {
        const c = cells(table![i + 2]!);
        expect(c[0]).toBe(`\`${row.id}\``);
        expect(c[2]).toBe(row.applicable ? 'yes' : 'no');
        expect(c[3]!.replace(/\*/g, '')).toBe(label(row.status));
        for (const subject of failingSubjectsOf(row).slice(0, 5)) expect(c[5]).toContain(`\`${subject}\``);
        if (row.newestEvidence) expect(c[6]).toContain(row.newestEvidence.at.slice(0, 10));
        else expect(c[6]).toBe('—');
      });
    }
  });

  it('lists every failing check once with its subjects and messages', () => {
    const failing = section(md, 'Failing subjects');
    const checks = new Map(rows.flatMap((r) => r.checks).filter((c) => c.failing.length > 0).map((c) => [c.id, c]));
    expect(checks.size).toBeGreaterThan(1);
    for (const check of checks.values()) {
      expect(failing.split(`### \`${check.id}\``)).toHaveLength(2);
      const backs = rows.filter((r) => r.checks.some((c) => c.id === check.id)).map((r) => `\`${r.id}\``);
      expect(failing).toContain(`Backs ${backs.join(', ')}.`);
      for (const f of check.failing) {
        const item = failing.split('\n').find((l) => l.startsWith(`- \`${f.subject}\``));
        expect(item, f.subject).toBeDefined();
        expect(item).toContain(`(${f.status}, \`${f.instanceId}\`)`);
        // Messages keep their words; a newline inside one does not end the list item.
        for (const word of f.message.split(/\s+/).filter((w) => /^[a-z]+$/i.test(w))) expect(item).toContain(word);
      }
    }
  });

  it('lists excluded controls with their justification', () => {
    const excluded = section(md, 'Excluded controls');
    const rowsExcluded = rows.filter((r) => r.status === 'excluded');
    const [table] = tables(excluded);
    expect(table!.slice(2)).toHaveLength(rowsExcluded.length);
    for (const row of rowsExcluded) {
      const line = table!.find((l) => l.startsWith(`| \`${row.id}\` |`))!;
      const firstLine = row.justification!.split('\n')[0]!;
      expect(line).toContain(firstLine);
    }
    const multiLine = rowsExcluded.find((r) => /\n/.test(r.justification!) && r.justification!.includes('|'))!;
    const line = table!.find((l) => l.startsWith(`| \`${multiLine.id}\` |`))!;
    expect(line).toContain('<br>');
    expect(line).toContain('\\|');
  });

  it('escapes pipes and newlines so every table row keeps its columns', () => {
    const all = tables(md);
    expect(all.length).toBeGreaterThan(themes.length);
    for (const table of all) {
      const width = cells(table[0]!).length;
      for (const line of table) expect(cells(line), line).toHaveLength(width);
    }
  });

  it('never emits raw HTML from the report: markup is escaped outside code spans', () => {
    expect(md).toContain(`\`${scriptSubject}\``);
    const prose = withoutCode(md);
    expect(prose).not.toContain('<script');
    expect(prose).not.toContain('<b>');
    expect(prose.match(/<[a-z/][^>]*>/gi)?.filter((t) => t !== '<br>') ?? []).toEqual([]);
    expect(md).toContain('Member &lt;script&gt;alert(1)&lt;/script&gt; has no second factor &lt;b&gt;enabled&lt;/b&gt;');
  });

  it('escapes Markdown in text and picks a safe code fence for backticks', () => {
    const custom = buildRows();
    const row = custom.find((r) => r.id === 'A.5.17')!;
    row.title = 'Auth *bold* [link](https://example.com) _x_';
    row.checks[1]!.failing.push({ subject: 'back`tick|pipe', instanceId: 'i', status: 'fail', message: 'line one\nline two' });
    const out = renderCoverageMarkdown(buildCoverageReport(custom));
    expect(out).toContain('Auth \\*bold\\* \\[link\\](https://example.com) \\_x\\_');
    expect(out).toContain('``back`tick\\|pipe``');
    expect(out).toContain('- ``back`tick|pipe`` (fail, `i`): line one line two');
  });

  it('handles a report without SoA, failures or exclusions', () => {
    const rowsOk = buildRows().filter((r) => r.status === 'passing' && r.checks.every((c) => c.failing.length === 0));
    const out = renderCoverageMarkdown({ ...buildCoverageReport(rowsOk), soaFile: null });
    expect(out).toContain('no Statement of Applicability');
    expect(out).toContain('No check reports failing subjects.');
    expect(out).toContain('No control is excluded in the Statement of Applicability.');
  });
});
