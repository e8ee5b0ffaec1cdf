import type { CheckStatus } from '../checks/check.js';

/**
 * The coverage report's data: one row per requirement (Annex A control or clause), with the
 * checks behind it, failing subjects and manual evidence. This is the documented, stable JSON
 * (`annexa coverage --format json`); every renderer (table, Markdown, HTML) reads only this.
 */
export const coverageSchemaVersion = 1;

/**
 * A requirement's status:
 * - `passing`: every mapped check with current evidence passes (warn counts: evidence exists);
 * - `failing`: a mapped check fails or cannot be judged (`fail` or `error`);
 * - `stale`: a mapped check's evidence is older than its TTL, or the only manual evidence expired;
 * - `manual`: no automated evidence, current manual evidence only;
 * - `missing`: nothing automated or manual;
 * - `excluded`: excluded in the Statement of Applicability (not judged).
 */
export type RequirementStatus = 'passing' | 'failing' | 'stale' | 'manual' | 'missing' | 'excluded';

/** The statuses an applicable requirement can have, in severity order. */
export const applicableStatuses = ['failing', 'stale', 'missing', 'manual', 'passing'] as const;
export type ApplicableStatus = (typeof applicableStatuses)[number];

export interface CoverageReport {
  schemaVersion: typeof coverageSchemaVersion;
  framework: { id: string; title: string };
  /** The date the picture is for (ISO-8601 UTC). */
  asOf: string;
  generatedAt: string;
  /** The Statement of Applicability used, or null (then every control counts as applicable). */
  soaFile: string | null;
  summary: CoverageSummary;
  /** One row per requirement: every Annex A control, and the clause requirements (kind `clause`). */
  controls: RequirementRow[];
}

export interface StatusCounts {
  passing: number;
  failing: number;
  stale: number;
  manual: number;
  missing: number;
}

export interface CoverageSummary {
  /** Applicable requirements (controls and clauses). */
  applicable: number;
  excluded: number;
  /** Counts over applicable requirements. */
  byStatus: StatusCounts;
  byTheme: { theme: string; title: string; applicable: number; excluded: number; byStatus: StatusCounts }[];
  /** Applicable requirements with current evidence (passing, failing or manual), as a percentage, one decimal. */
  currentEvidencePercent: number;
}

export interface RequirementRow {
  /** `A.5.17` for Annex A controls, `9.2` for clause requirements. */
  id: string;
  kind: 'control' | 'clause';
  theme: string;
  title: string;
  applicable: boolean;
  /** SoA justification (inclusion or exclusion). */
  justification: string | null;
  /** SoA implementation notes. */
  implementation: string | null;
  status: RequirementStatus;
  checks: CheckRow[];
  manualEvidence: ManualEvidenceRow[];
  /** The newest evidence behind the row, automated or manual. */
  newestEvidence: { at: string; source: string } | null;
}

export interface CheckRow {
  id: string;
  title: string;
  /** Why this check supports the requirement (from the mapping). */
  rationale: string;
  /** The check's overall status: the worst of its results. */
  status: CheckStatus;
  counts: Record<CheckStatus, number>;
  /** Subjects with `fail` or `error` (and `not_collected`/`stale` placeholders), with the reason. */
  failing: { subject: string; instanceId: string; status: CheckStatus; message: string }[];
  /** Subjects to look at (`warn`). */
  warnings: { subject: string; instanceId: string; message: string }[];
  /** When the evidence it judged was collected, newest first per instance. */
  evidenceCollectedAt: string | null;
}

export interface ManualEvidenceRow {
  /** sha256 of the file. */
  digest: string;
  fileName: string;
  size: number;
  effective: string;
  expires: string | null;
  note: string | null;
  addedBy: string;
  addedAt: string;
  /** Effective on or before as-of and not expired. */
  current: boolean;
}
