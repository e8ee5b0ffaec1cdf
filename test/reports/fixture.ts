import type { CheckStatus } from '../../src/checks/check.js';
import {
  coverageSchemaVersion,
  type CheckRow,
  type CoverageReport,
  type CoverageSummary,
  type ManualEvidenceRow,
  type RequirementRow,
  type StatusCounts,
} from '../../src/reports/coverage-model.js';

/**
 * A realistic coverage report for renderer tests: a few requirements in every theme (a clause
 * included), every status present, failing subjects (one named `<script>alert(1)</script>`),
 * warnings, manual evidence (current and expired) and excluded controls with a justification.
 * The summary is computed from the rows by {@link summarize}: tests derive their expectations
 * from the rows, never from hard-coded numbers.
 */

export const asOf = '2025-06-30T00:00:00.000Z';
export const scriptSubject = '<script>alert(1)</script>';
export const instanceId = 'github-acme';

export const themes = [
  { theme: 'clauses', title: 'Management system clauses (4-10)' },
  { theme: 'organizational', title: 'Organizational controls (5.1-5.37)' },
  { theme: 'people', title: 'People controls (6.1-6.8)' },
  { theme: 'physical', title: 'Physical controls (7.1-7.14)' },
  { theme: 'technological', title: 'Technological controls (8.1-8.34)' },
] as const;

const fresh = '2025-06-29T22:04:11.000Z';
const old = '2025-06-20T06:00:00.000Z';

function counts(partial: Partial<Record<CheckStatus, number>>): Record<CheckStatus, number> {
  return { pass: 0, fail: 0, warn: 0, stale: 0, not_collected: 0, error: 0, ...partial };
}

function checks() {
  const requires2fa: CheckRow = {
    id: 'github.org.requires_2fa',
    title: 'The organization requires two-factor authentication',
    rationale: 'Enforcing a second factor org-wide is the secure-authentication rule for source-code access.',
    status: 'pass',
    counts: counts({ pass: 1 }),
    failing: [],
    warnings: [],
    evidenceCollectedAt: fresh,
  };
  const have2fa: CheckRow = {
    id: 'github.members.have_2fa',
    title: 'Every member has two-factor authentication enabled',
    rationale: 'Shows every member, owners (privileged access) included, actually authenticates with a second factor.',
    status: 'fail',
    counts: counts({ pass: 41, fail: 3 }),
    failing: [
      { subject: 'alice', instanceId, status: 'fail', message: 'Member alice (admin) has no second factor enabled' },
      { subject: 'bob', instanceId, status: 'fail', message: 'Member bob has no second factor enabled' },
      { subject: scriptSubject, instanceId, status: 'fail', message: `Member ${scriptSubject} has no second factor <b>enabled</b>` },
    ],
    warnings: [],
    evidenceCollectedAt: fresh,
  };
  const requiresReview: CheckRow = {
    id: 'github.default_branch.requires_review',
    title: 'Default branches require a reviewed pull request',
    rationale: 'Protected default branches force changes through reviewed pull requests.',
    status: 'fail',
    counts: counts({ pass: 12, fail: 2 }),
    failing: [
      { subject: 'acme/legacy-tool', instanceId, status: 'fail', message: 'Default branch main has no protection rule' },
      { subject: 'acme/infra', instanceId, status: 'fail', message: 'Default branch main requires 0 approving reviews (policy: 1)' },
    ],
    warnings: [],
    evidenceCollectedAt: fresh,
  };
  const approvedBeforeMerge: CheckRow = {
    id: 'github.pull_requests.approved_before_merge',
    title: 'Merged pull requests were approved before merge',
    rationale: 'The population of merged changes with independent approval is what an auditor samples.',
    status: 'fail',
    counts: counts({ pass: 57, fail: 1, error: 1 }),
    failing: [
      { subject: 'acme/api#12', instanceId, status: 'fail', message: 'Merged without approval | self-merged by dave\nvia admin override' },
      { subject: 'acme/web#7', instanceId, status: 'error', message: 'Reviews not visible to the token (needs pull_requests: read)' },
    ],
    warnings: [],
    evidenceCollectedAt: fresh,
  };
  const dependabot: CheckRow = {
    id: 'github.dependabot.critical_high_within_sla',
    title: 'Critical and high Dependabot alerts are fixed within the SLA',
    rationale: 'Open critical and high dependency vulnerabilities fixed within an SLA evidence vulnerability management.',
    status: 'stale',
    counts: counts({ stale: 1 }),
    failing: [
      { subject: 'acme', instanceId, status: 'stale', message: 'Newest Dependabot evidence is from 2025-06-20, older than its 24 h TTL' },
    ],
    warnings: [],
    evidenceCollectedAt: old,
  };
  const outsideCollaborators: CheckRow = {
    id: 'github.outside_collaborators.listed_for_review',
    title: 'Outside collaborators are listed for access review',
    rationale: 'Non-members with repository access are the access rights a periodic review must cover.',
    status: 'warn',
    counts: counts({ warn: 2 }),
    failing: [],
    warnings: [
      { subject: 'ext-contractor', instanceId, message: 'Outside collaborator with write access to acme/api: confirm in the access review' },
      { subject: 'vendor-bot', instanceId, message: 'Outside collaborator with read access to acme/docs: confirm in the access review' },
    ],
    evidenceCollectedAt: fresh,
  };
  return { requires2fa, have2fa, requiresReview, approvedBeforeMerge, dependabot, outsideCollaborators };
}

function manual(fileName: string, effective: string, expires: string | null, current: boolean, note: string | null = null): ManualEvidenceRow {
  return {
    digest: 'sha256:' + [...fileName].map((c) => c.charCodeAt(0).toString(16)).join('').padEnd(64, '0').slice(0, 64),
    fileName,
    size: 48_213 + fileName.length * 1000,
    effective,
    expires,
    note,
    addedBy: 'grace@acme.example',
    addedAt: '2025-02-03T10:20:00.000Z',
    current,
  };
}

type RowInput = Pick<RequirementRow, 'id' | 'theme' | 'title' | 'status'> & Partial<RequirementRow>;

function row(input: RowInput): RequirementRow {
  const r: RequirementRow = {
    kind: input.id.startsWith('A.') ? 'control' : 'clause',
    applicable: input.status !== 'excluded',
    justification: null,
    implementation: null,
    checks: [],
    manualEvidence: [],
    newestEvidence: null,
    ...input,
  };
  if (input.newestEvidence === undefined) r.newestEvidence = newest(r);
  return r;
}

function newest(r: RequirementRow): RequirementRow['newestEvidence'] {
  const candidates = [
    ...r.checks.filter((c) => c.evidenceCollectedAt !== null).map((c) => ({ at: c.evidenceCollectedAt!, source: `${instanceId} (${c.id})` })),
    ...r.manualEvidence.map((m) => ({ at: m.addedAt, source: `manual: ${m.fileName}` })),
  ];
  candidates.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  return candidates[0] ?? null;
}

/** The fixture's requirement rows (fresh objects on every call). */
export function buildRows(): RequirementRow[] {
  const c = checks();
  return [
    row({
      id: '5.2',
      theme: 'clauses',
      title: 'Information security policy',
      status: 'manual',
      justification: 'Required by clause 5.2',
      manualEvidence: [manual('information-security-policy-v3.pdf', '2025-01-15', '2026-01-15', true, 'Approved by the CEO on 2025-01-14')],
    }),
    row({
      id: '6.1.3.d',
      theme: 'clauses',
      title: 'Statement of Applicability',
      status: 'manual',
      manualEvidence: [manual('statement-of-applicability.xlsx', '2025-03-01', null, true)],
    }),
    row({
      id: '9.2',
      theme: 'clauses',
      title: 'Internal audit',
      status: 'stale',
      manualEvidence: [manual('internal-audit-report-2024.pdf', '2024-03-31', '2025-03-31', false, 'Annual internal audit')],
    }),
    row({ id: '9.3', theme: 'clauses', title: 'Management review', status: 'missing' }),

    row({
      id: 'A.5.3',
      theme: 'organizational',
      title: 'Segregation of duties',
      status: 'failing',
      justification: 'Developers must not approve their own changes',
      implementation: 'Branch protection plus the approval-before-merge check',
      checks: [c.approvedBeforeMerge],
    }),
    row({
      id: 'A.5.15',
      theme: 'organizational',
      title: 'Access control',
      status: 'passing',
      justification: 'Access to customer data and source code must be controlled',
      implementation: 'Role-based access in GitHub; quarterly access review',
      checks: [c.outsideCollaborators],
      manualEvidence: [manual('access-control-policy.pdf', '2025-01-15', '2026-01-15', true)],
    }),
    row({
      id: 'A.5.17',
      theme: 'organizational',
      title: 'Authentication information',
      status: 'failing',
      justification: 'Staff authenticate to SaaS tools and source hosting',
      implementation: 'SSO with enforced second factor; GitHub organization requires 2FA',
      checks: [c.requires2fa, c.have2fa],
    }),
    row({
      id: 'A.5.18',
      theme: 'organizational',
      title: 'Access rights',
      status: 'passing',
      checks: [c.outsideCollaborators],
    }),
    row({ id: 'A.5.23', theme: 'organizational', title: 'Information security for use of cloud services', status: 'missing' }),

    row({
      id: 'A.6.1',
      theme: 'people',
      title: 'Screening',
      status: 'manual',
      manualEvidence: [manual('background-check-procedure.pdf', '2025-02-01', '2026-02-01', true)],
    }),
    row({
      id: 'A.6.3',
      theme: 'people',
      title: 'Information security awareness, education and training',
      status: 'stale',
      manualEvidence: [manual('training-completion-2024.csv', '2024-05-01', '2025-05-01', false)],
    }),
    row({ id: 'A.6.7', theme: 'people', title: 'Remote working', status: 'missing' }),

    row({
      id: 'A.7.1',
      theme: 'physical',
      title: 'Physical security perimeters',
      status: 'excluded',
      justification: 'Acme is fully remote and has no offices; hosting perimeters are the cloud providers\' (see A.5.23).',
    }),
    row({
      id: 'A.7.4',
      theme: 'physical',
      title: 'Physical security monitoring',
      status: 'excluded',
      justification: 'No premises to monitor.\nData centres are covered by supplier SOC 2 reports | reviewed yearly.',
    }),
    row({
      id: 'A.7.7',
      theme: 'physical',
      title: 'Clear desk and clear screen',
      status: 'manual',
      manualEvidence: [manual('clear-desk-and-screen-policy.pdf', '2025-01-15', '2026-01-15', true)],
    }),

    row({ id: 'A.8.2', theme: 'technological', title: 'Privileged access rights', status: 'failing', checks: [c.have2fa] }),
    row({
      id: 'A.8.5',
      theme: 'technological',
      title: 'Secure authentication',
      status: 'failing',
      checks: [c.requires2fa, c.have2fa],
    }),
    row({ id: 'A.8.8', theme: 'technological', title: 'Management of technical vulnerabilities', status: 'stale', checks: [c.dependabot] }),
    row({ id: 'A.8.9', theme: 'technological', title: 'Configuration management', status: 'passing', checks: [c.requires2fa] }),
    row({
      id: 'A.8.25',
      theme: 'technological',
      title: 'Secure development life cycle',
      status: 'failing',
      checks: [c.requiresReview, c.approvedBeforeMerge],
    }),
  ];
}

export function emptyCounts(): StatusCounts {
  return { passing: 0, failing: 0, stale: 0, manual: 0, missing: 0 };
}

/** The summary of `rows`, computed as the coverage model defines it. */
export function summarize(rows: readonly RequirementRow[], themeList: readonly { theme: string; title: string }[] = themes): CoverageSummary {
  const tally = (subset: readonly RequirementRow[]) => {
    const byStatus = emptyCounts();
    let excluded = 0;
    for (const r of subset) {
      if (!r.applicable || r.status === 'excluded') excluded++;
      else byStatus[r.status]++;
    }
    return { applicable: subset.length - excluded, excluded, byStatus };
  };
  const all = tally(rows);
  const current = all.byStatus.passing + all.byStatus.failing + all.byStatus.manual;
  return {
    ...all,
    byTheme: themeList.map((t) => ({ theme: t.theme, title: t.title, ...tally(rows.filter((r) => r.theme === t.theme)) })),
    currentEvidencePercent: all.applicable === 0 ? 0 : Math.round((1000 * current) / all.applicable) / 10,
  };
}

/** The fixture report; `rows` replaces the requirements (the summary follows them). */
export function buildCoverageReport(rows: RequirementRow[] = buildRows()): CoverageReport {
  return {
    schemaVersion: coverageSchemaVersion,
    framework: { id: 'iso27001-2022', title: 'ISO/IEC 27001:2022' },
    asOf,
    generatedAt: '2025-06-30T08:15:00.000Z',
    soaFile: 'isms/statement-of-applicability.yaml',
    summary: summarize(rows),
    controls: rows,
  };
}

/** The distinct failing subjects of a row, as the renderers list them. */
export function failingSubjectsOf(r: RequirementRow): string[] {
  return [...new Set(r.checks.flatMap((c) => c.failing.map((f) => f.subject)))];
}
