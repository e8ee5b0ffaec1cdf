import type { CheckDefinition, CheckStatus } from '../checks/check.js';
import type { CheckEvaluation } from '../checks/run-checks.js';
import type { Framework } from '../frameworks/framework.js';
import {
  coverageSchemaVersion,
  type CheckRow,
  type CoverageReport,
  type ManualEvidenceRow,
  type RequirementRow,
  type RequirementStatus,
  type StatusCounts,
} from './coverage-model.js';

/** A requirement's SoA decision. */
export interface Applicability {
  applicable: boolean;
  justification: string | null;
  implementation: string | null;
}

/** A manual evidence file as stored (see `annexa evidence add`). */
export interface ManualEvidenceItem {
  requirements: readonly string[];
  digest: string;
  fileName: string;
  size: number;
  effective: string;
  expires: string | null;
  note: string | null;
  addedBy: string;
  addedAt: string;
}

export interface CoverageInputs {
  framework: Framework;
  checks: readonly CheckDefinition<unknown>[];
  evaluations: readonly CheckEvaluation[];
  /** By requirement id; null when there is no SoA (every control then counts as applicable). */
  applicability: ReadonlyMap<string, Applicability> | null;
  soaFile: string | null;
  manualEvidence: readonly ManualEvidenceItem[];
  asOf: Date;
  generatedAt: Date;
}

const checkSeverity: CheckStatus[] = ['fail', 'error', 'not_collected', 'stale', 'warn', 'pass'];

/**
 * Builds the coverage report from check evaluations, mappings, the SoA and manual evidence.
 * Pure: the same inputs always give the same report, which is what makes `--as-of` trustworthy.
 */
export function buildCoverageReport(inputs: CoverageInputs): CoverageReport {
  const { catalog, mappings } = inputs.framework;
  const asOf = inputs.asOf.toISOString();
  const rows = catalog.requirements.map((requirement): RequirementRow => {
    const decision: Applicability =
      requirement.kind === 'clause'
        ? { applicable: true, justification: null, implementation: null }
        : (inputs.applicability?.get(requirement.id) ?? { applicable: true, justification: null, implementation: null });
    const checks = mappings
      .filter((m) => m.control === requirement.id)
      .map((m) => checkRow(m.check, m.rationale, inputs))
      .filter((row): row is CheckRow => row !== undefined);
    const manualEvidence = inputs.manualEvidence
      .filter((item) => item.requirements.includes(requirement.id) && item.effective <= asOf)
      .map(
        (item): ManualEvidenceRow => ({
          digest: item.digest,
          fileName: item.fileName,
          size: item.size,
          effective: item.effective,
          expires: item.expires,
          note: item.note,
          addedBy: item.addedBy,
          addedAt: item.addedAt,
          current: item.expires === null || item.expires > asOf,
        }),
      );
    return {
      id: requirement.id,
      kind: requirement.kind,
      theme: requirement.theme,
      title: requirement.title,
      applicable: decision.applicable,
      justification: decision.justification,
      implementation: decision.implementation,
      status: decision.applicable ? requirementStatus(checks, manualEvidence) : 'excluded',
      checks,
      manualEvidence,
      newestEvidence: newestEvidence(checks, manualEvidence),
    };
  });
  return {
    schemaVersion: coverageSchemaVersion,
    framework: { id: catalog.framework, title: catalog.title },
    asOf,
    generatedAt: inputs.generatedAt.toISOString(),
    soaFile: inputs.soaFile,
    summary: summarize(rows, catalog.themes),
    controls: rows,
  };
}

function checkRow(checkId: string, rationale: string, inputs: CoverageInputs): CheckRow | undefined {
  const check = inputs.checks.find((c) => c.id === checkId);
  if (!check) return undefined;
  const evaluations = inputs.evaluations.filter((e) => e.checkId === checkId);
  const counts: Record<CheckStatus, number> = { pass: 0, fail: 0, warn: 0, stale: 0, not_collected: 0, error: 0 };
  const failing: CheckRow['failing'] = [];
  const warnings: CheckRow['warnings'] = [];
  let collectedAt: string | null = null;
  for (const evaluation of evaluations) {
    for (const ref of evaluation.evidence) {
      if (ref.collectedAt && (!collectedAt || ref.collectedAt > collectedAt)) collectedAt = ref.collectedAt;
    }
    for (const result of evaluation.results) {
      counts[result.status]++;
      if (result.status === 'warn') warnings.push({ subject: result.subject, instanceId: evaluation.instanceId, message: result.message });
      else if (result.status !== 'pass') failing.push({ subject: result.subject, instanceId: evaluation.instanceId, status: result.status, message: result.message });
    }
  }
  if (evaluations.length === 0) counts.not_collected = 1;
  const status = checkSeverity.find((s) => counts[s] > 0) ?? 'not_collected';
  return { id: check.id, title: check.title, rationale, status, counts, failing, warnings, evidenceCollectedAt: collectedAt };
}

/** failing > stale > passing > manual > missing; see {@link RequirementStatus}. */
function requirementStatus(checks: readonly CheckRow[], manual: readonly ManualEvidenceRow[]): RequirementStatus {
  if (checks.some((c) => c.status === 'fail' || c.status === 'error')) return 'failing';
  if (checks.some((c) => c.status === 'stale')) return 'stale';
  if (checks.some((c) => c.status === 'pass' || c.status === 'warn')) return 'passing';
  if (manual.some((m) => m.current)) return 'manual';
  if (manual.length > 0) return 'stale';
  return 'missing';
}

function newestEvidence(checks: readonly CheckRow[], manual: readonly ManualEvidenceRow[]): RequirementRow['newestEvidence'] {
  const candidates = [
    ...checks.filter((c) => c.evidenceCollectedAt).map((c) => ({ at: c.evidenceCollectedAt!, source: `check ${c.id}` })),
    ...manual.map((m) => ({ at: m.addedAt, source: `manual: ${m.fileName}` })),
  ];
  return candidates.sort((a, b) => b.at.localeCompare(a.at))[0] ?? null;
}

function emptyCounts(): StatusCounts {
  return { passing: 0, failing: 0, stale: 0, manual: 0, missing: 0 };
}

function summarize(rows: readonly RequirementRow[], themes: readonly { id: string; title: string }[]): CoverageReport['summary'] {
  const byStatus = emptyCounts();
  const byTheme = themes.map((t) => ({ theme: t.id, title: t.title, applicable: 0, excluded: 0, byStatus: emptyCounts() }));
  for (const row of rows) {
    const theme = byTheme.find((t) => t.theme === row.theme);
    if (row.status === 'excluded') {
      if (theme) theme.excluded++;
      continue;
    }
    byStatus[row.status]++;
    if (theme) {
      theme.applicable++;
      theme.byStatus[row.status]++;
    }
  }
  const applicable = rows.filter((r) => r.status !== 'excluded').length;
  const current = byStatus.passing + byStatus.failing + byStatus.manual;
  return {
    applicable,
    excluded: rows.length - applicable,
    byStatus,
    byTheme,
    currentEvidencePercent: applicable === 0 ? 0 : Math.round((current / applicable) * 1000) / 10,
  };
}
