/**
 * The exact records each collector must produce from the fixtures in `mocks.ts`, written out by
 * hand (not snapshots): subject, payload and the provenance of every request.
 */
import type { EvidenceRecord, RequestRef } from '../../src/core/connector.js';
import { get, gql } from './harness.js';
import { urls } from './mocks.js';

type Rec = EvidenceRecord<Record<string, unknown>>;

export const orgSettingsRecords: Rec[] = [
  {
    subject: 'acme',
    requests: [get(urls.org, 'ORG:0001')],
    payload: {
      org: 'acme',
      name: 'Acme Corp',
      twoFactorRequirementEnabled: true,
      defaultRepositoryPermission: 'read',
      membersCanCreateRepositories: false,
      membersCanCreatePublicRepositories: false,
      webCommitSignoffRequired: true,
      plan: 'team',
    },
  },
];

const memberPages = {
  admins: get(urls.admins, 'MEM:ADMIN'),
  p1: get(urls.members1, 'MEM:P1'),
  p2: get(urls.membersPage(2), 'MEM:P2'),
  p3: get(urls.membersPage(3), 'MEM:P3'),
};
const roster: [string, number, 'admin' | 'member', RequestRef][] = [
  ['octo-owner', 1001, 'admin', memberPages.admins],
  ['rin-sec', 1002, 'admin', memberPages.admins],
  ['alice', 2001, 'member', memberPages.p1],
  ['bob', 2002, 'member', memberPages.p1],
  ['carol', 2003, 'member', memberPages.p2],
  ['dave-ops', 2004, 'member', memberPages.p2],
  ['erin', 2005, 'member', memberPages.p3],
];

/** 2FA visible: dave-ops is the one member in the filter=2fa_disabled listing, bob the one with SMS (filter=2fa_insecure). */
export const memberRecords: Rec[] = roster.map(([login, id, role, page]) => ({
  subject: login,
  requests: [page, get(urls.twoFactor, 'MEM:2FA'), get(urls.twoFactorInsecure, 'MEM:SMS')],
  payload: {
    login,
    id,
    role,
    twoFactorEnabled: login !== 'dave-ops',
    twoFactorVisibility: 'visible',
    twoFactorNotVisibleReason: null,
    twoFactorInsecure: login === 'bob',
    twoFactorInsecureNotVisibleReason: null,
  },
}));

/** 2FA refused with 403/422: every member null / not_visible, and only the listing page as provenance. */
export function memberRecordsNotVisible(status: 403 | 422): Rec[] {
  return roster.map(([login, id, role, page]) => ({
    subject: login,
    requests: [page],
    payload: {
      login,
      id,
      role,
      twoFactorEnabled: null,
      twoFactorVisibility: 'not_visible',
      twoFactorNotVisibleReason: `HTTP ${status} from filter=2fa_disabled: only organization owners can see 2FA status`,
      twoFactorInsecure: null,
      twoFactorInsecureNotVisibleReason: `HTTP ${status} from filter=2fa_insecure: only organization owners can see 2FA status`,
    },
  }));
}

const rest = get(urls.outside, 'OUT:REST');
const outside2fa = get(urls.outsideTwoFactor, 'OUT:2FA');
const access = [outside2fa, gql('AnnexaOutsideCollaboratorAccess', 'OUT:GQL1'), gql('AnnexaOutsideCollaboratorAccess', 'OUT:GQL2')];
/** zed-auditor is the one outside collaborator in the filter=2fa_disabled listing. */
const twoFactor = (login: string) => ({ twoFactorEnabled: login !== 'zed-auditor', twoFactorNotVisibleReason: null });
export const outsideCollaboratorRecords: Rec[] = [
  {
    // Seen only through GraphQL (access to acme/web), not in the REST listing.
    subject: 'bob-vendor',
    requests: access,
    payload: { login: 'bob-vendor', id: 3003, repositories: [{ repository: 'acme/web', permission: 'TRIAGE' }], ...twoFactor('bob-vendor') },
  },
  {
    subject: 'ext-contractor',
    requests: [rest, ...access],
    payload: {
      login: 'ext-contractor',
      id: 3001,
      repositories: [
        { repository: 'acme/api', permission: 'WRITE' },
        { repository: 'acme/docs', permission: 'READ' },
        { repository: 'acme/web', permission: 'ADMIN' },
      ],
      ...twoFactor('ext-contractor'),
    },
  },
  // In the REST listing without any repository access left.
  { subject: 'yuki-idle', requests: [rest, ...access], payload: { login: 'yuki-idle', id: 3004, repositories: [], ...twoFactor('yuki-idle') } },
  {
    subject: 'zed-auditor',
    requests: [rest, ...access],
    payload: { login: 'zed-auditor', id: 3002, repositories: [{ repository: 'acme/docs', permission: 'READ' }], ...twoFactor('zed-auditor') },
  },
];

const repoPage1 = gql('AnnexaRepositories', 'REPO:0001');
const repoPage2 = gql('AnnexaRepositories', 'REPO:0002');
const orgRuleset = {
  rulesetId: 42,
  source: 'acme',
  sourceType: 'Organization',
  pullRequest: { requiredApprovingReviewCount: 1, dismissStaleReviewsOnPush: true, requireCodeOwnerReview: false, requireLastPushApproval: true },
  requiredStatusChecks: ['ci/build', 'codeql'],
  blocksForcePushes: true,
  blocksDeletion: true,
  otherRules: [],
};
export const branchProtectionRecords: Rec[] = [
  {
    subject: 'acme/api',
    requests: [repoPage1, get(urls.rules('api', 'main'), 'RULES:API')],
    payload: {
      repository: 'acme/api',
      archived: false,
      visibility: 'PRIVATE',
      defaultBranch: 'main',
      classic: {
        pattern: 'main',
        requiresApprovingReviews: true,
        requiredApprovingReviewCount: 2,
        dismissesStaleReviews: true,
        requiresCodeOwnerReviews: true,
        requiresStatusChecks: true,
        requiresStrictStatusChecks: true,
        requiredStatusChecks: ['ci/build', 'ci/test'],
        enforceAdmins: true,
        allowsForcePushes: false,
        allowsDeletions: false,
      },
      // Repository ruleset 7 and organization ruleset 42 (refs/heads/main); not the trial ruleset 50
      // (EVALUATE), 60 (refs/heads/release/**/*), 70 (tags) nor 80 (~ALL excluding refs/heads/main).
      rulesets: [
        {
          rulesetId: 7,
          source: 'acme/api',
          sourceType: 'Repository',
          pullRequest: null,
          requiredStatusChecks: null,
          blocksForcePushes: false,
          blocksDeletion: false,
          otherRules: ['required_signatures', 'required_linear_history'],
        },
        orgRuleset,
      ],
    },
  },
  {
    // Unprotected: no classic rule, no ruleset.
    subject: 'acme/docs',
    requests: [repoPage1, get(urls.rules('docs', 'main'), 'RULES:DOCS')],
    payload: { repository: 'acme/docs', archived: false, visibility: 'PUBLIC', defaultBranch: 'main', classic: null, rulesets: [] },
  },
  {
    // Empty repository: no default branch, so no rules request.
    subject: 'acme/empty',
    requests: [repoPage1],
    payload: { repository: 'acme/empty', archived: false, visibility: 'PRIVATE', defaultBranch: null, classic: null, rulesets: [] },
  },
  {
    subject: 'acme/legacy',
    requests: [repoPage2, get(urls.rules('legacy', 'master'), 'RULES:LEGACY')],
    payload: {
      repository: 'acme/legacy',
      archived: true,
      visibility: 'PRIVATE',
      defaultBranch: 'master',
      classic: {
        pattern: 'master',
        requiresApprovingReviews: false,
        requiredApprovingReviewCount: null,
        dismissesStaleReviews: false,
        requiresCodeOwnerReviews: false,
        requiresStatusChecks: false,
        requiresStrictStatusChecks: false,
        requiredStatusChecks: [],
        enforceAdmins: false,
        allowsForcePushes: true,
        allowsDeletions: false,
      },
      // ~ALL excluding refs/heads/main selects master.
      rulesets: [
        { rulesetId: 80, source: 'acme', sourceType: 'Organization', pullRequest: null, requiredStatusChecks: null, blocksForcePushes: true, blocksDeletion: false, otherRules: [] },
      ],
    },
  },
  {
    subject: 'acme/web',
    requests: [repoPage2, get(urls.rules('web', 'main'), 'RULES:WEB')],
    payload: { repository: 'acme/web', archived: false, visibility: 'INTERNAL', defaultBranch: 'main', classic: null, rulesets: [orgRuleset] },
  },
];

/**
 * Merged within 90 days of 2026-11-25T12:00Z (since 2026-08-27T12:00Z), in query order: the first
 * query holds api, docs and web; api's second page comes in a second query. #388 was updated in
 * the period but merged before it (skipped); #350 was last updated before it and ends the paging.
 */
export const mergedPullRequestRecords: Rec[] = [
  {
    subject: 'acme/api#412',
    requests: [repoPage1, gql('AnnexaMergedPullRequests', 'PR:B1')],
    payload: {
      repository: 'acme/api',
      number: 412,
      title: 'Rotate session signing keys',
      url: 'https://github.com/acme/api/pull/412',
      author: 'alice',
      mergedBy: 'alice',
      createdAt: '2026-11-23T09:12:44Z',
      mergedAt: '2026-11-24T16:02:10Z',
      baseBranch: 'main',
      mergeCommit: '9f2c4e1a7b3d5f60812a4c6e8b0d2f4a6c8e0b1d',
      reviews: [
        { reviewer: 'carol', state: 'COMMENTED', submittedAt: '2026-11-23T14:00:02Z' },
        { reviewer: 'bob', state: 'APPROVED', submittedAt: '2026-11-24T10:31:00Z' },
      ],
      reviewsTruncated: false,
    },
  },
  {
    subject: 'acme/api#409',
    requests: [repoPage1, gql('AnnexaMergedPullRequests', 'PR:B1')],
    payload: {
      repository: 'acme/api',
      number: 409,
      title: 'Bump express from 4.21.1 to 4.21.2',
      url: 'https://github.com/acme/api/pull/409',
      author: null,
      mergedBy: 'bob',
      createdAt: '2026-10-28T07:00:00Z',
      mergedAt: '2026-10-31T18:20:00Z',
      baseBranch: 'main',
      mergeCommit: '1b3d5f7092a4c6e8f0a2b4c6d8e0f2a4b6c8d0e2',
      reviews: [],
      reviewsTruncated: false,
    },
  },
  {
    subject: 'acme/web#77',
    requests: [repoPage2, gql('AnnexaMergedPullRequests', 'PR:B1')],
    payload: {
      repository: 'acme/web',
      number: 77,
      title: 'Content-Security-Policy header',
      url: 'https://github.com/acme/web/pull/77',
      author: 'erin',
      mergedBy: 'erin',
      createdAt: '2026-11-18T11:00:00Z',
      mergedAt: '2026-11-19T15:58:00Z',
      baseBranch: 'main',
      mergeCommit: 'b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9',
      reviews: [{ reviewer: 'dave-ops', state: 'APPROVED', submittedAt: '2026-11-19T15:30:00Z' }],
      reviewsTruncated: false,
    },
  },
  {
    subject: 'acme/api#401',
    requests: [repoPage1, gql('AnnexaMergedPullRequests', 'PR:B2')],
    payload: {
      repository: 'acme/api',
      number: 401,
      title: 'Enforce TLS 1.2 minimum',
      url: 'https://github.com/acme/api/pull/401',
      author: 'bob',
      mergedBy: 'bob',
      createdAt: '2026-08-29T08:00:00Z',
      mergedAt: '2026-08-30T15:45:00Z',
      baseBranch: 'main',
      mergeCommit: '5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e3a',
      reviews: [
        { reviewer: 'alice', state: 'CHANGES_REQUESTED', submittedAt: '2026-08-29T12:00:00Z' },
        { reviewer: 'alice', state: 'APPROVED', submittedAt: '2026-08-30T15:00:00Z' },
        { reviewer: null, state: 'DISMISSED', submittedAt: '2026-08-30T15:10:00Z' },
      ],
      reviewsTruncated: false,
    },
  },
];

const depPage1 = get(urls.dependabot1, 'DEP:P1');
export const dependabotAlertRecords: Rec[] = [
  {
    subject: 'acme/api#14',
    requests: [depPage1],
    payload: {
      repository: 'acme/api',
      number: 14,
      state: 'open',
      severity: 'high',
      ghsaId: 'GHSA-3xgq-45jj-v275',
      cveId: 'CVE-2024-21538',
      summary: 'Regular Expression Denial of Service (ReDoS) in cross-spawn',
      ecosystem: 'npm',
      package: 'cross-spawn',
      manifestPath: 'package-lock.json',
      vulnerableVersionRange: '>= 7.0.0, < 7.0.5',
      firstPatchedVersion: '7.0.5',
      createdAt: '2026-11-02T04:11:09Z',
      url: 'https://github.com/acme/api/security/dependabot/14',
    },
  },
  {
    subject: 'acme/api#12',
    requests: [depPage1],
    payload: {
      repository: 'acme/api',
      number: 12,
      state: 'open',
      severity: 'medium',
      ghsaId: 'GHSA-aaaa-bbbb-cccc',
      cveId: null,
      summary: 'Prototype pollution in example-left-pad',
      ecosystem: 'npm',
      package: 'example-left-pad',
      manifestPath: 'package-lock.json',
      vulnerableVersionRange: '< 2.0.0',
      firstPatchedVersion: null,
      createdAt: '2026-09-15T10:00:00Z',
      url: 'https://github.com/acme/api/security/dependabot/12',
    },
  },
  {
    // From the second page, fetched through the cursor in the Link header.
    subject: 'acme/web#3',
    requests: [get(urls.dependabot2, 'DEP:P2')],
    payload: {
      repository: 'acme/web',
      number: 3,
      state: 'open',
      severity: 'critical',
      ghsaId: 'GHSA-q2x7-8rv6-6q7h',
      cveId: 'CVE-2024-56201',
      summary: 'Jinja has a sandbox breakout through malicious filenames',
      ecosystem: 'pip',
      package: 'jinja2',
      manifestPath: 'requirements.txt',
      vulnerableVersionRange: '>= 3.0.0, < 3.1.5',
      firstPatchedVersion: '3.1.5',
      createdAt: '2026-08-01T00:00:00Z',
      url: 'https://github.com/acme/web/security/dependabot/3',
    },
  },
];

/** Whether Dependabot alerts are on, from the same repository pages (docs has them off). */
export const repositorySettingsRecords: Rec[] = [
  ['acme/api', repoPage1, false, 'PRIVATE', true],
  ['acme/docs', repoPage1, false, 'PUBLIC', false],
  ['acme/empty', repoPage1, false, 'PRIVATE', true],
  ['acme/legacy', repoPage2, true, 'PRIVATE', true],
  ['acme/web', repoPage2, false, 'INTERNAL', true],
].map(([repository, page, archived, visibility, vulnerabilityAlertsEnabled]) => ({
  subject: repository as string,
  requests: [page as RequestRef],
  payload: { repository, archived, visibility, vulnerabilityAlertsEnabled },
}));
