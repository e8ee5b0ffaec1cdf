import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { awsConnector, awsReadOnlyActions } from '../../connectors/aws/index.js';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

describe('AWS read-only permissions', () => {
  it('the README policy grants exactly the actions the connector calls', () => {
    const section = readme.slice(readme.indexOf('## AWS connector'));
    const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    const policy = JSON.parse(json ?? '{}') as { Statement: { Effect: string; Action: string[]; Resource: string }[] };
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]!.Effect).toBe('Allow');
    expect([...policy.Statement[0]!.Action].sort()).toEqual([...awsReadOnlyActions].sort());
  });

  it('annexa connectors lists every one of those actions, and only read actions', () => {
    const grants = awsConnector.permissions.map((p) => p.grant).join(', ');
    for (const action of awsReadOnlyActions) expect(grants).toContain(action);
    for (const action of awsReadOnlyActions) expect(action).toMatch(/^(iam|cloudtrail|backup):(Get|List|Describe|Lookup|GenerateCredentialReport)/);
  });
});
