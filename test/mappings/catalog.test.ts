import { describe, expect, it } from 'vitest';
import { checkRegistry } from '../../src/checks/registry.js';
import { lintFramework, loadFramework } from '../../src/frameworks/framework.js';

const framework = loadFramework();
const { catalog } = framework;
const controls = catalog.requirements.filter((r) => r.kind === 'control');
const clauses = catalog.requirements.filter((r) => r.kind === 'clause');

describe('shipped ISO/IEC 27001:2022 catalog', () => {
  it('is the iso27001-2022 framework', () => {
    expect(catalog.framework).toBe('iso27001-2022');
  });

  it('has exactly the 93 Annex A controls of the 2022 edition', () => {
    expect(controls).toHaveLength(93);
  });

  it.each([
    ['organizational', 5, 37],
    ['people', 6, 8],
    ['physical', 7, 14],
    ['technological', 8, 34],
  ] as const)('theme %s holds A.%i.1 .. A.%i.%i contiguously, in order', (theme, clause, count) => {
    const ids = controls.filter((c) => c.theme === theme).map((c) => c.id);
    expect(ids).toEqual(Array.from({ length: count }, (_, i) => `A.${clause}.${i + 1}`));
  });

  it('puts every control in the theme its number belongs to', () => {
    const themeOf: Record<string, string> = { '5': 'organizational', '6': 'people', '7': 'physical', '8': 'technological' };
    for (const c of controls) expect(c.theme, c.id).toBe(themeOf[c.id.split('.')[1]!]);
  });

  it('has the 10 clause requirements', () => {
    expect(clauses.map((c) => c.id).sort()).toEqual(['10.2', '4.3', '5.2', '6.1.2', '6.1.3', '6.1.3.d', '6.2', '7.2', '9.2', '9.3'].sort());
    for (const c of clauses) {
      expect(c.theme, c.id).toBe('clauses');
      expect(c.documentedInformation?.trim(), c.id).toBeTruthy();
    }
  });

  it('has unique ids and only the two kinds', () => {
    const ids = catalog.requirements.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(catalog.requirements).toHaveLength(103);
  });

  it('uses no 2013-edition ids', () => {
    const bad = catalog.requirements.filter((r) => /^A\.(9|1[0-8])\./.test(r.id) || /^A\.\d+\.\d+\.\d+$/.test(r.id));
    expect(bad.map((r) => r.id)).toEqual([]);
    for (const c of controls) expect(c.id).toMatch(/^A\.[5-8]\.\d{1,2}$/);
  });

  it('gives every requirement a non-empty title and a known theme', () => {
    const themes = new Set(catalog.themes.map((t) => t.id));
    for (const r of catalog.requirements) {
      expect(r.title.trim(), r.id).not.toBe('');
      expect(themes.has(r.theme), r.id).toBe(true);
    }
  });
});

describe('shipped mappings', () => {
  it('lint clean against the check registry', () => {
    expect(lintFramework(framework, checkRegistry.map((c) => c.id))).toEqual([]);
  });

  it('map every registered check to at least one control', () => {
    const mapped = new Set(framework.mappings.map((m) => m.check));
    const unmapped = checkRegistry.map((c) => c.id).filter((id) => !mapped.has(id));
    expect(unmapped).toEqual([]);
    expect(checkRegistry.length).toBeGreaterThan(0);
  });

  it('map checks to Annex A controls or clause requirements of the catalog only', () => {
    const ids = new Set(catalog.requirements.map((r) => r.id));
    for (const m of framework.mappings) expect(ids.has(m.control), `${m.source}: ${m.control}`).toBe(true);
  });
});
