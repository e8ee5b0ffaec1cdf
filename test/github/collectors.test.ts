import { describe, expect, it } from 'vitest';
import { orgSettingsCollector } from '../../connectors/github/org-settings.js';
import { membersCollector } from '../../connectors/github/members.js';
import { outsideCollaboratorsCollector } from '../../connectors/github/outside-collaborators.js';
import { branchProtectionCollector } from '../../connectors/github/branch-protection.js';
import { mergedPullRequestsCollector } from '../../connectors/github/merged-pull-requests.js';
import { dependabotAlertsCollector } from '../../connectors/github/dependabot-alerts.js';
import {
  mergedPullRequestsQuery,
  outsideCollaboratorAccessQuery,
  repositoriesQuery,
} from '../../connectors/github/api-schemas.js';
import { API, collectAll, createHarness, fixture, get, ghHeaders, github, gql, graphqlBody, link, useNock } from './harness.js';

useNock();

const CURSOR_REPOS = 'Y3Vyc29yOnYyOpKpYWNtZS9lbXB0ec4AAABk';
const CURSOR_PRS_API = 'Y3Vyc29yOnYyOpK5MjAyNi0wOS0xNVQxMDowMDowMCswMDowMM4AAAGE';

/** Both pages of the repository listing (shared by branch protection and merged pull requests). */
function mockRepositories(): void {
  github()
    .post('/graphql', graphqlBody(repositoriesQuery, { org: 'acme', cursor: null }))
    .reply(200, fixture('graphql-repositories-page1.json'), ghHeaders('REPO:0001'))
    .post('/graphql', graphqlBody(repositoriesQuery, { org: 'acme', cursor: CURSOR_REPOS }))
    .reply(200, fixture('graphql-repositories-page2.json'), ghHeaders('REPO:0002'));
}

describe('org_settings', () => {
  it('records the organization security settings from GET /orgs/{org}', async () => {
    github().get('/orgs/acme').reply(200, fixture('org.json'), ghHeaders('ORG:0001'));
    const records = await collectAll(orgSettingsCollector, createHarness());
    expect(records).toEqual([
      {
        subject: 'acme',
        requests: [get(`${API}/orgs/acme`, 'ORG:0001')],
        payload: {
          org: 'acme',
          name: 'Acme Corp',
          twoFactorRequirementEnabled: true,
          defaultRepositoryPermission: 'read',
          membersCanCreateRepositories: false,
          membersCanCreatePublicRepositories: false,
          webCommitSignoffRequired: true,
          plan: 'team',
        },
      },
    ]);
  });

  it('records null, not false, for settings a non-owner token cannot see', async () => {
    const org = fixture<Record<string, unknown>>('org.json');
    // GitHub omits owner-only fields for other tokens.
    for (const key of ['two_factor_requirement_enabled', 'plan', 'default_repository_permission', 'members_can_create_repositories', 'members_can_create_public_repositories', 'web_commit_signoff_required']) {
      delete org[key];
    }
    github().get('/orgs/acme').reply(200, org, ghHeaders('ORG:0002'));
    const [record] = await collectAll(orgSettingsCollector, createHarness());
    expect(record?.payload).toEqual({
      org: 'acme',
      name: 'Acme Corp',
      twoFactorRequirementEnabled: null,
      defaultRepositoryPermission: null,
      membersCanCreateRepositories: null,
      membersCanCreatePublicRepositories: null,
      webCommitSignoffRequired: null,
      plan: null,
    });
  });
});

describe('members', () => {
  const membersPage = (page: number) => `${API}/organizations/4242/members?role=member&per_page=100&page=${page}`;
  const urls = {
    twoFactor: `${API}/orgs/acme/members?per_page=100&filter=2fa_disabled`,
    admin: `${API}/orgs/acme/members?per_page=100&role=admin`,
    member1: `${API}/orgs/acme/members?per_page=100&role=member`,
    member2: membersPage(2),
    member3: membersPage(3),
  };

  function mockRoleListings(): void {
    github()
      .get('/orgs/acme/members')
      .query({ per_page: '100', role: 'admin' })
      .reply(200, fixture('members-admin.json'), ghHeaders('MEM:ADMIN'))
      .get('/orgs/acme/members')
      .query({ per_page: '100', role: 'member' })
      .reply(200, fixture('members-page1.json'), ghHeaders('MEM:P1', { link: link({ next: membersPage(2), last: membersPage(3) }) }))
      .get('/organizations/4242/members')
      .query({ role: 'member', per_page: '100', page: '2' })
      .reply(
        200,
        fixture('members-page2.json'),
        ghHeaders('MEM:P2', { link: link({ prev: membersPage(1), next: membersPage(3), last: membersPage(3), first: membersPage(1) }) }),
      )
      .get('/organizations/4242/members')
      .query({ role: 'member', per_page: '100', page: '3' })
      .reply(200, fixture('members-page3.json'), ghHeaders('MEM:P3', { link: link({ prev: membersPage(2), first: membersPage(1) }) }));
  }

  it('lists admins and members across Link pages with 2FA from filter=2fa_disabled', async () => {
    github()
      .get('/orgs/acme/members')
      .query({ per_page: '100', filter: '2fa_disabled' })
      .reply(200, fixture('members-2fa-disabled.json'), ghHeaders('MEM:2FA'));
    mockRoleListings();

    const records = await collectAll(membersCollector, createHarness());
    const twoFa = get(urls.twoFactor, 'MEM:2FA');
    const member = (login: string, id: number, role: 'admin' | 'member', twoFactorEnabled: boolean, request: ReturnType<typeof get>) => ({
      subject: login,
      requests: [request, twoFa],
      payload: { login, id, role, twoFactorEnabled, twoFactorVisibility: 'visible', twoFactorNotVisibleReason: null },
    });
    const admin = get(urls.admin, 'MEM:ADMIN');
    const p1 = get(urls.member1, 'MEM:P1');
    const p2 = get(urls.member2, 'MEM:P2');
    const p3 = get(urls.member3, 'MEM:P3');
    expect(records).toEqual([
      member('octo-owner', 1001, 'admin', true, admin),
      member('rin-sec', 1002, 'admin', true, admin),
      member('alice', 2001, 'member', true, p1),
      member('bob', 2002, 'member', true, p1),
      member('carol', 2003, 'member', true, p2),
      member('dave-ops', 2004, 'member', false, p2),
      member('erin', 2005, 'member', true, p3),
    ]);
  });

  it.each([
    [403, 'permission_denied', { message: 'Must be an organization owner.', documentation_url: 'https://docs.github.com/rest/orgs/members#list-organization-members', status: '403' }],
    [422, 'unexpected', { message: 'Only owners can use this filter.', documentation_url: 'https://docs.github.com/rest/orgs/members#list-organization-members', status: '422' }],
  ])('records 2FA as null and not_visible when filter=2fa_disabled answers %i (never guessed)', async (status, code, body) => {
    github()
      .get('/orgs/acme/members')
      .query({ per_page: '100', filter: '2fa_disabled' })
      .reply(status, body, ghHeaders(`MEM:${status}`));
    mockRoleListings();

    const records = await collectAll<{ twoFactorEnabled: unknown }>(membersCollector, createHarness());
    const reason = `HTTP ${status} from filter=2fa_disabled (${code}): only organization owners can see member 2FA status`;
    expect(records.map((r) => r.subject)).toEqual(['octo-owner', 'rin-sec', 'alice', 'bob', 'carol', 'dave-ops', 'erin']);
    for (const record of records) {
      expect(record.payload).toEqual({
        login: record.subject,
        id: expect.any(Number),
        role: expect.stringMatching(/^(admin|member)$/),
        twoFactorEnabled: null,
        twoFactorVisibility: 'not_visible',
        twoFactorNotVisibleReason: reason,
      });
      // The failed 2FA call produced no evidence, so only the listing page is the provenance.
      expect(record.requests).toHaveLength(1);
    }
    expect(records[5]).toEqual({
      subject: 'dave-ops',
      requests: [get(urls.member2, 'MEM:P2')],
      payload: { login: 'dave-ops', id: 2004, role: 'member', twoFactorEnabled: null, twoFactorVisibility: 'not_visible', twoFactorNotVisibleReason: reason },
    });
  });
});

describe('outside_collaborators', () => {
  it('merges the REST listing with per-repository access from GraphQL, sorted by login and repository', async () => {
    const CURSOR = 'Y3Vyc29yOnYyOpKoYWNtZS9kb2NzzgAAAA8=';
    github()
      .get('/orgs/acme/outside_collaborators')
      .query({ per_page: '100' })
      .reply(200, fixture('outside-collaborators.json'), ghHeaders('OUT:REST'))
      .post('/graphql', graphqlBody(outsideCollaboratorAccessQuery, { org: 'acme', cursor: null }))
      .reply(200, fixture('graphql-outside-access-page1.json'), ghHeaders('OUT:GQL1'))
      .post('/graphql', graphqlBody(outsideCollaboratorAccessQuery, { org: 'acme', cursor: CURSOR }))
      .reply(200, fixture('graphql-outside-access-page2.json'), ghHeaders('OUT:GQL2'));

    const records = await collectAll(outsideCollaboratorsCollector, createHarness());
    const rest = get(`${API}/orgs/acme/outside_collaborators?per_page=100`, 'OUT:REST');
    const access = [gql('AnnexaOutsideCollaboratorAccess', 'OUT:GQL1'), gql('AnnexaOutsideCollaboratorAccess', 'OUT:GQL2')];
    expect(records).toEqual([
      {
        // Seen only through GraphQL (access to acme/web), not in the REST listing.
        subject: 'bob-vendor',
        requests: access,
        payload: { login: 'bob-vendor', id: 3003, repositories: [{ repository: 'acme/web', permission: 'TRIAGE' }] },
      },
      {
        subject: 'ext-contractor',
        requests: [rest, ...access],
        payload: {
          login: 'ext-contractor',
          id: 3001,
          repositories: [
            { repository: 'acme/api', permission: 'WRITE' },
            { repository: 'acme/docs', permission: 'READ' },
            { repository: 'acme/web', permission: 'ADMIN' },
          ],
        },
      },
      { subject: 'yuki-idle', requests: [rest, ...access], payload: { login: 'yuki-idle', id: 3004, repositories: [] } },
      {
        subject: 'zed-auditor',
        requests: [rest, ...access],
        payload: { login: 'zed-auditor', id: 3002, repositories: [{ repository: 'acme/docs', permission: 'READ' }] },
      },
    ]);
  });
});

describe('branch_protection', () => {
  it('combines classic protection (GraphQL) with rulesets (REST rules grouped per ruleset)', async () => {
    mockRepositories();
    github()
      .get('/repos/acme/api/rules/branches/main')
      .query({ per_page: '100' })
      .reply(200, fixture('rules-api-main.json'), ghHeaders('RULES:API'))
      .get('/repos/acme/docs/rules/branches/main')
      .query({ per_page: '100' })
      .reply(200, [], ghHeaders('RULES:DOCS'))
      .get('/repos/acme/legacy/rules/branches/master')
      .query({ per_page: '100' })
      .reply(200, [], ghHeaders('RULES:LEGACY'))
      .get('/repos/acme/web/rules/branches/main')
      .query({ per_page: '100' })
      .reply(200, fixture('rules-web-main.json'), ghHeaders('RULES:WEB'));
    // acme/empty has no default branch: no rules request for it (an unexpected one fails the test).

    const records = await collectAll(branchProtectionCollector, createHarness());
    const page1 = gql('AnnexaRepositories', 'REPO:0001');
    const page2 = gql('AnnexaRepositories', 'REPO:0002');
    const rules = (repo: string, branch: string, id: string) => get(`${API}/repos/acme/${repo}/rules/branches/${branch}?per_page=100`, id);
    const orgRuleset = {
      rulesetId: 42,
      source: 'acme',
      sourceType: 'Organization',
      pullRequest: { requiredApprovingReviewCount: 1, dismissStaleReviewsOnPush: true, requireCodeOwnerReview: false, requireLastPushApproval: true },
      requiredStatusChecks: ['ci/build', 'codeql'],
      blocksForcePushes: true,
      blocksDeletion: true,
      otherRules: [],
    };
    expect(records).toEqual([
      {
        subject: 'acme/api',
        requests: [page1, rules('api', 'main', 'RULES:API')],
        payload: {
          repository: 'acme/api',
          archived: false,
          visibility: 'PRIVATE',
          defaultBranch: 'main',
          classic: {
            pattern: 'main',
            requiresApprovingReviews: true,
            requiredApprovingReviewCount: 2,
            dismissesStaleReviews: true,
            requiresCodeOwnerReviews: true,
            requiresStatusChecks: true,
            requiresStrictStatusChecks: true,
            requiredStatusChecks: ['ci/build', 'ci/test'],
            enforceAdmins: true,
            allowsForcePushes: false,
            allowsDeletions: false,
          },
          rulesets: [
            {
              rulesetId: 7,
              source: 'acme/api',
              sourceType: 'Repository',
              pullRequest: null,
              requiredStatusChecks: null,
              blocksForcePushes: false,
              blocksDeletion: false,
              otherRules: ['required_signatures', 'required_linear_history'],
            },
            orgRuleset,
          ],
        },
      },
      {
        subject: 'acme/docs',
        requests: [page1, rules('docs', 'main', 'RULES:DOCS')],
        payload: { repository: 'acme/docs', archived: false, visibility: 'PUBLIC', defaultBranch: 'main', classic: null, rulesets: [] },
      },
      {
        subject: 'acme/empty',
        requests: [page1],
        payload: { repository: 'acme/empty', archived: false, visibility: 'PRIVATE', defaultBranch: null, classic: null, rulesets: [] },
      },
      {
        subject: 'acme/legacy',
        requests: [page2, rules('legacy', 'master', 'RULES:LEGACY')],
        payload: {
          repository: 'acme/legacy',
          archived: true,
          visibility: 'PRIVATE',
          defaultBranch: 'master',
          classic: {
            pattern: 'master',
            requiresApprovingReviews: false,
            requiredApprovingReviewCount: null,
            dismissesStaleReviews: false,
            requiresCodeOwnerReviews: false,
            requiresStatusChecks: false,
            requiresStrictStatusChecks: false,
            requiredStatusChecks: [],
            enforceAdmins: false,
            allowsForcePushes: true,
            allowsDeletions: false,
          },
          rulesets: [],
        },
      },
      {
        subject: 'acme/web',
        requests: [page2, rules('web', 'main', 'RULES:WEB')],
        payload: { repository: 'acme/web', archived: false, visibility: 'INTERNAL', defaultBranch: 'main', classic: null, rulesets: [orgRuleset] },
      },
    ]);
  });
});

describe('merged_pull_requests', () => {
  it('collects merges within the 90-day look-back, stops paging at older updates and skips inactive repositories', async () => {
    mockRepositories();
    const prs = (repo: string, cursor: string | null) =>
      graphqlBody(mergedPullRequestsQuery, { owner: 'acme', name: repo, baseRefName: 'main', cursor });
    // Only api, docs and web were pushed to since 2026-08-27T12:00Z; legacy (2025) and empty are never queried.
    // The api listing has a third page, which must not be requested: page 2 reaches updatedAt before the period.
    const scope = github()
      .post('/graphql', prs('api', null))
      .reply(200, fixture('graphql-prs-api-page1.json'), ghHeaders('PR:API1'))
      .post('/graphql', prs('api', CURSOR_PRS_API))
      .reply(200, fixture('graphql-prs-api-page2.json'), ghHeaders('PR:API2'))
      .post('/graphql', prs('docs', null))
      .reply(200, fixture('graphql-prs-docs.json'), ghHeaders('PR:DOCS'))
      .post('/graphql', prs('web', null))
      .reply(200, fixture('graphql-prs-web.json'), ghHeaders('PR:WEB'));

    const records = await collectAll(mergedPullRequestsCollector, createHarness());
    expect(scope.isDone()).toBe(true);
    const page1 = gql('AnnexaRepositories', 'REPO:0001');
    const page2 = gql('AnnexaRepositories', 'REPO:0002');
    expect(records).toEqual([
      {
        subject: 'acme/api#412',
        requests: [page1, gql('AnnexaMergedPullRequests', 'PR:API1')],
        payload: {
          repository: 'acme/api',
          number: 412,
          title: 'Rotate session signing keys',
          url: 'https://github.com/acme/api/pull/412',
          author: 'alice',
          mergedBy: 'alice',
          createdAt: '2026-11-23T09:12:44Z',
          mergedAt: '2026-11-24T16:02:10Z',
          baseBranch: 'main',
          mergeCommit: '9f2c4e1a7b3d5f60812a4c6e8b0d2f4a6c8e0b1d',
          reviews: [
            { reviewer: 'carol', state: 'COMMENTED', submittedAt: '2026-11-23T14:00:02Z' },
            { reviewer: 'bob', state: 'APPROVED', submittedAt: '2026-11-24T10:31:00Z' },
          ],
          reviewsTruncated: false,
        },
      },
      {
        subject: 'acme/api#409',
        requests: [page1, gql('AnnexaMergedPullRequests', 'PR:API1')],
        payload: {
          repository: 'acme/api',
          number: 409,
          title: 'Bump express from 4.21.1 to 4.21.2',
          url: 'https://github.com/acme/api/pull/409',
          author: null,
          mergedBy: 'bob',
          createdAt: '2026-10-28T07:00:00Z',
          mergedAt: '2026-10-31T18:20:00Z',
          baseBranch: 'main',
          mergeCommit: '1b3d5f7092a4c6e8f0a2b4c6d8e0f2a4b6c8d0e2',
          reviews: [],
          reviewsTruncated: false,
        },
      },
      // #388 was updated in the period but merged before it: skipped. #350 ends the paging.
      {
        subject: 'acme/api#401',
        requests: [page1, gql('AnnexaMergedPullRequests', 'PR:API2')],
        payload: {
          repository: 'acme/api',
          number: 401,
          title: 'Enforce TLS 1.2 minimum',
          url: 'https://github.com/acme/api/pull/401',
          author: 'bob',
          mergedBy: 'bob',
          createdAt: '2026-08-29T08:00:00Z',
          mergedAt: '2026-08-30T15:45:00Z',
          baseBranch: 'main',
          mergeCommit: '5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e3a',
          reviews: [
            { reviewer: 'alice', state: 'CHANGES_REQUESTED', submittedAt: '2026-08-29T12:00:00Z' },
            { reviewer: 'alice', state: 'APPROVED', submittedAt: '2026-08-30T15:00:00Z' },
            { reviewer: null, state: 'DISMISSED', submittedAt: '2026-08-30T15:10:00Z' },
          ],
          reviewsTruncated: false,
        },
      },
      {
        subject: 'acme/web#77',
        requests: [page2, gql('AnnexaMergedPullRequests', 'PR:WEB')],
        payload: {
          repository: 'acme/web',
          number: 77,
          title: 'Content-Security-Policy header',
          url: 'https://github.com/acme/web/pull/77',
          author: 'erin',
          mergedBy: 'erin',
          createdAt: '2026-11-18T11:00:00Z',
          mergedAt: '2026-11-19T15:58:00Z',
          baseBranch: 'main',
          mergeCommit: 'b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9',
          reviews: [{ reviewer: 'dave-ops', state: 'APPROVED', submittedAt: '2026-11-19T15:30:00Z' }],
          reviewsTruncated: false,
        },
      },
    ]);
  });

  it('honours a shorter configured look-back', async () => {
    mockRepositories();
    // 7 days back is 2026-11-18T12:00Z: only api (pushed 11-24) and web (11-20) are active.
    github()
      .post('/graphql', graphqlBody(mergedPullRequestsQuery, { owner: 'acme', name: 'api', baseRefName: 'main', cursor: null }))
      .reply(200, fixture('graphql-prs-api-page1.json'), ghHeaders('PR:API1'))
      .post('/graphql', graphqlBody(mergedPullRequestsQuery, { owner: 'acme', name: 'web', baseRefName: 'main', cursor: null }))
      .reply(200, fixture('graphql-prs-web.json'), ghHeaders('PR:WEB'));
    const records = await collectAll(mergedPullRequestsCollector, createHarness({ lookbackDays: 7 }));
    expect(records.map((r) => r.subject)).toEqual(['acme/api#412', 'acme/web#77']);
  });
});

describe('dependabot_alerts', () => {
  it('follows cursor pagination (Link rel="next" with after=) and maps every open alert', async () => {
    const AFTER = 'Y3Vyc29yOnYyOpK5MjAyNi0wOS0xNVQxMDowMDowMFrOAAAADA%3D%3D';
    const next = `${API}/organizations/4242/dependabot/alerts?state=open&per_page=100&after=${AFTER}`;
    const prev = `${API}/organizations/4242/dependabot/alerts?state=open&per_page=100&before=Y3Vyc29yOnYyOpK5MjAyNi0wOC0wMVQwMDowMDowMFrOAAAAAw%3D%3D`;
    github()
      .get('/orgs/acme/dependabot/alerts')
      .query({ per_page: '100', state: 'open' })
      .reply(200, fixture('dependabot-alerts-page1.json'), ghHeaders('DEP:P1', { link: link({ next }) }))
      .get('/organizations/4242/dependabot/alerts')
      .query({ state: 'open', per_page: '100', after: decodeURIComponent(AFTER) })
      .reply(200, fixture('dependabot-alerts-page2.json'), ghHeaders('DEP:P2', { link: link({ prev }) }));

    const records = await collectAll(dependabotAlertsCollector, createHarness());
    const p1 = get(`${API}/orgs/acme/dependabot/alerts?per_page=100&state=open`, 'DEP:P1');
    const p2 = get(next, 'DEP:P2');
    expect(records).toEqual([
      {
        subject: 'acme/api#14',
        requests: [p1],
        payload: {
          repository: 'acme/api',
          number: 14,
          state: 'open',
          severity: 'high',
          ghsaId: 'GHSA-3xgq-45jj-v275',
          cveId: 'CVE-2024-21538',
          summary: 'Regular Expression Denial of Service (ReDoS) in cross-spawn',
          ecosystem: 'npm',
          package: 'cross-spawn',
          manifestPath: 'package-lock.json',
          vulnerableVersionRange: '>= 7.0.0, < 7.0.5',
          firstPatchedVersion: '7.0.5',
          createdAt: '2026-11-02T04:11:09Z',
          url: 'https://github.com/acme/api/security/dependabot/14',
        },
      },
      {
        subject: 'acme/api#12',
        requests: [p1],
        payload: {
          repository: 'acme/api',
          number: 12,
          state: 'open',
          severity: 'medium',
          ghsaId: 'GHSA-aaaa-bbbb-cccc',
          cveId: null,
          summary: 'Prototype pollution in example-left-pad',
          ecosystem: 'npm',
          package: 'example-left-pad',
          manifestPath: 'package-lock.json',
          vulnerableVersionRange: '< 2.0.0',
          firstPatchedVersion: null,
          createdAt: '2026-09-15T10:00:00Z',
          url: 'https://github.com/acme/api/security/dependabot/12',
        },
      },
      {
        subject: 'acme/web#3',
        requests: [p2],
        payload: {
          repository: 'acme/web',
          number: 3,
          state: 'open',
          severity: 'critical',
          ghsaId: 'GHSA-q2x7-8rv6-6q7h',
          cveId: 'CVE-2024-56201',
          summary: 'Jinja has a sandbox breakout through malicious filenames',
          ecosystem: 'pip',
          package: 'jinja2',
          manifestPath: 'requirements.txt',
          vulnerableVersionRange: '>= 3.0.0, < 3.1.5',
          firstPatchedVersion: '3.1.5',
          createdAt: '2026-08-01T00:00:00Z',
          url: 'https://github.com/acme/web/security/dependabot/3',
        },
      },
    ]);
  });
});
