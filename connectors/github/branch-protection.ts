import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import { mapOrdered } from '../../src/core/concurrency.js';
import { CollectError } from '../../src/core/errors.js';
import type { GitHubApi } from './client.js';
import type { GitHubSettings } from './settings.js';
import { branchRule, type RepositoryNode, type RulesetNode } from './api-schemas.js';
import { refNameSelects } from './ref-name.js';

const classicProtection = z
  .object({
    pattern: z.string().describe('Branch name pattern of the classic protection rule that matches the default branch.'),
    requiresApprovingReviews: z.boolean().describe('Pull requests need approving reviews before merge.'),
    requiredApprovingReviewCount: z.number().nullable().describe('How many approvals are required.'),
    dismissesStaleReviews: z.boolean().describe('New commits dismiss earlier approvals.'),
    requiresCodeOwnerReviews: z.boolean().describe('A code owner must approve.'),
    requiresStatusChecks: z.boolean().describe('Status checks must pass before merge.'),
    requiresStrictStatusChecks: z.boolean().describe('The branch must be up to date before merge.'),
    requiredStatusChecks: z.array(z.string()).describe('Names of the required status checks.'),
    enforceAdmins: z.boolean().describe('The rule also applies to administrators.'),
    allowsForcePushes: z.boolean().describe('Force pushes are allowed.'),
    allowsDeletions: z.boolean().describe('The branch may be deleted.'),
  })
  .describe('Classic branch protection rule on the default branch, or null when there is none.');

const ruleset = z.object({
  rulesetId: z.number().nullable().describe('Ruleset id.'),
  source: z.string().nullable().describe('Where the ruleset is defined (repository owner/name or organization login).'),
  sourceType: z.string().nullable().describe('Repository or Organization.'),
  pullRequest: z
    .object({
      requiredApprovingReviewCount: z.number().describe('Approvals required by the ruleset.'),
      dismissStaleReviewsOnPush: z.boolean().describe('New pushes dismiss earlier approvals.'),
      requireCodeOwnerReview: z.boolean().describe('A code owner must approve.'),
      requireLastPushApproval: z.boolean().describe('The last push must be approved by someone other than its author.'),
    })
    .nullable()
    .describe('The pull_request rule, or null when the ruleset has none.'),
  requiredStatusChecks: z.array(z.string()).nullable().describe('Required status check contexts, or null when there is no such rule.'),
  blocksForcePushes: z.boolean().describe('A non_fast_forward rule blocks force pushes.'),
  blocksDeletion: z.boolean().describe('A deletion rule blocks deleting the branch.'),
  otherRules: z.array(z.string()).describe('Types of any other active rules (for example required_signatures).'),
});
type Ruleset = z.output<typeof ruleset>;

export const branchProtectionPayload = z.object({
  repository: z.string().describe('owner/name.'),
  archived: z.boolean().describe('Archived repositories are read-only.'),
  visibility: z.string().describe('PRIVATE, INTERNAL or PUBLIC.'),
  defaultBranch: z.string().nullable().describe('Default branch name; null for an empty repository.'),
  classic: classicProtection.nullable(),
  rulesets: z.array(ruleset).describe('Active rulesets (repository and organization level) that GitHub applies to the default branch.'),
});

/**
 * GitHub's own evaluations asked for at once: the default sample of 5 in one round, at the end of
 * the repository listing where little else is in flight (the HTTP queue bounds the instance).
 */
const rulesAtOnce = 10;

/**
 * Rulesets come with the repository pages (GraphQL `Repository.rulesets`: GitHub has already
 * applied their repository conditions); which of them apply to the default branch is decided here
 * from enforcement, target and the ref-name condition. GitHub's own per-branch evaluation
 * (`GET /repos/{o}/{r}/rules/branches/{b}`) stays the referee: a sample of repositories is
 * cross-checked against it every run, and repositories whose rulesets did not fit in the page
 * (more than 10 rulesets or 25 rules in one) are read from it directly.
 */
export const branchProtectionCollector = defineCollector<GitHubApi, GitHubSettings, typeof branchProtectionPayload>({
  id: 'branch_protection',
  kind: 'github.branch_protection.v1',
  title: 'Default branch protection',
  description:
    'For every repository, the classic protection rule and the active rulesets on its default branch: required reviews, stale-review dismissal, status checks, admin enforcement, force-push and deletion rules.',
  subject: 'repository owner/name',
  ttlHours: 36,
  payload: branchProtectionPayload,
  async *collect({ client, config, clock }) {
    // Each page is evaluated as it arrives, so the end of the listing leaves only the sample to pick.
    const repos: { repo: RepositoryNode; requests: RequestRef[]; rulesets: Ruleset[] | undefined }[] = [];
    for await (const page of client.repositoryListing().read()) {
      for (const repo of page.items) repos.push({ repo, requests: [page.request], rulesets: localRulesets(repo) });
    }
    const sample = new Set(crossCheckSample(repos.filter((r) => r.rulesets !== undefined).map((r) => r.repo), config.rulesets.crossCheckSample, clock.now()));
    const fromGitHub = repos.filter((r) => r.repo.defaultBranchRef && (r.rulesets === undefined || sample.has(r.repo)));
    // Checked before anything is yielded: a disagreement fails the collector without a partial record set.
    for await (const { entry, rules, request } of mapOrdered(fromGitHub, rulesAtOnce, async (entry) => ({ entry, ...(await branchRules(client, entry.repo)) }))) {
      const evaluatedByGitHub = groupRules(rules);
      if (entry.rulesets !== undefined && signature(entry.rulesets) !== signature(evaluatedByGitHub)) {
        throw new CollectError(
          'cross_check_failed',
          `ruleset cross-check failed for ${entry.repo.nameWithOwner}: GitHub applies [${signature(evaluatedByGitHub)}] to ${entry.repo.defaultBranchRef!.name}, the local evaluation found [${signature(entry.rulesets)}]`,
          { endpoint: request.url },
        );
      }
      entry.rulesets ??= evaluatedByGitHub;
      entry.requests.push(request);
    }
    for (const { repo, requests, rulesets } of repos) {
      const rule = repo.defaultBranchRef?.branchProtectionRule ?? null;
      yield {
        subject: repo.nameWithOwner,
        requests,
        payload: {
          repository: repo.nameWithOwner,
          archived: repo.isArchived,
          visibility: repo.visibility,
          defaultBranch: repo.defaultBranchRef?.name ?? null,
          classic: rule && {
            pattern: rule.pattern,
            requiresApprovingReviews: rule.requiresApprovingReviews,
            requiredApprovingReviewCount: rule.requiredApprovingReviewCount,
            dismissesStaleReviews: rule.dismissesStaleReviews,
            requiresCodeOwnerReviews: rule.requiresCodeOwnerReviews,
            requiresStatusChecks: rule.requiresStatusChecks,
            requiresStrictStatusChecks: rule.requiresStrictStatusChecks,
            requiredStatusChecks: rule.requiredStatusCheckContexts ?? [],
            enforceAdmins: rule.isAdminEnforced,
            allowsForcePushes: rule.allowsForcePushes,
            allowsDeletions: rule.allowsDeletions,
          },
          rulesets: rulesets ?? [],
        },
      };
    }
  },
});

/**
 * The active branch rulesets that select the default branch, or undefined when the page did not
 * hold all of them (then GitHub's per-branch endpoint is asked instead).
 */
function localRulesets(repo: RepositoryNode): Ruleset[] | undefined {
  const branch = repo.defaultBranchRef?.name;
  if (!branch) return [];
  const listed = repo.rulesets;
  if (!listed || listed.totalCount > listed.nodes.length || listed.nodes.some((rs) => rs.rules.totalCount > rs.rules.nodes.length)) return undefined;
  return listed.nodes
    .filter((rs) => rs.enforcement === 'ACTIVE' && rs.target === 'BRANCH' && refNameSelects(rs.conditions.refName, branch, branch))
    .map(fromGraphql)
    .sort(byRulesetId);
}

function fromGraphql(rs: RulesetNode): Ruleset {
  const set = emptyRuleset(rs.databaseId, rs.source.login ?? rs.source.nameWithOwner ?? null, rs.source.__typename);
  for (const rule of rs.rules.nodes) {
    const p = rule.parameters;
    addRule(set, rule.type.toLowerCase(), {
      required_approving_review_count: p?.requiredApprovingReviewCount,
      dismiss_stale_reviews_on_push: p?.dismissStaleReviewsOnPush,
      require_code_owner_review: p?.requireCodeOwnerReview,
      require_last_push_approval: p?.requireLastPushApproval,
      required_status_checks: p?.requiredStatusChecks,
    });
  }
  return set;
}

/** GitHub's own evaluation of the rules on the default branch (REST, paginated). */
async function branchRules(client: GitHubApi, repo: RepositoryNode): Promise<{ rules: z.output<typeof branchRule>[]; request: RequestRef }> {
  const [owner, name] = repo.nameWithOwner.split('/') as [string, string];
  const rules: z.output<typeof branchRule>[] = [];
  let request: RequestRef | undefined;
  for await (const page of client.paginate('GET /repos/{owner}/{repo}/rules/branches/{branch}', { owner, repo: name, branch: repo.defaultBranchRef!.name }, branchRule)) {
    request ??= page.request;
    rules.push(...page.items);
  }
  return { rules, request: request! };
}

/** REST rules come back flat; group them by the ruleset they belong to. */
function groupRules(rules: z.output<typeof branchRule>[]): Ruleset[] {
  const byId = new Map<string, Ruleset>();
  for (const rule of rules) {
    const key = `${rule.ruleset_source_type}:${rule.ruleset_source}:${rule.ruleset_id}`;
    let set = byId.get(key);
    if (!set) byId.set(key, (set = emptyRuleset(rule.ruleset_id ?? null, rule.ruleset_source ?? null, rule.ruleset_source_type ?? null)));
    addRule(set, rule.type, rule.parameters ?? {});
  }
  return [...byId.values()].sort(byRulesetId);
}

function emptyRuleset(rulesetId: number | null, source: string | null, sourceType: string | null): Ruleset {
  return { rulesetId, source, sourceType, pullRequest: null, requiredStatusChecks: null, blocksForcePushes: false, blocksDeletion: false, otherRules: [] };
}

/** One rule in REST's vocabulary (snake_case type and parameters) into the ruleset summary. */
function addRule(set: Ruleset, type: string, p: Record<string, unknown>): void {
  switch (type) {
    case 'pull_request':
      set.pullRequest = {
        requiredApprovingReviewCount: Number(p.required_approving_review_count ?? 0),
        dismissStaleReviewsOnPush: p.dismiss_stale_reviews_on_push === true,
        requireCodeOwnerReview: p.require_code_owner_review === true,
        requireLastPushApproval: p.require_last_push_approval === true,
      };
      break;
    case 'required_status_checks': {
      const checks = Array.isArray(p.required_status_checks) ? p.required_status_checks : [];
      set.requiredStatusChecks = checks.map((c) => String((c as { context?: unknown }).context ?? ''));
      break;
    }
    case 'non_fast_forward':
      set.blocksForcePushes = true;
      break;
    case 'deletion':
      set.blocksDeletion = true;
      break;
    default:
      set.otherRules.push(type);
  }
}

const byRulesetId = (a: Ruleset, b: Ruleset) => (a.rulesetId ?? 0) - (b.rulesetId ?? 0);

/** What the cross-check compares: which rulesets apply, and the types of the rules each enforces. */
function signature(rulesets: readonly Ruleset[]): string {
  const types = (rs: Ruleset) =>
    [
      ...(rs.pullRequest ? ['pull_request'] : []),
      ...(rs.requiredStatusChecks ? ['required_status_checks'] : []),
      ...(rs.blocksForcePushes ? ['non_fast_forward'] : []),
      ...(rs.blocksDeletion ? ['deletion'] : []),
      ...rs.otherRules,
    ].sort();
  return [...rulesets]
    .sort(byRulesetId)
    .map((rs) => `${rs.rulesetId}: ${types(rs).join('+')}`)
    .join(', ');
}

/**
 * A different random-looking sample each run that anyone can recompute from the run's time:
 * repositories with a default branch ordered by sha256(time + name), the first `size` of them.
 */
export function crossCheckSample(repos: readonly RepositoryNode[], size: number, at: Date): RepositoryNode[] {
  const key = (repo: RepositoryNode) => createHash('sha256').update(`${at.toISOString()}\n${repo.nameWithOwner}`).digest('hex');
  return repos
    .filter((r) => r.defaultBranchRef)
    .map((repo) => ({ repo, key: key(repo) }))
    .sort((a, b) => a.key.localeCompare(b.key))
    .slice(0, size)
    .map((r) => r.repo);
}
