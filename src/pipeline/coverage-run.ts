import { checkRegistry } from '../checks/registry.js';
import { evaluateChecks, type CheckEvaluation } from '../checks/run-checks.js';
import { connectorRegistry } from '../registry.js';
import { loadFramework, type Catalog } from '../frameworks/framework.js';
import { loadSoa } from '../soa/soa.js';
import { buildCoverageReport, type Applicability } from '../reports/coverage.js';
import type { CoverageReport } from '../reports/coverage-model.js';
import type { EvidenceStore } from '../../storage/evidence-store.js';
import { loadManualEvidence } from './manual-evidence.js';

/**
 * Everything the coverage report needs, read as of a date: check evaluations over stored
 * evidence, the SoA, and manual evidence added by then. Shared by `annexa coverage` and `annexa run`.
 */
export async function assembleCoverage(options: {
  store: EvidenceStore;
  soaPath: string | null;
  checkParams: Readonly<Record<string, unknown>>;
  asOf: Date;
  now: Date;
  /** Check evaluations already made as of `asOf` (by a check run); evaluated here when absent. */
  evaluations?: readonly CheckEvaluation[];
}): Promise<CoverageReport> {
  const framework = loadFramework();
  const applicability = loadApplicability(options.soaPath, framework.catalog);
  const evaluations =
    options.evaluations ??
    (await evaluateChecks({
    store: options.store,
    checks: checkRegistry,
    connectors: connectorRegistry,
    asOf: options.asOf,
    params: options.checkParams,
  }));
  return buildCoverageReport({
    framework,
    checks: checkRegistry,
    evaluations,
    applicability,
    soaFile: options.soaPath,
    manualEvidence: await loadManualEvidence(options.store, options.asOf),
    asOf: options.asOf,
    generatedAt: options.now,
  });
}

/** Each control's SoA decision by id, or null without a SoA (every control then counts as applicable). */
export function loadApplicability(soaPath: string | null, catalog: Catalog): Map<string, Applicability> | null {
  if (!soaPath) return null;
  const soa = loadSoa(soaPath, catalog);
  return new Map(
    Object.values(soa.controls).map((e) => [e.id, { applicable: e.applicable, justification: e.justification || null, implementation: e.implementation || null }]),
  );
}

/** The `--fail-on` values: which applicable statuses make `coverage` exit non-zero. */
export const failOnStatuses = ['failing', 'stale', 'missing', 'manual'] as const;
