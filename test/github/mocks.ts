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

/** The owners-only 2FA listing: visible (one member without 2FA), or refused with 403/422. */
export function mockTwoFactor(answer: 'visible' | 403 | 422 = 'visible'): nock.Scope {
  const scope = github().get('/orgs/acme/members').query({ per_page: '100', filter: '2fa_disabled' });
  if (answer === 'visible') return scope.reply(200, fixture('members-2fa-disabled.json'), ghHeaders('MEM:2FA'));
  const message = answer === 403 ? 'Must be an organization owner.' : 'Only owners can use this filter.';
  return scope.reply(
    answer,
    { message, documentation_url: 'https://docs.github.com/rest/orgs/members#list-organization-members', status: String(answer) },
    ghHeaders(`MEM:${answer}`),
  );
}

/**
 * role=admin (one page) and role=member (three pages linked by rel="next", page=2, page=3).
 * `page2Body` replaces the second member page; `page3: false` leaves the third page unanswered.
 */
export function mockRoleListings(options: { page2Body?: unknown; page3?: boolean } = {}): nock.Scope {
  const page = urls.membersPage;
  const scope = github()
    .get('/orgs/acme/members')
    .query({ per_page: '100', role: 'admin' })
    .reply(200, fixture('members-admin.json'), ghHeaders('MEM:ADMIN'))
    .get('/orgs/acme/members')
    .query({ per_page: '100', role: 'member' })
    .reply(200, fixture('members-page1.json'), ghHeaders('MEM:P1', { link: link({ next: page(2), last: page(3) }) }))
    .get('/organizations/4242/members')
    .query({ role: 'member', per_page: '100', page: '2' })
    .reply(200, (options.page2Body ?? fixture('members-page2.json')) as nock.Body, ghHeaders('MEM:P2', { link: link({ prev: page(1), next: page(3), last: page(3), first: page(1) }) }));
  if (options.page3 === false) return scope;
  return scope
    .get('/organizations/4242/members')
    .query({ role: 'member', per_page: '100', page: '3' })
    .reply(200, fixture('members-page3.json'), ghHeaders('MEM:P3', { link: link({ prev: page(2), first: page(1) }) }));
}

export function mockOutsideCollaborators(): nock.Scope {
  return github()
    .get('/orgs/acme/outside_collaborators')
    .query({ per_page: '100' })
    .reply(200, fixture('outside-collaborators.json'), ghHeaders('OUT:REST'))
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

/** Rules for every repository with a default branch; acme/empty has none and gets no request. */
export function mockRules(): nock.Scope {
  return github()
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
}

const prs = (repo: string, cursor: string | null) => graphqlBody(mergedPullRequestsQuery, { owner: 'acme', name: repo, baseRefName: 'main', cursor });

/**
 * Merged pull requests of the repositories pushed to within 90 days (api, docs, web). The api
 * listing says it has a third page; it must never be requested.
 */
export function mockPullRequests(): nock.Scope {
  return github()
    .post('/graphql', prs('api', null))
    .reply(200, fixture('graphql-prs-api-page1.json'), ghHeaders('PR:API1'))
    .post('/graphql', prs('api', CURSOR_PRS_API))
    .reply(200, fixture('graphql-prs-api-page2.json'), ghHeaders('PR:API2'))
    .post('/graphql', prs('docs', null))
    .reply(200, fixture('graphql-prs-docs.json'), ghHeaders('PR:DOCS'))
    .post('/graphql', prs('web', null))
    .reply(200, fixture('graphql-prs-web.json'), ghHeaders('PR:WEB'));
}

/** Only the first page of pull requests of api and web (for a 7-day look-back). */
export function mockPullRequestsLastWeek(): nock.Scope {
  return github()
    .post('/graphql', prs('api', null))
    .reply(200, fixture('graphql-prs-api-page1.json'), ghHeaders('PR:API1'))
    .post('/graphql', prs('web', null))
    .reply(200, fixture('graphql-prs-web.json'), ghHeaders('PR:WEB'));
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
