/**
 * The synthetic GitHub world of Acme Robotics, derived from the synthetic
 * company: organization settings, members, outside collaborators,
 * repositories with branch protection / rulesets, merged pull requests with
 * reviews, and Dependabot alerts.
 *
 * The model here is GitHub's *domain*, not its wire format; `server.ts`
 * renders it as REST and GraphQL responses. Everything is compliant except a
 * fixed, documented set of seeded violations ({@link githubSeededViolations},
 * with the concrete records in {@link GithubWorld.violations}) so tests and
 * the demo can assert exactly what a correct checker must find.
 */
import type { Person, SyntheticCompany } from '../company.js';
import { SeededRandom } from '../random.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, isoSeconds, parseIso } from '../time.js';
import {
  ARCHIVE_CANDIDATES,
  CVSS_BY_SEVERITY,
  EXTRA_NAME_AREAS,
  EXTRA_NAME_KINDS,
  LANGUAGES,
  PR_TITLES,
  PUBLIC_REPOSITORIES,
  REPOSITORY_NAMES,
  VULNERABLE_PACKAGES,
  WEAKNESSES,
  type AlertSeverity,
  type Ecosystem,
} from './catalog.js';

export type { AlertSeverity, Ecosystem } from './catalog.js';

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/** Organization settings, mirroring the fields of `GET /orgs/{org}`. */
export interface GithubOrganization {
  login: string;
  id: number;
  nodeId: string;
  name: string;
  description: string;
  blog: string;
  location: string;
  email: string;
  createdAt: string;
  updatedAt: string;
  /** Seeded violation: `false` (see {@link githubSeededViolations}). */
  twoFactorRequirementEnabled: boolean;
  defaultRepositoryPermission: 'read' | 'write' | 'admin' | 'none';
  membersCanCreateRepositories: boolean;
  membersCanCreatePublicRepositories: boolean;
  membersCanCreatePrivateRepositories: boolean;
  webCommitSignoffRequired: boolean;
  advancedSecurityEnabledForNewRepositories: boolean;
  dependabotAlertsEnabledForNewRepositories: boolean;
  secretScanningEnabledForNewRepositories: boolean;
  plan: { name: string; space: number; privateRepos: number; seats: number; filledSeats: number };
}

/** A GitHub user account that appears somewhere in the world. */
export interface GithubAccount {
  login: string;
  id: number;
  nodeId: string;
  /** Profile name. */
  name: string;
  /** {@link Person.id} in the synthetic company. */
  personId: string;
  twoFactorEnabled: boolean;
  /** 2FA by SMS, which GitHub lists under `filter=2fa_insecure` (only meaningful when enabled). */
  twoFactorInsecure: boolean;
}

/** Organization role as used by `GET /orgs/{org}/members?role=`. */
export type GithubOrgRole = 'admin' | 'member';

/** A current member of the organization. */
export interface GithubMember extends GithubAccount {
  role: GithubOrgRole;
}

/** Repository permission as the REST API names it. */
export type GithubRepositoryPermission = 'pull' | 'triage' | 'push' | 'maintain' | 'admin';

/** A non-member with direct access to some repositories. */
export interface GithubOutsideCollaborator extends GithubAccount {
  access: { repository: string; permission: GithubRepositoryPermission }[];
}

/** Repository visibility as REST spells it (GraphQL upper-cases it). */
export type GithubVisibility = 'private' | 'internal' | 'public';

/** Classic branch protection, with the fields of GraphQL's `BranchProtectionRule`. */
export interface GithubClassicBranchProtection {
  id: number;
  nodeId: string;
  pattern: string;
  requiresApprovingReviews: boolean;
  requiredApprovingReviewCount: number;
  dismissesStaleReviews: boolean;
  requiresCodeOwnerReviews: boolean;
  requiresStatusChecks: boolean;
  requiresStrictStatusChecks: boolean;
  requiredStatusCheckContexts: string[];
  isAdminEnforced: boolean;
  allowsForcePushes: boolean;
  allowsDeletions: boolean;
  requiresLinearHistory: boolean;
  requiresConversationResolution: boolean;
}

/** A repository of the organization. */
export interface GithubRepository {
  id: number;
  nodeId: string;
  name: string;
  description: string;
  language: string;
  visibility: GithubVisibility;
  archived: boolean;
  defaultBranch: string;
  /** Other long-lived branches that PRs may target. */
  otherBranches: string[];
  createdAt: string;
  updatedAt: string;
  pushedAt: string;
  archivedAt: string | null;
  /** Classic protection rule matching the default branch, if any. */
  classicProtection: GithubClassicBranchProtection | null;
  /** Dependabot (vulnerability) alerts are on; GraphQL `hasVulnerabilityAlertsEnabled`. */
  vulnerabilityAlertsEnabled: boolean;
}

/** One rule inside a ruleset, as returned by `GET /repos/{o}/{r}/rules/branches/{b}` (minus the source fields). */
export type GithubRulesetRule =
  | {
      type: 'pull_request';
      parameters: {
        required_approving_review_count: number;
        dismiss_stale_reviews_on_push: boolean;
        require_code_owner_review: boolean;
        require_last_push_approval: boolean;
        required_review_thread_resolution: boolean;
      };
    }
  | {
      type: 'required_status_checks';
      parameters: {
        strict_required_status_checks_policy: boolean;
        do_not_enforce_on_create: boolean;
        required_status_checks: { context: string }[];
      };
    }
  | { type: 'deletion' }
  | { type: 'non_fast_forward' }
  | { type: 'required_linear_history' };

/** A branch ruleset. */
export interface GithubRuleset {
  id: number;
  name: string;
  sourceType: 'Repository' | 'Organization';
  /** `acme` for organization rulesets, `acme/repo` for repository rulesets. */
  source: string;
  /** Only `active` rulesets are enforced; `evaluate` ones only report. */
  enforcement: 'active' | 'evaluate' | 'disabled';
  /** GitHub's `ref_name` condition: `~DEFAULT_BRANCH`, `~ALL` or fnmatch patterns over `refs/heads/...`. */
  refName: { include: string[]; exclude: string[] };
  /** Repository names the ruleset applies to (GitHub has already evaluated the repository conditions). */
  repositories: string[];
  rules: GithubRulesetRule[];
}

/** Review state as GraphQL names it. */
export type GithubReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';

/** A pull request review. */
export interface GithubReview {
  id: number;
  nodeId: string;
  author: string;
  state: GithubReviewState;
  submittedAt: string;
}

/** A merged pull request. */
export interface GithubPullRequest {
  id: number;
  nodeId: string;
  repository: string;
  number: number;
  title: string;
  author: string;
  mergedBy: string;
  baseRefName: string;
  headRefName: string;
  createdAt: string;
  updatedAt: string;
  mergedAt: string;
  mergeCommitOid: string;
  /** Sorted by `submittedAt`. */
  reviews: GithubReview[];
}

/** A (synthetic) GitHub security advisory. */
export interface GithubSecurityAdvisory {
  ghsaId: string;
  cveId: string | null;
  summary: string;
  description: string;
  severity: AlertSeverity;
  cvss: { vectorString: string; score: number };
  cwes: { cweId: string; name: string }[];
  ecosystem: Ecosystem;
  packageName: string;
  vulnerableVersionRange: string;
  firstPatchedVersion: string;
  publishedAt: string;
  updatedAt: string;
}

/** Dependabot alert state. */
export type GithubAlertState = 'open' | 'fixed' | 'dismissed';

/** A Dependabot alert. */
export interface GithubDependabotAlert {
  repository: string;
  /** Per-repository alert number. */
  number: number;
  state: GithubAlertState;
  manifestPath: string;
  scope: 'runtime' | 'development';
  advisory: GithubSecurityAdvisory;
  createdAt: string;
  updatedAt: string;
  fixedAt: string | null;
  dismissedAt: string | null;
  dismissedBy: string | null;
  dismissedReason: 'fix_started' | 'inaccurate' | 'no_bandwidth' | 'not_used' | 'tolerable_risk' | null;
  dismissedComment: string | null;
}

/** Reference to a pull request. */
export interface GithubPullRequestRef {
  repository: string;
  number: number;
}

/** The concrete records behind each seeded violation of a world. */
export interface GithubViolationDetails {
  /** Org setting `two_factor_requirement_enabled`; `false` is the violation. */
  orgTwoFactorRequirementEnabled: boolean;
  /** Logins of members with 2FA disabled (sorted). */
  membersWithout2fa: string[];
  /** Non-archived repositories whose default branch has neither classic protection nor a ruleset. */
  unprotectedRepositories: string[];
  /** Merged PRs with no APPROVED review at all. */
  mergedPullRequestsWithoutApproval: GithubPullRequestRef[];
  /** Merged PRs whose only approval was submitted after `mergedAt`. */
  mergedPullRequestsApprovedAfterMerge: GithubPullRequestRef[];
  /** Open critical alerts older than {@link githubSeededViolations.staleCriticalAlertMinAgeDays}. */
  staleCriticalAlerts: { repository: string; number: number; ghsaId: string; createdAt: string }[];
  /** Non-archived repositories with Dependabot alerts turned off (so no alert can show them). */
  repositoriesWithoutVulnerabilityAlerts: string[];
  /** Members whose 2FA is SMS (`filter=2fa_insecure`). */
  membersWithInsecure2fa: string[];
  /** Outside collaborators with 2FA disabled. */
  outsideCollaboratorsWithout2fa: string[];
}

/** Everything the GitHub sandbox serves. */
export interface GithubWorld {
  /** Clock of the world (ISO-8601 UTC, no milliseconds). */
  now: string;
  org: GithubOrganization;
  /** Current members, sorted by id. */
  members: GithubMember[];
  /** Outside collaborators, sorted by id. */
  outsideCollaborators: GithubOutsideCollaborator[];
  /** Accounts of leavers: no longer in the org but still authors/reviewers of past PRs. Sorted by id. */
  formerMembers: GithubAccount[];
  /** Sorted by name. */
  repositories: GithubRepository[];
  /** Sorted by id. */
  rulesets: GithubRuleset[];
  /** Merged PRs, sorted by repository then number. */
  pullRequests: GithubPullRequest[];
  /** All alerts (open, fixed, dismissed), newest first. */
  dependabotAlerts: GithubDependabotAlert[];
  violations: GithubViolationDetails;
}

/**
 * The seeded violations every world contains, independent of seed and scale.
 * The concrete logins / repositories / PR numbers of a given world are in
 * {@link GithubWorld.violations}.
 *
 * Also documented here, because a correct checker must *not* flag them:
 * - archived repositories have no branch protection (only non-archived count);
 * - some repositories combine classic protection with a ruleset that has no
 *   `pull_request` rule, or are protected by an organization ruleset only;
 * - some PRs have a `COMMENTED` review after merge, `CHANGES_REQUESTED` before
 *   the approval, or a `DISMISSED` earlier approval — all still approved in time;
 * - fixed and dismissed alerts include old critical/high ones — only open
 *   alerts count;
 * - an organization ruleset in `evaluate` mode requires reviews everywhere
 *   (not enforced, so it protects nothing), a repository ruleset targets only
 *   release branches (`refs/heads/release/` and below), and an active organization ruleset on
 *   `~DEFAULT_BRANCH` excludes `refs/heads/main` (it applies to `master` only).
 */
export const githubSeededViolations = {
  /** The organization does not require 2FA (the reason members without 2FA can exist). */
  orgTwoFactorRequirementEnabled: false,
  /** Members (never admins, never outside collaborators) with 2FA disabled. */
  membersWithout2fa: 3,
  /** Non-archived repos with no classic protection and no ruleset on the default branch. */
  unprotectedRepositories: 1,
  /** Merged PR whose only review is a COMMENTED one (it lives in the unprotected repo). */
  mergedPullRequestsWithoutApproval: 1,
  /** Merged PR (admin-merged, in a repo without admin enforcement) approved only after merge. */
  mergedPullRequestsApprovedAfterMerge: 1,
  /** Open critical Dependabot alerts older than `staleCriticalAlertMinAgeDays`. */
  staleCriticalAlerts: 1,
  staleCriticalAlertMinAgeDays: 120,
  /** A non-archived repository with Dependabot alerts off (and so no alerts at all). */
  repositoriesWithoutVulnerabilityAlerts: 1,
  /** A regular member whose second factor is SMS. */
  membersWithInsecure2fa: 1,
  /** An outside collaborator without 2FA. */
  outsideCollaboratorsWithout2fa: 1,
  /** Every other open critical/high alert is younger than this. */
  freshCriticalHighMaxAgeDays: 20,
} as const;

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

/** Legacy GitHub global node id (`MDQ6VXNlcjE=` = base64 of `04:User1`). */
export function legacyNodeId(typeName: string, id: number): string {
  return Buffer.from(`0${typeName.length}:${typeName}${id}`).toString('base64');
}

/**
 * Derives the GitHub world from a synthetic company.
 *
 * Pure: the same company (same scale/now/seed) gives a deep-equal world.
 * At scale 1 the world has ~90 members (6 admins), 8 outside collaborators,
 * 60 repositories (3 archived), ~285 merged PRs and 48 Dependabot alerts
 * (40 open).
 */
export function createGithubWorld(company: SyntheticCompany): GithubWorld {
  const rng = new SeededRandom(company.seed).fork('github');
  const nowMs = parseIso(company.now);
  const scale = company.scale;

  const org = buildOrganization(rng.fork('org'), company, nowMs);
  const accounts = buildAccounts(rng.fork('accounts'), company);
  const repositories = buildRepositories(rng.fork('repos'), company, nowMs);
  const active = repositories.filter((r) => !r.archived);
  const protection = assignProtection(rng.fork('protection'), company, repositories);
  const outsideCollaborators = grantOutsideAccess(rng.fork('collaborators'), accounts.outside, active);
  const prs = buildPullRequests(rng.fork('pulls'), nowMs, active, protection, accounts);
  const alerts = buildDependabotAlerts(rng.fork('alerts'), nowMs, active, scale, accounts.members);
  // Later additions draw from their own forks so earlier parts of the world stay as they were.
  const extra = rng.fork('violations-2');
  const withAlertsOff = seedVulnerabilityAlertsOff(extra, active, alerts.alerts);
  const insecureMember = extra.pick(accounts.members.filter((m) => m.role === 'member' && m.twoFactorEnabled));
  insecureMember.twoFactorInsecure = true;
  const collaboratorWithout2fa = extra.pick(outsideCollaborators);
  collaboratorWithout2fa.twoFactorEnabled = false;
  protection.rulesets.push(...decoyRulesets(extra, company, repositories));
  protection.rulesets.sort((a, b) => a.id - b.id);

  // Repositories were last pushed when their latest PR merged (or shortly before now).
  const pushRng = rng.fork('pushed');
  for (const repo of active) {
    const lastMerge = Math.max(
      0,
      ...prs.pullRequests.filter((p) => p.repository === repo.name).map((p) => parseIso(p.mergedAt)),
    );
    const pushed = Math.max(lastMerge, nowMs - pushRng.int(60, 10 * 24 * 60) * MINUTE_MS);
    repo.pushedAt = isoSeconds(pushed);
    repo.updatedAt = repo.pushedAt;
  }

  org.plan.filledSeats = accounts.members.length + outsideCollaborators.length;
  org.plan.seats = Math.ceil((org.plan.filledSeats + 10) / 10) * 10;

  const staleCritical = alerts.stale;
  return {
    now: company.now,
    org,
    members: accounts.members,
    outsideCollaborators,
    formerMembers: accounts.former,
    repositories,
    rulesets: protection.rulesets,
    pullRequests: prs.pullRequests,
    dependabotAlerts: alerts.alerts,
    violations: {
      orgTwoFactorRequirementEnabled: org.twoFactorRequirementEnabled,
      membersWithout2fa: accounts.members
        .filter((m) => !m.twoFactorEnabled)
        .map((m) => m.login)
        .sort(),
      unprotectedRepositories: [protection.unprotected],
      mergedPullRequestsWithoutApproval: [prs.withoutApproval],
      mergedPullRequestsApprovedAfterMerge: [prs.approvedAfterMerge],
      staleCriticalAlerts: [
        {
          repository: staleCritical.repository,
          number: staleCritical.number,
          ghsaId: staleCritical.advisory.ghsaId,
          createdAt: staleCritical.createdAt,
        },
      ],
      repositoriesWithoutVulnerabilityAlerts: [withAlertsOff.name],
      membersWithInsecure2fa: [insecureMember.login],
      outsideCollaboratorsWithout2fa: [collaboratorWithout2fa.login],
    },
  };
}

/** Turns Dependabot alerts off on one active repository that has no alerts (it cannot have any). */
function seedVulnerabilityAlertsOff(rng: SeededRandom, active: GithubRepository[], alerts: GithubDependabotAlert[]): GithubRepository {
  const alerted = new Set(alerts.map((a) => a.repository));
  const candidates = active.filter((r) => !alerted.has(r.name));
  const repo = rng.pick(candidates.length > 0 ? candidates : active);
  repo.vulnerabilityAlertsEnabled = false;
  return repo;
}

/** Rulesets a correct checker must not count for `main` (see {@link githubSeededViolations}). */
function decoyRulesets(rng: SeededRandom, company: SyntheticCompany, repos: GithubRepository[]): GithubRuleset[] {
  const active = repos.filter((r) => !r.archived).map((r) => r.name);
  const id = (): number => rng.int(900_001, 999_999);
  const reviews = (count: number): GithubRulesetRule => ({
    type: 'pull_request',
    parameters: {
      required_approving_review_count: count,
      dismiss_stale_reviews_on_push: true,
      require_code_owner_review: false,
      require_last_push_approval: false,
      required_review_thread_resolution: false,
    },
  });
  const org = { sourceType: 'Organization' as const, source: company.githubOrg };
  const releaseRepo = rng.pick(repos.filter((r) => !r.archived && r.defaultBranch === 'main'));
  return [
    { ...org, id: id(), name: 'Trial: reviews everywhere', enforcement: 'evaluate', refName: { include: ['~ALL'], exclude: [] }, repositories: active, rules: [reviews(2)] },
    {
      ...org,
      id: id(),
      name: 'Legacy default branches',
      enforcement: 'active',
      refName: { include: ['~DEFAULT_BRANCH'], exclude: ['refs/heads/main'] },
      repositories: active,
      rules: [{ type: 'deletion' }],
    },
    repoRuleset(company, releaseRepo, id(), 'Release branches', [reviews(1)], { include: ['refs/heads/release/**/*'], exclude: [] }),
  ];
}

function buildOrganization(rng: SeededRandom, company: SyntheticCompany, nowMs: number): GithubOrganization {
  const id = rng.int(40_000_000, 90_000_000);
  return {
    login: company.githubOrg,
    id,
    nodeId: legacyNodeId('Organization', id),
    name: company.name,
    description: 'Robots that pick, place and never sleep.',
    blog: `https://www.${company.domain}`,
    location: 'Austin, TX',
    email: `github-admins@${company.domain}`,
    createdAt: isoSeconds(parseIso(company.foundedOn) + 20 * DAY_MS + rng.int(0, 86_399) * 1000),
    updatedAt: isoSeconds(nowMs - rng.int(2, 40) * DAY_MS),
    // Seeded violation: 2FA is not enforced org-wide, which is also why
    // members without 2FA can exist at all (GitHub removes them otherwise).
    twoFactorRequirementEnabled: false,
    defaultRepositoryPermission: 'read',
    membersCanCreateRepositories: false,
    membersCanCreatePublicRepositories: false,
    membersCanCreatePrivateRepositories: false,
    webCommitSignoffRequired: false,
    advancedSecurityEnabledForNewRepositories: true,
    dependabotAlertsEnabledForNewRepositories: true,
    secretScanningEnabledForNewRepositories: true,
    plan: { name: 'enterprise', space: 976_562_499, privateRepos: 999_999, seats: 0, filledSeats: 0 },
  };
}

interface Accounts {
  members: GithubMember[];
  outside: GithubAccount[];
  former: GithubAccount[];
  /** Everyone with a GitHub login, by login, with the person behind it. */
  byLogin: Map<string, { account: GithubAccount; person: Person }>;
}

function buildAccounts(rng: SeededRandom, company: SyntheticCompany): Accounts {
  const usedIds = new Set<number>();
  const byLogin = new Map<string, { account: GithubAccount; person: Person }>();
  const members: GithubMember[] = [];
  const outside: GithubAccount[] = [];
  const former: GithubAccount[] = [];

  for (const person of company.people) {
    if (person.githubLogin === null) continue;
    let id = rng.int(1_000_000, 190_000_000);
    while (usedIds.has(id)) id += 1;
    usedIds.add(id);
    const account: GithubAccount = {
      login: person.githubLogin,
      id,
      nodeId: legacyNodeId('User', id),
      name: person.displayName,
      personId: person.id,
      twoFactorEnabled: true,
      twoFactorInsecure: false,
    };
    byLogin.set(account.login, { account, person });
    if (person.status === 'leaver') former.push(account);
    else if (person.employmentType === 'contractor') outside.push(account);
    else members.push({ ...account, role: 'member' });
  }

  // Owners: the CEO, CTO and CISO plus three engineering/security managers (or
  // anyone, if the company is too small to have those).
  const personOf = (m: GithubMember): Person => (byLogin.get(m.login) as { person: Person }).person;
  const executives = members.filter((m) =>
    ['Chief Executive Officer', 'Chief Technology Officer', 'Chief Information Security Officer'].includes(
      personOf(m).title,
    ),
  );
  const managers = rng.shuffle(
    members.filter((m) => /Manager$/.test(personOf(m).title) && !executives.includes(m)),
  );
  const rest = rng.shuffle(members.filter((m) => !executives.includes(m) && !managers.includes(m)));
  for (const admin of [...executives, ...managers, ...rest].slice(0, 6)) admin.role = 'admin';

  // Seeded violation: exactly three regular members without 2FA.
  for (const m of rng.sample(members.filter((x) => x.role === 'member'), githubSeededViolations.membersWithout2fa)) {
    m.twoFactorEnabled = false;
  }

  const byId = (a: { id: number }, b: { id: number }): number => a.id - b.id;
  return { members: members.sort(byId), outside: outside.sort(byId), former: former.sort(byId), byLogin };
}

function buildRepositories(rng: SeededRandom, company: SyntheticCompany, nowMs: number): GithubRepository[] {
  const target = Math.max(12, Math.round(60 * company.scale));
  const names: string[] = [...REPOSITORY_NAMES];
  const extras = rng.shuffle(EXTRA_NAME_AREAS.flatMap((a) => EXTRA_NAME_KINDS.map((k) => `${a}-${k}`)));
  for (let i = 0; names.length < target; i++) {
    const base = extras[i % extras.length] as string;
    const name = i < extras.length ? base : `${base}-${Math.floor(i / extras.length) + 1}`;
    if (!names.includes(name)) names.push(name);
  }
  // Keep the archive candidates when scaling down.
  const chosen = names.length > target
    ? [...ARCHIVE_CANDIDATES, ...rng.sample(names.filter((n) => !(ARCHIVE_CANDIDATES as readonly string[]).includes(n)), target - ARCHIVE_CANDIDATES.length)]
    : names;

  const archivedCount = Math.max(1, Math.round(3 * company.scale));
  const archived = new Set<string>([
    ...ARCHIVE_CANDIDATES.slice(0, archivedCount),
    ...rng.sample(chosen.filter((n) => !(ARCHIVE_CANDIDATES as readonly string[]).includes(n)), Math.max(0, archivedCount - ARCHIVE_CANDIDATES.length)),
  ]);
  const foundedMs = parseIso(company.foundedOn);

  const drafts = chosen.map((name) => {
    const isArchived = archived.has(name);
    const createdMs = isArchived
      ? foundedMs + rng.int(30, 900) * DAY_MS
      : foundedMs + rng.int(30, Math.max(31, Math.floor((nowMs - foundedMs) / DAY_MS) - 260)) * DAY_MS;
    return { name, isArchived, createdMs: createdMs + rng.int(0, 86_399) * 1000 };
  });
  // Repository ids grow with creation time, as on GitHub.
  drafts.sort((a, b) => a.createdMs - b.createdMs || a.name.localeCompare(b.name));
  let nextId = rng.int(150_000_000, 250_000_000);

  const repos = drafts.map((d): GithubRepository => {
    // Steps shrink with scale so ids stay within GraphQL's 32-bit Int (as GitHub's do).
    nextId += Math.ceil(rng.int(1_000, 3_000_000) / Math.max(1, company.scale));
    const visibility: GithubVisibility = PUBLIC_REPOSITORIES.has(d.name)
      ? 'public'
      : rng.chance(0.15)
        ? 'internal'
        : 'private';
    let pushedMs = nowMs;
    let archivedAt: string | null = null;
    if (d.isArchived) {
      pushedMs = Math.min(d.createdMs + rng.int(20, 400) * DAY_MS, nowMs - 400 * DAY_MS);
      archivedAt = isoSeconds(Math.min(pushedMs + rng.int(30, 150) * DAY_MS, nowMs - 220 * DAY_MS));
    }
    return {
      id: nextId,
      nodeId: legacyNodeId('Repository', nextId),
      name: d.name,
      description: `Acme Robotics ${d.name.replace(/-/g, ' ')}`,
      language: rng.pick(LANGUAGES),
      visibility,
      archived: d.isArchived,
      defaultBranch: 'main',
      otherBranches: [],
      createdAt: isoSeconds(d.createdMs),
      updatedAt: isoSeconds(pushedMs),
      pushedAt: isoSeconds(pushedMs),
      archivedAt,
      classicProtection: null,
      vulnerabilityAlertsEnabled: true,
    };
  });

  // A couple of older, still-active repositories never renamed `master`.
  const masterCount = Math.max(2, Math.round(2 * company.scale));
  const activeOldest = repos.filter((r) => !r.archived).slice(0, Math.max(masterCount * 4, 8));
  for (const repo of rng.sample(activeOldest, masterCount)) repo.defaultBranch = 'master';
  for (const repo of repos) if (!repo.archived && rng.chance(0.2)) repo.otherBranches.push('release/1.x');

  return repos.sort((a, b) => a.name.localeCompare(b.name));
}

interface Protection {
  rulesets: GithubRuleset[];
  unprotected: string;
  /** Repository name → approvals required on the default branch (0 if unprotected). */
  requiredApprovals: Map<string, number>;
  /** A classic-protected repo without admin enforcement (for the approved-after-merge PR). */
  adminBypassRepo: string;
}

/**
 * Protects every non-archived repository except one: ~1/3 via rulesets
 * (half of those by one organization ruleset, half by repository rulesets),
 * the rest via classic protection, some with an extra ruleset that does not
 * itself require reviews. Archived repositories are left unprotected.
 */
function assignProtection(
  rng: SeededRandom,
  company: SyntheticCompany,
  repos: GithubRepository[],
): Protection {
  const active = repos.filter((r) => !r.archived);
  const unprotected = rng.pick(active.filter((r) => r.defaultBranch === 'main' && r.visibility === 'private'));
  const protectedRepos = active.filter((r) => r !== unprotected);

  // One `master` repository in each protection style, the rest shuffled.
  const masters = protectedRepos.filter((r) => r.defaultBranch === 'master');
  const others = rng.shuffle(protectedRepos.filter((r) => r.defaultBranch !== 'master'));
  const rulesetCount = Math.round(protectedRepos.length / 3);
  const rulesetRepos = [...masters.slice(1), ...others.slice(0, Math.max(0, rulesetCount - masters.length + 1))];
  const classicRepos = protectedRepos.filter((r) => !rulesetRepos.includes(r));
  const orgCovered = rulesetRepos.slice(0, Math.ceil(rulesetRepos.length / 2));
  const repoCovered = rulesetRepos.slice(orgCovered.length);

  const requiredApprovals = new Map<string, number>(active.map((r) => [r.name, 0]));
  const raise = (name: string, n: number): void => {
    requiredApprovals.set(name, Math.max(requiredApprovals.get(name) ?? 0, n));
  };

  let nextRuleId = rng.int(100_000, 900_000);
  const rulesetId = (): number => (nextRuleId += rng.int(1, 5_000));
  const contexts = (): string[] => rng.pick([['ci/test'], ['ci/test', 'ci/lint'], ['build'], ['build', 'e2e']]);
  const pullRequestRule = (count: number): GithubRulesetRule => ({
    type: 'pull_request',
    parameters: {
      required_approving_review_count: count,
      dismiss_stale_reviews_on_push: rng.chance(0.6),
      require_code_owner_review: rng.chance(0.3),
      require_last_push_approval: rng.chance(0.2),
      required_review_thread_resolution: rng.chance(0.3),
    },
  });
  const statusChecksRule = (): GithubRulesetRule => ({
    type: 'required_status_checks',
    parameters: {
      strict_required_status_checks_policy: rng.chance(0.5),
      do_not_enforce_on_create: false,
      required_status_checks: contexts().map((context) => ({ context })),
    },
  });

  const rulesets: GithubRuleset[] = [];
  if (orgCovered.length > 0) {
    rulesets.push({
      id: rulesetId(),
      name: 'acme-default-branch',
      sourceType: 'Organization',
      source: company.githubOrg,
      enforcement: 'active',
      refName: { include: ['~DEFAULT_BRANCH'], exclude: [] },
      repositories: orgCovered.map((r) => r.name).sort(),
      rules: [
        { type: 'deletion' },
        { type: 'non_fast_forward' },
        {
          type: 'pull_request',
          parameters: {
            required_approving_review_count: 1,
            dismiss_stale_reviews_on_push: true,
            require_code_owner_review: false,
            require_last_push_approval: false,
            required_review_thread_resolution: false,
          },
        },
      ],
    });
    for (const r of orgCovered) raise(r.name, 1);
  }
  for (const repo of repoCovered) {
    const count = rng.chance(0.25) ? 2 : 1;
    const rules: GithubRulesetRule[] = [{ type: 'deletion' }, { type: 'non_fast_forward' }, pullRequestRule(count)];
    if (rng.chance(0.7)) rules.push(statusChecksRule());
    if (rng.chance(0.2)) rules.push({ type: 'required_linear_history' });
    rulesets.push(repoRuleset(company, repo, rulesetId(), 'Protect default branch', rules));
    raise(repo.name, count);
  }
  // Some org-covered repos add their own CI requirement on top.
  for (const repo of orgCovered) {
    if (rng.chance(0.3)) rulesets.push(repoRuleset(company, repo, rulesetId(), 'Required CI', [statusChecksRule()]));
  }

  const adminBypassRepo = rng.pick(classicRepos);
  for (const repo of classicRepos) {
    const count = repo === adminBypassRepo ? 1 : rng.chance(0.25) ? 2 : 1;
    const checks = rng.chance(0.8);
    repo.classicProtection = {
      id: rng.int(10_000_000, 40_000_000),
      nodeId: '',
      pattern: repo.defaultBranch,
      requiresApprovingReviews: true,
      requiredApprovingReviewCount: count,
      dismissesStaleReviews: rng.chance(0.6),
      requiresCodeOwnerReviews: rng.chance(0.3),
      requiresStatusChecks: checks,
      requiresStrictStatusChecks: checks && rng.chance(0.5),
      requiredStatusCheckContexts: checks ? contexts() : [],
      // The approved-after-merge PR was merged by an admin bypassing review.
      isAdminEnforced: repo === adminBypassRepo ? false : rng.chance(0.4),
      allowsForcePushes: false,
      allowsDeletions: false,
      requiresLinearHistory: rng.chance(0.2),
      requiresConversationResolution: rng.chance(0.3),
    };
    repo.classicProtection.nodeId = legacyNodeId('BranchProtectionRule', repo.classicProtection.id);
    raise(repo.name, count);
    // "and/or": some classic repos also carry a ruleset without a review rule.
    if (rng.chance(0.2)) {
      const rules: GithubRulesetRule[] = rng.chance(0.5)
        ? [{ type: 'deletion' }, { type: 'non_fast_forward' }]
        : [statusChecksRule()];
      rulesets.push(repoRuleset(company, repo, rulesetId(), rules[0]?.type === 'deletion' ? 'Block force pushes' : 'Required CI', rules));
    }
  }

  return {
    rulesets: rulesets.sort((a, b) => a.id - b.id),
    unprotected: unprotected.name,
    requiredApprovals,
    adminBypassRepo: adminBypassRepo.name,
  };
}

function repoRuleset(
  company: SyntheticCompany,
  repo: GithubRepository,
  id: number,
  name: string,
  rules: GithubRulesetRule[],
  refName: GithubRuleset['refName'] = { include: ['~DEFAULT_BRANCH'], exclude: [] },
): GithubRuleset {
  return {
    id,
    name,
    sourceType: 'Repository',
    source: `${company.githubOrg}/${repo.name}`,
    enforcement: 'active',
    refName,
    repositories: [repo.name],
    rules,
  };
}

/** Gives each outside collaborator access to 1–3 non-public repositories; all five permission levels occur. */
function grantOutsideAccess(
  rng: SeededRandom,
  outside: GithubAccount[],
  active: GithubRepository[],
): GithubOutsideCollaborator[] {
  const candidates = active.filter((r) => r.visibility !== 'public');
  const rotation: GithubRepositoryPermission[] = ['push', 'pull', 'triage', 'maintain', 'admin'];
  let granted = 0;
  return outside.map((account) => {
    const repos = rng.sample(candidates, rng.int(1, 3)).sort((a, b) => a.name.localeCompare(b.name));
    return {
      ...account,
      access: repos.map((r) => {
        // Cycle through every level first so each appears at least once, then mostly push/pull.
        const permission =
          granted < rotation.length
            ? (rotation[granted] as GithubRepositoryPermission)
            : rng.pick<GithubRepositoryPermission>(['push', 'push', 'push', 'pull', 'pull', 'triage', 'maintain']);
        granted += 1;
        return { repository: r.name, permission };
      }),
    };
  });
}

interface PullRequestResult {
  pullRequests: GithubPullRequest[];
  withoutApproval: GithubPullRequestRef;
  approvedAfterMerge: GithubPullRequestRef;
}

interface DraftReview {
  author: string;
  state: GithubReviewState;
  atMs: number;
}

interface DraftPull {
  repository: string;
  title: string;
  author: string;
  mergedBy: string;
  baseRefName: string;
  headRefName: string;
  createdMs: number;
  mergedMs: number;
  updatedMs: number;
  reviews: DraftReview[];
  mergeCommitOid: string;
}

/**
 * ~5 merged PRs per active repository over the last 180 days. Authors and
 * reviewers are engineering/security GitHub users employed at the time
 * (leavers included, so historical logins outside the current org appear).
 * Each PR gets at least as many approvals from non-authors, before merge, as
 * its base branch requires (and ≥1 even where nothing is required) — except
 * the two seeded violations.
 */
function buildPullRequests(
  rng: SeededRandom,
  nowMs: number,
  active: GithubRepository[],
  protection: Protection,
  accounts: Accounts,
): PullRequestResult {
  const contributors = [...accounts.byLogin.values()]
    .filter(({ person }) => person.employmentType === 'employee' && person.githubLogin !== null)
    .map(({ account, person }) => ({
      login: account.login,
      startMs: parseIso(person.startDate),
      endMs: person.endDate === null ? Number.POSITIVE_INFINITY : parseIso(person.endDate) + DAY_MS,
    }));
  const employedDuring = (fromMs: number, toMs: number): string[] =>
    contributors.filter((c) => c.startMs <= fromMs && c.endMs >= toMs).map((c) => c.login);
  const minute = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;
  const between = (fromMs: number, toMs: number): number => minute(fromMs + rng.next() * Math.max(0, toMs - fromMs));

  const drafts: DraftPull[] = [];
  for (const repo of active) {
    const required = protection.requiredApprovals.get(repo.name) ?? 0;
    const count = rng.int(3, 7);
    for (let i = 0; i < count; i++) {
      // The first PR of each repo targets the default branch and is at least
      // two days old, so seeded violations always have a candidate.
      const mergedMs = minute(nowMs - rng.int(i === 0 ? 2 * 24 * 60 : 60, 179 * 24 * 60) * MINUTE_MS);
      const createdMs = minute(mergedMs - rng.int(45, 6 * 24 * 60) * MINUTE_MS);
      const people = employedDuring(createdMs, mergedMs + 3 * DAY_MS);
      const author = rng.pick(people);
      const others = people.filter((l) => l !== author);
      const base =
        i > 0 && repo.otherBranches.length > 0 && rng.chance(0.25) ? rng.pick(repo.otherBranches) : repo.defaultBranch;
      const needed = Math.max(1, base === repo.defaultBranch ? required : 1) + (rng.chance(0.15) ? 1 : 0);
      const approvers = rng.sample(others, needed);
      const reviews: DraftReview[] = [];
      const firstReview = createdMs + 10 * MINUTE_MS;
      for (const approver of approvers) {
        const at = between(firstReview + 5 * MINUTE_MS, mergedMs - MINUTE_MS);
        reviews.push({ author: approver, state: 'APPROVED', atMs: at });
        if (rng.chance(0.3)) {
          reviews.push({ author: approver, state: 'CHANGES_REQUESTED', atMs: between(firstReview, at - MINUTE_MS) });
        }
      }
      if (rng.chance(0.05)) {
        // An early approval later dismissed by a push; fresh approvals above still count.
        const earliest = Math.min(...reviews.map((r) => r.atMs));
        reviews.push({ author: rng.pick(others), state: 'DISMISSED', atMs: between(createdMs + MINUTE_MS, earliest - MINUTE_MS) });
      }
      if (rng.chance(0.25)) {
        reviews.push({ author: rng.pick(others), state: 'COMMENTED', atMs: between(createdMs + MINUTE_MS, mergedMs - MINUTE_MS) });
      }
      if (rng.chance(0.06)) {
        reviews.push({ author: rng.pick(others), state: 'COMMENTED', atMs: between(mergedMs + 10 * MINUTE_MS, Math.min(nowMs, mergedMs + 2 * DAY_MS)) });
      }
      const slug = rng.pick(['fix', 'feat', 'chore', 'refactor']);
      drafts.push({
        repository: repo.name,
        title: rng.pick(PR_TITLES).replace('{area}', repo.name.split('-')[0] ?? repo.name),
        author,
        mergedBy: rng.chance(0.6) ? author : (approvers[0] ?? author),
        baseRefName: base,
        headRefName: `${author}/${slug}-${rng.hex(6)}`,
        createdMs,
        mergedMs,
        updatedMs: mergedMs,
        reviews,
        mergeCommitOid: rng.hex(40),
      });
    }
  }

  // --- Seeded violation 1: a PR in the unprotected repo with only a COMMENTED review.
  const onDefault = (repoName: string): DraftPull[] => {
    const repo = active.find((r) => r.name === repoName) as GithubRepository;
    return drafts.filter((d) => d.repository === repoName && d.baseRefName === repo.defaultBranch && d.mergedMs < nowMs - DAY_MS);
  };
  // Seeded violations land in the last 60 days, inside the connector's default 90-day look-back,
  // so the demo and tests find them at every scale.
  const recent = (draft: DraftPull): DraftPull => {
    if (draft.mergedMs >= nowMs - 60 * DAY_MS) return draft;
    const duration = draft.mergedMs - draft.createdMs;
    draft.mergedMs = minute(nowMs - rng.int(2 * 24 * 60, 60 * 24 * 60) * MINUTE_MS);
    draft.createdMs = draft.mergedMs - duration;
    return draft;
  };
  const noApproval = recent(rng.pick(onDefault(protection.unprotected)));
  const commenter = rng.pick(employedDuring(noApproval.createdMs, noApproval.mergedMs).filter((l) => l !== noApproval.author));
  noApproval.reviews = [{ author: commenter, state: 'COMMENTED', atMs: between(noApproval.createdMs + MINUTE_MS, noApproval.mergedMs - MINUTE_MS) }];
  noApproval.mergedBy = noApproval.author;

  // --- Seeded violation 2: admin-merged without review, approved hours later.
  const afterMerge = recent(rng.pick(onDefault(protection.adminBypassRepo)));
  const admins = accounts.members.filter((m) => m.role === 'admin' && m.login !== afterMerge.author).map((m) => m.login);
  const employed = new Set(employedDuring(afterMerge.createdMs, afterMerge.mergedMs + DAY_MS));
  afterMerge.mergedBy = rng.pick(admins);
  const lateApprover = rng.pick([...employed].filter((l) => l !== afterMerge.author && l !== afterMerge.mergedBy));
  afterMerge.reviews = [{ author: lateApprover, state: 'APPROVED', atMs: afterMerge.mergedMs + rng.int(60, 20 * 60) * MINUTE_MS }];

  for (const d of drafts) {
    d.reviews.sort((a, b) => a.atMs - b.atMs || a.author.localeCompare(b.author));
    const lastReview = Math.max(d.mergedMs, ...d.reviews.map((r) => r.atMs));
    d.updatedMs = Math.min(nowMs, lastReview + rng.int(0, 30) * MINUTE_MS);
  }

  // Numbers are per repository in creation order (with gaps for issues and
  // closed PRs); ids are global in creation order.
  const numbers = new Map<DraftPull, number>();
  for (const repo of active) {
    let n = rng.int(12, 600);
    const own = drafts.filter((d) => d.repository === repo.name).sort((a, b) => a.createdMs - b.createdMs);
    for (const d of own) {
      numbers.set(d, n);
      n += rng.int(1, 4);
    }
  }
  let prId = rng.int(1_500_000_000, 1_900_000_000);
  let reviewId = rng.int(2_000_000_000, 2_400_000_000);
  const byCreation = drafts.slice().sort((a, b) => a.createdMs - b.createdMs || a.repository.localeCompare(b.repository));
  const pullRequests = byCreation.map((d): GithubPullRequest => {
    prId += Math.ceil(rng.int(1_000, 400_000) / Math.max(1, active.length / 57));
    return {
      id: prId,
      nodeId: legacyNodeId('PullRequest', prId),
      repository: d.repository,
      number: numbers.get(d) as number,
      title: d.title,
      author: d.author,
      mergedBy: d.mergedBy,
      baseRefName: d.baseRefName,
      headRefName: d.headRefName,
      createdAt: isoSeconds(d.createdMs),
      updatedAt: isoSeconds(d.updatedMs),
      mergedAt: isoSeconds(d.mergedMs),
      mergeCommitOid: d.mergeCommitOid,
      reviews: d.reviews.map((r) => {
        reviewId += rng.int(1, 50_000);
        return {
          id: reviewId,
          nodeId: legacyNodeId('PullRequestReview', reviewId),
          author: r.author,
          state: r.state,
          submittedAt: isoSeconds(r.atMs),
        };
      }),
    };
  });
  pullRequests.sort((a, b) => a.repository.localeCompare(b.repository) || a.number - b.number);

  return {
    pullRequests,
    withoutApproval: { repository: noApproval.repository, number: numbers.get(noApproval) as number },
    approvedAfterMerge: { repository: afterMerge.repository, number: numbers.get(afterMerge) as number },
  };
}

/** How many alerts of one kind to create and how old they are. */
interface AlertBucket {
  severity: AlertSeverity;
  count: number;
  minAgeDays: number;
  maxAgeDays: number;
  state: GithubAlertState;
  /** Max repositories sharing one advisory. */
  spread: number;
  dismissedReason?: NonNullable<GithubDependabotAlert['dismissedReason']>;
}

function buildDependabotAlerts(
  rng: SeededRandom,
  nowMs: number,
  active: GithubRepository[],
  scale: number,
  members: GithubMember[],
): { alerts: GithubDependabotAlert[]; stale: GithubDependabotAlert } {
  const openTotal = Math.max(15, Math.round(40 * scale));
  const freshCritical = Math.max(1, Math.round(2 * scale));
  const freshHigh = Math.max(2, Math.round(7 * scale));
  const medium = Math.round(16 * scale);
  const low = Math.max(1, openTotal - 1 - freshCritical - freshHigh - medium);
  const freshMax = githubSeededViolations.freshCriticalHighMaxAgeDays - 1;
  const repeat = Math.max(1, Math.round(scale));

  const buckets: AlertBucket[] = [
    // The seeded stale critical alert comes first so it is easy to find below.
    { severity: 'critical', count: 1, minAgeDays: 125, maxAgeDays: 170, state: 'open', spread: 1 },
    { severity: 'critical', count: freshCritical, minAgeDays: 0.5, maxAgeDays: freshMax, state: 'open', spread: 2 },
    { severity: 'high', count: freshHigh, minAgeDays: 0.5, maxAgeDays: freshMax, state: 'open', spread: 3 },
    { severity: 'medium', count: medium, minAgeDays: 0.5, maxAgeDays: 199, state: 'open', spread: 3 },
    { severity: 'low', count: low, minAgeDays: 0.5, maxAgeDays: 199, state: 'open', spread: 3 },
    // Decoys: old critical/high alerts that are no longer open.
    { severity: 'critical', count: repeat, minAgeDays: 140, maxAgeDays: 160, state: 'fixed', spread: 1 },
    { severity: 'high', count: repeat, minAgeDays: 30, maxAgeDays: 90, state: 'fixed', spread: 1 },
    { severity: 'medium', count: 2 * repeat, minAgeDays: 20, maxAgeDays: 199, state: 'fixed', spread: 2 },
    { severity: 'low', count: repeat, minAgeDays: 20, maxAgeDays: 199, state: 'fixed', spread: 1 },
    { severity: 'high', count: repeat, minAgeDays: 40, maxAgeDays: 120, state: 'dismissed', spread: 1, dismissedReason: 'tolerable_risk' },
    { severity: 'medium', count: repeat, minAgeDays: 20, maxAgeDays: 199, state: 'dismissed', spread: 1, dismissedReason: 'not_used' },
    { severity: 'low', count: repeat, minAgeDays: 20, maxAgeDays: 199, state: 'dismissed', spread: 1, dismissedReason: 'inaccurate' },
  ];

  const dismissers = members.filter((m) => m.role === 'admin').map((m) => m.login);
  const usedGhsa = new Set<string>();
  const drafts: (Omit<GithubDependabotAlert, 'number'> & { createdMs: number })[] = [];
  for (const bucket of buckets) {
    let remaining = bucket.count;
    while (remaining > 0) {
      const k = Math.min(remaining, rng.int(1, bucket.spread));
      remaining -= k;
      // Advisory published shortly before the alerts it raised.
      const publishedMs = nowMs - rng.float(bucket.minAgeDays + 2 / 24, bucket.maxAgeDays) * DAY_MS;
      const advisory = makeAdvisory(rng, bucket.severity, publishedMs, nowMs, usedGhsa);
      const pkg = VULNERABLE_PACKAGES.find((p) => p.name === advisory.packageName);
      for (const repo of rng.sample(active, k)) {
        // Jitter keeps clamped alerts from landing on round timestamps.
        const latest = nowMs - bucket.minAgeDays * DAY_MS - rng.int(1, 600) * MINUTE_MS;
        const createdMs = Math.floor(Math.min(publishedMs + rng.int(10, 48 * 60) * MINUTE_MS, latest) / 1000) * 1000;
        let fixedAt: string | null = null;
        let dismissedAt: string | null = null;
        let updatedMs = createdMs;
        if (bucket.state === 'fixed') {
          updatedMs = Math.min(createdMs + rng.int(1, 20) * DAY_MS, nowMs - HOUR_MS);
          fixedAt = isoSeconds(updatedMs);
        } else if (bucket.state === 'dismissed') {
          updatedMs = Math.min(createdMs + rng.int(1, 10) * DAY_MS, nowMs - HOUR_MS);
          dismissedAt = isoSeconds(updatedMs);
        }
        drafts.push({
          repository: repo.name,
          state: bucket.state,
          manifestPath: rng.pick(pkg?.manifests ?? ['package-lock.json']),
          scope: rng.chance(0.8) ? 'runtime' : 'development',
          advisory: { ...advisory, cwes: advisory.cwes.map((c) => ({ ...c })), cvss: { ...advisory.cvss } },
          createdAt: isoSeconds(createdMs),
          updatedAt: isoSeconds(updatedMs),
          fixedAt,
          dismissedAt,
          dismissedBy: bucket.state === 'dismissed' ? rng.pick(dismissers) : null,
          dismissedReason: bucket.dismissedReason ?? null,
          dismissedComment:
            bucket.state === 'dismissed' ? `Dismissed after review (${bucket.dismissedReason ?? 'other'}).` : null,
          createdMs,
        });
      }
    }
  }

  // Per-repository numbering in creation order; some earlier alerts are long gone.
  const numbered = new Map<(typeof drafts)[number], number>();
  for (const repo of active) {
    let n = rng.int(1, 30);
    for (const d of drafts.filter((x) => x.repository === repo.name).sort((a, b) => a.createdMs - b.createdMs)) {
      numbered.set(d, n);
      n += rng.int(1, 3);
    }
  }
  const alerts = drafts.map((draft): GithubDependabotAlert => {
    const { createdMs: _createdMs, ...alert } = draft;
    return { ...alert, number: numbered.get(draft) as number };
  });
  // The first bucket holds exactly the seeded stale critical alert.
  const stale = alerts[0] as GithubDependabotAlert;
  alerts.sort(
    (a, b) =>
      parseIso(b.createdAt) - parseIso(a.createdAt) || a.repository.localeCompare(b.repository) || a.number - b.number,
  );
  return { alerts, stale };
}

const GHSA_ALPHABET = '23456789cfghjmpqrvwx';

function makeAdvisory(
  rng: SeededRandom,
  severity: AlertSeverity,
  publishedMs: number,
  nowMs: number,
  used: Set<string>,
): GithubSecurityAdvisory {
  let ghsaId = '';
  do {
    const seg = (): string => Array.from({ length: 4 }, () => rng.pick([...GHSA_ALPHABET])).join('');
    ghsaId = `GHSA-${seg()}-${seg()}-${seg()}`;
  } while (used.has(ghsaId));
  used.add(ghsaId);

  const pkg = rng.pick(VULNERABLE_PACKAGES);
  const weakness = rng.pick(WEAKNESSES);
  const cvss = rng.pick(CVSS_BY_SEVERITY[severity]);
  const major = rng.int(0, 6);
  const minor = rng.int(0, 20);
  const patched = `${major}.${minor}.${rng.int(1, 15)}`;
  const range = rng.chance(0.5) ? `< ${patched}` : `>= ${major}.${Math.max(0, minor - rng.int(1, 5))}.0, < ${patched}`;
  const year = new Date(publishedMs).getUTCFullYear();
  const summary = `${weakness.phrase} in ${pkg.name}`;
  return {
    ghsaId,
    // Some advisories are GHSA-only, as on GitHub.
    cveId: rng.chance(0.85) ? `CVE-${year}-${rng.int(20_000, 59_999)}` : null,
    summary,
    description:
      `${summary}. Versions of ${pkg.name} ${range} are affected; upgrade to ${patched} or later.\n\n` +
      'This advisory is synthetic: it was generated by the Annexa sandbox and does not describe a real vulnerability.',
    severity,
    cvss: { ...cvss },
    cwes: [{ cweId: weakness.cweId, name: weakness.cweName }],
    ecosystem: pkg.ecosystem,
    packageName: pkg.name,
    vulnerableVersionRange: range,
    firstPatchedVersion: patched,
    publishedAt: isoSeconds(publishedMs),
    updatedAt: isoSeconds(Math.min(nowMs - HOUR_MS, publishedMs + rng.int(0, 5 * 24) * HOUR_MS)),
  };
}
