import { z } from 'zod';
import { defineCheck, payloadsOf, type CheckResult } from './check.js';
import type { orgSettingsPayload } from '../../connectors/github/org-settings.js';
import type { memberPayload } from '../../connectors/github/members.js';
import type { branchProtectionPayload } from '../../connectors/github/branch-protection.js';
import type { mergedPullRequestPayload } from '../../connectors/github/merged-pull-requests.js';
import type { dependabotAlertPayload } from '../../connectors/github/dependabot-alerts.js';
import type { outsideCollaboratorPayload } from '../../connectors/github/outside-collaborators.js';
import type { repositorySettingsPayload } from '../../connectors/github/repository-settings.js';

type OrgSettings = z.output<typeof orgSettingsPayload>;
type Member = z.output<typeof memberPayload>;
type BranchProtection = z.output<typeof branchProtectionPayload>;
type MergedPullRequest = z.output<typeof mergedPullRequestPayload>;
type DependabotAlert = z.output<typeof dependabotAlertPayload>;
type OutsideCollaborator = z.output<typeof outsideCollaboratorPayload>;
type RepositorySettings = z.output<typeof repositorySettingsPayload>;

const dayMs = 86_400_000;

export const orgRequires2fa = defineCheck({
  id: 'github.org.requires_2fa',
  title: 'GitHub organization requires two-factor authentication',
  description: 'The organization setting that forces every member and outside collaborator to enable 2FA is on.',
  kinds: ['github.org_settings.v1'],
  evaluate: ({ evidence }) =>
    payloadsOf<OrgSettings>(evidence['github.org_settings.v1']).map(({ subject, payload }) => {
      if (payload.twoFactorRequirementEnabled === null) {
        return { subject, status: 'error', message: 'the 2FA requirement setting was not visible to the token (an owner token is needed)' };
      }
      return payload.twoFactorRequirementEnabled
        ? { subject, status: 'pass', message: '2FA is required for all members' }
        : { subject, status: 'fail', message: '2FA is not required: members can work without a second factor' };
    }),
});

export const membersHave2fa = defineCheck({
  id: 'github.members.have_2fa',
  title: 'Every GitHub organization member has 2FA enabled',
  description: 'Each member\'s 2FA status, from the owners-only 2fa_disabled listing. Unknown status is an error, never a pass.',
  kinds: ['github.member.v1'],
  evaluate: ({ evidence }) =>
    payloadsOf<Member>(evidence['github.member.v1']).map(({ subject, payload }) => {
      if (payload.twoFactorEnabled === null) {
        return { subject, status: 'error', message: `2FA status not visible: ${payload.twoFactorNotVisibleReason ?? 'unknown reason'}` };
      }
      const role = payload.role === 'admin' ? 'owner' : 'member';
      return payload.twoFactorEnabled
        ? { subject, status: 'pass', message: `${role} has 2FA enabled` }
        : { subject, status: 'fail', message: `${role} has 2FA disabled` };
    }),
});

export const defaultBranchRequiresReview = defineCheck({
  id: 'github.default_branch.requires_review',
  title: 'Default branches require at least one approving review',
  description:
    'Every active (non-archived, non-empty) repository protects its default branch with a classic rule or an active ruleset that requires one or more approving reviews.',
  kinds: ['github.branch_protection.v1'],
  evaluate: ({ evidence }) =>
    payloadsOf<BranchProtection>(evidence['github.branch_protection.v1'])
      // Archived repositories are read-only and empty ones have no branch to protect.
      .filter(({ payload }) => !payload.archived && payload.defaultBranch !== null)
      .map(({ subject, payload }): CheckResult => {
        const classic = payload.classic?.requiresApprovingReviews ? (payload.classic.requiredApprovingReviewCount ?? 0) : 0;
        const ruleset = Math.max(0, ...payload.rulesets.map((r) => r.pullRequest?.requiredApprovingReviewCount ?? 0));
        const required = Math.max(classic, ruleset);
        if (required >= 1) {
          const via = classic >= ruleset ? `classic rule "${payload.classic?.pattern}"` : 'ruleset';
          return { subject, status: 'pass', message: `${payload.defaultBranch} requires ${required} approving review(s) (${via})` };
        }
        const protectedSomehow = payload.classic !== null || payload.rulesets.length > 0;
        return {
          subject,
          status: 'fail',
          message: protectedSomehow
            ? `${payload.defaultBranch} is protected but does not require an approving review`
            : `${payload.defaultBranch} has no branch protection or ruleset`,
        };
      }),
});

export const pullRequestsApprovedBeforeMerge = defineCheck({
  id: 'github.pull_requests.approved_before_merge',
  title: 'Merged pull requests were approved before merge by someone other than the author',
  description:
    'For every pull request merged into a default branch in the look-back period, an APPROVED review by another person was submitted no later than the merge.',
  kinds: ['github.merged_pull_request.v1'],
  evaluate: ({ evidence }) =>
    payloadsOf<MergedPullRequest>(evidence['github.merged_pull_request.v1']).map(({ subject, payload }): CheckResult => {
      const approvals = payload.reviews.filter((r) => r.state === 'APPROVED' && r.submittedAt !== null);
      const independent = approvals.filter((r) => r.reviewer === null || r.reviewer !== payload.author);
      const inTime = independent.filter((r) => r.submittedAt! <= payload.mergedAt);
      if (inTime.length > 0) {
        return { subject, status: 'pass', message: `approved by ${inTime.map((r) => r.reviewer ?? 'a deleted account').join(', ')} before merge` };
      }
      if (payload.reviewsTruncated) {
        return { subject, status: 'error', message: 'more than 100 reviews: no approval among the first 100 collected' };
      }
      if (independent.length > 0) {
        return { subject, status: 'fail', message: `merged ${payload.mergedAt} by ${payload.mergedBy ?? 'unknown'}; approval came only after merge` };
      }
      if (approvals.length > 0) {
        return { subject, status: 'fail', message: `merged by ${payload.mergedBy ?? 'unknown'} with only the author's own approval` };
      }
      return { subject, status: 'fail', message: `merged ${payload.mergedAt} by ${payload.mergedBy ?? 'unknown'} without any approving review` };
    }),
});

const slaParams = z
  .strictObject({
    criticalDays: z.number().int().min(0).default(15).describe('Days a critical alert may stay open.'),
    highDays: z.number().int().min(0).default(30).describe('Days a high alert may stay open.'),
  })
  .default({ criticalDays: 15, highDays: 30 });

export const dependabotWithinSla = defineCheck({
  id: 'github.dependabot.critical_high_within_sla',
  title: 'No critical or high Dependabot alert open past its SLA',
  description: 'Open critical and high Dependabot alerts are younger than the remediation SLA (defaults: critical 15 days, high 30 days).',
  kinds: ['github.dependabot_alert.v1'],
  params: slaParams,
  evaluate: ({ evidence, asOf, params, instanceId }) => {
    const results = payloadsOf<DependabotAlert>(evidence['github.dependabot_alert.v1'])
      .filter(({ payload }) => payload.severity === 'critical' || payload.severity === 'high')
      .map(({ subject, payload }): CheckResult => {
        const limit = payload.severity === 'critical' ? params.criticalDays : params.highDays;
        const ageDays = Math.floor((asOf.getTime() - Date.parse(payload.createdAt)) / dayMs);
        const what = `${payload.severity} ${payload.ghsaId} in ${payload.package}`;
        return ageDays > limit
          ? { subject, status: 'fail', message: `${what} open ${ageDays} days (SLA ${limit})` }
          : { subject, status: 'pass', message: `${what} open ${ageDays} days, within SLA ${limit}` };
      });
    return results.length > 0 ? results : [{ subject: instanceId, status: 'pass', message: 'no open critical or high alerts' }];
  },
});

export const outsideCollaboratorsListed = defineCheck({
  id: 'github.outside_collaborators.listed_for_review',
  title: 'Outside collaborators are listed for access review',
  description: 'Every outside collaborator and their repository access, flagged for the periodic access review (warn = review it).',
  kinds: ['github.outside_collaborator.v1'],
  evaluate: ({ evidence, instanceId }) => {
    const results = payloadsOf<OutsideCollaborator>(evidence['github.outside_collaborator.v1']).map(({ subject, payload }): CheckResult => {
      const access = payload.repositories.map((r) => `${r.repository} (${r.permission})`).join(', ') || 'no repository access';
      return { subject, status: 'warn', message: `outside collaborator to review: ${access}` };
    });
    return results.length > 0 ? results : [{ subject: instanceId, status: 'pass', message: 'no outside collaborators' }];
  },
});

export const membersAvoidInsecure2fa = defineCheck({
  id: 'github.members.no_insecure_2fa',
  title: 'No GitHub organization member uses SMS as their second factor',
  description:
    'Members with 2FA enabled use an app, security key or passkey rather than SMS (owners-only filter=2fa_insecure listing). Members without 2FA are judged by github.members.have_2fa; an unknown method is an error, never a pass.',
  kinds: ['github.member.v1'],
  evaluate: ({ evidence }) =>
    payloadsOf<Member>(evidence['github.member.v1'])
      .filter(({ payload }) => payload.twoFactorEnabled !== false)
      .map(({ subject, payload }): CheckResult => {
        // Records collected before the method was recorded have no such field.
        if (payload.twoFactorInsecure === undefined) return { subject, status: 'error', message: '2FA method was not recorded by the collector that produced this evidence' };
        if (payload.twoFactorInsecure === null) {
          return { subject, status: 'error', message: `2FA method not visible: ${payload.twoFactorInsecureNotVisibleReason ?? payload.twoFactorNotVisibleReason ?? 'unknown reason'}` };
        }
        return payload.twoFactorInsecure
          ? { subject, status: 'fail', message: 'second factor is SMS, which SIM swapping and interception defeat' }
          : { subject, status: 'pass', message: 'second factor is not SMS' };
      }),
});

export const outsideCollaboratorsHave2fa = defineCheck({
  id: 'github.outside_collaborators.have_2fa',
  title: 'Every outside collaborator has 2FA enabled',
  description: 'Each outside collaborator (supplier or contractor access to repositories) has 2FA, from the owners-only filter=2fa_disabled listing. Unknown status is an error, never a pass.',
  kinds: ['github.outside_collaborator.v1'],
  evaluate: ({ evidence }) =>
    payloadsOf<OutsideCollaborator>(evidence['github.outside_collaborator.v1']).map(({ subject, payload }): CheckResult => {
      if (payload.twoFactorEnabled === undefined) return { subject, status: 'error', message: '2FA status was not recorded by the collector that produced this evidence' };
      if (payload.twoFactorEnabled === null) return { subject, status: 'error', message: `2FA status not visible: ${payload.twoFactorNotVisibleReason ?? 'unknown reason'}` };
      const where = `${payload.repositories.length} repositor${payload.repositories.length === 1 ? 'y' : 'ies'}`;
      return payload.twoFactorEnabled
        ? { subject, status: 'pass', message: `outside collaborator with access to ${where} has 2FA enabled` }
        : { subject, status: 'fail', message: `outside collaborator with access to ${where} has 2FA disabled` };
    }),
});

export const dependabotAlertsEnabled = defineCheck({
  id: 'github.dependabot.alerts_enabled',
  title: 'Dependabot alerts are enabled on every active repository',
  description:
    'Every non-archived repository has Dependabot (vulnerability) alerts on. A repository that does not scan cannot appear among the open alerts: no scanning is not "no vulnerabilities".',
  kinds: ['github.repository_settings.v1'],
  evaluate: ({ evidence }) =>
    payloadsOf<RepositorySettings>(evidence['github.repository_settings.v1'])
      // Archived repositories are read-only and GitHub stops scanning them.
      .filter(({ payload }) => !payload.archived)
      .map(({ subject, payload }): CheckResult =>
        payload.vulnerabilityAlertsEnabled
          ? { subject, status: 'pass', message: 'Dependabot alerts are enabled' }
          : { subject, status: 'fail', message: 'Dependabot alerts are disabled: vulnerable dependencies here are never reported' },
      ),
});

/** The GitHub checks, in report order. */
export const githubChecks = [
  orgRequires2fa,
  membersHave2fa,
  membersAvoidInsecure2fa,
  defaultBranchRequiresReview,
  pullRequestsApprovedBeforeMerge,
  dependabotWithinSla,
  dependabotAlertsEnabled,
  outsideCollaboratorsListed,
  outsideCollaboratorsHave2fa,
];
