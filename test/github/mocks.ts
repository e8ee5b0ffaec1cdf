/**
 * nock interceptors answering like GitHub, one function per endpoint family, shared by the
 * collector tests and the pipeline tests. Request ids are fixed so provenance can be asserted.
 */
import type nock from 'nock';
import { mergedPullRequestsQuery, outsideCollaboratorAccessQuery, repositoriesQuery } from '../../connectors/github/api-schemas.js';
import { API, fixture, ghHeaders, github, graphqlBody, link } from './harness.js';

export const CURSOR_REPOS = 'Y3Vyc29yOnYyOpKpYWNtZS9lbXB0ec4AAABk';
export const CURSOR_OUTSIDE = 'Y3Vyc29yOnYyOpKoYWNtZS9kb2NzzgAAAA8=';
export const CURSOR_PRS_API = 'Y3Vyc29yOnYyOpK5MjAyNi0wOS0xNVQxMDowMDowMCswMDowMM4AAAGE';
export const DEPENDABOT_AFTER = 'Y3Vyc29yOnYyOpK5MjAyNi0wOS0xNVQxMDowMDowMFrOAAAADA%3D%3D';

export const urls = {
  org: `${API}/orgs/acme`,
  twoFactor: `${API}/orgs/acme/members?per_page=100&filter=2fa_disabled`,
  twoFactorInsecure: `${API}/orgs/acme/members?per_page=100&filter=2fa_insecure`,
  outsideTwoFactor: `${API}/orgs/acme/outside_collaborators?per_page=100&filter=2fa_disabled`,
  admins: `${API}/orgs/acme/members?per_page=100&role=admin`,
  members1: `${API}/orgs/acme/members?per_page=100&role=member`,
  membersPage: (page: number) => `${API}/organizations/4242/members?role=member&per_page=100&page=${page}`,
  outside: `${API}/orgs/acme/outside_collaborators?per_page=100`,
  rules: (repo: string, branch: string) => `${API}/repos/acme/${repo}/rules/branches/${branch}?per_page=100`,
  dependabot1: `${API}/orgs/acme/dependabot/alerts?per_page=100&state=open`,
  dependabot2: `${API}/organizations/4242/dependabot/alerts?state=open&per_page=100&after=${DEPENDABOT_AFTER}`,
};

export function mockOrg(): nock.Scope {
  return github().get('/orgs/acme').reply(200, fixture('org.json'), ghHeaders('ORG:0001'));
}

/**
 * The owners-only 2FA listings: `filter=2fa_disabled` (dave-ops) and `filter=2fa_insecure` (bob,
 * SMS), visible, or both refused with 403/422.
 */
export function mockTwoFactor(answer: 'visible' | 403 | 422 = 'visible'): nock.Scope {
  const disabled = github().get('/orgs/acme/members').query({ per_page: '100', filter: '2fa_disabled' });
  if (answer === 'visible') {
    return disabled
      .reply(200, fixture('members-2fa-disabled.json'), ghHeaders('MEM:2FA'))
      .get('/orgs/acme/members')
      .query({ per_page: '100', filter: '2fa_insecure' })
      .reply(200, fixture('members-2fa-insecure.json'), ghHeaders('MEM:SMS'));
  }
  return refuse(refuse(disabled, answer).get('/orgs/acme/members').query({ per_page: '100', filter: '2fa_insecure' }), answer);
}

/** GitHub's answer to a token that may not use an owners-only filter. */
function refuse(interceptor: nock.Interceptor, status: 403 | 422): nock.Scope {
  const message = status === 403 ? 'Must be an organization owner.' : 'Only owners can use this filter.';
  return interceptor.reply(
    status,
    { message, documentation_url: 'https://docs.github.com/rest/orgs/members#list-organization-members', status: String(status) },
    ghHeaders(`MEM:${status}`),
  );
}

/**
 * role=admin (one page) and role=member (three pages linked by rel="next", page=2, page=3).
 * `page2Body` replaces the second member page.
 */
export function mockRoleListings(options: { page2Body?: unknown } = {}): nock.Scope {
  const page = urls.membersPage;
  return github()
    .get('/orgs/acme/members')
    .query({ per_page: '100', role: 'admin' })
    .reply(200, fixture('members-admin.json'), ghHeaders('MEM:ADMIN'))
    .get('/orgs/acme/members')
    .query({ per_page: '100', role: 'member' })
    .reply(200, fixture('members-page1.json'), ghHeaders('MEM:P1', { link: link({ next: page(2), last: page(3) }) }))
    .get('/organizations/4242/members')
    .query({ role: 'member', per_page: '100', page: '2' })
    .reply(200, (options.page2Body ?? fixture('members-page2.json')) as nock.Body, ghHeaders('MEM:P2', { link: link({ prev: page(1), next: page(3), last: page(3), first: page(1) }) }))
    .get('/organizations/4242/members')
    .query({ role: 'member', per_page: '100', page: '3' })
    .reply(200, fixture('members-page3.json'), ghHeaders('MEM:P3', { link: link({ prev: page(2), first: page(1) }) }));
}

/** The REST listing, its `filter=2fa_disabled` listing (zed-auditor) and two GraphQL pages of access. */
export function mockOutsideCollaborators(): nock.Scope {
  return github()
    .get('/orgs/acme/outside_collaborators')
    .query({ per_page: '100' })
    .reply(200, fixture('outside-collaborators.json'), ghHeaders('OUT:REST'))
    .get('/orgs/acme/outside_collaborators')
    .query({ per_page: '100', filter: '2fa_disabled' })
    .reply(200, fixture('outside-collaborators-2fa-disabled.json'), ghHeaders('OUT:2FA'))
    .post('/graphql', graphqlBody(outsideCollaboratorAccessQuery, { org: 'acme', cursor: null }))
    .reply(200, fixture('graphql-outside-access-page1.json'), ghHeaders('OUT:GQL1'))
    .post('/graphql', graphqlBody(outsideCollaboratorAccessQuery, { org: 'acme', cursor: CURSOR_OUTSIDE }))
    .reply(200, fixture('graphql-outside-access-page2.json'), ghHeaders('OUT:GQL2'));
}

/** Both pages of the repository listing (fetched once per client, shared by two collectors). */
export function mockRepositories(): nock.Scope {
  return github()
    .post('/graphql', graphqlBody(repositoriesQuery, { org: 'acme', cursor: null }))
    .reply(200, fixture('graphql-repositories-page1.json'), ghHeaders('REPO:0001'))
    .post('/graphql', graphqlBody(repositoriesQuery, { org: 'acme', cursor: CURSOR_REPOS }))
    .reply(200, fixture('graphql-repositories-page2.json'), ghHeaders('REPO:0002'));
}

/**
 * GitHub's own evaluation of the default branch of every repository with one (the cross-check
 * sample of 5 covers all four); acme/empty has none and gets no request. `web` may be answered
 * differently to make the cross-check disagree.
 */
export function mockRules(options: { web?: unknown } = {}): nock.Scope {
  return github()
    .get('/repos/acme/api/rules/branches/main')
    .query({ per_page: '100' })
    .reply(200, fixture('rules-api-main.json'), ghHeaders('RULES:API'))
    .get('/repos/acme/docs/rules/branches/main')
    .query({ per_page: '100' })
    .reply(200, [], ghHeaders('RULES:DOCS'))
    .get('/repos/acme/legacy/rules/branches/master')
    .query({ per_page: '100' })
    .reply(200, fixture('rules-legacy-master.json'), ghHeaders('RULES:LEGACY'))
    .get('/repos/acme/web/rules/branches/main')
    .query({ per_page: '100' })
    .reply(200, (options.web ?? fixture('rules-web-main.json')) as nock.Body, ghHeaders('RULES:WEB'));
}

/** One batched query's variables: `owner`, then name, base branch and cursor per alias. */
function batch(...repos: [string, string | null][]): Record<string, unknown> {
  const variables: Record<string, unknown> = { owner: 'acme' };
  repos.forEach(([name, cursor], i) => Object.assign(variables, { [`name${i}`]: name, [`base${i}`]: 'main', [`cursor${i}`]: cursor }));
  return variables;
}

/** A batched answer: `rateLimit` and one alias per repository page fixture. */
function batchAnswer(...pages: string[]): nock.Body {
  const aliases = Object.fromEntries(pages.map((name, i) => [`r${i}`, fixture<{ data: { repository: unknown } }>(name).data.repository]));
  return { data: { rateLimit: { cost: 1, remaining: 4980 }, ...aliases } } as nock.Body;
}

const prs = (...repos: [string, string | null][]) => graphqlBody(mergedPullRequestsQuery(repos.length), batch(...repos));

/**
 * Merged pull requests of the repositories pushed to within 90 days (api, docs, web), all three
 * in one query; api has a second page, asked for in a second query. The api listing then says it
 * has a third page; it must never be requested (its updates are older than the period).
 */
export function mockPullRequests(): nock.Scope {
  return github()
    .post('/graphql', prs(['api', null], ['docs', null], ['web', null]))
    .reply(200, batchAnswer('graphql-prs-api-page1.json', 'graphql-prs-docs.json', 'graphql-prs-web.json'), ghHeaders('PR:B1'))
    .post('/graphql', prs(['api', CURSOR_PRS_API]))
    .reply(200, batchAnswer('graphql-prs-api-page2.json'), ghHeaders('PR:B2'));
}

/** Only the first pages of api and web (for a 7-day look-back), in one query. */
export function mockPullRequestsLastWeek(): nock.Scope {
  return github()
    .post('/graphql', prs(['api', null], ['web', null]))
    .reply(200, batchAnswer('graphql-prs-api-page1.json', 'graphql-prs-web.json'), ghHeaders('PR:B1'));
}

/** Two pages joined by a cursor (`after=`) in the Link header, as the Dependabot API paginates. */
export function mockDependabot(): nock.Scope {
  const prev = `${API}/organizations/4242/dependabot/alerts?state=open&per_page=100&before=Y3Vyc29yOnYyOpK5MjAyNi0wOC0wMVQwMDowMDowMFrOAAAAAw%3D%3D`;
  return github()
    .get('/orgs/acme/dependabot/alerts')
    .query({ per_page: '100', state: 'open' })
    .reply(200, fixture('dependabot-alerts-page1.json'), ghHeaders('DEP:P1', { link: link({ next: urls.dependabot2 }) }))
    .get('/organizations/4242/dependabot/alerts')
    .query({ state: 'open', per_page: '100', after: decodeURIComponent(DEPENDABOT_AFTER) })
    .reply(200, fixture('dependabot-alerts-page2.json'), ghHeaders('DEP:P2', { link: link({ prev }) }));
}
