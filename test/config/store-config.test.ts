import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/config.js';
import { Redactor } from '../../src/core/redact.js';
import { Secret } from '../../src/core/secret.js';

const dir = mkdtempSync(join(tmpdir(), 'annexa-store-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(yaml: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  const redactor = new Redactor();
  return { file, redactor, load: () => loadConfigFile(file, [], { env, readFile: (p) => readFileSync(p, 'utf8'), redactor }) };
}

describe('store config: SQLite path or PostgreSQL url', () => {
  it('selects PostgreSQL with a secret-referenced url, redacting its password', () => {
    const { load: read, redactor } = load('store:\n  url: ${ANNEXA_DATABASE_URL}\n', { ANNEXA_DATABASE_URL: 'postgres://annexa:pa55w0rd@db:5432/annexa' });
    const config = read();
    expect(config.store).toEqual({ kind: 'postgres', url: expect.any(Secret) });
    expect(config.storePath).toBe('postgres://annexa:***@db:5432/annexa');
    expect(redactor.redact('connect failed for pa55w0rd')).not.toContain('pa55w0rd');
  });

  it('keeps SQLite for store.path (relative to the file)', () => {
    const { load: read } = load('store:\n  path: ./data/e.db\n');
    expect(read().store).toEqual({ kind: 'sqlite', path: join(dir, 'data/e.db') });
  });

  it.each([
    ['store:\n  url: postgres://annexa:pw@db/annexa\n', {}, /store\.url: expected a secret reference like/],
    ['store:\n  path: ./e.db\n  url: ${ANNEXA_DATABASE_URL}\n', { ANNEXA_DATABASE_URL: 'postgres://db/x' }, /: store: expected either path \(a SQLite file\) or url \(PostgreSQL\), not both/],
    ['store:\n  url: ${ANNEXA_DATABASE_URL}\n', {}, /store\.url: environment variable ANNEXA_DATABASE_URL is not set/],
    ['store: {}\n', {}, /: store: expected either path/],
  ])('names the file and key of a bad store: %s', (yaml, env, message) => {
    const { load: read, file } = load(yaml, env);
    expect(read).toThrow(message);
    expect(read).toThrow(file);
  });
});
