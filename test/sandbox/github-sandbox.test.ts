import { Octokit } from '@octokit/rest';
import picomatch from 'picomatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGithubWorld,
  createSyntheticCompany,
  githubSeededViolations,
  startGithubSandbox,
  type GithubSandbox,
  type GithubWorld,
} from '../../src/sandbox/index.js';

const NOW = new Date('2026-05-01T12:00:00Z');
const TOKEN = 'sbx-test-token';
const DAY = 86_400_000;

function worldFor(seed = 42, scale = 1): GithubWorld {
  return createGithubWorld(createSyntheticCompany({ now: NOW, seed, scale }));
}

/**
 * Recomputes every seeded violation from the raw world, independently of
 * `world.violations`, and checks that everything else is compliant.
 */
function auditWorld(world: GithubWorld): GithubWorld['violations'] {
  const nowMs = Date.parse(world.now);
  // Rulesets GitHub enforces on a default branch: active, and the ref-name condition selects it.
  const selects = (patterns: string[], branch: string) =>
    patterns.some((p) => p === '~ALL' || p === '~DEFAULT_BRANCH' || picomatch.isMatch(`refs/heads/${branch}`, p));
  const enforced = (repo: GithubWorld['repositories'][number]) =>
    world.rulesets.filter(
      (rs) => rs.enforcement === 'active' && rs.repositories.includes(repo.name) && selects(rs.refName.include, repo.defaultBranch) && !selects(rs.refName.exclude, repo.defaultBranch),
    );
  const active = world.repositories.filter((r) => !r.archived);
  const unprotected = active.filter((r) => r.classicProtection === null && enforced(r).length === 0).map((r) => r.name);
  const reviewRulesetRepos = new Set(active.filter((r) => enforced(r).some((rs) => rs.rules.some((rule) => rule.type === 'pull_request'))).map((r) => r.name));

  // Every protected branch requires at least one approving review.
  for (const repo of active) {
    if (unprotected.includes(repo.name)) continue;
    const classicOk = repo.classicProtection !== null && repo.classicProtection.requiresApprovingReviews && repo.classicProtection.requiredApprovingReviewCount >= 1;
    expect(classicOk || reviewRulesetRepos.has(repo.name), repo.name).toBe(true);
  }

  const noApproval: { repository: string; number: number }[] = [];
  const lateApproval: { repository: string; number: number }[] = [];
  for (const pr of world.pullRequests) {
    const approvals = pr.reviews.filter((r) => r.state === 'APPROVED');
    const ref = { repository: pr.repository, number: pr.number };
    if (approvals.length === 0) noApproval.push(ref);
    else if (approvals.every((r) => r.submittedAt > pr.mergedAt)) lateApproval.push(ref);
    else {
      const timely = approvals.filter((r) => r.submittedAt <= pr.mergedAt);
      expect(timely.some((r) => r.author !== pr.author), `${pr.repository}#${pr.number}`).toBe(true);
    }
    for (const r of pr.reviews) expect(r.author).not.toBe(pr.author);
    expect(pr.createdAt <= pr.mergedAt && pr.mergedAt <= pr.updatedAt).toBe(true);
    expect(nowMs - Date.parse(pr.mergedAt)).toBeLessThan(180 * DAY);
  }

  const stale = world.dependabotAlerts.filter(
    (a) => a.state === 'open' && a.advisory.severity === 'critical' && nowMs - Date.parse(a.createdAt) > 120 * DAY,
  );
  for (const a of world.dependabotAlerts) {
    if (a.state !== 'open' || stale.includes(a)) continue;
    if (a.advisory.severity === 'critical' || a.advisory.severity === 'high') {
      expect(nowMs - Date.parse(a.createdAt)).toBeLessThan(20 * DAY);
    }
    expect(nowMs - Date.parse(a.createdAt)).toBeLessThan(200 * DAY);
  }

  const alertsOff = active.filter((r) => !r.vulnerabilityAlertsEnabled).map((r) => r.name);
  // A repository that does not scan has no alerts at all.
  for (const name of alertsOff) expect(world.dependabotAlerts.filter((a) => a.repository === name)).toEqual([]);

  return {
    orgTwoFactorRequirementEnabled: world.org.twoFactorRequirementEnabled,
    membersWithout2fa: world.members.filter((m) => !m.twoFactorEnabled).map((m) => m.login).sort(),
    unprotectedRepositories: unprotected,
    mergedPullRequestsWithoutApproval: noApproval,
    mergedPullRequestsApprovedAfterMerge: lateApproval,
    staleCriticalAlerts: stale.map((a) => ({
      repository: a.repository,
      number: a.number,
      ghsaId: a.advisory.ghsaId,
      createdAt: a.createdAt,
    })),
    repositoriesWithoutVulnerabilityAlerts: alertsOff,
    membersWithInsecure2fa: world.members.filter((m) => m.twoFactorEnabled && m.twoFactorInsecure).map((m) => m.login),
    outsideCollaboratorsWithout2fa: world.outsideCollaborators.filter((o) => !o.twoFactorEnabled).map((o) => o.login),
  };
}

async function get(sandbox: GithubSandbox, path: string, token: string | null = TOKEN): Promise<Response> {
  return fetch(`${sandbox.url}${path}`, { headers: token === null ? {} : { authorization: `token ${token}` } });
}

async function graphql(
  sandbox: GithubSandbox,
  query: string,
  variables: Record<string, unknown>,
  path = '/graphql',
): Promise<{ status: number; body: { data?: any; errors?: any[] } }> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { authorization: `bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
}

function parseLink(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(',')) {
    const m = /<([^>]+)>;\s*rel="([^"]+)"/.exec(part.trim());
    if (m) out[m[2] as string] = m[1] as string;
  }
  return out;
}

const REPOSITORIES_QUERY = `
  query AnnexaRepositories($org: String!, $cursor: String) {
    organization(login: $org) {
      repositories(first: 100, after: $cursor, orderBy: {field: NAME, direction: ASC}) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          databaseId name nameWithOwner isArchived isPrivate visibility pushedAt url
          defaultBranchRef {
            name
            branchProtectionRule {
              pattern requiresApprovingReviews requiredApprovingReviewCount dismissesStaleReviews
              requiresCodeOwnerReviews requiresStatusChecks requiresStrictStatusChecks
              requiredStatusCheckContexts isAdminEnforced allowsForcePushes allowsDeletions
            }
          }
        }
      }
    }
  }`;

const PULLS_QUERY = `
  query AnnexaMergedPullRequests($owner: String!, $name: String!, $baseRefName: String!, $cursor: String, $pageSize: Int = 50) {
    repository(owner: $owner, name: $name) {
      pullRequests(first: $pageSize, after: $cursor, states: [MERGED], baseRefName: $baseRefName, orderBy: {field: UPDATED_AT, direction: DESC}) {
        pageInfo { hasNextPage endCursor }
        nodes {
          databaseId number title url createdAt updatedAt mergedAt baseRefName
          author { login }
          mergedBy { login }
          mergeCommit { oid }
          reviews(first: 100) { totalCount nodes { author { login } state submittedAt } }
        }
      }
    }
  }`;

const COLLABORATORS_QUERY = `
  query AnnexaOutsideCollaboratorAccess($org: String!, $cursor: String) {
    organization(login: $org) {
      repositories(first: 25, after: $cursor, orderBy: {field: NAME, direction: ASC}) {
        pageInfo { hasNextPage endCursor }
        nodes {
          nameWithOwner
          collaborators(affiliation: OUTSIDE, first: 100) {
            totalCount
            edges { permission node { login databaseId } }
          }
        }
      }
    }
  }`;

describe('synthetic company', () => {
  it('is a pure function of (scale, now, seed)', () => {
    const a = createSyntheticCompany({ now: NOW, seed: 7 });
    const b = createSyntheticCompany({ now: new Date(NOW.getTime()), seed: 7 });
    expect(a).toEqual(b);
    expect(createSyntheticCompany({ now: NOW, seed: 8 })).not.toEqual(a);
  });

  it('has ~200 consistent people at scale 1', () => {
    const company = createSyntheticCompany({ now: NOW });
    const people = company.people;
    expect(people).toHaveLength(200);
    expect(company).toMatchObject({ name: 'Acme Robotics', domain: 'acme.example', githubOrg: 'acme', now: '2026-05-01T12:00:00Z' });
    const ids = new Set(people.map((p) => p.id));
    expect(ids.size).toBe(people.length);
    expect(new Set(people.map((p) => p.email)).size).toBe(people.length);
    for (const p of people) {
      expect(p.email).toBe(`${p.username}@acme.example`);
      expect(p.username).toMatch(/^[a-z]+\.[a-z]+\d*$/);
      if (p.managerId !== null) expect(ids.has(p.managerId)).toBe(true);
      if (p.status === 'leaver') {
        expect(p.endDate).not.toBeNull();
        expect(p.endDate! > p.startDate && p.endDate! < '2026-05-01').toBe(true);
      } else {
        expect(p.endDate).toBeNull();
      }
    }
    expect(people.filter((p) => p.managerId === null)).toHaveLength(1);
    const engineering = people.filter((p) => p.department === 'Engineering').length;
    expect(engineering / people.length).toBeCloseTo(0.45, 1);
    const logins = people.flatMap((p) => (p.githubLogin ? [p.githubLogin] : []));
    expect(new Set(logins).size).toBe(logins.length);
    expect(logins.length).toBeGreaterThan(85);
    expect(logins.length).toBeLessThan(110);
    const leavers = people.filter((p) => p.status === 'leaver').length;
    expect(leavers).toBeGreaterThanOrEqual(3);
    expect(leavers).toBeLessThanOrEqual(10);
  });

  it('scales head count', () => {
    expect(createSyntheticCompany({ now: NOW, scale: 2 }).people).toHaveLength(400);
  });
});

describe('GitHub world', () => {
  it('is deterministic', () => {
    expect(worldFor(42)).toEqual(worldFor(42));
    expect(worldFor(43)).not.toEqual(worldFor(42));
  });

  it('has the expected size at scale 1', () => {
    const world = worldFor();
    expect(world.members.length).toBeGreaterThan(80);
    expect(world.members.length).toBeLessThan(100);
    expect(world.members.filter((m) => m.role === 'admin')).toHaveLength(6);
    expect(world.outsideCollaborators).toHaveLength(8);
    for (const o of world.outsideCollaborators) {
      expect(o.access.length).toBeGreaterThanOrEqual(1);
      expect(o.access.length).toBeLessThanOrEqual(3);
    }
    expect(new Set(world.outsideCollaborators.flatMap((o) => o.access.map((a) => a.permission)))).toEqual(
      new Set(['pull', 'push', 'triage', 'maintain', 'admin']),
    );
    expect(world.repositories).toHaveLength(60);
    expect(world.repositories.filter((r) => r.archived).length).toBe(3);
    expect(world.repositories.filter((r) => r.defaultBranch === 'master').length).toBe(2);
    const active = world.repositories.filter((r) => !r.archived);
    expect(world.pullRequests.length).toBeGreaterThan(active.length * 4);
    expect(world.pullRequests.length).toBeLessThan(active.length * 6);
    expect(world.dependabotAlerts.filter((a) => a.state === 'open')).toHaveLength(40);
    expect(world.rulesets.some((r) => r.sourceType === 'Organization')).toBe(true);
    const members = world.members.map((m) => m.id);
    expect(members).toEqual([...members].sort((a, b) => a - b));
  });

  it.each([
    [42, 1],
    [1, 1],
    [2024, 0.5],
    [99, 2],
  ])('contains exactly the seeded violations (seed %i, scale %d)', (seed, scale) => {
    const world = worldFor(seed, scale);
    const audit = auditWorld(world);
    expect(audit).toEqual(world.violations);
    expect(audit.orgTwoFactorRequirementEnabled).toBe(githubSeededViolations.orgTwoFactorRequirementEnabled);
    expect(audit.membersWithout2fa).toHaveLength(githubSeededViolations.membersWithout2fa);
    expect(audit.unprotectedRepositories).toHaveLength(githubSeededViolations.unprotectedRepositories);
    expect(audit.mergedPullRequestsWithoutApproval).toHaveLength(githubSeededViolations.mergedPullRequestsWithoutApproval);
    expect(audit.mergedPullRequestsApprovedAfterMerge).toHaveLength(
      githubSeededViolations.mergedPullRequestsApprovedAfterMerge,
    );
    expect(audit.staleCriticalAlerts).toHaveLength(githubSeededViolations.staleCriticalAlerts);
    expect(audit.repositoriesWithoutVulnerabilityAlerts).toHaveLength(githubSeededViolations.repositoriesWithoutVulnerabilityAlerts);
    expect(audit.membersWithInsecure2fa).toHaveLength(githubSeededViolations.membersWithInsecure2fa);
    expect(audit.outsideCollaboratorsWithout2fa).toHaveLength(githubSeededViolations.outsideCollaboratorsWithout2fa);
    // Admins always have 2FA; the no-2FA members are regular members.
    for (const login of audit.membersWithout2fa) {
      expect(world.members.find((m) => m.login === login)?.role).toBe('member');
    }
  });

  it('keeps timestamps in GitHub format', () => {
    const world = worldFor();
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
    for (const pr of world.pullRequests) {
      for (const t of [pr.createdAt, pr.mergedAt, pr.updatedAt, ...pr.reviews.map((r) => r.submittedAt)]) expect(t).toMatch(iso);
    }
    for (const a of world.dependabotAlerts) expect(a.createdAt).toMatch(iso);
  });
});

describe('GitHub sandbox server', () => {
  const world = worldFor();
  let sandbox: GithubSandbox;

  beforeAll(async () => {
    sandbox = await startGithubSandbox(world, { token: TOKEN });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('rejects missing or wrong credentials with 401', async () => {
    for (const token of [null, 'wrong']) {
      const res = await get(sandbox, '/orgs/acme', token);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.json()).toEqual({
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });
    }
    const res = await fetch(`${sandbox.url}/graphql`, { method: 'POST', body: '{"query":"{ rateLimit { limit } }"}' });
    expect(res.status).toBe(401);
  });

  it('accepts any non-empty token when none is configured', async () => {
    const open = await startGithubSandbox(world);
    try {
      expect((await get(open, '/orgs/acme', 'anything')).status).toBe(200);
      expect((await get(open, '/orgs/acme', null)).status).toBe(401);
      expect(open.requestCount()).toBe(2);
    } finally {
      await open.close();
    }
  });

  it('serves the organization with GitHub transport headers', async () => {
    const first = await get(sandbox, '/orgs/acme');
    const second = await fetch(`${sandbox.url}/orgs/ACME`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(first.headers.get('x-ratelimit-resource')).toBe('core');
    expect(first.headers.get('x-github-api-version-selected')).toBe('2022-11-28');
    expect(first.headers.get('x-github-request-id')).toMatch(/^SBX1:[0-9A-F]{4}:[0-9A-F]{8}$/);
    expect(first.headers.get('x-github-request-id')).not.toBe(second.headers.get('x-github-request-id'));
    const remaining = Number(first.headers.get('x-ratelimit-remaining'));
    expect(Number(second.headers.get('x-ratelimit-remaining'))).toBe(remaining - 1);
    expect(Number(first.headers.get('x-ratelimit-used'))).toBe(5000 - remaining);
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    const org = (await first.json()) as Record<string, unknown>;
    expect(org).toMatchObject({
      login: 'acme',
      type: 'Organization',
      name: 'Acme Robotics',
      two_factor_requirement_enabled: false,
      default_repository_permission: 'read',
    });
    expect(org.plan).toMatchObject({ name: 'enterprise' });
  });

  it('returns GitHub-style 404s', async () => {
    for (const path of ['/orgs/nope', '/nothing/here', '/repos/acme/nope/rules/branches/main']) {
      const res = await get(sandbox, path);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ message: 'Not Found', status: '404' });
    }
  });

  it('paginates members with Link headers that keep query parameters', async () => {
    const first = await get(sandbox, '/orgs/acme/members?role=all&per_page=20');
    const links = parseLink(first.headers.get('link'));
    expect(Object.keys(links).sort()).toEqual(['last', 'next']);
    const next = new URL(links.next!);
    expect(next.origin).toBe(sandbox.url);
    expect(next.searchParams.get('page')).toBe('2');
    expect(next.searchParams.get('per_page')).toBe('20');
    expect(next.searchParams.get('role')).toBe('all');
    expect(new URL(links.last!).searchParams.get('page')).toBe(String(Math.ceil(world.members.length / 20)));

    const logins: string[] = [];
    let url: string | undefined = `${sandbox.url}/orgs/acme/members?role=all&per_page=20`;
    let pages = 0;
    while (url) {
      const res = await fetch(url, { headers: { authorization: `token ${TOKEN}` } });
      const body = (await res.json()) as { login: string; type: string; site_admin: boolean }[];
      logins.push(...body.map((u) => u.login));
      const rels = parseLink(res.headers.get('link'));
      if (pages > 0) expect(rels.prev && rels.first).toBeTruthy();
      url = rels.next;
      pages++;
    }
    expect(logins).toEqual(world.members.map((m) => m.login));

    // Default page size is 30; a single page has no Link header.
    const defaults = (await (await get(sandbox, '/orgs/acme/members')).json()) as unknown[];
    expect(defaults).toHaveLength(30);
    const admins = await get(sandbox, '/orgs/acme/members?role=admin');
    expect(admins.headers.get('link')).toBeNull();
    expect((await admins.json()) as unknown[]).toHaveLength(6);
  });

  it('filters members and outside collaborators', async () => {
    const no2fa = (await (await get(sandbox, '/orgs/acme/members?filter=2fa_disabled')).json()) as { login: string }[];
    expect(no2fa.map((u) => u.login).sort()).toEqual(world.violations.membersWithout2fa);
    const sms = (await (await get(sandbox, '/orgs/acme/members?filter=2fa_insecure')).json()) as { login: string }[];
    expect(sms.map((u) => u.login)).toEqual(world.violations.membersWithInsecure2fa);
    const outsideNo2fa = (await (await get(sandbox, '/orgs/acme/outside_collaborators?filter=2fa_disabled')).json()) as { login: string }[];
    expect(outsideNo2fa.map((u) => u.login)).toEqual(world.violations.outsideCollaboratorsWithout2fa);
    const outside = (await (await get(sandbox, '/orgs/acme/outside_collaborators?per_page=100')).json()) as Record<string, unknown>[];
    expect(outside.map((u) => u.login)).toEqual(world.outsideCollaborators.map((o) => o.login));
    expect(Object.keys(outside[0]!)).toEqual(
      expect.arrayContaining(['login', 'id', 'node_id', 'avatar_url', 'gravatar_id', 'url', 'html_url', 'type', 'site_admin', 'user_view_type']),
    );
    expect((await get(sandbox, '/orgs/acme/members?filter=bogus')).status).toBe(422);
  });

  it('returns active ruleset rules for a branch', async () => {
    const orgRuleset = world.rulesets.find((r) => r.sourceType === 'Organization')!;
    const repo = world.repositories.find((r) => r.name === orgRuleset.repositories[0])!;
    const res = await get(sandbox, `/repos/acme/${repo.name}/rules/branches/${repo.defaultBranch}`);
    const rules = (await res.json()) as Record<string, any>[];
    expect(rules.find((r) => r.type === 'pull_request')).toMatchObject({
      ruleset_source_type: 'Organization',
      ruleset_source: 'acme',
      ruleset_id: orgRuleset.id,
      parameters: { required_approving_review_count: 1 },
    });
    const unprotected = world.violations.unprotectedRepositories[0]!;
    expect(await (await get(sandbox, `/repos/acme/${unprotected}/rules/branches/main`)).json()).toEqual([]);
    // Branch names with slashes are accepted encoded.
    expect((await get(sandbox, `/repos/acme/${repo.name}/rules/branches/release%2F1.x`)).status).toBe(200);
  });

  it('applies only active rulesets whose ref-name condition selects the branch', async () => {
    const trial = world.rulesets.find((r) => r.enforcement === 'evaluate')!;
    const legacy = world.rulesets.find((r) => r.refName.exclude.includes('refs/heads/main'))!;
    const release = world.rulesets.find((r) => r.refName.include.includes('refs/heads/release/**/*'))!;
    const rulesetIds = async (repo: string, branch: string) =>
      [...new Set(((await (await get(sandbox, `/repos/acme/${repo}/rules/branches/${encodeURIComponent(branch)}`)).json()) as { ruleset_id: number }[]).map((r) => r.ruleset_id))];
    const master = world.repositories.find((r) => !r.archived && r.defaultBranch === 'master')!;
    // The default-branch ruleset that excludes refs/heads/main applies to master only; the trial one never.
    expect(await rulesetIds(master.name, 'master')).toContain(legacy.id);
    const unprotected = world.violations.unprotectedRepositories[0]!;
    expect(await rulesetIds(unprotected, 'main')).toEqual([]);
    expect(trial.repositories).toContain(unprotected);
    // refs/heads/release/**/* matches release/1.x/hotfix and release/2 but not main.
    const repo = release.repositories[0]!;
    expect(await rulesetIds(repo, 'release/1.x/hotfix')).toContain(release.id);
    expect(await rulesetIds(repo, 'release/2')).toContain(release.id);
    expect(await rulesetIds(repo, 'main')).not.toContain(release.id);
  });

  it('charges GraphQL points by GitHub\'s formula and reports them in rateLimit', async () => {
    const { body } = await graphql(
      sandbox,
      '{ rateLimit { cost nodeCount } organization(login: "acme") { repositories(first: 100) { nodes { pullRequests(first: 40) { nodes { reviews(first: 100) { totalCount } } } } } } }',
      {},
    );
    // Requests to fill the connections: 1 + 100 + 100 × 40 = 4,101 → 41 points.
    expect(body.errors).toBeUndefined();
    expect(body.data.rateLimit).toEqual({ cost: 41, nodeCount: 100 + 100 * 40 + 100 * 40 * 100 });
    const tooBig = await graphql(sandbox, '{ organization(login: "acme") { repositories(first: 100) { nodes { pullRequests(first: 100) { nodes { reviews(first: 100) { totalCount } } } } } } }', {});
    expect(tooBig.body).toEqual({
      errors: [{ type: 'MAX_NODE_LIMIT_EXCEEDED', message: 'This query requests up to 1,010,100 possible nodes which exceeds the maximum limit of 500,000.' }],
    });
  });

  it('cursor-paginates Dependabot alerts newest first', async () => {
    let url: string | undefined = `${sandbox.url}/orgs/acme/dependabot/alerts?state=open&per_page=15`;
    const alerts: Record<string, any>[] = [];
    while (url) {
      expect(new URL(url).searchParams.has('page')).toBe(false);
      const res = await fetch(url, { headers: { authorization: `token ${TOKEN}` } });
      expect(res.status).toBe(200);
      alerts.push(...((await res.json()) as Record<string, any>[]));
      url = parseLink(res.headers.get('link')).next;
    }
    expect(alerts).toHaveLength(40);
    expect(alerts.every((a) => a.state === 'open')).toBe(true);
    const created = alerts.map((a) => a.created_at as string);
    expect(created).toEqual([...created].sort().reverse());
    const stale = world.violations.staleCriticalAlerts[0]!;
    const found = alerts.find((a) => a.repository.name === stale.repository && a.number === stale.number);
    expect(found).toMatchObject({
      security_advisory: { ghsa_id: stale.ghsaId, severity: 'critical', withdrawn_at: null },
      security_vulnerability: { severity: 'critical' },
      dependency: { package: { ecosystem: expect.any(String) } },
      repository: { full_name: `acme/${stale.repository}`, owner: { type: 'Organization' } },
      dismissed_at: null,
      fixed_at: null,
    });

    const critical = (await (await get(sandbox, '/orgs/acme/dependabot/alerts?state=open&severity=critical,high&per_page=100')).json()) as unknown[];
    expect(critical).toHaveLength(world.dependabotAlerts.filter((a) => a.state === 'open' && ['critical', 'high'].includes(a.advisory.severity)).length);
    const all = (await (await get(sandbox, '/orgs/acme/dependabot/alerts?per_page=100')).json()) as unknown[];
    expect(all).toHaveLength(world.dependabotAlerts.length);
  });

  it('serves the same API under GHES paths', async () => {
    const rest = await get(sandbox, '/api/v3/orgs/acme/members?per_page=50');
    expect(rest.status).toBe(200);
    expect(parseLink(rest.headers.get('link')).next).toContain(`${sandbox.url}/api/v3/orgs/acme/members?`);
    const gql = await graphql(sandbox, REPOSITORIES_QUERY, { org: 'acme', cursor: null }, '/api/graphql');
    expect(gql.body.data.organization.repositories.totalCount).toBe(60);
  });

  it('answers AnnexaRepositories with classic protection details', async () => {
    const { status, body } = await graphql(sandbox, REPOSITORIES_QUERY, { org: 'acme', cursor: null });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const conn = body.data.organization.repositories;
    expect(conn.totalCount).toBe(60);
    expect(conn.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });
    const names = conn.nodes.map((n: { name: string }) => n.name);
    expect(names).toEqual([...names].sort());
    const classic = world.repositories.find((r) => r.classicProtection !== null)!;
    const node = conn.nodes.find((n: { name: string }) => n.name === classic.name);
    expect(node.defaultBranchRef.branchProtectionRule).toMatchObject({
      pattern: classic.defaultBranch,
      requiresApprovingReviews: true,
      requiredApprovingReviewCount: classic.classicProtection!.requiredApprovingReviewCount,
    });
    expect(Object.keys(node).sort()).toEqual(
      ['databaseId', 'defaultBranchRef', 'isArchived', 'isPrivate', 'name', 'nameWithOwner', 'pushedAt', 'url', 'visibility'].sort(),
    );

    const missing = await graphql(sandbox, REPOSITORIES_QUERY, { org: 'x', cursor: null });
    expect(missing.status).toBe(200);
    expect(missing.body.data).toEqual({ organization: null });
    expect(missing.body.errors).toEqual([
      expect.objectContaining({
        type: 'NOT_FOUND',
        path: ['organization'],
        message: "Could not resolve to an Organization with the login of 'x'.",
      }),
    ]);
  });

  it('paginates AnnexaOutsideCollaboratorAccess by 25 repositories', async () => {
    const seen: Record<string, string[]> = {};
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { body } = await graphql(sandbox, COLLABORATORS_QUERY, { org: 'acme', cursor });
      const conn: any = body.data.organization.repositories;
      expect(conn.nodes.length).toBeLessThanOrEqual(25);
      for (const repo of conn.nodes) {
        for (const edge of repo.collaborators.edges) {
          (seen[edge.node.login] ??= []).push(`${repo.nameWithOwner}:${edge.permission}`);
        }
      }
      cursor = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    const expected = Object.fromEntries(
      world.outsideCollaborators.map((o) => [
        o.login,
        o.access.map((a) => `acme/${a.repository}:${{ pull: 'READ', triage: 'TRIAGE', push: 'WRITE', maintain: 'MAINTAIN', admin: 'ADMIN' }[a.permission]}`),
      ]),
    );
    expect(seen).toEqual(expected);
  });

  it('answers AnnexaMergedPullRequests newest-updated first, with cursors', async () => {
    const target = world.violations.mergedPullRequestsApprovedAfterMerge[0]!;
    const repo = world.repositories.find((r) => r.name === target.repository)!;
    const expected = world.pullRequests
      .filter((p) => p.repository === repo.name && p.baseRefName === repo.defaultBranch)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.number - a.number);

    const nodes: any[] = [];
    let cursor: string | null = null;
    do {
      const { body } = await graphql(sandbox, PULLS_QUERY, {
        owner: 'acme',
        name: repo.name,
        baseRefName: repo.defaultBranch,
        cursor,
        pageSize: 2,
      });
      expect(body.errors).toBeUndefined();
      const conn: any = body.data.repository.pullRequests;
      expect(conn.nodes.length).toBeLessThanOrEqual(2);
      nodes.push(...conn.nodes);
      cursor = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
    } while (cursor !== null);
    expect(nodes.map((n) => n.number)).toEqual(expected.map((p) => p.number));
    const late = nodes.find((n) => n.number === target.number);
    expect(late.reviews.nodes.filter((r: any) => r.state === 'APPROVED').every((r: any) => r.submittedAt > late.mergedAt)).toBe(true);
    expect(late.mergeCommit.oid).toMatch(/^[0-9a-f]{40}$/);
    expect(late.url).toBe(`https://github.acme.example/acme/${repo.name}/pull/${target.number}`);
  });

  it('rejects invalid GraphQL like GitHub does', async () => {
    const unknownField = await graphql(sandbox, 'query Q($org: String!) { organization(login: $org) { bogus } }', { org: 'acme' });
    expect(unknownField.status).toBe(200);
    expect(unknownField.body.data).toBeUndefined();
    expect(unknownField.body.errors?.[0].message).toBe("Field 'bogus' doesn't exist on type 'Organization'");

    const unknownArgument = await graphql(sandbox, '{ organization(login: "acme") { repositories(first: 1, affiliation: OWNER) { totalCount } } }', {});
    expect(unknownArgument.body).toEqual({
      errors: [
        {
          extensions: { code: 'argumentNotAccepted', name: 'repositories', typeName: 'Field', argumentName: 'affiliation' },
          locations: [{ line: 1, column: 56 }],
          message: "Field 'repositories' doesn't accept argument 'affiliation'",
        },
      ],
    });

    const wrongType = await graphql(sandbox, '{ organization(login: "acme") { repositories(first: "ten") { totalCount } } }', {});
    expect(wrongType.body.data).toBeUndefined();
    expect(wrongType.body.errors).toEqual([
      expect.objectContaining({
        extensions: { code: 'argumentLiteralsIncompatible', typeName: 'Field', argumentName: 'first' },
        message: 'Argument \'first\' on Field \'repositories\' has an invalid value ("ten"). Expected type \'Int\'.',
      }),
    ]);

    const unknownRoot = await graphql(sandbox, 'query AnnexaSomethingElse { enterprise(slug: "x") { name } }', {});
    expect(unknownRoot.body.errors?.[0].message).toContain("doesn't exist on type 'Query'");

    const noFirst = await graphql(sandbox, '{ organization(login: "acme") { repositories { totalCount } } }', {});
    expect(noFirst.body.errors?.[0].message).toContain('You must provide a `first` or `last` value');

    const tooMany = await graphql(sandbox, '{ organization(login: "acme") { repositories(first: 101) { totalCount } } }', {});
    expect(tooMany.body.errors?.[0].message).toContain('exceeds the `first` limit of 100 records');

    const missingVar = await graphql(sandbox, REPOSITORIES_QUERY, { cursor: null });
    expect(missingVar.body.errors?.[0].message).toContain('$org');

    const syntax = await graphql(sandbox, 'query {', {});
    expect(syntax.body.errors?.[0].message).toMatch(/Parse error/);
  });

  it('supports aliases, fragments and __typename', async () => {
    const { body } = await graphql(
      sandbox,
      `query { org: organization(login: "acme") { __typename ...Names } }
       fragment Names on Organization { login twoFA: requiresTwoFactorAuthentication }`,
      {},
    );
    expect(body).toEqual({ data: { org: { __typename: 'Organization', login: 'acme', twoFA: false } } });
  });

  it('works with Octokit pagination helpers', async () => {
    const octokit = new Octokit({ auth: TOKEN, baseUrl: sandbox.url });
    const members = await octokit.paginate(octokit.rest.orgs.listMembers, { org: 'acme', per_page: 25 });
    expect(members).toHaveLength(world.members.length);
    const alerts = await octokit.paginate('GET /orgs/{org}/dependabot/alerts', { org: 'acme', state: 'open', per_page: 9 });
    expect(alerts).toHaveLength(40);

    const ghes = new Octokit({ auth: TOKEN, baseUrl: `${sandbox.url}/api/v3` });
    const result = await ghes.graphql<{ rateLimit: { limit: number; remaining: number } }>('{ rateLimit { limit remaining } }');
    expect(result.rateLimit.limit).toBe(5000);
    expect(result.rateLimit.remaining).toBeLessThan(5000);
  });
});

describe('GitHub sandbox schema', () => {
  it('is a subset of GitHub\'s published schema: every field with the same type and arguments', async () => {
    const { buildSchema, isObjectType, isInterfaceType, isInputObjectType, isEnumType } = await import('graphql');
    const { schema: published } = await import('@octokit/graphql-schema');
    const { githubSchemaSdl } = await import('../../src/sandbox/github/graphql-schema.js');
    const ours = buildSchema(githubSchemaSdl);
    const theirs = buildSchema(published.idl, { assumeValidSDL: true });
    const problems: string[] = [];
    for (const type of Object.values(ours.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      const real = theirs.getType(type.name);
      if (!real) {
        problems.push(`${type.name}: no such type`);
        continue;
      }
      if (isEnumType(type) && isEnumType(real)) {
        for (const v of type.getValues()) if (!real.getValue(v.name)) problems.push(`${type.name}.${v.name}: no such value`);
      }
      if ((isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) && (isObjectType(real) || isInterfaceType(real) || isInputObjectType(real))) {
        const realFields = real.getFields();
        for (const field of Object.values(type.getFields())) {
          const match = realFields[field.name];
          if (!match) problems.push(`${type.name}.${field.name}: no such field`);
          else if (String(match.type) !== String(field.type)) problems.push(`${type.name}.${field.name}: ${String(field.type)} here, ${String(match.type)} on GitHub`);
          for (const arg of 'args' in field ? field.args : []) {
            const realArg = 'args' in match! ? match.args.find((a) => a.name === arg.name) : undefined;
            if (!realArg || String(realArg.type) !== String(arg.type)) problems.push(`${type.name}.${field.name}(${arg.name}): not ${String(arg.type)} on GitHub`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('GitHub sandbox rate limiting', () => {
  it('counts down per resource and answers 403 when exhausted', async () => {
    const sandbox = await startGithubSandbox(worldFor(), { token: TOKEN, rateLimit: 2 });
    try {
      const r1 = await get(sandbox, '/orgs/acme');
      const r2 = await get(sandbox, '/orgs/acme');
      const r3 = await get(sandbox, '/orgs/acme');
      expect([r1.status, r2.status, r3.status]).toEqual([200, 200, 403]);
      expect(r3.headers.get('x-ratelimit-remaining')).toBe('0');
      const gql = await graphql(sandbox, '{ rateLimit { remaining } }', {});
      expect(gql.body.data.rateLimit.remaining).toBe(1);
    } finally {
      await sandbox.close();
    }
  });
});
