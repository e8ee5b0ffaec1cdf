import { z } from 'zod';
import { defineCollector } from '../../src/core/connector.js';
import { mapOrdered } from '../../src/core/concurrency.js';
import type { GitHubApi } from './client.js';
import type { GitHubSettings } from './settings.js';
import { branchRule } from './api-schemas.js';

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

export const branchProtectionPayload = z.object({
  repository: z.string().describe('owner/name.'),
  archived: z.boolean().describe('Archived repositories are read-only.'),
  visibility: z.string().describe('PRIVATE, INTERNAL or PUBLIC.'),
  defaultBranch: z.string().nullable().describe('Default branch name; null for an empty repository.'),
  classic: classicProtection.nullable(),
  rulesets: z.array(ruleset).describe('Active rulesets (repository and organization level) that GitHub applies to the default branch.'),
});

export const branchProtectionCollector = defineCollector<GitHubApi, GitHubSettings, typeof branchProtectionPayload>({
  id: 'branch_protection',
  kind: 'github.branch_protection.v1',
  title: 'Default branch protection',
  description:
    'For every repository, the classic protection rule and the active rulesets on its default branch: required reviews, stale-review dismissal, status checks, admin enforcement, force-push and deletion rules.',
  subject: 'repository owner/name',
  ttlHours: 36,
  payload: branchProtectionPayload,
  async *collect({ client }) {
    const pages = await client.repositories();
    const repos = pages.flatMap((page) => page.items.map((repo) => ({ repo, pageRequest: page.request })));
    // Rulesets have no bulk endpoint that GitHub evaluates per branch; one call per repository,
    // overlapped (the HTTP layer's queue bounds concurrency).
    const results = mapOrdered(repos, 8, async ({ repo, pageRequest }) => {
      const branch = repo.defaultBranchRef?.name;
      const requests = [pageRequest];
      const rules: z.output<typeof branchRule>[] = [];
      if (branch) {
        const [owner, name] = repo.nameWithOwner.split('/') as [string, string];
        for await (const page of client.paginate('GET /repos/{owner}/{repo}/rules/branches/{branch}', { owner, repo: name, branch }, branchRule)) {
          requests.push(page.request);
          rules.push(...page.items);
        }
      }
      return { repo, branch: branch ?? null, rules, requests };
    });
    for await (const { repo, branch, rules, requests } of results) {
      const rule = repo.defaultBranchRef?.branchProtectionRule ?? null;
      yield {
        subject: repo.nameWithOwner,
        requests,
        payload: {
          repository: repo.nameWithOwner,
          archived: repo.isArchived,
          visibility: repo.visibility,
          defaultBranch: branch,
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
          rulesets: groupRulesets(rules),
        },
      };
    }
  },
});

/** Rules come back flat; group them by the ruleset they belong to. */
function groupRulesets(rules: z.output<typeof branchRule>[]): z.output<typeof ruleset>[] {
  const byId = new Map<string, z.output<typeof ruleset>>();
  for (const rule of rules) {
    const key = `${rule.ruleset_source_type}:${rule.ruleset_source}:${rule.ruleset_id}`;
    let set = byId.get(key);
    if (!set) {
      set = {
        rulesetId: rule.ruleset_id ?? null,
        source: rule.ruleset_source ?? null,
        sourceType: rule.ruleset_source_type ?? null,
        pullRequest: null,
        requiredStatusChecks: null,
        blocksForcePushes: false,
        blocksDeletion: false,
        otherRules: [],
      };
      byId.set(key, set);
    }
    const p = rule.parameters ?? {};
    switch (rule.type) {
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
        set.otherRules.push(rule.type);
    }
  }
  return [...byId.values()].sort((a, b) => (a.rulesetId ?? 0) - (b.rulesetId ?? 0));
}
