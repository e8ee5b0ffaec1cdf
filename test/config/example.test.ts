import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../../src/config/config.js';
import { connectorRegistry } from '../../src/registry.js';
import { checkRegistry } from '../../src/checks/registry.js';
import { Redactor } from '../../src/core/redact.js';

const example = join(import.meta.dirname, '..', '..', 'config.example.yaml');

describe('config.example.yaml', () => {
  it('is a valid config', () => {
    const config = loadConfigFile(example, connectorRegistry, { env: { GITHUB_TOKEN: 'ghp_example' }, readFile: (p) => readFileSync(p, 'utf8'), redactor: new Redactor() }, checkRegistry);
    expect(config.connectors.map((c) => [c.id, c.type])).toEqual([
      ['github-acme', 'github'],
      ['aws-prod', 'aws'],
    ]);
    expect(config.checkParams['github.dependabot.critical_high_within_sla']).toEqual({ criticalDays: 15, highDays: 30 });
    expect(config.soaPath).toMatch(/soa\.yaml$/);
  });

  it('documents every key with a comment on the line before it', () => {
    const lines = readFileSync(example, 'utf8').split('\n');
    const undocumented = lines
      .map((line, i) => ({ line, i }))
      .filter(({ line }) => /^\s*(- )?[A-Za-z_.0-9]+:/.test(line))
      .filter(({ i }) => !/^\s*#/.test(lines[i - 1] ?? ''))
      .map(({ line }) => line.trim());
    expect(undocumented).toEqual([]);
  });
});
