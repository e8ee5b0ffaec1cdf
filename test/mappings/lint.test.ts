import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkRegistry } from '../../src/checks/registry.js';
import { ConfigError } from '../../src/core/errors.js';
import { lintFramework, loadFramework, mappingsRoot } from '../../src/frameworks/framework.js';

const checkIds = checkRegistry.map((c) => c.id);
const [checkA, checkB] = checkIds as [string, string];

let root: string;
let dir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'annexa-mappings-'));
  dir = join(root, 'iso27001-2022');
  mkdirSync(dir);
  copyFileSync(join(mappingsRoot, 'iso27001-2022', 'catalog.yaml'), join(dir, 'catalog.yaml'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function write(name: string, text: string): void {
  writeFileSync(join(dir, name), text);
}

function lint(): string[] {
  return lintFramework(loadFramework('iso27001-2022', root), checkIds);
}

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('lintFramework on bad mapping data', () => {
  it('is clean for a good mapping file', () => {
    write('good.yaml', `framework: iso27001-2022\nmappings:\n  - check: ${checkA}\n    controls: [A.5.17, "9.2"]\n    rationale: Good reason.\n`);
    expect(lint()).toEqual([]);
  });

  it('reports an unknown check id with the file name', () => {
    write('bad.yaml', 'framework: iso27001-2022\nmappings:\n  - check: github.nope\n    controls: [A.5.17]\n    rationale: Because.\n');
    const problems = lint();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('bad.yaml');
    expect(problems[0]).toContain('unknown check "github.nope"');
  });

  it('reports unknown and 2013-style control ids with the file name', () => {
    write('old.yaml', `framework: iso27001-2022\nmappings:\n  - check: ${checkA}\n    controls: [A.9.2.1, A.5.99]\n    rationale: Copied from a 2013 mapping.\n`);
    const problems = lint();
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/old\.yaml.*unknown requirement "A\.9\.2\.1"/);
    expect(problems[1]).toMatch(/old\.yaml.*unknown requirement "A\.5\.99"/);
  });

  it('reports a duplicate (check, control) pair within a file', () => {
    write('dup.yaml', `framework: iso27001-2022\nmappings:\n  - check: ${checkA}\n    controls: [A.8.5]\n    rationale: One.\n  - check: ${checkA}\n    controls: [A.8.5, A.5.17]\n    rationale: Two.\n`);
    const problems = lint();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('dup.yaml mappings[1]');
    expect(problems[0]).toContain(`duplicate mapping ${checkA} -> A.8.5`);
  });

  it('reports a duplicate (check, control) pair across files, naming the later file', () => {
    write('a.yaml', `framework: iso27001-2022\nmappings:\n  - check: ${checkB}\n    controls: [A.8.32]\n    rationale: First.\n`);
    write('b.yaml', `framework: iso27001-2022\nmappings:\n  - check: ${checkB}\n    controls: [A.8.32]\n    rationale: Again.\n`);
    const problems = lint();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('b.yaml');
    expect(problems[0]).toContain(`duplicate mapping ${checkB} -> A.8.32`);
  });

  it('reports a missing or blank rationale with the file name', () => {
    write('why.yaml', `framework: iso27001-2022\nmappings:\n  - check: ${checkA}\n    controls: [A.5.17]\n  - check: ${checkB}\n    controls: [A.8.4]\n    rationale: "   "\n`);
    const problems = lint();
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/why\.yaml mappings\[0\].*has no rationale/);
    expect(problems[1]).toMatch(/why\.yaml mappings\[1\].*has no rationale/);
  });

  it('reports every problem, not just the first', () => {
    write('many.yaml', 'framework: iso27001-2022\nmappings:\n  - check: x.y\n    controls: [A.12.1.2]\n');
    expect(lint()).toHaveLength(3);
  });
});

describe('loadFramework on malformed mapping files', () => {
  it('throws a ConfigError naming the file for an unknown key', () => {
    write('typo.yaml', `framework: iso27001-2022\nmappings:\n  - check: ${checkA}\n    control: [A.5.17]\n    rationale: Typo in key.\n`);
    const error = thrown(() => loadFramework('iso27001-2022', root));
    expect(error.file).toBe(join(dir, 'typo.yaml'));
    expect(error.message).toContain('typo.yaml');
    expect(error.message).toMatch(/control/);
  });

  it('throws a ConfigError naming the file for an unknown top-level key', () => {
    write('extra.yaml', 'framework: iso27001-2022\nversion: 2\nmappings: []\n');
    const error = thrown(() => loadFramework('iso27001-2022', root));
    expect(error.message).toContain('extra.yaml');
  });

  it('throws a ConfigError naming the file for the wrong framework', () => {
    write('soc2.yaml', `framework: soc2\nmappings:\n  - check: ${checkA}\n    controls: [CC6.1]\n    rationale: Wrong folder.\n`);
    const error = thrown(() => loadFramework('iso27001-2022', root));
    expect(error.file).toBe(join(dir, 'soc2.yaml'));
    expect(error.message).toContain('soc2.yaml');
    expect(error.message).toContain('iso27001-2022');
  });

  it('throws a ConfigError naming the file for a YAML syntax error', () => {
    write('broken.yaml', 'framework: iso27001-2022\nmappings: [\n');
    const error = thrown(() => loadFramework('iso27001-2022', root));
    expect(error.message).toContain('broken.yaml');
  });
});
