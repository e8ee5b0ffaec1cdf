import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { collectAt, tempStore } from '../pipeline/store-helpers.js';
import { runCli } from '../cli/helpers.js';
import { buildChangePopulation } from '../../src/populations/changes.js';
import type { ChangeTicket } from '../../connectors/jira/change-tickets.js';

const person = (name: string) => ({ accountId: `id-${name}`, displayName: name, email: `${name}@acme.example` });

function ticket(key: string, over: Partial<ChangeTicket>): ChangeTicket {
  return {
    key,
    url: `https://acme.atlassian.net/browse/${key}`,
    summary: `Change ${key}`,
    issueType: 'Change',
    status: 'Deployed',
    labels: [],
    created: '2026-03-01T09:00:00.000Z',
    updated: '2026-03-05T09:00:00.000Z',
    resolved: null,
    reporter: person('carol'),
    assignee: person('bob'),
    emergency: false,
    emergencyReason: null,
    approvals: [],
    deployedAt: '2026-03-05T09:00:00.000Z',
    deployedBy: person('bob'),
    deployedStatus: 'Deployed',
    changelogEntries: 3,
    settings: '0123456789abcdef',
    ...over,
  };
}

const pr = (number: number, mergedAt: string, reviews: { reviewer: string; state: string; submittedAt: string }[]) => ({
  repository: 'acme/api',
  number,
  title: `PR ${number}`,
  url: `https://github.com/acme/api/pull/${number}`,
  author: 'octocat',
  mergedBy: 'octocat',
  createdAt: '2026-03-01T00:00:00Z',
  mergedAt,
  baseBranch: 'main',
  mergeCommit: 'abc',
  reviews,
  reviewsTruncated: false,
});

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function seeded() {
  const t = tempStore('annexa-population-');
  cleanup = t.cleanup;
  await collectAt(t.store, new Date('2026-04-01T00:00:00Z'), [
    {
      kind: 'jira.change_ticket.v1',
      instanceId: 'jira',
      records: {
        'CHG-1': ticket('CHG-1', { approvals: [{ by: person('alice'), at: '2026-03-04T09:00:00.000Z', via: 'status', detail: 'status: A → Approved' }] }),
        'CHG-2': ticket('CHG-2', { deployedAt: '2026-03-10T12:00:00.000Z', approvals: [{ by: person('bob'), at: '2026-03-09T09:00:00.000Z', via: 'status', detail: 'status: A → Approved' }] }),
        'CHG-3': ticket('CHG-3', { deployedAt: null, status: 'In Progress' }),
        'CHG-4': ticket('CHG-4', { deployedAt: '2026-01-10T12:00:00.000Z' }),
      },
    },
    {
      kind: 'github.merged_pull_request.v1',
      instanceId: 'github-acme',
      records: {
        'acme/api#7': pr(7, '2026-03-06T10:00:00Z', [{ reviewer: 'hubot', state: 'APPROVED', submittedAt: '2026-03-06T11:00:00Z' }]),
      },
    },
  ]);
  return t;
}

describe('change population', () => {
  it('holds the deployed Jira changes and merged pull requests of the period with their approval evidence', async () => {
    const { store } = await seeded();
    const population = await buildChangePopulation(store, new Date('2026-03-01T00:00:00Z'), new Date('2026-03-31T23:59:59.999Z'));
    expect(population.size).toBe(3);
    expect(population.sources).toEqual([
      { instanceId: 'jira', kind: 'jira.change_ticket.v1', collectedAt: '2026-04-01T00:00:00.000Z', lastCollectionFailed: false, items: 2 },
      { instanceId: 'github-acme', kind: 'github.merged_pull_request.v1', collectedAt: '2026-04-01T00:00:00.000Z', lastCollectionFailed: false, items: 1 },
    ]);
    expect(population.items.map(({ evidence, ...rest }) => ({ ...rest, digest: evidence.digest.length }))).toEqual([
      {
        source: 'jira', instanceId: 'jira', id: 'CHG-1', title: 'Change CHG-1', url: 'https://acme.atlassian.net/browse/CHG-1', implementer: 'bob@acme.example',
        deployedAt: '2026-03-05T09:00:00.000Z', emergency: false, approvals: [{ by: 'alice@acme.example', at: '2026-03-04T09:00:00.000Z' }],
        independentApproval: { by: 'alice@acme.example', at: '2026-03-04T09:00:00.000Z' }, approvedBeforeDeployment: true, digest: 64,
      },
      {
        source: 'github', instanceId: 'github-acme', id: 'acme/api#7', title: 'PR 7', url: 'https://github.com/acme/api/pull/7', implementer: 'octocat',
        deployedAt: '2026-03-06T10:00:00Z', emergency: false, approvals: [{ by: 'hubot', at: '2026-03-06T11:00:00Z' }],
        independentApproval: { by: 'hubot', at: '2026-03-06T11:00:00Z' }, approvedBeforeDeployment: false, digest: 64,
      },
      {
        source: 'jira', instanceId: 'jira', id: 'CHG-2', title: 'Change CHG-2', url: 'https://acme.atlassian.net/browse/CHG-2', implementer: 'bob@acme.example',
        deployedAt: '2026-03-10T12:00:00.000Z', emergency: false, approvals: [{ by: 'bob@acme.example', at: '2026-03-09T09:00:00.000Z' }],
        independentApproval: null, approvedBeforeDeployment: false, digest: 64,
      },
    ]);
  });

  it('annexa population changes prints CSV by default and JSON on request, from the database alone', async () => {
    const { dir, path } = await seeded();
    const csv = await runCli(['population', 'changes', '--store', path, '--from', '2026-03-01', '--to', '2026-03-31'], dir);
    expect(csv.code).toBe(0);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.source, r.id, r.approved_by, r.approved_before_deployment, r.all_approvals])).toEqual([
      ['jira', 'CHG-1', 'alice@acme.example', 'yes', 'alice@acme.example 2026-03-04T09:00:00.000Z'],
      ['github', 'acme/api#7', 'hubot', 'no', 'hubot 2026-03-06T11:00:00Z'],
      ['jira', 'CHG-2', '', 'no', 'bob@acme.example 2026-03-09T09:00:00.000Z'],
    ]);
    const json = await runCli(['population', 'changes', '--store', path, '--from', '2026-03-06', '--to', '2026-03-06T23:00:00Z', '--format', 'json'], dir);
    expect((JSON.parse(json.stdout) as { items: { id: string }[] }).items.map((i) => i.id)).toEqual(['acme/api#7']);
    const bad = await runCli(['population', 'changes', '--store', path, '--from', '2026-04-01', '--to', '2026-03-01'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from 2026-04-01 is after --to 2026-03-01');
  });
});
