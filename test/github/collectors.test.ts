import { describe, expect, it } from 'vitest';
import { orgSettingsCollector } from '../../connectors/github/org-settings.js';
import { membersCollector } from '../../connectors/github/members.js';
import { outsideCollaboratorsCollector } from '../../connectors/github/outside-collaborators.js';
import { branchProtectionCollector } from '../../connectors/github/branch-protection.js';
import { mergedPullRequestsCollector } from '../../connectors/github/merged-pull-requests.js';
import { dependabotAlertsCollector } from '../../connectors/github/dependabot-alerts.js';
import { outsideCollaboratorAccessQuery } from '../../connectors/github/api-schemas.js';
import { graphqlEndpoint } from '../../connectors/github/client.js';
import { collectAll, createHarness, fixture, get, ghHeaders, github, gql, graphqlBody, useNock } from './harness.js';
import {
  mockDependabot,
  mockOrg,
  mockOutsideCollaborators,
  mockPullRequests,
  mockPullRequestsLastWeek,
  mockRepositories,
  mockRoleListings,
  mockRules,
  mockTwoFactor,
  CURSOR_OUTSIDE,
} from './mocks.js';
import {
  branchProtectionRecords,
  dependabotAlertRecords,
  memberRecords,
  memberRecordsNotVisible,
  mergedPullRequestRecords,
  orgSettingsRecords,
  outsideCollaboratorRecords,
} from './expected.js';

// No network; every request must match an interceptor and every interceptor must be used.
useNock();

describe('org_settings', () => {
  it('records the organization security settings from GET /orgs/{org}', async () => {
    mockOrg();
    expect(await collectAll(orgSettingsCollector, createHarness())).toEqual(orgSettingsRecords);
  });

  it('records null, not false, for settings a non-owner token cannot see', async () => {
    const org = fixture<Record<string, unknown>>('org.json');
    // GitHub omits owner-only fields for other tokens.
    for (const key of ['two_factor_requirement_enabled', 'plan', 'default_repository_permission', 'members_can_create_repositories', 'members_can_create_public_repositories', 'web_commit_signoff_required']) {
      delete org[key];
    }
    github().get('/orgs/acme').reply(200, org, ghHeaders('ORG:0002'));
    const records = await collectAll(orgSettingsCollector, createHarness());
    expect(records.map((r) => r.payload)).toEqual([
      {
        org: 'acme',
        name: 'Acme Corp',
        twoFactorRequirementEnabled: null,
        defaultRepositoryPermission: null,
        membersCanCreateRepositories: null,
        membersCanCreatePublicRepositories: null,
        webCommitSignoffRequired: null,
        plan: null,
      },
    ]);
  });
});

describe('members', () => {
  it('lists admins and members across Link pages (page=2, page=3) with 2FA from filter=2fa_disabled', async () => {
    mockTwoFactor('visible');
    mockRoleListings();
    expect(await collectAll(membersCollector, createHarness())).toEqual(memberRecords);
  });

  it.each([403, 422] as const)('records 2FA as null and not_visible when filter=2fa_disabled answers %i (never guessed)', async (status) => {
    mockTwoFactor(status);
    mockRoleListings();
    expect(await collectAll(membersCollector, createHarness())).toEqual(memberRecordsNotVisible(status));
  });
});

describe('outside_collaborators', () => {
  it('merges the REST listing with per-repository access from GraphQL, sorted by login and repository', async () => {
    mockOutsideCollaborators();
    expect(await collectAll(outsideCollaboratorsCollector, createHarness())).toEqual(outsideCollaboratorRecords);
  });
});

describe('branch_protection', () => {
  it('combines classic protection (GraphQL) with rulesets (REST rules grouped per ruleset); no rules request for an empty repository', async () => {
    mockRepositories();
    // No interceptor for acme/empty: a request for its rules would fail the test.
    mockRules();
    expect(await collectAll(branchProtectionCollector, createHarness())).toEqual(branchProtectionRecords);
  });
});

describe('merged_pull_requests', () => {
  it('collects merges within the 90-day look-back, stops paging at older updates and skips repositories not pushed to', async () => {
    const repos = mockRepositories();
    // Only api, docs and web were pushed to since 2026-08-27T12:00Z; legacy (2025) and empty
    // (no default branch) have no interceptor, nor does the third page of api.
    const prs = mockPullRequests();
    expect(await collectAll(mergedPullRequestsCollector, createHarness())).toEqual(mergedPullRequestRecords);
    expect(repos.isDone()).toBe(true);
    expect(prs.isDone()).toBe(true);
  });

  it('honours a shorter configured look-back', async () => {
    mockRepositories();
    // 7 days back is 2026-11-18T12:00Z: only api (pushed 11-24) and web (11-20) are active,
    // and the first api page already reaches updates before the period.
    const prs = mockPullRequestsLastWeek();
    const records = await collectAll(mergedPullRequestsCollector, createHarness({ lookbackDays: 7 }));
    expect(records).toEqual([mergedPullRequestRecords[0], mergedPullRequestRecords[3]]);
    expect(prs.isDone()).toBe(true);
  });
});

describe('dependabot_alerts', () => {
  it('follows cursor pagination (Link rel="next" with after=) and maps every open alert', async () => {
    mockDependabot();
    expect(await collectAll(dependabotAlertsCollector, createHarness())).toEqual(dependabotAlertRecords);
  });
});

describe('GitHub Enterprise Server', () => {
  it('sends REST to the /api/v3 base and GraphQL to /api/graphql (not /api/v3/graphql)', async () => {
    const GHES = 'https://ghe.acme.test';
    github(GHES)
      .get('/api/v3/orgs/acme/outside_collaborators')
      .query({ per_page: '100' })
      .reply(200, fixture('outside-collaborators.json'), ghHeaders('GHES:REST'))
      .post('/api/graphql', graphqlBody(outsideCollaboratorAccessQuery, { org: 'acme', cursor: null }))
      .reply(200, fixture('graphql-outside-access-page1.json'), ghHeaders('GHES:GQL1'))
      .post('/api/graphql', graphqlBody(outsideCollaboratorAccessQuery, { org: 'acme', cursor: CURSOR_OUTSIDE }))
      .reply(200, fixture('graphql-outside-access-page2.json'), ghHeaders('GHES:GQL2'));
    const records = await collectAll(outsideCollaboratorsCollector, createHarness({ baseUrl: `${GHES}/api/v3/` }));
    expect(records.map((r) => r.subject)).toEqual(['bob-vendor', 'ext-contractor', 'yuki-idle', 'zed-auditor']);
    const graphqlAt = (id: string) => ({ ...gql('AnnexaOutsideCollaboratorAccess', id), url: `${GHES}/api/graphql#AnnexaOutsideCollaboratorAccess` });
    expect(records[1]?.requests).toEqual([
      get(`${GHES}/api/v3/orgs/acme/outside_collaborators?per_page=100`, 'GHES:REST'),
      graphqlAt('GHES:GQL1'),
      graphqlAt('GHES:GQL2'),
    ]);
  });

  it.each([
    ['https://ghe.acme.test/api/v3', 'https://ghe.acme.test/api/graphql'],
    ['https://ghe.acme.test/api/v3/', 'https://ghe.acme.test/api/graphql'],
    ['https://api.github.test', '/graphql'],
    [undefined, '/graphql'],
  ])('graphqlEndpoint(%s) is %s', (baseUrl, expected) => {
    expect(graphqlEndpoint(baseUrl)).toBe(expected);
  });
});
