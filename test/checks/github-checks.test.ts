import { describe, it, expect } from 'vitest';
import type { z } from 'zod';
import type { CheckDefinition, CheckResult, EvidenceSet } from '../../src/checks/check.js';
import {
  defaultBranchRequiresReview,
  dependabotAlertsEnabled,
  dependabotWithinSla,
  githubChecks,
  membersAvoidInsecure2fa,
  membersHave2fa,
  orgRequires2fa,
  outsideCollaboratorsHave2fa,
  outsideCollaboratorsListed,
  pullRequestsApprovedBeforeMerge,
} from '../../src/checks/github.js';
import type { orgSettingsPayload } from '../../connectors/github/org-settings.js';
import type { memberPayload } from '../../connectors/github/members.js';
import type { branchProtectionPayload } from '../../connectors/github/branch-protection.js';
import type { mergedPullRequestPayload } from '../../connectors/github/merged-pull-requests.js';
import type { dependabotAlertPayload } from '../../connectors/github/dependabot-alerts.js';
import type { outsideCollaboratorPayload } from '../../connectors/github/outside-collaborators.js';
import type { repositorySettingsPayload } from '../../connectors/github/repository-settings.js';
import { orgPayload } from '../pipeline/store-helpers.js';

/**
 * Each GitHub check's `evaluate` on hand-written payloads. Every expected result below is
 * derived from the payloads written here, not from running the checks.
 */

const instanceId = 'github-acme';
const asOf = new Date('2026-03-31T12:00:00.000Z');
const dayMs = 86_400_000;

/** Runs a check on records of its single kind, with params parsed the way the runner parses them. */
function evaluate<P>(check: CheckDefinition<P>, records: readonly { subject: string; payload: unknown }[], rawParams?: unknown): CheckResult[] {
  const kind = check.kinds[0]!;
  expect(check.kinds).toHaveLength(1);
  const set: EvidenceSet = {
    kind,
    instanceId,
    collectedAt: '2026-03-31T11:00:00.000Z',
    records: records.map((r, i) => ({ ...r, digest: `digest-${i}` })),
  };
  const params = (check.params ? check.params.parse(rawParams) : undefined) as P;
  return check.evaluate({ evidence: { [kind]: set }, instanceId, asOf, params });
}

/** Subject and status of each result, in order. */
const verdicts = (results: readonly CheckResult[]) => results.map((r) => [r.subject, r.status]);
const resultFor = (results: readonly CheckResult[], subject: string) => {
  const matches = results.filter((r) => r.subject === subject);
  expect(matches, `exactly one result for ${subject}`).toHaveLength(1);
  return matches[0]!;
};

describe('the GitHub check list', () => {
  it('has the nine checks, each reading one GitHub evidence kind', () => {
    expect(githubChecks.map((c) => [c.id, c.kinds])).toEqual([
      ['github.org.requires_2fa', ['github.org_settings.v1']],
      ['github.members.have_2fa', ['github.member.v1']],
      ['github.members.no_insecure_2fa', ['github.member.v1']],
      ['github.default_branch.requires_review', ['github.branch_protection.v1']],
      ['github.pull_requests.approved_before_merge', ['github.merged_pull_request.v1']],
      ['github.dependabot.critical_high_within_sla', ['github.dependabot_alert.v1']],
      ['github.dependabot.alerts_enabled', ['github.repository_settings.v1']],
      ['github.outside_collaborators.listed_for_review', ['github.outside_collaborator.v1']],
      ['github.outside_collaborators.have_2fa', ['github.outside_collaborator.v1']],
    ]);
  });
});

describe('github.org.requires_2fa', () => {
  type OrgSettings = z.input<typeof orgSettingsPayload>;
  const org = (login: string, twoFactorRequirementEnabled: boolean | null): { subject: string; payload: OrgSettings } => ({
    subject: login,
    payload: orgPayload(login, twoFactorRequirementEnabled),
  });

  it('passes when the organization requires 2FA', () => {
    const [result, ...rest] = evaluate(orgRequires2fa, [org('acme', true)]);
    expect(rest).toEqual([]);
    expect(result).toEqual({ subject: 'acme', status: 'pass', message: expect.stringContaining('2FA is required') });
  });

  it('fails when it does not', () => {
    const results = evaluate(orgRequires2fa, [org('acme', false)]);
    expect(verdicts(results)).toEqual([['acme', 'fail']]);
    expect(results[0]!.message).toContain('2FA is not required');
  });

  it('is an error, never a pass, when the setting was not visible to the token', () => {
    const results = evaluate(orgRequires2fa, [org('acme', null)]);
    expect(verdicts(results)).toEqual([['acme', 'error']]);
    expect(results[0]!.message).toContain('not visible to the token');
  });
});

describe('github.members.have_2fa', () => {
  type Member = z.input<typeof memberPayload>;
  const member = (login: string, twoFactorEnabled: boolean | null, role: 'admin' | 'member' = 'member', id = login.length): { subject: string; payload: Member } => ({
    subject: login,
    payload: {
      login,
      id,
      role,
      twoFactorEnabled,
      twoFactorVisibility: twoFactorEnabled === null ? 'not_visible' : 'visible',
      twoFactorNotVisibleReason: twoFactorEnabled === null ? 'HTTP 403 from filter=2fa_disabled' : null,
      twoFactorInsecure: twoFactorEnabled === null ? null : false,
      twoFactorInsecureNotVisibleReason: twoFactorEnabled === null ? 'HTTP 403 from filter=2fa_insecure' : null,
    },
  });

  it('passes members with 2FA, fails those without, and errors where status was not visible', () => {
    const results = evaluate(membersHave2fa, [
      member('alice', true),
      member('root', true, 'admin'),
      member('bob', false),
      member('boss', false, 'admin'),
      member('carol', null),
    ]);
    expect(verdicts(results)).toEqual([
      ['alice', 'pass'],
      ['root', 'pass'],
      ['bob', 'fail'],
      ['boss', 'fail'],
      ['carol', 'error'],
    ]);
    expect(resultFor(results, 'alice').message).toBe('member has 2FA enabled');
    expect(resultFor(results, 'root').message).toBe('owner has 2FA enabled');
    expect(resultFor(results, 'bob').message).toBe('member has 2FA disabled');
    expect(resultFor(results, 'boss').message).toBe('owner has 2FA disabled');
    expect(resultFor(results, 'carol').message).toContain('HTTP 403 from filter=2fa_disabled');
  });

  it('gives no results for an organization without members (nothing to judge)', () => {
    expect(evaluate(membersHave2fa, [])).toEqual([]);
  });
});

describe('github.default_branch.requires_review', () => {
  type BranchProtection = z.input<typeof branchProtectionPayload>;
  type Classic = NonNullable<BranchProtection['classic']>;
  type Ruleset = BranchProtection['rulesets'][number];

  const classic = (pattern: string, requiresApprovingReviews: boolean, requiredApprovingReviewCount: number | null): Classic => ({
    pattern,
    requiresApprovingReviews,
    requiredApprovingReviewCount,
    dismissesStaleReviews: false,
    requiresCodeOwnerReviews: false,
    requiresStatusChecks: false,
    requiresStrictStatusChecks: false,
    requiredStatusChecks: [],
    enforceAdmins: false,
    allowsForcePushes: false,
    allowsDeletions: false,
  });
  const ruleset = (rulesetId: number, approvals: number | null): Ruleset => ({
    rulesetId,
    source: 'acme',
    sourceType: 'Organization',
    pullRequest:
      approvals === null
        ? null
        : { requiredApprovingReviewCount: approvals, dismissStaleReviewsOnPush: false, requireCodeOwnerReview: false, requireLastPushApproval: false },
    requiredStatusChecks: null,
    blocksForcePushes: true,
    blocksDeletion: true,
    otherRules: [],
  });
  const repo = (
    name: string,
    protection: { classic?: Classic | null; rulesets?: Ruleset[]; archived?: boolean; defaultBranch?: string | null } = {},
  ): { subject: string; payload: BranchProtection } => ({
    subject: `acme/${name}`,
    payload: {
      repository: `acme/${name}`,
      archived: protection.archived ?? false,
      visibility: 'PRIVATE',
      defaultBranch: protection.defaultBranch === undefined ? 'main' : protection.defaultBranch,
      classic: protection.classic ?? null,
      rulesets: protection.rulesets ?? [],
    },
  });

  const results = evaluate(defaultBranchRequiresReview, [
    repo('classic', { classic: classic('main', true, 2) }),
    repo('ruleset', { rulesets: [ruleset(7, null), ruleset(9, 1)] }),
    repo('both', { classic: classic('ma*', true, 1), rulesets: [ruleset(3, 3)] }),
    repo('status-only', { classic: classic('main', false, null), rulesets: [ruleset(4, null)] }),
    repo('zero-approvals', { rulesets: [ruleset(5, 0)] }),
    repo('open'),
    repo('legacy', { archived: true }),
    repo('empty', { defaultBranch: null }),
  ]);

  it('skips archived and empty repositories and judges every other one', () => {
    expect(verdicts(results)).toEqual([
      ['acme/classic', 'pass'],
      ['acme/ruleset', 'pass'],
      ['acme/both', 'pass'],
      ['acme/status-only', 'fail'],
      ['acme/zero-approvals', 'fail'],
      ['acme/open', 'fail'],
    ]);
  });

  it('passes through a classic rule, naming its pattern and the number of approvals', () => {
    expect(resultFor(results, 'acme/classic').message).toBe('main requires 2 approving review(s) (classic rule "main")');
  });

  it('passes through a ruleset with a pull_request rule, taking the highest count of any source', () => {
    expect(resultFor(results, 'acme/ruleset').message).toBe('main requires 1 approving review(s) (ruleset)');
    // Classic asks for 1, the ruleset for 3: GitHub enforces both, so 3 are required.
    expect(resultFor(results, 'acme/both').message).toBe('main requires 3 approving review(s) (ruleset)');
  });

  it('fails a protected branch that requires no approving review', () => {
    expect(resultFor(results, 'acme/status-only').message).toBe('main is protected but does not require an approving review');
    expect(resultFor(results, 'acme/zero-approvals').message).toBe('main is protected but does not require an approving review');
  });

  it('fails an unprotected branch', () => {
    expect(resultFor(results, 'acme/open').message).toBe('main has no branch protection or ruleset');
  });
});

describe('github.pull_requests.approved_before_merge', () => {
  type MergedPullRequest = z.input<typeof mergedPullRequestPayload>;
  type Review = MergedPullRequest['reviews'][number];
  const mergedAt = '2026-03-20T10:00:00Z';
  const review = (reviewer: string | null, state: string, submittedAt: string | null): Review => ({ reviewer, state, submittedAt });
  const pr = (number: number, reviews: Review[], reviewsTruncated = false): { subject: string; payload: MergedPullRequest } => ({
    subject: `acme/api#${number}`,
    payload: {
      repository: 'acme/api',
      number,
      title: `change ${number}`,
      url: `https://github.example/acme/api/pull/${number}`,
      author: 'ann',
      mergedBy: 'max',
      createdAt: '2026-03-19T08:00:00Z',
      mergedAt,
      baseBranch: 'main',
      mergeCommit: 'abc123',
      reviews,
      reviewsTruncated,
    },
  });

  const results = evaluate(pullRequestsApprovedBeforeMerge, [
    pr(1, [review('bob', 'APPROVED', '2026-03-20T09:00:00Z')]),
    pr(2, [review('bob', 'APPROVED', '2026-03-20T10:00:01Z')]),
    pr(3, [review('ann', 'APPROVED', '2026-03-20T09:00:00Z')]),
    pr(4, [review('bob', 'DISMISSED', '2026-03-20T08:00:00Z'), review('carol', 'COMMENTED', '2026-03-20T09:00:00Z')]),
    pr(5, []),
    pr(6, [review('carol', 'COMMENTED', '2026-03-20T09:00:00Z')], true),
    pr(7, [review('bob', 'CHANGES_REQUESTED', '2026-03-20T08:00:00Z'), review('bob', 'APPROVED', mergedAt)]),
    pr(8, [review('bob', 'DISMISSED', '2026-03-20T08:00:00Z'), review('carol', 'APPROVED', '2026-03-20T09:30:00Z')]),
    pr(9, [review('carol', 'COMMENTED', '2026-03-20T09:00:00Z'), review('dave', 'APPROVED', '2026-03-20T09:10:00Z')], true),
    pr(10, [review(null, 'APPROVED', '2026-03-20T09:00:00Z')]),
    pr(11, [review('ann', 'APPROVED', '2026-03-20T09:00:00Z'), review('bob', 'APPROVED', '2026-03-21T09:00:00Z')]),
    pr(12, [review('bob', 'APPROVED', null)]),
  ]);

  it('judges every merged pull request', () => {
    expect(verdicts(results)).toEqual([
      ['acme/api#1', 'pass'],
      ['acme/api#2', 'fail'],
      ['acme/api#3', 'fail'],
      ['acme/api#4', 'fail'],
      ['acme/api#5', 'fail'],
      ['acme/api#6', 'error'],
      ['acme/api#7', 'pass'],
      ['acme/api#8', 'pass'],
      ['acme/api#9', 'pass'],
      ['acme/api#10', 'pass'],
      ['acme/api#11', 'fail'],
      ['acme/api#12', 'fail'],
    ]);
  });

  it('passes an approval by someone else before (or exactly at) the merge, naming the approver', () => {
    expect(resultFor(results, 'acme/api#1').message).toBe('approved by bob before merge');
    expect(resultFor(results, 'acme/api#7').message).toBe('approved by bob before merge');
    expect(resultFor(results, 'acme/api#10').message).toBe('approved by a deleted account before merge');
  });

  it('fails an approval that came only after the merge', () => {
    expect(resultFor(results, 'acme/api#2').message).toBe(`merged ${mergedAt} by max; approval came only after merge`);
    // The author's own approval in time does not rescue a later independent approval.
    expect(resultFor(results, 'acme/api#11').message).toContain('approval came only after merge');
  });

  it("fails a pull request approved only by its author", () => {
    expect(resultFor(results, 'acme/api#3').message).toBe("merged by max with only the author's own approval");
  });

  it('does not count a DISMISSED approval', () => {
    expect(resultFor(results, 'acme/api#4').message).toBe(`merged ${mergedAt} by max without any approving review`);
    expect(resultFor(results, 'acme/api#8').message).toBe('approved by carol before merge');
  });

  it('fails a pull request without reviews, and one whose approval has no submission time', () => {
    expect(resultFor(results, 'acme/api#5').message).toBe(`merged ${mergedAt} by max without any approving review`);
    expect(resultFor(results, 'acme/api#12').message).toContain('without any approving review');
  });

  it('is an error when reviews were truncated and no approval is among those collected, but passes when one is', () => {
    expect(resultFor(results, 'acme/api#6').message).toContain('more than 100 reviews');
    expect(resultFor(results, 'acme/api#9').message).toBe('approved by dave before merge');
  });
});

describe('github.dependabot.critical_high_within_sla', () => {
  type DependabotAlert = z.input<typeof dependabotAlertPayload>;
  /** An open alert created a whole number of days before asOf. */
  const alert = (number: number, severity: string, ageDays: number): { subject: string; payload: DependabotAlert } => ({
    subject: `acme/api#${number}`,
    payload: {
      repository: 'acme/api',
      number,
      state: 'open',
      severity,
      ghsaId: `GHSA-000${number}-aaaa-bbbb`,
      cveId: null,
      summary: 'bad thing',
      ecosystem: 'npm',
      package: `pkg-${number}`,
      manifestPath: 'package-lock.json',
      vulnerableVersionRange: '< 1.2.3',
      firstPatchedVersion: '1.2.3',
      createdAt: new Date(asOf.getTime() - ageDays * dayMs).toISOString(),
      url: `https://github.example/acme/api/security/dependabot/${number}`,
    },
  });

  const alerts = [
    alert(1, 'critical', 15),
    alert(2, 'critical', 16),
    alert(3, 'high', 30),
    alert(4, 'high', 31),
    alert(5, 'medium', 400),
    alert(6, 'low', 400),
    alert(7, 'critical', 0),
  ];

  it('with the default SLA (critical 15 days, high 30 days), fails only alerts older than their limit', () => {
    const results = evaluate(dependabotWithinSla, alerts);
    expect(verdicts(results)).toEqual([
      ['acme/api#1', 'pass'],
      ['acme/api#2', 'fail'],
      ['acme/api#3', 'pass'],
      ['acme/api#4', 'fail'],
      ['acme/api#7', 'pass'],
    ]);
    expect(resultFor(results, 'acme/api#1').message).toBe('critical GHSA-0001-aaaa-bbbb in pkg-1 open 15 days, within SLA 15');
    expect(resultFor(results, 'acme/api#2').message).toBe('critical GHSA-0002-aaaa-bbbb in pkg-2 open 16 days (SLA 15)');
    expect(resultFor(results, 'acme/api#3').message).toContain('open 30 days, within SLA 30');
    expect(resultFor(results, 'acme/api#4').message).toBe('high GHSA-0004-aaaa-bbbb in pkg-4 open 31 days (SLA 30)');
    expect(resultFor(results, 'acme/api#7').message).toContain('open 0 days, within SLA 15');
  });

  it('takes custom limits from params, with the default for one left out', () => {
    const strict = evaluate(dependabotWithinSla, alerts, { criticalDays: 0, highDays: 30 });
    expect(verdicts(strict)).toEqual([
      ['acme/api#1', 'fail'],
      ['acme/api#2', 'fail'],
      ['acme/api#3', 'pass'],
      ['acme/api#4', 'fail'],
      ['acme/api#7', 'pass'],
    ]);
    const lenientHigh = evaluate(dependabotWithinSla, alerts, { highDays: 31 });
    expect(verdicts(lenientHigh)).toEqual([
      ['acme/api#1', 'pass'],
      ['acme/api#2', 'fail'],
      ['acme/api#3', 'pass'],
      ['acme/api#4', 'pass'],
      ['acme/api#7', 'pass'],
    ]);
    expect(resultFor(lenientHigh, 'acme/api#4').message).toContain('within SLA 31');
    const loose = evaluate(dependabotWithinSla, alerts, { criticalDays: 16, highDays: 10 });
    expect(verdicts(loose)).toEqual([
      ['acme/api#1', 'pass'],
      ['acme/api#2', 'pass'],
      ['acme/api#3', 'fail'],
      ['acme/api#4', 'fail'],
      ['acme/api#7', 'pass'],
    ]);
  });

  it('rejects unknown or negative params', () => {
    expect(() => dependabotWithinSla.params!.parse({ criticalDays: 15, mediumDays: 60 })).toThrow();
    expect(() => dependabotWithinSla.params!.parse({ criticalDays: -1 })).toThrow();
  });

  it('ignores medium and low alerts: with no critical or high open, one pass for the instance', () => {
    const results = evaluate(dependabotWithinSla, [alert(5, 'medium', 400), alert(6, 'low', 400)]);
    expect(results).toEqual([{ subject: instanceId, status: 'pass', message: 'no open critical or high alerts' }]);
    expect(evaluate(dependabotWithinSla, [])).toEqual([{ subject: instanceId, status: 'pass', message: 'no open critical or high alerts' }]);
  });
});

describe('github.outside_collaborators.listed_for_review', () => {
  type OutsideCollaborator = z.input<typeof outsideCollaboratorPayload>;
  const person = (login: string, repositories: { repository: string; permission: string }[]): { subject: string; payload: OutsideCollaborator } => ({
    subject: login,
    payload: { login, id: 100 + login.length, repositories, twoFactorEnabled: true, twoFactorNotVisibleReason: null },
  });

  it('warns once per outside collaborator, listing their access', () => {
    const results = evaluate(outsideCollaboratorsListed, [
      person('contractor-1', [
        { repository: 'acme/api', permission: 'WRITE' },
        { repository: 'acme/web', permission: 'READ' },
      ]),
      person('auditor-2', []),
    ]);
    expect(results).toEqual([
      { subject: 'contractor-1', status: 'warn', message: 'outside collaborator to review: acme/api (WRITE), acme/web (READ)' },
      { subject: 'auditor-2', status: 'warn', message: 'outside collaborator to review: no repository access' },
    ]);
  });

  it('passes once for the instance when there are none', () => {
    expect(evaluate(outsideCollaboratorsListed, [])).toEqual([{ subject: instanceId, status: 'pass', message: 'no outside collaborators' }]);
  });
});

describe('github.members.no_insecure_2fa', () => {
  type Member = z.input<typeof memberPayload>;
  const member = (login: string, twoFactorEnabled: boolean | null, twoFactorInsecure: boolean | null, reason: string | null = null): { subject: string; payload: Member } => ({
    subject: login,
    payload: {
      login,
      id: login.length,
      role: 'member',
      twoFactorEnabled,
      twoFactorVisibility: twoFactorEnabled === null ? 'not_visible' : 'visible',
      twoFactorNotVisibleReason: twoFactorEnabled === null ? 'HTTP 403 from filter=2fa_disabled' : null,
      twoFactorInsecure,
      twoFactorInsecureNotVisibleReason: reason,
    },
  });

  it('fails SMS, passes other methods, skips members without 2FA and errors where the method was not visible', () => {
    const results = evaluate(membersAvoidInsecure2fa, [
      member('alice', true, false),
      member('sam-sms', true, true),
      member('nofa', false, false),
      member('ghes', true, null, 'HTTP 422 from filter=2fa_insecure: only organization owners can see 2FA status'),
      member('hidden', null, null, 'HTTP 403 from filter=2fa_insecure'),
    ]);
    expect(results).toEqual([
      { subject: 'alice', status: 'pass', message: 'second factor is not SMS' },
      { subject: 'sam-sms', status: 'fail', message: 'second factor is SMS, which SIM swapping and interception defeat' },
      { subject: 'ghes', status: 'error', message: '2FA method not visible: HTTP 422 from filter=2fa_insecure: only organization owners can see 2FA status' },
      { subject: 'hidden', status: 'error', message: '2FA method not visible: HTTP 403 from filter=2fa_insecure' },
    ]);
  });

  it('is an error, not a pass, on evidence recorded before the method was collected', () => {
    const { twoFactorInsecure: _, twoFactorInsecureNotVisibleReason: __, ...legacy } = member('old', true, false).payload;
    expect(evaluate(membersAvoidInsecure2fa, [{ subject: 'old', payload: legacy }])).toEqual([
      { subject: 'old', status: 'error', message: '2FA method was not recorded by the collector that produced this evidence' },
    ]);
  });
});

describe('github.outside_collaborators.have_2fa', () => {
  type OutsideCollaborator = z.input<typeof outsideCollaboratorPayload>;
  const person = (login: string, twoFactorEnabled: boolean | null, repositories = 1): { subject: string; payload: OutsideCollaborator } => ({
    subject: login,
    payload: {
      login,
      id: 7,
      repositories: Array.from({ length: repositories }, (_, i) => ({ repository: `acme/r${i}`, permission: 'WRITE' })),
      twoFactorEnabled,
      twoFactorNotVisibleReason: twoFactorEnabled === null ? 'HTTP 403 from filter=2fa_disabled: only organization owners can see 2FA status' : null,
    },
  });

  it('passes collaborators with 2FA, fails those without and errors where it was not visible', () => {
    expect(evaluate(outsideCollaboratorsHave2fa, [person('vendor-a', true, 2), person('vendor-b', false), person('vendor-c', null)])).toEqual([
      { subject: 'vendor-a', status: 'pass', message: 'outside collaborator with access to 2 repositories has 2FA enabled' },
      { subject: 'vendor-b', status: 'fail', message: 'outside collaborator with access to 1 repository has 2FA disabled' },
      { subject: 'vendor-c', status: 'error', message: '2FA status not visible: HTTP 403 from filter=2fa_disabled: only organization owners can see 2FA status' },
    ]);
  });

  it('gives no results when there are no outside collaborators', () => {
    expect(evaluate(outsideCollaboratorsHave2fa, [])).toEqual([]);
  });
});

describe('github.dependabot.alerts_enabled', () => {
  type RepositorySettings = z.input<typeof repositorySettingsPayload>;
  const repo = (name: string, vulnerabilityAlertsEnabled: boolean, archived = false): { subject: string; payload: RepositorySettings } => ({
    subject: `acme/${name}`,
    payload: { repository: `acme/${name}`, archived, visibility: 'PRIVATE', vulnerabilityAlertsEnabled },
  });

  it('fails an active repository with alerts off, passes those with them on, and skips archived ones', () => {
    expect(evaluate(dependabotAlertsEnabled, [repo('api', true), repo('fleet', false), repo('old', false, true)])).toEqual([
      { subject: 'acme/api', status: 'pass', message: 'Dependabot alerts are enabled' },
      { subject: 'acme/fleet', status: 'fail', message: 'Dependabot alerts are disabled: vulnerable dependencies here are never reported' },
    ]);
  });
});
