/**
 * REST endpoints of the GitHub sandbox, rendering the world in GitHub's
 * documented response shapes (API version 2022-11-28).
 *
 * Handlers are pure functions of (world index, request URL); transport
 * concerns (auth, rate-limit headers, request ids) live in `server.ts`.
 */
import type {
  GithubAccount,
  GithubDependabotAlert,
  GithubRepository,
} from './data.js';
import { decodeCursor, encodeCursor, type UrlBases, type WorldIndex } from './lookup.js';

/** Response of a REST handler before transport headers are added. */
export interface RestResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What handlers need to know about the request. */
export interface RestRequest {
  /** Path with any `/api/v3` prefix removed, still percent-encoded. */
  path: string;
  /** The full request URL, absolute (built from the Host header). */
  url: URL;
  urls: UrlBases;
}

const DOCS = 'https://docs.github.com/rest';

/** GitHub's 404 body. */
export function notFound(documentationUrl = DOCS): RestResult {
  return { status: 404, body: { message: 'Not Found', documentation_url: documentationUrl, status: '404' } };
}

function validationFailed(field: string, value: string, documentationUrl: string): RestResult {
  return {
    status: 422,
    body: {
      message: 'Validation Failed',
      errors: [{ resource: 'Search', field, code: 'invalid', value }],
      documentation_url: documentationUrl,
      status: '422',
    },
  };
}

// ---------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------

type Handler = (index: WorldIndex, req: RestRequest, params: string[]) => RestResult;

/** GET routes; `([^/]+)` segments are passed to the handler percent-decoded. */
const ROUTES: { pattern: RegExp; handler: Handler }[] = [
  { pattern: /^\/orgs\/([^/]+)$/, handler: getOrganization },
  { pattern: /^\/orgs\/([^/]+)\/members$/, handler: listMembers },
  { pattern: /^\/orgs\/([^/]+)\/outside_collaborators$/, handler: listOutsideCollaborators },
  { pattern: /^\/orgs\/([^/]+)\/dependabot\/alerts$/, handler: listOrgDependabotAlerts },
  // Branch names may contain `/`; clients may or may not encode it.
  { pattern: /^\/repos\/([^/]+)\/([^/]+)\/rules\/branches\/(.+)$/, handler: getBranchRules },
  // Per-repository endpoints the connector does not call; the benchmark's naive baseline does.
  { pattern: /^\/orgs\/([^/]+)\/repos$/, handler: listOrgRepositories },
  { pattern: /^\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)\/protection$/, handler: getBranchProtection },
  { pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls$/, handler: listPullRequests },
  { pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/reviews$/, handler: listReviews },
  { pattern: /^\/repos\/([^/]+)\/([^/]+)\/collaborators$/, handler: listRepositoryCollaborators },
  { pattern: /^\/repos\/([^/]+)\/([^/]+)\/dependabot\/alerts$/, handler: listRepositoryDependabotAlerts },
];

/** Dispatches a GET request; `undefined` means no route matched. */
export function handleRest(index: WorldIndex, req: RestRequest): RestResult | undefined {
  const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    let params: string[];
    try {
      params = match.slice(1).map((p) => decodeURIComponent(p));
    } catch {
      return notFound();
    }
    return route.handler(index, req, params);
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Pagination
// ---------------------------------------------------------------------------

/** `per_page` as GitHub parses it: default 30, capped at 100, junk → default. */
function perPage(url: URL): number {
  const raw = Number.parseInt(url.searchParams.get('per_page') ?? '', 10);
  if (!Number.isFinite(raw) || raw < 1) return 30;
  return Math.min(raw, 100);
}

function linkTo(url: URL, set: Record<string, string>): string {
  const next = new URL(url.toString());
  for (const [k, v] of Object.entries(set)) {
    next.searchParams.delete(k);
    next.searchParams.set(k, v);
  }
  return next.toString();
}

/**
 * Page-number pagination with a GitHub-style `Link` header
 * (`prev`, `next`, `last`, `first`; omitted entirely for a single page).
 */
function paginate<T>(items: T[], url: URL): { page: T[]; headers: Record<string, string> } {
  const size = perPage(url);
  const rawPage = Number.parseInt(url.searchParams.get('page') ?? '', 10);
  const page = Number.isFinite(rawPage) && rawPage >= 1 ? rawPage : 1;
  const lastPage = Math.max(1, Math.ceil(items.length / size));
  const links: string[] = [];
  const pageUrl = (n: number): string => {
    // Keep the caller's own params (and its per_page if it sent one); `page` goes first like GitHub's links.
    const base = new URL(url.toString());
    base.searchParams.delete('page');
    const rest = base.searchParams.toString();
    base.search = `page=${n}${rest ? `&${rest}` : ''}`;
    return base.toString();
  };
  if (page > 1) links.push(`<${pageUrl(Math.min(page - 1, lastPage))}>; rel="prev"`);
  if (page < lastPage) {
    links.push(`<${pageUrl(page + 1)}>; rel="next"`);
    links.push(`<${pageUrl(lastPage)}>; rel="last"`);
  }
  if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`);
  return {
    page: items.slice((page - 1) * size, page * size),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}


// ---------------------------------------------------------------------------
// Renderers
// ---------------------------------------------------------------------------

/** The `simple-user` schema. */
export function renderSimpleUser(
  account: Pick<GithubAccount, 'login' | 'id' | 'nodeId'>,
  urls: UrlBases,
  type: 'User' | 'Organization' = 'User',
): Record<string, unknown> {
  const api = `${urls.apiBase}/users/${account.login}`;
  return {
    login: account.login,
    id: account.id,
    node_id: account.nodeId,
    avatar_url: `${urls.htmlBase}/avatars/u/${account.id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: `${urls.htmlBase}/${account.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

function renderMinimalRepository(index: WorldIndex, repo: GithubRepository, urls: UrlBases): Record<string, unknown> {
  const org = index.world.org;
  const full = `${org.login}/${repo.name}`;
  const api = `${urls.apiBase}/repos/${full}`;
  return {
    id: repo.id,
    node_id: repo.nodeId,
    name: repo.name,
    full_name: full,
    private: repo.visibility !== 'public',
    owner: renderSimpleUser(org, urls, 'Organization'),
    html_url: `${urls.htmlBase}/${full}`,
    description: repo.description,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    commits_url: `${api}/commits{/sha}`,
    contents_url: `${api}/contents/{+path}`,
    hooks_url: `${api}/hooks`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
  };
}

function getOrganization(index: WorldIndex, req: RestRequest, [org]: string[]): RestResult {
  if (org === undefined || !index.isOrg(org)) return notFound('https://docs.github.com/rest/orgs/orgs#get-an-organization');
  const o = index.world.org;
  const { urls } = req;
  const api = `${urls.apiBase}/orgs/${o.login}`;
  const repos = index.world.repositories;
  const publicRepos = repos.filter((r) => r.visibility === 'public').length;
  return {
    status: 200,
    body: {
      login: o.login,
      id: o.id,
      node_id: o.nodeId,
      url: api,
      repos_url: `${api}/repos`,
      events_url: `${api}/events`,
      hooks_url: `${api}/hooks`,
      issues_url: `${api}/issues`,
      members_url: `${api}/members{/member}`,
      public_members_url: `${api}/public_members{/member}`,
      avatar_url: `${urls.htmlBase}/avatars/u/${o.id}?v=4`,
      description: o.description,
      name: o.name,
      company: null,
      blog: o.blog,
      location: o.location,
      email: o.email,
      twitter_username: null,
      is_verified: true,
      has_organization_projects: true,
      has_repository_projects: true,
      public_repos: publicRepos,
      public_gists: 0,
      followers: 0,
      following: 0,
      html_url: `${urls.htmlBase}/${o.login}`,
      created_at: o.createdAt,
      updated_at: o.updatedAt,
      archived_at: null,
      type: 'Organization',
      total_private_repos: repos.length - publicRepos,
      owned_private_repos: repos.length - publicRepos,
      private_gists: 0,
      disk_usage: 1_048_576,
      collaborators: index.world.outsideCollaborators.length,
      billing_email: `billing@${o.email.split('@')[1] ?? 'example.com'}`,
      plan: {
        name: o.plan.name,
        space: o.plan.space,
        private_repos: o.plan.privateRepos,
        filled_seats: o.plan.filledSeats,
        seats: o.plan.seats,
      },
      default_repository_permission: o.defaultRepositoryPermission,
      members_can_create_repositories: o.membersCanCreateRepositories,
      two_factor_requirement_enabled: o.twoFactorRequirementEnabled,
      members_allowed_repository_creation_type: o.membersCanCreateRepositories ? 'all' : 'none',
      members_can_create_public_repositories: o.membersCanCreatePublicRepositories,
      members_can_create_private_repositories: o.membersCanCreatePrivateRepositories,
      members_can_create_internal_repositories: false,
      members_can_create_pages: false,
      members_can_create_public_pages: false,
      members_can_create_private_pages: false,
      members_can_fork_private_repositories: false,
      web_commit_signoff_required: o.webCommitSignoffRequired,
      advanced_security_enabled_for_new_repositories: o.advancedSecurityEnabledForNewRepositories,
      dependabot_alerts_enabled_for_new_repositories: o.dependabotAlertsEnabledForNewRepositories,
      dependabot_security_updates_enabled_for_new_repositories: o.dependabotAlertsEnabledForNewRepositories,
      dependency_graph_enabled_for_new_repositories: true,
      secret_scanning_enabled_for_new_repositories: o.secretScanningEnabledForNewRepositories,
      secret_scanning_push_protection_enabled_for_new_repositories: o.secretScanningEnabledForNewRepositories,
      secret_scanning_push_protection_custom_link_enabled: false,
      secret_scanning_push_protection_custom_link: null,
      deploy_keys_enabled_for_repositories: false,
    },
  };
}

function listMembers(index: WorldIndex, req: RestRequest, [org]: string[]): RestResult {
  const docs = 'https://docs.github.com/rest/orgs/members#list-organization-members';
  if (org === undefined || !index.isOrg(org)) return notFound(docs);
  const role = req.url.searchParams.get('role') ?? 'all';
  const filter = req.url.searchParams.get('filter') ?? 'all';
  if (!['all', 'admin', 'member'].includes(role)) return validationFailed('role', role, docs);
  if (!['all', '2fa_disabled', '2fa_insecure'].includes(filter)) return validationFailed('filter', filter, docs);
  const twoFactor = { all: () => true, '2fa_disabled': (m: GithubAccount) => !m.twoFactorEnabled, '2fa_insecure': (m: GithubAccount) => m.twoFactorEnabled && m.twoFactorInsecure }[filter]!;
  const members = index.world.members.filter((m) => (role === 'all' || m.role === role) && twoFactor(m));
  const { page, headers } = paginate(members, req.url);
  return { status: 200, body: page.map((m) => renderSimpleUser(m, req.urls)), headers };
}

function listOutsideCollaborators(index: WorldIndex, req: RestRequest, [org]: string[]): RestResult {
  const docs = 'https://docs.github.com/rest/orgs/outside-collaborators#list-outside-collaborators-for-an-organization';
  if (org === undefined || !index.isOrg(org)) return notFound(docs);
  const filter = req.url.searchParams.get('filter') ?? 'all';
  if (!['all', '2fa_disabled'].includes(filter)) return validationFailed('filter', filter, docs);
  const users = index.world.outsideCollaborators.filter((u) => filter === 'all' || !u.twoFactorEnabled);
  const { page, headers } = paginate(users, req.url);
  return { status: 200, body: page.map((u) => renderSimpleUser(u, req.urls)), headers };
}

function getBranchRules(index: WorldIndex, req: RestRequest, [owner, name, branch]: string[]): RestResult {
  const docs = 'https://docs.github.com/rest/repos/rules#get-rules-for-a-branch';
  const repo = owner !== undefined && name !== undefined ? index.repository(owner, name) : undefined;
  if (!repo || branch === undefined) return notFound(docs);
  const { page, headers } = paginate(index.branchRules(repo, branch), req.url);
  return { status: 200, body: page, headers };
}

function listOrgRepositories(index: WorldIndex, req: RestRequest, [org]: string[]): RestResult {
  if (org === undefined || !index.isOrg(org)) return notFound('https://docs.github.com/rest/repos/repos#list-organization-repositories');
  const { page, headers } = paginate(index.world.repositories, req.url);
  return { status: 200, body: page.map((r) => ({ ...renderMinimalRepository(index, r, req.urls), default_branch: r.defaultBranch, archived: r.archived, pushed_at: r.pushedAt })), headers };
}

/** Classic protection of a branch (the subset of fields a review check reads), or GitHub's 404. */
function getBranchProtection(index: WorldIndex, _req: RestRequest, [owner, name, branch]: string[]): RestResult {
  const repo = owner !== undefined && name !== undefined ? index.repository(owner, name) : undefined;
  const p = repo && branch === repo.defaultBranch ? repo.classicProtection : null;
  if (!p) return { status: 404, body: { message: 'Branch not protected', documentation_url: 'https://docs.github.com/rest/branches/branch-protection#get-branch-protection', status: '404' } };
  return {
    status: 200,
    body: {
      required_pull_request_reviews: p.requiresApprovingReviews ? { required_approving_review_count: p.requiredApprovingReviewCount, dismiss_stale_reviews: p.dismissesStaleReviews, require_code_owner_reviews: p.requiresCodeOwnerReviews } : undefined,
      required_status_checks: p.requiresStatusChecks ? { strict: p.requiresStrictStatusChecks, contexts: p.requiredStatusCheckContexts } : undefined,
      enforce_admins: { enabled: p.isAdminEnforced },
      allow_force_pushes: { enabled: p.allowsForcePushes },
      allow_deletions: { enabled: p.allowsDeletions },
    },
  };
}

/** Closed pull requests (the world keeps merged ones), newest first. */
function listPullRequests(index: WorldIndex, req: RestRequest, [owner, name]: string[]): RestResult {
  const repo = owner !== undefined && name !== undefined ? index.repository(owner, name) : undefined;
  if (!repo) return notFound('https://docs.github.com/rest/pulls/pulls#list-pull-requests');
  const state = req.url.searchParams.get('state') ?? 'open';
  const prs = state === 'open' ? [] : [...index.pullRequests(repo)].sort((a, b) => b.mergedAt.localeCompare(a.mergedAt));
  const { page, headers } = paginate(prs, req.url);
  const body = page.map((pr) => ({ id: pr.id, node_id: pr.nodeId, number: pr.number, state: 'closed', title: pr.title, user: { login: pr.author }, created_at: pr.createdAt, updated_at: pr.updatedAt, merged_at: pr.mergedAt, merge_commit_sha: pr.mergeCommitOid, base: { ref: pr.baseRefName }, head: { ref: pr.headRefName } }));
  return { status: 200, body, headers };
}

function listReviews(index: WorldIndex, req: RestRequest, [owner, name, number]: string[]): RestResult {
  const repo = owner !== undefined && name !== undefined ? index.repository(owner, name) : undefined;
  const pr = repo ? index.pullRequests(repo).find((p) => String(p.number) === number) : undefined;
  if (!pr) return notFound('https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request');
  const { page, headers } = paginate(pr.reviews, req.url);
  return { status: 200, body: page.map((r) => ({ id: r.id, node_id: r.nodeId, user: { login: r.author }, state: r.state, submitted_at: r.submittedAt })), headers };
}

/** Collaborators of one repository; `affiliation=outside` lists the outside collaborators only (direct members are not modelled per repository). */
function listRepositoryCollaborators(index: WorldIndex, req: RestRequest, [owner, name]: string[]): RestResult {
  const repo = owner !== undefined && name !== undefined ? index.repository(owner, name) : undefined;
  if (!repo) return notFound('https://docs.github.com/rest/collaborators/collaborators#list-repository-collaborators');
  const users = index.collaboratorsOf(repo).map((a) => ({ ...renderSimpleUser(a.collaborator, req.urls), role_name: a.permission }));
  const { page, headers } = paginate(users, req.url);
  return { status: 200, body: page, headers };
}

function listRepositoryDependabotAlerts(index: WorldIndex, req: RestRequest, [owner, name]: string[]): RestResult {
  const repo = owner !== undefined && name !== undefined ? index.repository(owner, name) : undefined;
  if (!repo) return notFound('https://docs.github.com/rest/dependabot/alerts#list-dependabot-alerts-for-a-repository');
  const state = req.url.searchParams.get('state');
  const alerts = index.world.dependabotAlerts.filter((a) => a.repository === repo.name && (state === null || a.state === state));
  const { page, headers } = paginate(alerts, req.url);
  return { status: 200, body: page.map((a) => renderDependabotAlert(index, a, req.urls)), headers };
}

const ALERT_STATES: readonly string[] = ['auto_dismissed', 'dismissed', 'fixed', 'open'];
const SEVERITIES: readonly string[] = ['low', 'medium', 'high', 'critical'];

/**
 * `GET /orgs/{org}/dependabot/alerts`, newest first, filtered by `state` and `severity` (comma
 * lists), cursor-paginated: `after` in the `Link: rel="next"` URL, as GitHub does.
 */
function listOrgDependabotAlerts(index: WorldIndex, req: RestRequest, [org]: string[]): RestResult {
  const docs = 'https://docs.github.com/rest/dependabot/alerts#list-dependabot-alerts-for-an-organization';
  if (org === undefined || !index.isOrg(org)) return notFound(docs);
  const q = req.url.searchParams;
  const list = (name: string): string[] | null => (q.get(name) ? q.get(name)!.split(',').map((v) => v.trim().toLowerCase()) : null);
  const states = list('state');
  const severities = list('severity');
  for (const s of states ?? []) if (!ALERT_STATES.includes(s)) return validationFailed('state', s, docs);
  for (const s of severities ?? []) if (!SEVERITIES.includes(s)) return validationFailed('severity', s, docs);
  // The world keeps alerts newest first.
  const alerts = index.world.dependabotAlerts.filter((a) => (states === null || states.includes(a.state)) && (severities === null || severities.includes(a.advisory.severity)));
  const after = q.get('after');
  const start = after ? decodeCursor(after) : -1;
  if (start === null) return validationFailed('after', after!, docs);
  const page = alerts.slice(start + 1, start + 1 + perPage(req.url));
  const end = start + page.length;
  const next = end + 1 < alerts.length ? { link: `<${linkTo(req.url, { after: encodeCursor(end) })}>; rel="next"` } : undefined;
  return { status: 200, body: page.map((a) => renderDependabotAlert(index, a, req.urls)), ...(next ? { headers: next } : {}) };
}

/** The `dependabot-alert-with-repository` schema. */
export function renderDependabotAlert(
  index: WorldIndex,
  alert: GithubDependabotAlert,
  urls: UrlBases,
): Record<string, unknown> {
  const org = index.world.org.login;
  const repo = index.repositories.get(alert.repository.toLowerCase());
  const adv = alert.advisory;
  const pkg = { ecosystem: adv.ecosystem, name: adv.packageName };
  const vulnerability = {
    package: pkg,
    severity: adv.severity,
    vulnerable_version_range: adv.vulnerableVersionRange,
    first_patched_version: { identifier: adv.firstPatchedVersion },
  };
  const dismisser = alert.dismissedBy === null ? undefined : index.account(alert.dismissedBy);
  return {
    number: alert.number,
    state: alert.state,
    dependency: {
      package: pkg,
      manifest_path: alert.manifestPath,
      scope: alert.scope,
      relationship: 'direct',
    },
    security_advisory: {
      ghsa_id: adv.ghsaId,
      cve_id: adv.cveId,
      summary: adv.summary,
      description: adv.description,
      vulnerabilities: [vulnerability],
      severity: adv.severity,
      cvss: { vector_string: adv.cvss.vectorString, score: adv.cvss.score },
      cvss_severities: {
        cvss_v3: { vector_string: adv.cvss.vectorString, score: adv.cvss.score },
        cvss_v4: { vector_string: null, score: 0.0 },
      },
      epss: null,
      cwes: adv.cwes.map((c) => ({ cwe_id: c.cweId, name: c.name })),
      identifiers: [
        { value: adv.ghsaId, type: 'GHSA' },
        ...(adv.cveId !== null ? [{ value: adv.cveId, type: 'CVE' }] : []),
      ],
      references: [
        { url: `${urls.htmlBase}/advisories/${adv.ghsaId}` },
        ...(adv.cveId !== null ? [{ url: `https://nvd.nist.gov/vuln/detail/${adv.cveId}` }] : []),
      ],
      published_at: adv.publishedAt,
      updated_at: adv.updatedAt,
      withdrawn_at: null,
    },
    security_vulnerability: vulnerability,
    url: `${urls.apiBase}/repos/${org}/${alert.repository}/dependabot/alerts/${alert.number}`,
    html_url: `${urls.htmlBase}/${org}/${alert.repository}/security/dependabot/${alert.number}`,
    created_at: alert.createdAt,
    updated_at: alert.updatedAt,
    dismissed_at: alert.dismissedAt,
    dismissed_by: dismisser ? renderSimpleUser(dismisser, urls) : null,
    dismissed_reason: alert.dismissedReason,
    dismissed_comment: alert.dismissedComment,
    fixed_at: alert.fixedAt,
    auto_dismissed_at: null,
    repository: repo ? renderMinimalRepository(index, repo, urls) : null,
  };
}
