import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { connectorRegistry } from '../../src/registry.js';
import { Redactor } from '../../src/core/redact.js';
import { ConfigError } from '../../src/core/errors.js';

function load(entry: Record<string, unknown>) {
  try {
    return parseConfig({ connectors: [entry] }, 'annexa.yaml', connectorRegistry, { env: { T: 'secret-value' }, readFile: () => '', redactor: new Redactor() });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
}

const jira = { id: 'jira', type: 'jira', site: 'https://acme.atlassian.net', jql: 'project = CHG', approval: { status: 'Approved' }, deployedStatuses: ['Done'] };

describe('connector settings name the file, key path and expectation', () => {
  it('jira: email + apiToken or bearerToken, never both or neither', () => {
    expect(load({ ...jira, email: 'a@acme.example', apiToken: '${T}', bearerToken: '${T}' })).toEqual(['annexa.yaml: connectors[0].bearerToken: use either email + apiToken or bearerToken, not both']);
    expect(load(jira)).toEqual(['annexa.yaml: connectors[0].apiToken: expected email + apiToken, or bearerToken']);
    expect(load({ ...jira, email: 'a@acme.example' })).toEqual(['annexa.yaml: connectors[0].apiToken: email and apiToken go together']);
    expect(load({ ...jira, bearerToken: 'literal-token' })).toEqual(['annexa.yaml: connectors[0].bearerToken: expected a secret reference like ${GITHUB_TOKEN} or { file: /run/secrets/token }, not a literal value']);
    expect(load({ ...jira, bearerToken: '${T}', approval: { transition: { from: 'A' } } })).toEqual(['annexa.yaml: connectors[0].approval.transition.to: expected string, received undefined']);
    expect(load({ ...jira, bearerToken: '${T}', approval: { status: 'Approved', field: 'customfield_1' } })).toEqual(['annexa.yaml: connectors[0].approval: expected exactly one of status, field or transition']);
  });

  it('knowbe4: a known region', () => {
    expect(load({ id: 'kb4', type: 'knowbe4', region: 'au', token: '${T}' })).toEqual(['annexa.yaml: connectors[0].region: Invalid option: expected one of "us"|"eu"|"ca"|"uk"|"de"']);
  });

  it('file: the kind decides the columns, and the date format is required', () => {
    expect(load({ id: 'hr', type: 'file', kind: 'people.roster', path: '/x.csv', columns: { email: 'email' } })).toEqual([
      'annexa.yaml: connectors[0].dateFormat: Invalid option: expected one of "iso"|"dd/mm/yyyy"|"mm/dd/yyyy"',
    ]);
    expect(load({ id: 'hr', type: 'file', kind: 'training.completion', path: '/x.csv', dateFormat: 'iso', columns: { email: 'email' } })).toEqual([
      'annexa.yaml: connectors[0].columns.course: expected string, received undefined',
      'annexa.yaml: connectors[0].columns.completedAt: expected string, received undefined',
    ]);
  });
});
