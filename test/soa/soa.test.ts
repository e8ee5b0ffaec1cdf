import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { soaExportCommand, soaInitCommand } from '../../src/cli/commands/soa.js';
import type { CliIO } from '../../src/cli/runtime.js';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import { loadFramework } from '../../src/frameworks/framework.js';
import {
  annexAControls,
  exportSoaCsv,
  exportSoaMarkdown,
  loadSoa,
  parseSoa,
  soaTemplate,
  unjustifiedInclusions,
  type StatementOfApplicability,
} from '../../src/soa/soa.js';

const { catalog } = loadFramework();
const ids = annexAControls(catalog).map((c) => c.id);

interface Entry {
  applicable: boolean;
  justification?: string;
  implementation?: string;
}

/** A valid SoA as YAML text, with per-control overrides; `null` removes a control. */
function soaYaml(overrides: Record<string, Entry | null> = {}, header: Record<string, unknown> = {}): string {
  const controls: Record<string, Entry> = {};
  for (const id of ids) controls[id] = { applicable: true, justification: `Risk R-${id}` };
  for (const [id, entry] of Object.entries(overrides)) {
    if (entry === null) delete controls[id];
    else controls[id] = entry;
  }
  const lines = ['framework: iso27001-2022'];
  for (const [k, v] of Object.entries(header)) lines.push(`${k}: ${JSON.stringify(v)}`);
  lines.push('controls:');
  for (const [id, e] of Object.entries(controls)) {
    lines.push(`  ${JSON.stringify(id)}:`, `    applicable: ${e.applicable}`);
    if (e.justification !== undefined) lines.push(`    justification: ${JSON.stringify(e.justification)}`);
    if (e.implementation !== undefined) lines.push(`    implementation: ${JSON.stringify(e.implementation)}`);
  }
  return lines.join('\n') + '\n';
}

function errorOf(text: string): ConfigError {
  try {
    parseSoa(text, 'soa.yaml', catalog);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected parseSoa to throw');
}

/** Minimal RFC 4180 reader for the tests (quoted fields may hold commas, quotes and line breaks). */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), (i += 2);
      else if (c === '"') (quoted = false), i++;
      else (field += c), i++;
    } else if (c === '"') (quoted = true), i++;
    else if (c === ',') row.push(field), (field = ''), i++;
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), (i += 2);
    else (field += c), i++;
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}

describe('soaTemplate', () => {
  it('round-trips through parseSoa to 93 applicable controls', () => {
    const soa = parseSoa(soaTemplate(catalog), 'soa.yaml', catalog);
    const entries = Object.values(soa.controls);
    expect(entries).toHaveLength(93);
    expect(entries.every((e) => e.applicable)).toBe(true);
    expect(Object.keys(soa.controls)).toEqual(ids);
    expect(soa.framework).toBe('iso27001-2022');
    expect(unjustifiedInclusions(soa)).toHaveLength(93);
  });

  it('carries the organization, even with YAML-special characters', () => {
    const soa = parseSoa(soaTemplate(catalog, { organization: 'Acme: "Robotics" #1' }), 'soa.yaml', catalog);
    expect(soa.organization).toBe('Acme: "Robotics" #1');
  });

  it('has a header comment, theme groups and a title comment for every control', () => {
    const text = soaTemplate(catalog);
    expect(text.startsWith('# ')).toBe(true);
    expect(text).toContain('applicable: false');
    for (const theme of catalog.themes.filter((t) => t.id !== 'clauses')) expect(text).toContain(theme.title);
    expect(text).not.toContain('Management system clauses');
    for (const c of annexAControls(catalog)) expect(text).toContain(`# ${c.id} ${c.title}\n  ${c.id}:\n`);
    expect(text.match(/^ {4}applicable: true$/gm)).toHaveLength(93);
  });
});

describe('parseSoa', () => {
  it('accepts a complete SoA with metadata', () => {
    const soa = parseSoa(
      soaYaml(
        { 'A.7.4': { applicable: false, justification: '  No premises of our own.  ' } },
        { organization: 'Acme Robotics', version: '1.0', approvedBy: 'Jane Doe, CISO', approvedOn: '2026-01-15' },
      ),
      'soa.yaml',
      catalog,
    );
    expect(soa).toMatchObject({ organization: 'Acme Robotics', version: '1.0', approvedBy: 'Jane Doe, CISO', approvedOn: '2026-01-15' });
    expect(soa.controls['A.7.4']).toEqual({ id: 'A.7.4', applicable: false, justification: 'No premises of our own.', implementation: '' });
    expect(soa.controls['A.5.1']?.justification).toBe('Risk R-A.5.1');
  });

  it('reads an unquoted approvedOn date as text', () => {
    const text = soaYaml().replace('framework: iso27001-2022\n', 'framework: iso27001-2022\napprovedOn: 2026-01-15\n');
    expect(parseSoa(text, 'soa.yaml', catalog).approvedOn).toBe('2026-01-15');
  });

  it('names a control missing from the SoA', () => {
    const error = errorOf(soaYaml({ 'A.5.23': null }));
    expect(error.issues).toEqual(['soa.yaml: controls.A.5.23: missing — every Annex A control must be listed as applicable or excluded']);
    expect(error.message).toBe(error.issues[0]);
    expect(error.file).toBe('soa.yaml');
  });

  it('names every missing control, not just the first', () => {
    const error = errorOf(soaYaml({ 'A.5.23': null, 'A.8.34': null, 'A.6.1': null }));
    expect(error.issues).toHaveLength(3);
    for (const id of ['A.5.23', 'A.8.34', 'A.6.1']) expect(error.message).toContain(`controls.${id}: missing`);
  });

  it.each([
    ['absent', { applicable: false }],
    ['empty', { applicable: false, justification: '' }],
    ['blank', { applicable: false, justification: '   \n ' }],
  ])('rejects an exclusion whose justification is %s, naming the control', (_, entry) => {
    const error = errorOf(soaYaml({ 'A.7.4': entry }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatch(/^soa\.yaml: controls\.A\.7\.4: excluded .*justification/);
  });

  it('rejects a null justification on an exclusion', () => {
    const text = soaYaml().replace('"A.7.4":\n    applicable: true\n    justification: "Risk R-A.7.4"', '"A.7.4":\n    applicable: false\n    justification:');
    expect(errorOf(text).issues).toEqual([expect.stringMatching(/controls\.A\.7\.4: excluded/)]);
  });

  it('allows an applicable control without justification', () => {
    const soa = parseSoa(soaYaml({ 'A.5.1': { applicable: true } }), 'soa.yaml', catalog);
    expect(unjustifiedInclusions(soa)).toEqual(['A.5.1']);
  });

  it('rejects a 2013-edition id with a hint', () => {
    const error = errorOf(soaYaml({ 'A.9.2.1': { applicable: true, justification: 'x' } }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatch(/^soa\.yaml: controls\.A\.9\.2\.1: .*2013/);
  });

  it('rejects an unknown control id and a clause id', () => {
    const error = errorOf(
      soaYaml({ 'A.5.38': { applicable: true, justification: 'x' }, '6.1.2': { applicable: true, justification: 'x' }, 'CC6.1': { applicable: true } }),
    );
    expect(error.issues).toHaveLength(3);
    expect(error.message).toMatch(/controls\.A\.5\.38: "A\.5\.38" is not an Annex A control/);
    expect(error.message).toMatch(/controls\.6\.1\.2: .*clause requirement, not an Annex A control/);
    expect(error.message).toMatch(/controls\.CC6\.1: /);
  });

  it('accepts 5.1 (and a.5.1) as A.5.1', () => {
    const text = soaYaml({ 'A.5.1': null, 'A.8.2': null, '5.1': { applicable: true, justification: 'Policy' }, 'a.8.2': { applicable: true } });
    const soa = parseSoa(text, 'soa.yaml', catalog);
    expect(soa.controls['A.5.1']).toEqual({ id: 'A.5.1', applicable: true, justification: 'Policy', implementation: '' });
    expect(soa.controls['A.8.2']?.applicable).toBe(true);
    expect(Object.keys(soa.controls)).toEqual(ids);
  });

  it('reports a control listed twice in two spellings', () => {
    const text = soaYaml({ '5.1': { applicable: false, justification: 'dup' } });
    const error = errorOf(text);
    expect(error.issues).toEqual([expect.stringMatching(/^soa\.yaml: controls\.A\.5\.1: listed twice \(as "A\.5\.1" and "5\.1"\)/)]);
  });

  it('reports an unquoted numeric key with a hint to quote it', () => {
    const text = soaYaml({ 'A.5.10': null }).replace('controls:\n', 'controls:\n  5.10:\n    applicable: true\n');
    const error = errorOf(text);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toContain('controls.5.10');
    expect(error.issues[0]).toContain('number 5.1');
    expect(error.issues[0]).toContain('quote it ("5.10")');
    expect(error.issues[0]).toContain('A.5.10');
    expect(error.issues[0]).toContain('(line 3)');
  });

  it('reports the wrong framework', () => {
    const error = errorOf(soaYaml().replace('framework: iso27001-2022', 'framework: iso27001-2013'));
    expect(error.issues).toEqual(['soa.yaml: framework: expected "iso27001-2022", found "iso27001-2013"']);
  });

  it('rejects unknown keys at the top level and in entries', () => {
    const text = soaYaml({}, { owner: 'Jane' }).replace('"A.5.2":\n    applicable: true\n', '"A.5.2":\n    applicable: true\n    justificaton: typo\n');
    const error = errorOf(text);
    expect(error.issues).toHaveLength(2);
    expect(error.message).toContain('soa.yaml: (top level): unknown key "owner"');
    expect(error.message).toMatch(/soa\.yaml: controls\.A\.5\.2: unknown key "justificaton"/);
  });

  it('rejects non-boolean applicable and a missing applicable', () => {
    const text = soaYaml().replace('"A.5.2":\n    applicable: true', '"A.5.2":\n    applicable: yes').replace('"A.5.3":\n    applicable: true', '"A.5.3":\n    implementation: x');
    const error = errorOf(text);
    expect(error.issues).toHaveLength(2);
    expect(error.message).toContain('controls.A.5.2.applicable: expected true or false');
    expect(error.message).toContain('controls.A.5.3.applicable: required');
  });

  it('rejects an invalid approvedOn and an unquoted numeric version', () => {
    const text = soaYaml().replace('framework: iso27001-2022\n', 'framework: iso27001-2022\nversion: 1.0\napprovedOn: 2026-02-30\n');
    const error = errorOf(text);
    expect(error.issues).toHaveLength(2);
    expect(error.message).toContain('version: expected text');
    expect(error.message).toContain('approvedOn: expected a date');
  });

  it('lists every problem at once', () => {
    const text = soaYaml({
      'A.5.23': null,
      'A.7.4': { applicable: false },
      'A.9.2.1': { applicable: true },
    }).replace('framework: iso27001-2022', 'framework: soc2');
    const error = errorOf(text);
    expect(error.issues).toHaveLength(4);
    expect(error.message.split('\n')).toHaveLength(4);
  });

  it('reports YAML syntax errors with file and line', () => {
    const error = errorOf('framework: iso27001-2022\ncontrols:\n  A.5.1: {applicable: true\n');
    expect(error.issues.length).toBeGreaterThan(0);
    expect(error.issues[0]).toMatch(/^soa\.yaml: line \d+, column \d+: YAML syntax: /);
  });

  it('reports duplicate YAML keys', () => {
    const error = errorOf(soaYaml().replace('controls:\n', 'controls:\n  A.5.1:\n    applicable: true\n'));
    expect(error.message).toMatch(/soa\.yaml: line 5, column 3: YAML syntax: Map keys must be unique/);
  });

  it('rejects an empty file, a non-mapping and a missing controls section', () => {
    expect(errorOf('').message).toContain('(top level): expected a mapping');
    expect(errorOf('- a\n').message).toContain('(top level): expected a mapping');
    expect(errorOf('framework: iso27001-2022\n').issues).toEqual([expect.stringMatching(/^soa\.yaml: controls: required/)]);
    expect(errorOf('framework: iso27001-2022\ncontrols: [A.5.1]\n').issues).toEqual([expect.stringMatching(/^soa\.yaml: controls: expected a mapping/)]);
  });

  it('loadSoa reads a file and names it in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'annexa-soa-'));
    try {
      const file = join(dir, 'soa.yaml');
      writeFileSync(file, soaYaml());
      expect(Object.keys(loadSoa(file, catalog).controls)).toHaveLength(93);
      writeFileSync(file, soaYaml({ 'A.5.23': null }));
      expect(() => loadSoa(file, catalog)).toThrow(`${file}: controls.A.5.23: missing`);
      expect(() => loadSoa(join(dir, 'nope.yaml'), catalog)).toThrow(/nope\.yaml: Statement of Applicability not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('exports', () => {
  const soa: StatementOfApplicability = parseSoa(
    soaYaml(
      {
        'A.5.1': { applicable: true, justification: 'Policy, approved', implementation: 'See "ISP v3"\nSecond line' },
        'A.7.4': { applicable: false, justification: 'No premises | co-working operator' },
        'A.7.6': { applicable: false, justification: 'No secure areas' },
      },
      { organization: 'Acme Robotics', version: '1.0', approvedBy: 'Jane Doe, CISO', approvedOn: '2026-01-15' },
    ),
    'soa.yaml',
    catalog,
  );

  it('CSV has a header and 93 rows, quoting commas, quotes and newlines per RFC 4180', () => {
    const csv = exportSoaCsv(soa, catalog);
    const rows = readCsv(csv);
    expect(rows).toHaveLength(94);
    expect(rows[0]).toEqual(['control', 'title', 'theme', 'applicable', 'justification', 'implementation']);
    expect(rows.every((r) => r.length === 6)).toBe(true);
    expect(rows.slice(1).map((r) => r[0])).toEqual(ids);
    expect(rows[1]).toEqual(['A.5.1', 'Policies for information security', 'Organizational controls (5.1-5.37)', 'Yes', 'Policy, approved', 'See "ISP v3"\nSecond line']);
    expect(csv).toContain('"Policy, approved","See ""ISP v3""\nSecond line"\r\n');
    expect(rows.find((r) => r[0] === 'A.7.4')?.[3]).toBe('No');
    expect(rows.filter((r) => r[3] === 'No')).toHaveLength(2);
    expect(csv.startsWith('control,title,theme,applicable,justification,implementation\r\n')).toBe(true);
  });

  it('Markdown has the title, approval metadata, a table per theme and the exclusions', () => {
    const md = exportSoaMarkdown(soa, catalog);
    expect(md).toMatch(/^# Statement of Applicability — Acme Robotics\n/);
    expect(md).toContain('Jane Doe, CISO');
    expect(md).toContain('2026-01-15');
    expect(md).toContain('**Version:** 1.0');
    expect(md).toContain('93 listed, 91 applicable, 2 excluded');
    for (const t of catalog.themes.filter((x) => x.id !== 'clauses')) expect(md).toContain(`## ${t.title}`);
    const excluded = md.slice(md.indexOf('## Excluded controls'));
    expect(excluded).toContain('| A.7.4 | ');
    expect(excluded).toContain('No premises \\| co-working operator');
    expect(excluded).toContain('No secure areas');
    expect(excluded).not.toContain('A.5.1 ');
    expect(md).not.toMatch(/[^\\]\| co-working/);
    expect(md).toContain('See "ISP v3"<br>Second line');
    // Every table row has exactly the columns of its header (escaped pipes are not separators).
    for (const line of md.split('\n').filter((l) => l.startsWith('| A.'))) {
      const cells = line.replace(/\\\|/g, '').split('|').length - 2;
      expect([3, 5]).toContain(cells);
    }
  });

  it('Markdown says when nothing is excluded and handles missing metadata', () => {
    const plain = parseSoa(soaYaml(), 'soa.yaml', catalog);
    const md = exportSoaMarkdown(plain, catalog);
    expect(md).toMatch(/^# Statement of Applicability\n/);
    expect(md).toContain('No Annex A control is excluded.');
    expect(md).toContain('not yet approved');
  });
});

describe('soa commands', () => {
  let dir: string;
  let out: string[];
  let err: string[];
  let io: CliIO;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'annexa-soa-cli-'));
    out = [];
    err = [];
    io = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env: {}, isTTY: false, cwd: dir };
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('soa init writes a template relative to cwd that validates', async () => {
    expect(await soaInitCommand({ out: 'soa.yaml', organization: 'Acme Robotics' }, io)).toBe(0);
    const file = join(dir, 'soa.yaml');
    const soa = loadSoa(file, catalog);
    expect(soa.organization).toBe('Acme Robotics');
    expect(Object.keys(soa.controls)).toHaveLength(93);
    expect(out.join('')).toContain(file);
  });

  it('soa init creates parent directories and prints JSON with --json', async () => {
    expect(await soaInitCommand({ out: 'isms/soa.yaml', json: true }, io)).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual({ file: join(dir, 'isms', 'soa.yaml'), framework: 'iso27001-2022', controls: 93 });
  });

  it('soa init refuses to overwrite an existing file without --force', async () => {
    const file = join(dir, 'soa.yaml');
    writeFileSync(file, 'my work\n');
    await expect(soaInitCommand({ out: 'soa.yaml' }, io)).rejects.toThrow(UsageError);
    await expect(soaInitCommand({ out: 'soa.yaml' }, io)).rejects.toThrow(/already exists.*--force/);
    expect(readFileSync(file, 'utf8')).toBe('my work\n');
    expect(await soaInitCommand({ out: 'soa.yaml', force: true }, io)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(soaTemplate(catalog));
  });

  it('soa export writes CSV and Markdown files', async () => {
    writeFileSync(join(dir, 'soa.yaml'), soaYaml({ 'A.7.4': { applicable: false, justification: 'No premises, none | at all' } }));
    expect(await soaExportCommand({ soa: 'soa.yaml', format: 'csv', out: 'out/soa.csv' }, io)).toBe(0);
    expect(await soaExportCommand({ soa: 'soa.yaml', format: 'md', out: 'out/soa.md' }, io)).toBe(0);
    const csv = readFileSync(join(dir, 'out', 'soa.csv'), 'utf8');
    expect(csv).toBe(exportSoaCsv(loadSoa(join(dir, 'soa.yaml'), catalog), catalog));
    expect(readCsv(csv)).toHaveLength(94);
    const md = readFileSync(join(dir, 'out', 'soa.md'), 'utf8');
    expect(md).toContain('No premises, none \\| at all');
    expect(out.join('')).toContain('92 applicable, 1 excluded');
  });

  it('soa export writes to stdout without --out', async () => {
    writeFileSync(join(dir, 'soa.yaml'), soaYaml());
    expect(await soaExportCommand({ soa: 'soa.yaml', format: 'csv' }, io)).toBe(0);
    expect(readCsv(out.join(''))).toHaveLength(94);
    expect(err.join('')).toBe('');
  });

  it('soa export notes applicable controls without justification on stderr', async () => {
    writeFileSync(join(dir, 'soa.yaml'), soaTemplate(catalog));
    expect(await soaExportCommand({ soa: 'soa.yaml', format: 'markdown' }, io)).toBe(0);
    expect(out.join('')).toContain('# Statement of Applicability');
    expect(err.join('')).toContain('93 applicable control(s) have no justification');
  });

  it('soa export surfaces validation errors as ConfigError and rejects an unknown format', async () => {
    writeFileSync(join(dir, 'soa.yaml'), soaYaml({ 'A.5.23': null }));
    await expect(soaExportCommand({ soa: 'soa.yaml', format: 'csv', out: 'x.csv' }, io)).rejects.toThrow(ConfigError);
    await expect(soaExportCommand({ soa: 'soa.yaml', format: 'csv', out: 'x.csv' }, io)).rejects.toThrow(/controls\.A\.5\.23: missing/);
    expect(existsSync(join(dir, 'x.csv'))).toBe(false);
    await expect(soaExportCommand({ soa: 'soa.yaml', format: 'pdf' }, io)).rejects.toThrow(UsageError);
    await expect(soaExportCommand({ soa: 'missing.yaml', format: 'csv' }, io)).rejects.toThrow(ConfigError);
  });
});

it('the template is plain YAML another tool can read', () => {
  const data = parse(soaTemplate(catalog)) as { controls: Record<string, unknown> };
  expect(Object.keys(data.controls)).toEqual(ids);
});
