import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { orgSettingsCollector } from '../../connectors/github/org-settings.js';
import { membersCollector } from '../../connectors/github/members.js';
import { outsideCollaboratorsCollector } from '../../connectors/github/outside-collaborators.js';
import { branchProtectionCollector } from '../../connectors/github/branch-protection.js';
import { mergedPullRequestsCollector, nextBatchSize } from '../../connectors/github/merged-pull-requests.js';
import { dependabotAlertsCollector } from '../../connectors/github/dependabot-alerts.js';
import { repositorySettingsCollector } from '../../connectors/github/repository-settings.js';
import { moreOutsideCollaboratorsQuery, outsideCollaboratorAccessQuery, repositoriesQuery } from '../../connectors/github/api-schemas.js';
import { CollectError } from '../../src/core/errors.js';
import { GitHubApi, graphqlEndpoint, numberedPageUrls } from '../../connectors/github/client.js';
import { API, collectAll, createHarness, fixture, get, ghHeaders, github, gql, graphqlBody, link, useNock } from './harness.js';
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
  CURSOR_REPOS,
  urls,
} from './mocks.js';
import {
  branchProtectionRecords,
  dependabotAlertRecords,
  memberRecords,
  memberRecordsNotVisible,
  mergedPullRequestRecords,
  orgSettingsRecords,
  outsideCollaboratorRecords,
  repositorySettingsRecords,
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

  it.each([403, 422] as const)('records 2FA and its method as null and not_visible when the filters answer %i (never guessed)', async (status) => {
    mockTwoFactor(status);
    mockRoleListings();
    expect(await collectAll(membersCollector, createHarness())).toEqual(memberRecordsNotVisible(status));
  });
});

describe('REST pagination', () => {
  const membersPage = (n: number) => `${API}/organizations/4242/members?role=member&per_page=100&page=${n}`;

  it('reads the pages between rel="next" and rel="last" from the numbers, and nothing from cursor links', () => {
    expect(numberedPageUrls(link({ next: membersPage(2), last: membersPage(4) }))).toEqual([membersPage(2), membersPage(3), membersPage(4)]);
    // Dependabot alerts page by cursor: each page's link comes with the page before it.
    expect(numberedPageUrls(link({ next: `${API}/organizations/4242/dependabot/alerts?state=open&per_page=100&after=Y3Vyc29y` }))).toEqual([]);
    // A last page that is not the same listing (another query) is not guessed at.
    expect(numberedPageUrls(link({ next: membersPage(2), last: `${API}/organizations/4242/members?role=admin&per_page=100&page=4` }))).toEqual([]);
    expect(numberedPageUrls(undefined)).toEqual([]);
  });

  it('asks for numbered pages together, keeps their order, and follows a page added since the first answer', async () => {
    const users = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ ...fixture<Record<string, unknown>[]>('members-page1.json')[0], login: `user-${from + i}`, id: from + i }));
    let inFlight = 0;
    let peak = 0;
    const slow = (body: unknown) => async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return body;
    };
    github()
      .get('/orgs/acme/members')
      .query({ per_page: '100', role: 'member' })
      .reply(200, users(1, 2), ghHeaders('MEM:P1', { link: link({ next: membersPage(2), last: membersPage(3) }) }))
      .get('/organizations/4242/members')
      .query({ role: 'member', per_page: '100', page: '2' })
      .reply(200, slow(users(3, 2)), ghHeaders('MEM:P2', { link: link({ next: membersPage(3), last: membersPage(3) }) }))
      .get('/organizations/4242/members')
      .query({ role: 'member', per_page: '100', page: '3' })
      // Members joined meanwhile: the page that was last now links to a fourth.
      .reply(200, slow(users(5, 2)), ghHeaders('MEM:P3', { link: link({ next: membersPage(4), last: membersPage(4) }) }))
      .get('/organizations/4242/members')
      .query({ role: 'member', per_page: '100', page: '4' })
      .reply(200, users(7, 1), ghHeaders('MEM:P4'));
    const { client } = createHarness();
    const logins: string[] = [];
    for await (const page of client.paginate('GET /orgs/{org}/members', { org: 'acme', role: 'member' }, z.object({ login: z.string() }))) logins.push(...page.items.map((u) => u.login));
    expect(logins).toEqual(['user-1', 'user-2', 'user-3', 'user-4', 'user-5', 'user-6', 'user-7']);
    expect(peak).toBe(2);
  });
});

describe('request order', () => {
  it("sends a cursor chain's pages with the `high` priority hint, and other requests without it", async () => {
    mockRepositories();
    mockDependabot();
    const h = createHarness();
    const priorities: [string, unknown][] = [];
    const spied: typeof fetch = (input, init) => {
      const url = new URL(String(input));
      const body = typeof init?.body === 'string' ? (/query (\w+)/.exec(init.body)?.[1] ?? '') : '';
      priorities.push([`${init?.method ?? 'GET'} ${url.pathname}${url.searchParams.has('after') ? ' (next page)' : ''}${body ? ` ${body}` : ''}`, (init as { priority?: unknown } | undefined)?.priority]);
      return globalThis.fetch(input, init);
    };
    const client = GitHubApi.create(h.config, { fetch: spied, clock: h.clock, logger: h.logger, signal: h.signal });
    for await (const page of client.repositoryListing().read()) void page;
    for await (const page of client.paginate('GET /orgs/{org}/dependabot/alerts', { org: 'acme', state: 'open' }, z.unknown())) void page;
    expect(priorities).toEqual([
      ['POST /graphql AnnexaRepositories', 'high'],
      ['POST /graphql AnnexaRepositories', 'high'],
      ['GET /orgs/acme/dependabot/alerts', undefined],
      ['GET /organizations/4242/dependabot/alerts (next page)', 'high'],
    ]);
  });
});

describe('outside_collaborators', () => {
  it('merges the REST listing with per-repository access from GraphQL, sorted by login and repository', async () => {
    mockOutsideCollaborators();
    expect(await collectAll(outsideCollaboratorsCollector, createHarness())).toEqual(outsideCollaboratorRecords);
  });

  it('pages beyond 100 outside collaborators on one repository instead of failing', async () => {
    const edge = (i: number) => ({ permission: 'READ', node: { login: `vendor-${String(i).padStart(3, '0')}`, databaseId: 5000 + i } });
    const page = (from: number, to: number, next: string | null) => ({
      totalCount: 150,
      pageInfo: { hasNextPage: next !== null, endCursor: next ?? 'Y3Vyc29yOnYyOpHOAAAAlg==' },
      edges: Array.from({ length: to - from }, (_, k) => edge(from + k)),
    });
    const CURSOR_100 = 'Y3Vyc29yOnYyOpHOAAAAZA==';
    github()
      .get('/orgs/acme/outside_collaborators')
      .query({ per_page: '100' })
      .reply(200, [], ghHeaders('OUT:REST'))
      .get('/orgs/acme/outside_collaborators')
      .query({ per_page: '100', filter: '2fa_disabled' })
      .reply(200, [], ghHeaders('OUT:2FA'))
      .post('/graphql', graphqlBody(outsideCollaboratorAccessQuery, { org: 'acme', cursor: null }))
      .reply(
        200,
        { data: { organization: { repositories: { pageInfo: { hasNextPage: false, endCursor: 'x' }, nodes: [{ nameWithOwner: 'acme/big', collaborators: page(0, 100, CURSOR_100) }] } } } },
        ghHeaders('OUT:GQL1'),
      )
      .post('/graphql', graphqlBody(moreOutsideCollaboratorsQuery, { owner: 'acme', name: 'big', cursor: CURSOR_100 }))
      .reply(200, { data: { repository: { collaborators: page(100, 150, null) } } }, ghHeaders('OUT:MORE'));
    const records = await collectAll<{ login: string; repositories: unknown[] }>(outsideCollaboratorsCollector, createHarness());
    expect(records.map((r) => r.subject)).toEqual(Array.from({ length: 150 }, (_, i) => `vendor-${String(i).padStart(3, '0')}`));
    expect(records[149]).toEqual({
      subject: 'vendor-149',
      requests: [get(urls.outsideTwoFactor, 'OUT:2FA'), gql('AnnexaOutsideCollaboratorAccess', 'OUT:GQL1'), gql('AnnexaMoreOutsideCollaborators', 'OUT:MORE')],
      payload: { login: 'vendor-149', id: 5149, repositories: [{ repository: 'acme/big', permission: 'READ' }], twoFactorEnabled: true, twoFactorNotVisibleReason: null },
    });
  });

  it('sends the GraphQL access chain with the REST listings, not after them', async () => {
    const events: string[] = [];
    let accessAsked!: () => void;
    const accessSeen = new Promise<void>((resolve) => (accessAsked = resolve));
    github()
      .get('/orgs/acme/outside_collaborators')
      .query({ per_page: '100' })
      // Answers once the access query has arrived (or after 2 s, when it only goes after this listing).
      .reply(async () => {
        await Promise.race([accessSeen, new Promise((r) => setTimeout(r, 2000))]);
        events.push('REST listing answered');
        return [200, [{ login: 'vendor-1', id: 77 }], ghHeaders('OUT:REST')];
      })
      .get('/orgs/acme/outside_collaborators')
      .query({ per_page: '100', filter: '2fa_disabled' })
      .reply(200, [], ghHeaders('OUT:2FA'))
      .post('/graphql', graphqlBody(outsideCollaboratorAccessQuery, { org: 'acme', cursor: null }))
      .reply(() => {
        events.push('access query sent');
        accessAsked();
        const collaborators = { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: null }, edges: [{ permission: 'WRITE', node: { login: 'vendor-1', databaseId: 77 } }] };
        return [200, { data: { organization: { repositories: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [{ nameWithOwner: 'acme/app', collaborators }] } } } }, ghHeaders('OUT:GQL1')];
      });
    const records = await collectAll<{ repositories: unknown[] }>(outsideCollaboratorsCollector, createHarness());
    expect(events).toEqual(['access query sent', 'REST listing answered']);
    expect(records.map((r) => [r.subject, r.payload.repositories])).toEqual([['vendor-1', [{ repository: 'acme/app', permission: 'WRITE' }]]]);
  });

  it('stops its access chain when a REST listing fails, one page ahead at most', async () => {
    const repoPage = (cursor: string) => ({ data: { organization: { repositories: { pageInfo: { hasNextPage: true, endCursor: cursor }, nodes: [] } } } });
    let secondPageAnswered!: () => void;
    const secondPageSeen = new Promise<void>((resolve) => (secondPageAnswered = resolve));
    github()
      .get('/orgs/acme/outside_collaborators')
      .query({ per_page: '100' })
      .reply(403, { message: 'Resource not accessible by personal access token', documentation_url: 'https://docs.github.com/rest/orgs/outside-collaborators', status: '403' }, ghHeaders('OUT:403'))
      .post('/graphql', graphqlBody(outsideCollaboratorAccessQuery, { org: 'acme', cursor: null }))
      .delay(50) // answered after the listing's refusal has failed the collector
      .reply(200, repoPage('c1'), ghHeaders('OUT:GQL1'))
      .post('/graphql', graphqlBody(outsideCollaboratorAccessQuery, { org: 'acme', cursor: 'c1' }))
      .reply(() => {
        secondPageAnswered();
        return [200, repoPage('c2'), ghHeaders('OUT:GQL2')];
      });
    // No interceptor for cursor c2: a chain reading on would ask for it, and the request would match nothing.
    const failure = await collectAll(outsideCollaboratorsCollector, createHarness()).catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 403 });
    await secondPageSeen;
    await new Promise((r) => setTimeout(r, 100));
  });
});

describe('branch_protection', () => {
  it('evaluates rulesets from the repository pages (active, branch target, ref-name condition) and cross-checks the sample with GitHub', async () => {
    mockRepositories();
    // The sample (5) covers the four repositories with a default branch; acme/empty has none and
    // gets no interceptor: a request for its rules would fail the test.
    mockRules();
    expect(await collectAll(branchProtectionCollector, createHarness())).toEqual(branchProtectionRecords);
  });

  it('makes no per-repository request when the cross-check is off (crossCheckSample: 0)', async () => {
    mockRepositories();
    const records = await collectAll(branchProtectionCollector, createHarness({ crossCheckSample: 0 }));
    expect(records).toEqual(branchProtectionRecords.map((r) => ({ ...r, requests: r.requests.slice(0, 1) })));
  });

  it('fails the collector, naming the repository, when GitHub applies other rulesets than the local evaluation found', async () => {
    mockRepositories();
    // GitHub says nothing applies to acme/web's main; the pages say organization ruleset 42 does.
    mockRules({ web: [] });
    const error = (await collectAll(branchProtectionCollector, createHarness()).catch((e: unknown) => e)) as CollectError;
    expect(error).toBeInstanceOf(CollectError);
    expect(error.code).toBe('cross_check_failed');
    expect(error.message).toBe(
      'ruleset cross-check failed for acme/web: GitHub applies [] to main, the local evaluation found [42: deletion+non_fast_forward+pull_request+required_status_checks]',
    );
  });

  it('reads the rules from GitHub for a repository whose rulesets did not fit in the page', async () => {
    const page1 = fixture<{ data: { organization: { repositories: { nodes: { rulesets: { totalCount: number } }[] } } } }>('graphql-repositories-page1.json');
    // acme/api has 14 rulesets, more than the 10 the page lists.
    page1.data.organization.repositories.nodes[0]!.rulesets.totalCount = 14;
    github()
      .post('/graphql', graphqlBody(repositoriesQuery, { org: 'acme', cursor: null }))
      .reply(200, page1, ghHeaders('REPO:0001'))
      .post('/graphql', graphqlBody(repositoriesQuery, { org: 'acme', cursor: CURSOR_REPOS }))
      .reply(200, fixture('graphql-repositories-page2.json'), ghHeaders('REPO:0002'))
      .get('/repos/acme/api/rules/branches/main')
      .query({ per_page: '100' })
      .reply(200, fixture('rules-api-main.json'), ghHeaders('RULES:API'));
    const records = await collectAll(branchProtectionCollector, createHarness({ crossCheckSample: 0 }));
    // The same rulesets, from GitHub's per-branch evaluation.
    expect(records[0]).toEqual(branchProtectionRecords[0]);
  });
});

describe('repository_settings', () => {
  it('records whether Dependabot alerts are on from the repository pages, with no extra request', async () => {
    mockRepositories();
    expect(await collectAll(repositorySettingsCollector, createHarness())).toEqual(repositorySettingsRecords);
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
    expect(records).toEqual([mergedPullRequestRecords[0], mergedPullRequestRecords[2]]);
    expect(prs.isDone()).toBe(true);
  });
});

describe('merged pull request batch size', () => {
  it('starts at 50 repositories (252,550 nodes, under the 500,000-node limit) and follows rateLimit { cost remaining }', () => {
    expect(nextBatchSize(undefined)).toBe(50);
    // 26 points for 50 repositories: 0.52 each; at most 30 points per query.
    expect(nextBatchSize({ rateLimit: { cost: 26, remaining: 4900 }, batch: 50 })).toBe(50);
    // Dearer than estimated (1 point per repository): 30 repositories.
    expect(nextBatchSize({ rateLimit: { cost: 50, remaining: 4900 }, batch: 50 })).toBe(30);
    // Little left of the hour: no more than it can pay for; when nothing is left, one (the HTTP layer waits for the reset).
    expect(nextBatchSize({ rateLimit: { cost: 26, remaining: 13 }, batch: 50 })).toBe(25);
    expect(nextBatchSize({ rateLimit: { cost: 26, remaining: 0 }, batch: 50 })).toBe(1);
    // No rateLimit in the answer: the estimate.
    expect(nextBatchSize({ rateLimit: null, batch: 50 })).toBe(50);
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
      .get('/api/v3/orgs/acme/outside_collaborators')
      .query({ per_page: '100', filter: '2fa_disabled' })
      .reply(200, [], ghHeaders('GHES:2FA'))
      .post('/api/graphql', graphqlBody(outsideCollaboratorAccessQuery, { org: 'acme', cursor: null }))
      .reply(200, fixture('graphql-outside-access-page1.json'), ghHeaders('GHES:GQL1'))
      .post('/api/graphql', graphqlBody(outsideCollaboratorAccessQuery, { org: 'acme', cursor: CURSOR_OUTSIDE }))
      .reply(200, fixture('graphql-outside-access-page2.json'), ghHeaders('GHES:GQL2'));
    const records = await collectAll(outsideCollaboratorsCollector, createHarness({ baseUrl: `${GHES}/api/v3/` }));
    expect(records.map((r) => r.subject)).toEqual(['bob-vendor', 'ext-contractor', 'yuki-idle', 'zed-auditor']);
    const graphqlAt = (id: string) => ({ ...gql('AnnexaOutsideCollaboratorAccess', id), url: `${GHES}/api/graphql#AnnexaOutsideCollaboratorAccess` });
    expect(records[1]?.requests).toEqual([
      get(`${GHES}/api/v3/orgs/acme/outside_collaborators?per_page=100`, 'GHES:REST'),
      get(`${GHES}/api/v3/orgs/acme/outside_collaborators?per_page=100&filter=2fa_disabled`, 'GHES:2FA'),
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
