import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CheckDefinition } from '../checks/check.js';
import { canonicalJson, sha256Hex } from '../core/canonical.js';
import { UsageError } from '../core/errors.js';
import { toolVersion } from '../core/version.js';
import { loadFramework, mappingsRoot, normalizeControlId, type Framework, type Requirement } from '../frameworks/framework.js';
import { assembleCoverage, loadApplicability } from '../pipeline/coverage-run.js';
import type { CoverageReport } from '../reports/coverage-model.js';
import { renderCoverageHtml } from '../reports/render-html.js';
import { readPeriodTimeline, type CheckTimeline, type PeriodTimeline, type SubjectInterval } from '../reports/timeline.js';
import type { EvidenceStore } from '../../storage/evidence-store.js';
import { buildAssessmentResults, type OscalEvidenceFile } from '../oscal/assessment-results.js';
import { autoSampleSize, defaultSampleSizeTable, drawSample, sampleMethod, type SampleRecord, type SampleSizeRow } from '../sampling/sample.js';
import { csvDocument, csvLine, utf8Bom } from './csv.js';
import { renderBundleIndex, type KindSummary } from './index-html.js';
import {
  checksumsSignatureFile,
  checksumsText,
  manifestSignatureFile,
  recordDigestRule,
  serializeManifest,
  type BundleManifest,
} from './manifest.js';
import { periodEnd, type Period } from './period.js';
import { storePeriodReader, type PeriodReader } from './period-reader.js';
import { PopulationAccumulator, readPopulation } from './population-reader.js';
import { populationByName, populationCsv, populationId, populationTable, type PopulationItem } from './populations.js';
import { renderBundleReadme } from './readme.js';
import { publicKeyFingerprint, signBytes } from './signing.js';
import { safeSegment, Staging, type StagedFile } from './staging.js';
import { writeZip } from './zip.js';

/** A sample to draw into the bundle. */
export interface SampleRequest {
  population: string;
  size: number | 'auto';
}

export interface BundleOptions {
  store: EvidenceStore;
  /** How the period is read (default: over the store's existing reads). */
  reader?: PeriodReader;
  period: Period;
  /** Requirement ids (`5.17`, `A.8.32`, `9.2`), or every requirement of the catalog. */
  requirements: readonly string[] | 'all';
  checks: readonly CheckDefinition<unknown>[];
  soaPath: string | null;
  checkParams: Readonly<Record<string, unknown>>;
  /** Signs the manifest; read from a file reference, never copied into the bundle. */
  privateKey: KeyObject;
  samples?: readonly SampleRequest[];
  /** The auditor's seed, required with samples. */
  seed?: string;
  sizeTable?: readonly SampleSizeRow[];
  now: Date;
  /** Where the staging folder goes (next to the output, so the final rename stays on one file system). */
  workDir: string;
  framework?: Framework;
}

/** What `annexa bundle` reports. */
export interface BundleSummary {
  out: string;
  bytes: number;
  files: number;
  period: Period;
  requirements: number;
  /** Applicable requirements with no evidence in the period (present in the bundle, saying so). */
  withoutEvidence: string[];
  chainHead: BundleManifest['store']['chainHead'];
  signingKey: string;
  samples: { population: string; size: number; populationSize: number }[];
}

/** A staged bundle, ready to zip or to take the OSCAL document from. */
export interface StagedBundle {
  staging: Staging;
  manifest: BundleManifest;
  timeline: PeriodTimeline;
  oscal: StagedFile;
  withoutEvidence: string[];
  cleanup(): void;
}

/** The bundle's OSCAL document path. */
export const oscalPath = 'oscal/assessment-results.json';

/**
 * Stages the evidence bundle for a period: per-control folders with the check results over the
 * period (as status intervals per subject) and the day-by-day timeline, the evidence records the
 * checks read, populations, samples, manual evidence, SoA and coverage at period end, OSCAL,
 * index.html and README.txt, then the signed manifest and SHA256SUMS. Memory stays flat: the
 * period is read a day at a time and every file is streamed to disk as it is produced.
 */
export async function stageBundle(options: BundleOptions): Promise<StagedBundle> {
  const reader = options.reader ?? storePeriodReader(options.store);
  const framework = options.framework ?? loadFramework();
  const { catalog } = framework;
  const applicability = loadApplicability(options.soaPath, catalog);
  const selected = selectRequirements(catalog.requirements, options.requirements);
  const selectedIds = new Set(selected.map((r) => r.id));
  const checks = options.checks.filter((c) => framework.mappings.some((m) => m.check === c.id && selectedIds.has(m.control)));
  const { period } = options;
  const sampleRequests = options.samples ?? [];
  if (sampleRequests.length && !options.seed) throw new UsageError('--sample needs --seed (the auditor\'s seed, so the sample can be re-drawn)');
  for (const s of sampleRequests) {
    if (!populationByName(s.population)) throw new UsageError(`--sample ${s.population}: unknown population; expected one of ${populationTable.map((p) => p.name).join(', ')}`);
  }

  const staging = new Staging(mkdtempSync(join(options.workDir, '.annexa-bundle-')));
  try {
    // Check results over the period: one CSV of status intervals per check, streamed as intervals close.
    const resultWriters = new Map<string, ReturnType<Staging['open']>>();
    const resultPath = (check: CheckDefinition<unknown>) => {
      const control = framework.mappings.find((m) => m.check === check.id && selectedIds.has(m.control))!.control;
      return `controls/${control}/checks/${check.id}.results.csv`;
    };
    for (const check of checks) {
      const writer = staging.open(resultPath(check));
      await writer.write(utf8Bom + csvLine(intervalHeader));
      resultWriters.set(check.id, writer);
    }
    const timeline = await readPeriodTimeline({
      reader,
      period,
      framework,
      checks,
      applicability,
      onInterval: (i: SubjectInterval) => resultWriters.get(i.checkId)!.write(csvLine(intervalRow(i))),
    });
    const resultFiles = new Map<string, StagedFile>();
    for (const check of checks) resultFiles.set(check.id, await resultWriters.get(check.id)!.close());
    const controls = timeline.controls.filter((c) => selectedIds.has(c.id));

    // Evidence records the checks read, and populations of those kinds, in one pass per kind.
    const kinds = [...new Set(checks.flatMap((c) => c.kinds))].sort();
    const populations = new Map<string, PopulationItem[]>();
    const kindSummaries: KindSummary[] = [];
    for (const kind of kinds) {
      const definitions = populationTable.filter((p) => p.kind === kind);
      const accumulators = definitions.map((d) => new PopulationAccumulator(d, period));
      const writer = staging.open(`evidence/${kind}.jsonl`);
      const summary: KindSummary = { kind, file: `evidence/${kind}.jsonl`, versions: 0, subjects: 0, instances: [] };
      const subjects = new Set<string>();
      for await (const version of reader.recordVersions(kind, period)) {
        await writer.write(JSON.stringify(version) + '\n');
        summary.versions++;
        subjects.add(`${version.instanceId}\u0000${version.subject}`);
        let instance = summary.instances.find((i) => i.instanceId === version.instanceId && i.collectorId === version.collectorId);
        if (!instance) {
          instance = { instanceId: version.instanceId, collectorId: version.collectorId, source: version.source?.connectorType ?? 'unknown', firstSeen: version.firstSeen.at, lastSeen: version.lastSeen.at };
          summary.instances.push(instance);
        }
        if (version.firstSeen.at < instance.firstSeen) instance.firstSeen = version.firstSeen.at;
        if (version.lastSeen.at > instance.lastSeen) instance.lastSeen = version.lastSeen.at;
        for (const a of accumulators) a.add(version);
      }
      summary.subjects = subjects.size;
      await writer.close();
      kindSummaries.push(summary);
      definitions.forEach((d, i) => populations.set(d.name, accumulators[i]!.items()));
    }
    for (const request of sampleRequests) {
      const definition = populationByName(request.population)!;
      if (!populations.has(definition.name)) populations.set(definition.name, await readPopulation(reader, definition, period));
    }
    const populationFiles = new Map<string, StagedFile>();
    for (const [name, items] of populations) {
      populationFiles.set(name, await staging.write(`populations/${name}.csv`, populationCsv(populationByName(name)!, items)));
    }

    // Samples: seed, method, population digest and the drawn ids.
    const samples: SampleRecord[] = [];
    for (const request of sampleRequests) {
      const definition = populationByName(request.population)!;
      const items = populations.get(definition.name)!;
      const table = options.sizeTable ?? defaultSampleSizeTable;
      const size = request.size === 'auto' ? autoSampleSize(items.length, table) : Math.min(request.size, items.length);
      const ids = drawSample(items.map(populationId), options.seed!, size);
      const record: SampleRecord = {
        population: definition.name,
        kind: definition.kind,
        period,
        seed: options.seed!,
        method: sampleMethod,
        size,
        sizeRule: request.size === 'auto' ? `auto: ${JSON.stringify(table)}` : `fixed: ${request.size}`,
        populationSize: items.length,
        populationSha256: populationFiles.get(definition.name)!.sha256,
        ids,
      };
      samples.push(record);
      const chosen = new Set(ids);
      await staging.write(`samples/${definition.name}.json`, JSON.stringify(record, null, 2) + '\n');
      await staging.write(`samples/${definition.name}.csv`, populationCsv(definition, items.filter((i) => chosen.has(populationId(i)))));
    }

    // The evidence each status change was judged on (file name = sha256 of its canonical JSON).
    const changeEvidence = new Set(timeline.checks.flatMap((c) => c.changes.flatMap((ch) => ch.evidence)));
    for (const digest of [...changeEvidence].sort()) {
      const value = await reader.blob(digest);
      if (value === undefined) continue;
      await staging.write(`evidence/check-inputs/${digest}.json`, canonicalJson(value));
      // Store v2 check runs keep a collection's tree digest for the payload digests it read: resolve
      // each tree to its records so an auditor can find every payload in evidence/<kind>.jsonl.
      for (const ref of Array.isArray(value) ? (value as Partial<TreeRef>[]) : []) {
        if (typeof ref.tree !== 'string' || typeof ref.runId !== 'string' || typeof ref.kind !== 'string' || typeof ref.instanceId !== 'string') continue;
        const path = `evidence/check-inputs/trees/${ref.tree}.json`;
        if (staging.get(path)) continue;
        const records = await reader.treeRecords({ runId: ref.runId, kind: ref.kind, instanceId: ref.instanceId, tree: ref.tree });
        if (records) await staging.write(path, JSON.stringify({ tree: ref.tree, kind: ref.kind, instanceId: ref.instanceId, runId: ref.runId, records }, null, 2) + '\n');
      }
    }

    // Manual evidence in force during the period, as stored, once per file.
    const manualFiles = new Map<string, StagedFile>();
    const manualItems = [...new Map(controls.flatMap((c) => c.manualEvidence).map((m) => [m.digest, m])).values()];
    for (const item of manualItems) {
      manualFiles.set(item.digest, await staging.copy(`manual/${item.digest.slice(0, 12)}-${safeSegment(item.fileName)}`, reader.readFile(item.digest)));
    }
    if (manualItems.length) {
      await staging.write(
        'manual/manual-evidence.csv',
        csvDocument(
          ['file', 'file_name', 'requirements', 'effective', 'expires', 'added_by', 'added_at', 'note', 'sha256', 'size'],
          manualItems.map((m) => [manualFiles.get(m.digest)!.path, m.fileName, m.requirements.join(' '), m.effective, m.expires, m.addedBy, m.addedAt, m.note, m.digest, m.size]),
        ),
      );
    }

    // Coverage and SoA at the end of the period.
    const asOf = new Date(Math.min(periodEnd(period).getTime(), options.now.getTime()));
    const coverage = await assembleCoverage({ store: options.store, soaPath: options.soaPath, checkParams: options.checkParams, asOf, now: options.now });
    await staging.write('coverage/coverage.json', JSON.stringify(coverage, null, 2) + '\n');
    await staging.write('coverage/coverage.html', renderCoverageHtml(coverage));
    await staging.write('soa.csv', soaCsv(coverage));
    await staging.write('timeline.json', JSON.stringify({ ...timeline, controls }, null, 2) + '\n');

    // The framework as shipped: catalog and mappings, whose digests the manifest records.
    const frameworkDir = join(mappingsRoot, catalog.framework);
    const frameworkFiles: StagedFile[] = [];
    for (const name of readdirSync(frameworkDir).filter((f) => f.endsWith('.yaml')).sort()) {
      frameworkFiles.push(await staging.write(`framework/${name}`, readFileSync(join(frameworkDir, name))));
    }

    // One folder per control.
    const evidenceByCheck = new Map<string, OscalEvidenceFile[]>();
    for (const check of checks) {
      const results = resultFiles.get(check.id)!;
      const evidence: OscalEvidenceFile[] = [
        { file: results, description: `Every result of ${check.id} in the period, as status intervals per subject`, mediaType: 'text/csv' },
        ...check.kinds
          .map((k) => staging.get(`evidence/${k}.jsonl`))
          .filter((f): f is StagedFile => f !== undefined)
          .map((file) => ({ file, description: `Every version of the ${basename(file.path, '.jsonl')} records seen in the period, with collection time, source and API requests`, mediaType: 'application/jsonl' })),
      ];
      evidenceByCheck.set(check.id, evidence);
    }
    const checkById = new Map(timeline.checks.map((c) => [c.checkId, c]));
    for (const control of controls) {
      const dir = `controls/${control.id}`;
      const row = coverage.controls.find((r) => r.id === control.id);
      const controlChecks = control.checks.map((id) => checkById.get(id)!);
      for (const check of controlChecks) {
        const path = `${dir}/checks/${check.checkId}.results.csv`;
        if (!staging.get(path)) staging.alias(path, resultFiles.get(check.checkId)!);
      }
      await staging.write(`${dir}/timeline.csv`, controlTimelineCsv(control.days, controlChecks));
      const populationsRead = [...populationFiles.keys()].filter((name) => controlChecks.some((c) => c.kinds.includes(populationByName(name)!.kind)));
      // The folder stands on its own: populations and manual evidence are copied in (a zip has no links).
      for (const name of populationsRead) staging.alias(`${dir}/populations/${name}.csv`, populationFiles.get(name)!);
      for (const m of control.manualEvidence) {
        const file = manualFiles.get(m.digest)!;
        staging.alias(`${dir}/${file.path}`, file);
      }
      await staging.write(
        `${dir}/control.json`,
        JSON.stringify(
          {
            id: control.id,
            kind: control.kind,
            title: control.title,
            theme: control.theme,
            period,
            applicable: control.applicable,
            justification: control.justification,
            implementation: row?.implementation ?? null,
            evidenceInPeriod: control.evidenceInPeriod,
            summary: control.summary,
            statusAtPeriodEnd: row?.status ?? null,
            daysByStatus: control.daysByStatus,
            checks: controlChecks.map((c) => ({
              id: c.checkId,
              title: c.title,
              rationale: framework.mappings.find((m) => m.check === c.checkId && m.control === control.id)?.rationale ?? '',
              checkRuns: c.checkRuns,
              daysByStatus: c.daysByStatus,
              initialStatus: c.initialStatus,
              changes: c.changes.map((ch) => ({ ...ch, evidenceFiles: ch.evidence.map((d) => `evidence/check-inputs/${d}.json`) })),
              gaps: c.gaps,
              results: `checks/${c.checkId}.results.csv`,
              evidence: c.kinds.map((k) => `../../evidence/${k}.jsonl`),
            })),
            populations: populationsRead.map((name) => `populations/${name}.csv`),
            manualEvidence: control.manualEvidence.map((m) => ({ ...m, file: manualFiles.get(m.digest)!.path })),
          },
          null,
          2,
        ) + '\n',
      );
    }

    const runs = await reader.runs(period);
    const oscal = await staging.write(
      oscalPath,
      JSON.stringify(
        buildAssessmentResults({
          timeline: { ...timeline, controls },
          requirements: [...selectedIds],
          generatedAt: options.now,
          toolVersion,
          frameworkTitle: catalog.title,
          evidenceByCheck,
          catalogFile: staging.get('framework/catalog.yaml') ?? null,
        }),
        null,
        2,
      ) + '\n',
    );

    const withoutEvidence = controls.filter((c) => c.applicable && !c.evidenceInPeriod).map((c) => c.id);
    const signingKey = publicKeyFingerprint(options.privateKey);
    const soaFile = options.soaPath ? { file: basename(options.soaPath), sha256: sha256Hex(readFileSync(options.soaPath)) } : null;
    const headRun = runs.head;
    await staging.write(
      'index.html',
      renderBundleIndex({
        timeline: { ...timeline, controls },
        coverage,
        kinds: kindSummaries,
        samples,
        generatedAt: options.now,
        chainHead: headRun?.hash ?? null,
        files: staging.list(),
        manualFiles,
        populationKinds: new Map([...populationFiles].map(([name, file]) => [file.path, populationByName(name)!.kind])),
      }),
    );
    await staging.write(
      'README.txt',
      renderBundleReadme({ period, generatedAt: options.now, toolVersion, signingKey, samples, withoutEvidence, sizeTable: options.sizeTable ?? defaultSampleSizeTable }),
    );

    const manifest: BundleManifest = {
      format: 'annexa-evidence-bundle',
      formatVersion: 1,
      tool: { name: 'annexa', version: toolVersion },
      generatedAt: options.now.toISOString(),
      period,
      requirements: selected.map((r) => r.id),
      framework: {
        id: catalog.framework,
        title: catalog.title,
        catalog: { file: 'framework/catalog.yaml', sha256: frameworkFiles.find((f) => f.path === 'framework/catalog.yaml')?.sha256 ?? '' },
        mappings: frameworkFiles.filter((f) => f.path !== 'framework/catalog.yaml').map((f) => ({ file: f.path, sha256: f.sha256 })),
      },
      soa: soaFile,
      store: {
        chainHead: headRun?.hash ? { runId: headRun.id, seq: headRun.seq, hash: headRun.hash } : null,
        runs: runs.inPeriod.map((r) => ({
          id: r.id,
          seq: r.seq,
          startedAt: r.startedAt,
          finishedAt: r.finishedAt ?? null,
          status: r.status,
          hash: r.hash ?? null,
          prevHash: r.prevHash ?? null,
        })),
      },
      signingKey,
      recordDigests: recordDigestRule,
      samples: samples.map((s) => ({ population: s.population, seed: s.seed, size: s.size, populationSha256: s.populationSha256, file: `samples/${s.population}.json` })),
      files: staging.list().map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })),
    };
    const manifestBytes = serializeManifest(manifest);
    await staging.write('manifest.json', manifestBytes);
    await staging.write(manifestSignatureFile, signBytes(options.privateKey, manifestBytes));
    const checksums = Buffer.from(checksumsText(manifest.files, sha256Hex(manifestBytes)), 'utf8');
    await staging.write('SHA256SUMS', checksums);
    await staging.write(checksumsSignatureFile, signBytes(options.privateKey, checksums));
    return { staging, manifest, timeline, oscal, withoutEvidence, cleanup: () => rmSync(staging.dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(staging.dir, { recursive: true, force: true });
    throw error;
  }
}

/** Stages the bundle and writes it as one zip (streamed), removing the staging folder. */
export async function writeBundle(options: BundleOptions & { out: string }): Promise<BundleSummary> {
  const staged = await stageBundle(options);
  try {
    const files = staged.staging.list();
    const bytes = await writeZip(options.out, files, options.now);
    return {
      out: options.out,
      bytes,
      files: files.length,
      period: options.period,
      requirements: staged.manifest.requirements.length,
      withoutEvidence: staged.withoutEvidence,
      chainHead: staged.manifest.store.chainHead,
      signingKey: staged.manifest.signingKey,
      samples: staged.manifest.samples.map((s) => {
        const record = JSON.parse(readFileSync(staged.staging.get(s.file)!.diskPath, 'utf8')) as SampleRecord;
        return { population: s.population, size: record.size, populationSize: record.populationSize };
      }),
    };
  } finally {
    staged.cleanup();
  }
}

function selectRequirements(all: readonly Requirement[], wanted: readonly string[] | 'all'): Requirement[] {
  if (wanted === 'all') return [...all];
  const ids = wanted.map(normalizeControlId);
  const unknown = ids.filter((id) => !all.some((r) => r.id === id));
  if (unknown.length) throw new UsageError(`--controls: unknown requirement id(s) ${unknown.join(', ')} (controls look like 5.17 or A.5.17, clauses like 9.2)`);
  if (ids.length === 0) throw new UsageError('--controls: name at least one control, or pass --all');
  return all.filter((r) => ids.includes(r.id));
}

const intervalHeader = ['connector_instance', 'subject', 'status', 'first_evaluated', 'last_evaluated', 'evaluations', 'message', 'evidence_sha256'];

function intervalRow(i: SubjectInterval): (string | number)[] {
  return [i.instanceId, i.subject, i.status, i.from, i.to, i.evaluations, i.message, i.evidenceDigest];
}

function controlTimelineCsv(days: readonly { date: string; status: string }[], checks: readonly CheckTimeline[]): string {
  return csvDocument(
    ['date', 'control_status', ...checks.map((c) => c.checkId)],
    days.map((d, i) => [d.date, d.status, ...checks.map((c) => c.days[i]!.status)]),
  );
}

function soaCsv(coverage: CoverageReport): string {
  return csvDocument(
    ['control', 'title', 'theme', 'applicable', 'justification', 'implementation', 'status_at_period_end'],
    coverage.controls
      .filter((r) => r.kind === 'control')
      .map((r) => [r.id, r.title, r.theme, r.applicable ? 'Yes' : 'No', r.justification, r.implementation, r.status]),
  );
}


/** The part of a stored check-result evidence reference that names a collection's record tree. */
interface TreeRef {
  kind: string;
  instanceId: string;
  runId: string;
  tree: string;
}
