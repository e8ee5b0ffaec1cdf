import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterColumns } from '../../src/sandbox/exports/files.js';
import { runCli, tempDir } from '../cli/helpers.js';

/**
 * Bad configs, table-driven across every connector type (github, aws, microsoft-graph,
 * google-workspace, jira, knowbe4, file) and the store: wrong types, unknown keys, missing
 * secrets (variable unset), unreadable secret files, invalid YAML. Each goes through the CLI's
 * entry (`main`, in-process; two through the real `bin/annexa.js` process) and must give exit 2
 * and one `annexa:` line naming the file and the key path (or the YAML line), never a stack trace.
 * An unreadable secret file is a directory (EISDIR): tests may run as root, which chmod cannot stop.
 * test/config/config.test.ts covers the loader's individual rules for GitHub in depth.
 */

const env = { GH_TOKEN: 'ghp_x', ENTRA_SECRET: 's', GOOGLE_KEY: '{}', JIRA_TOKEN: 't', KB4_TOKEN: 'k', DB_URL: 'postgres://u@127.0.0.1:5432/x' };

/** A valid config with one instance of every connector type; cases break one thing in it. */
function base(): { store: Record<string, unknown>; connectors: Record<string, unknown>[] } {
  return {
    store: { path: './evidence.db' },
    connectors: [
      { id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}' },
      { id: 'aws', type: 'aws', regions: ['us-east-1'], accounts: [{ id: '111122223333', roleName: 'AnnexaAudit' }] },
      { id: 'entra', type: 'microsoft-graph', tenantId: 'acme.example', clientId: '11111111-2222-4333-8444-555555555555', clientSecret: '${ENTRA_SECRET}' },
      { id: 'google', type: 'google-workspace', customerId: 'my_customer', adminEmail: 'admin@acme.example', serviceAccountKey: '${GOOGLE_KEY}' },
      { id: 'jira', type: 'jira', site: 'https://acme.atlassian.net', email: 'annexa@acme.example', apiToken: '${JIRA_TOKEN}', jql: 'project = CHG', approval: { status: 'Approved' }, deployedStatuses: ['Deployed'] },
      { id: 'kb4', type: 'knowbe4', region: 'us', token: '${KB4_TOKEN}' },
      { id: 'roster', type: 'file', kind: 'people.roster', path: './roster.csv', dateFormat: 'dd/mm/yyyy', columns: rosterColumns },
    ],
  };
}
type Config = ReturnType<typeof base>;
const at = (id: string) => (c: Config) => c.connectors.find((e) => e.id === id)!;

interface Case {
  name: string;
  /** Breaks the valid config (object), or replaces the file's text. */
  edit: ((c: Config) => void) | string;
  /** Text the single error line must contain besides the file name. */
  names: string[];
  unsetEnv?: string;
}

const cases: Case[] = [
  { name: 'github: org of the wrong type', edit: (c) => void (at('gh')(c).org = 42), names: ['connectors[0].org', 'expected string'] },
  { name: 'github: unknown key (a typo)', edit: (c) => void (at('gh')(c).orgg = 'acme'), names: ['connectors[0].orgg: unknown key'] },
  { name: 'github: token variable unset', edit: () => undefined, unsetEnv: 'GH_TOKEN', names: ['connectors[0].token', 'GH_TOKEN'] },
  { name: 'github: http override of the wrong type', edit: (c) => void (at('gh')(c).http = { timeoutSeconds: 'soon' }), names: ['connectors[0].http.timeoutSeconds'] },
  { name: 'aws: regions not a list', edit: (c) => void (at('aws')(c).regions = 'us-east-1'), names: ['connectors[1].regions'] },
  { name: 'aws: a region that does not exist', edit: (c) => void (at('aws')(c).regions = ['moon-1']), names: ['connectors[1].regions[0]'] },
  { name: 'aws: account id not 12 digits', edit: (c) => void (at('aws')(c).accounts = [{ id: '1234', roleName: 'AnnexaAudit' }]), names: ['connectors[1].accounts[0].id'] },
  { name: 'aws: unknown key', edit: (c) => void (at('aws')(c).region = 'us-east-1'), names: ['connectors[1].region: unknown key'] },
  { name: 'aws: externalId secret file missing', edit: (c) => void (at('aws')(c).externalId = { file: './no-such-file' }), names: ['connectors[1].externalId', 'no-such-file'] },
  { name: 'microsoft-graph: tenantId missing', edit: (c) => void delete at('entra')(c).tenantId, names: ['connectors[2].tenantId'] },
  { name: 'microsoft-graph: clientSecret variable unset', edit: () => undefined, unsetEnv: 'ENTRA_SECRET', names: ['connectors[2].clientSecret', 'ENTRA_SECRET'] },
  { name: 'microsoft-graph: clientSecret file unreadable (a directory)', edit: (c) => void (at('entra')(c).clientSecret = { file: './secrets' }), names: ['connectors[2].clientSecret', 'secrets'] },
  { name: 'google-workspace: adminEmail of the wrong type', edit: (c) => void (at('google')(c).adminEmail = ['admin@acme.example']), names: ['connectors[3].adminEmail'] },
  { name: 'google-workspace: key file unreadable (a directory)', edit: (c) => void (at('google')(c).serviceAccountKey = { file: './secrets' }), names: ['connectors[3].serviceAccountKey', 'secrets'] },
  { name: 'google-workspace: unknown key', edit: (c) => void (at('google')(c).customer = 'my_customer'), names: ['connectors[3].customer: unknown key'] },
  { name: 'jira: approval of the wrong type', edit: (c) => void (at('jira')(c).approval = 'Approved'), names: ['connectors[4].approval'] },
  { name: 'jira: apiToken variable unset', edit: () => undefined, unsetEnv: 'JIRA_TOKEN', names: ['connectors[4].apiToken', 'JIRA_TOKEN'] },
  { name: 'jira: site not a URL', edit: (c) => void (at('jira')(c).site = 'acme'), names: ['connectors[4].site'] },
  { name: 'knowbe4: unknown region', edit: (c) => void (at('kb4')(c).region = 'mars'), names: ['connectors[5].region'] },
  { name: 'knowbe4: a literal token instead of a reference', edit: (c) => void (at('kb4')(c).token = 'literal-api-key-value'), names: ['connectors[5].token', '${'] },
  { name: 'file: unknown date format', edit: (c) => void (at('roster')(c).dateFormat = 'yyyy/dd/mm'), names: ['connectors[6].dateFormat'] },
  { name: 'file: path missing', edit: (c) => void delete at('roster')(c).path, names: ['connectors[6].path'] },
  { name: 'store: path of the wrong type', edit: (c) => void (c.store = { path: 7 }), names: ['store.path'] },
  { name: 'store: unknown key', edit: (c) => void (c.store = { path: './e.db', paht: './e.db' }), names: ['store.paht: unknown key'] },
  { name: 'store: url variable unset', edit: (c) => void (c.store = { url: '${NO_SUCH_DB_URL}' }), names: ['store.url', 'NO_SUCH_DB_URL'] },
  { name: 'connectors is a map, not a list', edit: 'store:\n  path: ./e.db\nconnectors:\n  gh:\n    type: github\n', names: ['connectors', 'expected array'] },
  { name: 'YAML: unclosed flow sequence', edit: 'store:\n  path: ./e.db\nconnectors:\n  - id: gh\n    type: [github\n', names: ['line'] },
  { name: 'YAML: bad indentation', edit: 'store:\n  path: ./e.db\n connectors: []\n', names: ['line 3'] },
  { name: 'YAML: duplicate key', edit: 'store:\n  path: ./a.db\nstore:\n  path: ./b.db\n', names: ['line 3'] },
];

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('annexa-config-faults-');
  mkdirSync(join(tmp.dir, 'secrets'));
});
afterAll(() => tmp.cleanup());

function write(c: Case, i: number): string {
  const dir = join(tmp.dir, `case-${i}`);
  mkdirSync(dir);
  mkdirSync(join(dir, 'secrets'));
  const file = join(dir, 'annexa.yaml');
  if (typeof c.edit === 'string') {
    writeFileSync(file, c.edit);
  } else {
    const config = base();
    c.edit(config);
    writeFileSync(file, stringify(config));
  }
  return file;
}

function expectOneClearLine(stderr: string, file: string, names: string[]): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('unexpected error');
  const lines = stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^annexa: /);
  expect(stderr).toContain(file);
  for (const n of names) expect(stderr).toContain(n);
}

describe('the valid base config', () => {
  it('loads (so each case fails for its one defect)', async () => {
    const file = write({ name: 'valid', edit: () => undefined, names: [] }, 999);
    // The config loads with its secrets; only the unknown --only id is refused.
    const out = await runCli(['collect', '--config', file, '--only', 'no-such-connector'], resolve(file, '..'), env);
    expect(out.stderr).toMatch(/^annexa: --only no-such-connector: /);
  });
});

describe.each(cases.map((c, i) => ({ ...c, i })))('$name', (c) => {
  it('exits 2 with one line naming the file and the key or line, no stack trace', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    const file = write(c, c.i);
    const caseEnv: Record<string, string> = { ...env };
    if (c.unsetEnv) delete caseEnv[c.unsetEnv];
    const out = await runCli(['collect', '--config', file], resolve(file, '..'), caseEnv);
    expect(out.code, out.stderr).toBe(2);
    expectOneClearLine(out.stderr, file, c.names);
  });
});

describe('through the real CLI process', () => {
  it.each([cases.find((c) => c.name.startsWith('aws: a region'))!, cases.find((c) => c.name.startsWith('YAML: bad'))!])('$name', (c) => {
    const file = write(c, 1000 + cases.indexOf(c));
    const child = spawnSync(process.execPath, [resolve(import.meta.dirname, '../../bin/annexa.js'), 'collect', '--config', file], {
      cwd: resolve(file, '..'),
      env: { PATH: process.env.PATH ?? '', ...env, ANNEXA_LOG_LEVEL: 'silent' },
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(2);
    expectOneClearLine(child.stderr, file, c.names);
  }, 30_000);
});
