import { createHash } from 'node:crypto';
import type { BundleFile } from '../bundle/staging.js';
import type { ControlTimeline, PeriodTimeline } from '../reports/timeline.js';
import { periodEnd, periodStart } from '../bundle/period.js';

/**
 * The period's results as an OSCAL 1.0.4 assessment-results document: one observation per check
 * (its day-by-day record over the period, linked to the bundle files that hold every result and
 * the evidence it read, each with its SHA-256), one finding per Annex A control with its ISO/IEC
 * 27001:2022 id as the target, and controls excluded in the SoA listed with their justification.
 */
export const oscalVersion = '1.0.4';
/** Namespace of Annexa's own OSCAL properties. */
export const annexaOscalNamespace = 'urn:annexa:oscal';

/** Checks and the bundle files that hold their evidence. */
export interface OscalEvidenceFile {
  file: BundleFile;
  description: string;
  mediaType: string;
}

export interface AssessmentResultsInput {
  timeline: PeriodTimeline;
  /** Requirement ids in the bundle. */
  requirements: readonly string[];
  generatedAt: Date;
  toolVersion: string;
  frameworkTitle: string;
  /** Per check id, the files that hold its results and the evidence it read. */
  evidenceByCheck: ReadonlyMap<string, readonly OscalEvidenceFile[]>;
  /** The catalog file in the bundle, referenced by `import-ap` through the back-matter. */
  catalogFile: BundleFile | null;
}

type Json = Record<string, unknown>;

/** A deterministic UUID (version 5 layout) from a name, so the same bundle gives the same document. */
export function nameUuid(name: string): string {
  const h = createHash('sha256').update(`annexa:${name}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** OSCAL strings may not carry line breaks or surrounding space. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim() || '-';
}

export function buildAssessmentResults(input: AssessmentResultsInput): Json {
  const { timeline } = input;
  const period = timeline.period;
  const seed = `${period.from}/${period.to}/${input.generatedAt.toISOString()}`;
  const selected = new Set(input.requirements);
  // OSCAL control ids are tokens: Annex A ids (A.5.17) qualify; clause numbers (9.2) do not and are left out.
  const controls = timeline.controls.filter((c) => c.kind === 'control' && selected.has(c.id));
  const resources: Json[] = [];
  const resourceUuid = new Map<string, string>();
  const resourceFor = (e: OscalEvidenceFile): string => {
    const known = resourceUuid.get(e.file.path);
    if (known) return known;
    const uuid = nameUuid(`${seed}/resource/${e.file.path}`);
    resourceUuid.set(e.file.path, uuid);
    resources.push({
      uuid,
      title: e.file.path,
      description: oneLine(e.description),
      rlinks: [{ href: e.file.path, 'media-type': e.mediaType, hashes: [{ algorithm: 'SHA-256', value: e.file.sha256 }] }],
    });
    return uuid;
  };
  const catalogUuid = nameUuid(`${seed}/catalog`);
  resources.push({
    uuid: catalogUuid,
    title: input.frameworkTitle,
    description: 'The control catalog assessed against: ISO/IEC 27001:2022 Annex A (control ids A.5.1 to A.8.34).',
    ...(input.catalogFile
      ? { rlinks: [{ href: input.catalogFile.path, hashes: [{ algorithm: 'SHA-256', value: input.catalogFile.sha256 }] }] }
      : {}),
  });

  const checkIds = new Set(controls.flatMap((c) => c.checks));
  const observationUuid = new Map<string, string>();
  const observations = timeline.checks
    .filter((check) => checkIds.has(check.checkId))
    .map((check) => {
      const uuid = nameUuid(`${seed}/observation/${check.checkId}`);
      observationUuid.set(check.checkId, uuid);
      const days = Object.entries(check.daysByStatus).map(([status, n]) => `${n} day(s) ${status}`).join(', ');
      const gapDays = check.gaps.reduce((sum, g) => sum + g.days, 0);
      const evidence = input.evidenceByCheck.get(check.checkId) ?? [];
      const lastRun = [...check.days].reverse().find((d) => d.runId !== null);
      return {
        uuid,
        title: check.title,
        description: oneLine(
          `Check ${check.checkId} over ${period.from} to ${period.to}: ${days}; ${check.checkRuns} check run(s); ` +
            `${check.changes.length} status change(s); ${check.gaps.length} collection gap(s) totalling ${gapDays} day(s).`,
        ),
        props: [
          { name: 'check-id', ns: annexaOscalNamespace, value: check.checkId },
          { name: 'initial-status', ns: annexaOscalNamespace, value: check.initialStatus ?? 'none' },
        ],
        ...(evidence.length ? { links: evidence.map((e) => ({ href: `#${resourceFor(e)}`, rel: 'evidence', text: e.file.path })) } : {}),
        methods: ['TEST'],
        types: ['control-objective'],
        ...(evidence.length
          ? {
              'relevant-evidence': evidence.map((e) => ({
                href: e.file.path,
                description: oneLine(`${e.description} (sha256 ${e.file.sha256})`),
                props: [{ name: 'sha256', ns: annexaOscalNamespace, value: e.file.sha256 }],
              })),
            }
          : {}),
        collected: lastRun ? `${lastRun.date}T23:59:59Z` : periodEnd(period).toISOString(),
      };
    });

  const findings = controls
    .filter((c) => c.applicable)
    .map((control) => {
      const related = control.checks.map((id) => observationUuid.get(id)).filter((u): u is string => u !== undefined);
      const state = satisfied(control) ? 'satisfied' : 'not-satisfied';
      return {
        uuid: nameUuid(`${seed}/finding/${control.id}`),
        title: `${control.id} ${control.title}`,
        description: oneLine(control.summary),
        props: Object.entries(control.daysByStatus).map(([status, n]) => ({ name: `days-${status}`, ns: annexaOscalNamespace, value: String(n) })),
        target: {
          type: 'objective-id',
          'target-id': control.id,
          status: { state, ...(state === 'not-satisfied' ? { reason: control.evidenceInPeriod ? 'fail' : 'no-evidence' } : {}) },
        },
        ...(related.length ? { 'related-observations': related.map((u) => ({ 'observation-uuid': u })) } : {}),
      };
    });

  const applicable = controls.filter((c) => c.applicable);
  const excluded = controls.filter((c) => !c.applicable);
  const selections: Json[] = [];
  if (applicable.length) {
    selections.push({ description: 'Annex A controls applicable in the Statement of Applicability.', 'include-controls': applicable.map((c) => ({ 'control-id': c.id })) });
  }
  for (const c of excluded) {
    selections.push({
      description: oneLine(`Excluded in the Statement of Applicability: ${c.justification ?? 'no justification recorded'}`),
      'exclude-controls': [{ 'control-id': c.id }],
    });
  }
  if (selections.length === 0) selections.push({ description: 'No Annex A control was selected for this bundle.' });

  return {
    'assessment-results': {
      uuid: nameUuid(`${seed}/assessment-results`),
      metadata: {
        title: `${input.frameworkTitle} evidence, ${period.from} to ${period.to}`,
        'last-modified': input.generatedAt.toISOString(),
        version: input.toolVersion,
        'oscal-version': oscalVersion,
        remarks: 'Generated by Annexa from its hash-chained evidence store; every linked file is in the same evidence bundle with its SHA-256.',
      },
      'import-ap': {
        href: `#${catalogUuid}`,
        remarks: 'Annexa collects evidence continuously without an OSCAL assessment plan; this references the catalog assessed against instead.',
      },
      results: [
        {
          uuid: nameUuid(`${seed}/result`),
          title: `Annexa results, ${period.from} to ${period.to}`,
          description: oneLine(`Day-by-day results of Annexa's checks over ${timeline.days} day(s), with collection gaps and status changes.`),
          start: periodStart(period).toISOString(),
          end: periodEnd(period).toISOString(),
          'reviewed-controls': { 'control-selections': selections },
          ...(observations.length ? { observations } : {}),
          ...(findings.length ? { findings } : {}),
        },
      ],
      'back-matter': { resources },
    },
  };
}

/** Satisfied over the period: judged or manually evidenced every day, and never failing or stale. */
function satisfied(control: ControlTimeline): boolean {
  return control.days.every((d) => d.status === 'passing' || d.status === 'manual');
}
