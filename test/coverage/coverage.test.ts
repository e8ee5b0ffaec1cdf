import { describe, it, expect } from 'vitest';
import { buildCoverageReport, type Applicability, type ManualEvidenceItem } from '../../src/reports/coverage.js';
import type { CoverageReport, RequirementRow, StatusCounts } from '../../src/reports/coverage-model.js';
import type { CheckEvaluation } from '../../src/checks/run-checks.js';
import type { CheckResult } from '../../src/checks/check.js';
import { checkRegistry } from '../../src/checks/registry.js';
import { loadFramework } from '../../src/frameworks/framework.js';
import { parseSoa, soaTemplate } from '../../src/soa/soa.js';

/**
 * buildCoverageReport with the shipped framework and checks, synthetic check evaluations, a SoA
 * and manual evidence. Expected statuses are worked out by hand from the mappings in
 * mappings/iso27001-2022/github.yaml:
 *   requires_2fa            → A.5.17, A.8.5
 *   have_2fa                → A.8.5, A.5.17, A.8.2
 *   requires_review         → A.8.32, A.8.4, A.8.25
 *   approved_before_merge   → A.8.32, A.8.25, A.5.3
 *   dependabot SLA          → A.8.8, A.8.28
 *   outside collaborators   → A.5.18, A.5.15, A.5.19
 */

// Only the GitHub mappings and checks: the expectations below are worked out from github.yaml alone.
const shipped = loadFramework();
const framework = { ...shipped, mappings: shipped.mappings.filter((m) => m.check.startsWith('github.')) };
const githubChecks = checkRegistry.filter((c) => c.id.startsWith('github.'));
const asOf = new Date('2026-03-31T12:00:00.000Z');
const generatedAt = new Date('2026-03-31T12:05:00.000Z');
const instanceId = 'github-acme';
const collectedAt = '2026-03-31T06:00:00.000Z';

function evaluation(checkId: string, results: CheckResult[], at: string | null = collectedAt): CheckEvaluation {
  return {
    checkId,
    instanceId,
    asOf: asOf.toISOString(),
    results,
    evidence: [{ kind: 'k', instanceId, runId: at ? 'run-1' : null, collectedAt: at, digests: [] }],
  };
}

const evaluations: CheckEvaluation[] = [
  evaluation('github.org.requires_2fa', [{ subject: 'acme', status: 'pass', message: '2FA is required for all members' }]),
  evaluation('github.members.have_2fa', [
    { subject: 'alice', status: 'pass', message: 'member has 2FA enabled' },
    { subject: 'bob', status: 'fail', message: 'member has 2FA disabled' },
    { subject: 'carol', status: 'error', message: '2FA status not visible: HTTP 403' },
  ]),
  evaluation('github.default_branch.requires_review', [{ subject: 'acme/api', status: 'pass', message: 'main requires 1 approving review(s)' }]),
  evaluation(
    'github.pull_requests.approved_before_merge',
    [{ subject: instanceId, status: 'stale', message: 'newest github.merged_pull_request.v1 evidence is 40 h old' }],
    '2026-03-29T20:00:00.000Z',
  ),
  evaluation('github.dependabot.critical_high_within_sla', [{ subject: 'acme/api#3', status: 'pass', message: 'within SLA' }]),
  evaluation('github.outside_collaborators.listed_for_review', [{ subject: 'ext-dan', status: 'warn', message: 'outside collaborator to review: acme/api (READ)' }]),
];

function manual(fileName: string, requirements: string[], effective: string, expires: string | null, addedAt: string): ManualEvidenceItem {
  return { requirements, digest: `sha-${fileName}`, fileName, size: 100, effective, expires, note: null, addedBy: 'ciso', addedAt };
}

const policy = manual('policy.pdf', ['A.5.1', '5.2', 'A.8.5'], '2026-01-10', '2027-01-10', '2026-01-11T09:00:00.000Z');
const auditReport = manual('audit-2025.pdf', ['9.2'], '2025-01-01', '2026-01-01', '2025-01-05T09:00:00.000Z');
const futureReview = manual('review-2026.pdf', ['9.3'], '2026-04-15', null, '2026-03-30T09:00:00.000Z');

const exclusion = 'No premises of our own; offices are provided by a co-working operator.';
const soaText = soaTemplate(framework.catalog)
  .replace('  A.7.12:\n    applicable: true\n    justification: ""', `  A.7.12:\n    applicable: false\n    justification: "${exclusion}"`)
  .replace('  A.8.2:\n    applicable: true\n    justification: ""', '  A.8.2:\n    applicable: false\n    justification: "No privileged access in scope."')
  .replace('  A.5.1:\n    applicable: true\n    justification: ""', '  A.5.1:\n    applicable: true\n    justification: "Required by ISO."');
const soa = parseSoa(soaText, 'soa.yaml', framework.catalog);
const applicability = new Map<string, Applicability>(
  Object.values(soa.controls).map((e) => [e.id, { applicable: e.applicable, justification: e.justification || null, implementation: e.implementation || null }]),
);

const report = buildCoverageReport({
  framework,
  checks: githubChecks,
  evaluations,
  applicability,
  soaFile: 'soa.yaml',
  manualEvidence: [policy, auditReport, futureReview],
  asOf,
  generatedAt,
});

const row = (id: string): RequirementRow => {
  const found = report.controls.find((r) => r.id === id);
  if (!found) throw new Error(`no row ${id}`);
  return found;
};

describe('buildCoverageReport', () => {
  it('has one row per catalog requirement, in catalog order, with the report header', () => {
    expect(report.controls.map((r) => r.id)).toEqual(framework.catalog.requirements.map((r) => r.id));
    expect(report.controls).toHaveLength(103);
    expect(report.schemaVersion).toBe(1);
    expect(report.framework).toEqual({ id: 'iso27001-2022', title: 'ISO/IEC 27001:2022' });
    expect(report.asOf).toBe('2026-03-31T12:00:00.000Z');
    expect(report.generatedAt).toBe('2026-03-31T12:05:00.000Z');
    expect(report.soaFile).toBe('soa.yaml');
  });

  it('makes a control failing when one mapped check fails, even with a passing check and current manual evidence', () => {
    const a85 = row('A.8.5');
    expect(a85.status).toBe('failing');
    expect(a85.checks.map((c) => [c.id, c.status])).toEqual([
      ['github.org.requires_2fa', 'pass'],
      ['github.members.have_2fa', 'fail'],
      ['github.members.no_insecure_2fa', 'not_collected'],
      ['github.outside_collaborators.have_2fa', 'not_collected'],
    ]);
    const have2fa = a85.checks[1]!;
    expect(have2fa.counts).toEqual({ pass: 1, fail: 1, warn: 0, stale: 0, not_collected: 0, error: 1 });
    expect(have2fa.failing).toEqual([
      { subject: 'bob', instanceId, status: 'fail', message: 'member has 2FA disabled' },
      { subject: 'carol', instanceId, status: 'error', message: '2FA status not visible: HTTP 403' },
    ]);
    expect(have2fa.rationale).toContain('second factor');
    expect(a85.manualEvidence.map((m) => [m.fileName, m.current])).toEqual([['policy.pdf', true]]);
    expect(row('A.5.17').status).toBe('failing');
  });

  it('makes a control stale when a mapped check is stale and none fails', () => {
    const a832 = row('A.8.32');
    expect(a832.checks.map((c) => [c.id, c.status])).toEqual([
      ['github.default_branch.requires_review', 'pass'],
      ['github.pull_requests.approved_before_merge', 'stale'],
    ]);
    expect(a832.status).toBe('stale');
    expect(a832.checks[1]!.failing).toEqual([
      { subject: instanceId, instanceId, status: 'stale', message: 'newest github.merged_pull_request.v1 evidence is 40 h old' },
    ]);
    expect(row('A.8.25').status).toBe('stale');
    expect(row('A.5.3').status).toBe('stale');
  });

  it('makes a control passing when its checks pass, warnings included', () => {
    expect(row('A.8.8').status).toBe('passing');
    expect(row('A.8.28').status).toBe('passing');
    expect(row('A.8.4').status).toBe('passing');
    const a518 = row('A.5.18');
    expect(a518.status).toBe('passing');
    expect(a518.checks[0]!.status).toBe('warn');
    expect(a518.checks[0]!.warnings).toEqual([{ subject: 'ext-dan', instanceId, message: 'outside collaborator to review: acme/api (READ)' }]);
    expect(a518.checks[0]!.failing).toEqual([]);
    expect(row('A.8.8').newestEvidence).toEqual({ at: collectedAt, source: 'check github.dependabot.critical_high_within_sla' });
  });

  it('makes a control and a clause manual with current manual evidence only', () => {
    const a51 = row('A.5.1');
    expect(a51.status).toBe('manual');
    expect(a51.checks).toEqual([]);
    expect(a51.justification).toBe('Required by ISO.');
    expect(a51.manualEvidence).toEqual([
      {
        digest: 'sha-policy.pdf',
        fileName: 'policy.pdf',
        size: 100,
        effective: '2026-01-10',
        expires: '2027-01-10',
        note: null,
        addedBy: 'ciso',
        addedAt: '2026-01-11T09:00:00.000Z',
        current: true,
      },
    ]);
    expect(a51.newestEvidence).toEqual({ at: '2026-01-11T09:00:00.000Z', source: 'manual: policy.pdf' });
    const clause = row('5.2');
    expect(clause.kind).toBe('clause');
    expect(clause.status).toBe('manual');
  });

  it('makes a clause stale when its only manual evidence expired', () => {
    const audit = row('9.2');
    expect(audit.status).toBe('stale');
    expect(audit.manualEvidence.map((m) => [m.fileName, m.current])).toEqual([['audit-2025.pdf', false]]);
  });

  it('ignores manual evidence effective after as-of: the requirement stays missing', () => {
    const review = row('9.3');
    expect(review.status).toBe('missing');
    expect(review.manualEvidence).toEqual([]);
    expect(review.newestEvidence).toBeNull();
  });

  it('makes a requirement with nothing behind it missing', () => {
    expect(row('A.5.2').status).toBe('missing');
    expect(row('A.6.1').status).toBe('missing');
    expect(row('4.3').status).toBe('missing');
  });

  it('excludes controls the SoA excludes, with the justification, even when a mapped check fails', () => {
    const a712 = row('A.7.12');
    expect(a712.applicable).toBe(false);
    expect(a712.status).toBe('excluded');
    expect(a712.justification).toBe(exclusion);
    const a82 = row('A.8.2');
    expect(a82.status).toBe('excluded');
    expect(a82.checks.map((c) => [c.id, c.status])).toEqual([['github.members.have_2fa', 'fail']]);
  });

  it('counts statuses over applicable requirements, per theme and in total, matching the rows', () => {
    // By hand: failing A.8.5, A.5.17; stale A.8.32, A.8.25, A.5.3, 9.2; passing A.8.4, A.8.8, A.8.28,
    // A.5.18, A.5.15, A.5.19; manual A.5.1, 5.2; excluded A.7.12, A.8.2; the other 87 missing.
    expect(report.summary.applicable).toBe(101);
    expect(report.summary.excluded).toBe(2);
    expect(report.summary.byStatus).toEqual({ passing: 6, failing: 2, stale: 4, manual: 2, missing: 87 });
    const byTheme = Object.fromEntries(report.summary.byTheme.map((t) => [t.theme, { applicable: t.applicable, excluded: t.excluded, ...t.byStatus }]));
    expect(byTheme).toEqual({
      clauses: { applicable: 10, excluded: 0, passing: 0, failing: 0, stale: 1, manual: 1, missing: 8 },
      organizational: { applicable: 37, excluded: 0, passing: 3, failing: 1, stale: 1, manual: 1, missing: 31 },
      people: { applicable: 8, excluded: 0, passing: 0, failing: 0, stale: 0, manual: 0, missing: 8 },
      physical: { applicable: 13, excluded: 1, passing: 0, failing: 0, stale: 0, manual: 0, missing: 13 },
      technological: { applicable: 33, excluded: 1, passing: 3, failing: 1, stale: 2, manual: 0, missing: 27 },
    });
    // (6 passing + 2 failing + 2 manual) / 101 = 9.90…%
    expect(report.summary.currentEvidencePercent).toBe(9.9);

    // The same numbers, recomputed from the rows.
    const fromRows = (rows: readonly RequirementRow[]): StatusCounts => {
      const counts: StatusCounts = { passing: 0, failing: 0, stale: 0, manual: 0, missing: 0 };
      for (const r of rows) if (r.status !== 'excluded') counts[r.status]++;
      return counts;
    };
    expect(report.summary.byStatus).toEqual(fromRows(report.controls));
    for (const theme of report.summary.byTheme) {
      const rows = report.controls.filter((r) => r.theme === theme.theme);
      expect(theme.byStatus).toEqual(fromRows(rows));
      expect(theme.excluded).toBe(rows.filter((r) => r.status === 'excluded').length);
      expect(theme.applicable + theme.excluded).toBe(rows.length);
    }
  });

  it('is pure: the same inputs give the same report', () => {
    const again: CoverageReport = buildCoverageReport({
      framework,
      checks: githubChecks,
      evaluations,
      applicability,
      soaFile: 'soa.yaml',
      manualEvidence: [policy, auditReport, futureReview],
      asOf,
      generatedAt,
    });
    expect(again).toEqual(report);
  });
});

describe('buildCoverageReport edge cases', () => {
  it('without a SoA every control is applicable', () => {
    const noSoa = buildCoverageReport({ framework, checks: githubChecks, evaluations, applicability: null, soaFile: null, manualEvidence: [], asOf, generatedAt });
    expect(noSoa.summary.excluded).toBe(0);
    expect(noSoa.summary.applicable).toBe(103);
    expect(noSoa.soaFile).toBeNull();
    expect(noSoa.controls.find((r) => r.id === 'A.8.2')!.status).toBe('failing');
    expect(noSoa.controls.find((r) => r.id === 'A.7.12')!.status).toBe('missing');
  });

  it('with no evaluations, mapped checks are not_collected and their controls missing (or manual with a current document)', () => {
    const empty = buildCoverageReport({
      framework,
      checks: githubChecks,
      evaluations: [],
      applicability: null,
      soaFile: null,
      manualEvidence: [manual('vuln-process.pdf', ['A.8.8'], '2026-01-01', null, '2026-01-02T00:00:00.000Z')],
      asOf,
      generatedAt,
    });
    const a85 = empty.controls.find((r) => r.id === 'A.8.5')!;
    expect(a85.status).toBe('missing');
    expect(a85.checks.map((c) => [c.id, c.status, c.counts.not_collected])).toEqual([
      ['github.org.requires_2fa', 'not_collected', 1],
      ['github.members.have_2fa', 'not_collected', 1],
      ['github.members.no_insecure_2fa', 'not_collected', 1],
      ['github.outside_collaborators.have_2fa', 'not_collected', 1],
    ]);
    expect(empty.controls.find((r) => r.id === 'A.8.8')!.status).toBe('manual');
    expect(empty.summary.byStatus).toEqual({ passing: 0, failing: 0, stale: 0, manual: 1, missing: 102 });
    expect(empty.summary.currentEvidencePercent).toBe(1);
  });

  it('counts manual evidence as current from its effective date and no longer from its expiry date', () => {
    const doc = manual('p.pdf', ['A.5.1'], '2026-03-31', '2026-04-01', '2026-03-31T00:00:00.000Z');
    const statusAt = (iso: string) =>
      buildCoverageReport({ framework, checks: githubChecks, evaluations: [], applicability: null, soaFile: null, manualEvidence: [doc], asOf: new Date(iso), generatedAt })
        .controls.find((r) => r.id === 'A.5.1')!.status;
    expect(statusAt('2026-03-30T23:59:59.999Z')).toBe('missing');
    expect(statusAt('2026-03-31T00:00:00.000Z')).toBe('manual');
    expect(statusAt('2026-03-31T23:59:59.999Z')).toBe('manual');
    expect(statusAt('2026-04-01T00:00:00.000Z')).toBe('stale');
  });

  it('a not_collected check does not hide a failing one on the same control', () => {
    const report2 = buildCoverageReport({
      framework,
      checks: githubChecks,
      evaluations: [evaluation('github.members.have_2fa', [{ subject: 'bob', status: 'fail', message: 'x' }])],
      applicability: null,
      soaFile: null,
      manualEvidence: [],
      asOf,
      generatedAt,
    });
    const a85 = report2.controls.find((r) => r.id === 'A.8.5')!;
    expect(a85.checks.map((c) => c.status)).toEqual(['not_collected', 'fail', 'not_collected', 'not_collected']);
    expect(a85.status).toBe('failing');
  });
});
