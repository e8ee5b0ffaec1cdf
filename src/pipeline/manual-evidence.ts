import { createReadStream, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import { toolName, toolVersion } from '../core/version.js';
import type { Catalog } from '../frameworks/framework.js';
import type { ManualEvidenceItem } from '../reports/coverage.js';
import type { EvidenceStore, RunInfo } from '../../storage/evidence-store.js';

/** The evidence kind of a manually added file. */
export const manualEvidenceKind = 'manual.document.v1';
/** Manual evidence is stored under this pseudo connector instance. */
export const manualInstanceId = 'manual';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine((d) => !Number.isNaN(Date.parse(d)), 'not a calendar date');

/** A real calendar day (`Date.parse` rolls 2026-02-30 over to March 2 instead of rejecting it). */
function isCalendarDate(value: string): boolean {
  if (!isoDate.safeParse(value).success) return false;
  const time = Date.parse(`${value}T00:00:00.000Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === value;
}

/** The payload of a manual evidence record: the data dictionary of `manual.document.v1`. */
export const manualEvidencePayload = z.object({
  framework: z.string().describe('Framework whose requirements the file evidences.'),
  requirements: z.array(z.string()).min(1).describe('Requirement ids (A.5.1, 9.2) the file is evidence for.'),
  fileName: z.string().describe('File name as added.'),
  sha256: z.string().describe('sha256 of the file content (the stored file is addressed by it).'),
  size: z.number().describe('Size in bytes.'),
  mediaType: z.string().describe('Media type guessed from the file extension.'),
  effective: isoDate.describe('The date the document speaks for (YYYY-MM-DD), which may differ from the upload date.'),
  expires: isoDate.nullable().describe('From this date the document no longer counts as current (YYYY-MM-DD).'),
  note: z.string().nullable().describe('Free-text note from whoever added it.'),
  addedBy: z.string().describe('Who added it (--by, or the operating-system user).'),
});
export type ManualEvidencePayload = z.output<typeof manualEvidencePayload>;

const mediaTypes: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.md': 'text/markdown',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.html': 'text/html',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

export interface AddManualEvidenceOptions {
  store: EvidenceStore;
  catalog: Catalog;
  file: string;
  requirements: readonly string[];
  effective: string;
  expires?: string | undefined;
  note?: string | undefined;
  addedBy: string;
  clock: Clock;
  command: string;
}

/**
 * Adds a file as evidence for requirements: streamed into the store in chunks (memory stays flat
 * for files of hundreds of MB), described by a `manual.document.v1` record, sealed in a run.
 */
export async function addManualEvidence(options: AddManualEvidenceOptions): Promise<{ run: RunInfo; payload: ManualEvidencePayload }> {
  const { store, catalog } = options;
  const unknown = options.requirements.filter((id) => !catalog.requirements.some((r) => r.id === id));
  if (options.requirements.length === 0) throw new UsageError('name at least one --control or --clause the file is evidence for');
  if (unknown.length) throw new UsageError(`unknown requirement id(s) ${unknown.join(', ')} in ${catalog.title} (controls look like 5.1 or A.5.1, clauses like 9.2)`);
  for (const [flag, value] of [['--effective', options.effective], ['--expires', options.expires]] as const) {
    if (value !== undefined && !isCalendarDate(value)) throw new UsageError(`${flag} ${value}: expected a date like 2026-01-15`);
  }
  if (options.expires !== undefined && options.expires <= options.effective) {
    throw new UsageError(`--expires ${options.expires} must be after --effective ${options.effective}`);
  }
  let size: number;
  try {
    const stat = statSync(options.file);
    if (!stat.isFile()) throw new Error('not a regular file');
    size = stat.size;
  } catch (error) {
    throw new UsageError(`--file ${options.file}: ${(error as Error).message}`);
  }
  const startedAt = options.clock.now();
  const writer = await store.startRun({ command: options.command, toolVersion, startedAt });
  try {
    const stored = await writer.addFile(createReadStream(options.file, { highWaterMark: 1024 * 1024 }));
    if (stored.size !== size) throw new Error(`${options.file} changed while it was being read (${size} bytes before, ${stored.size} read)`);
    const payload: ManualEvidencePayload = manualEvidencePayload.parse({
      framework: catalog.framework,
      requirements: [...new Set(options.requirements)],
      fileName: basename(options.file),
      sha256: stored.digest,
      size: stored.size,
      mediaType: mediaTypes[extname(options.file).toLowerCase()] ?? 'application/octet-stream',
      effective: options.effective,
      expires: options.expires ?? null,
      note: options.note ?? null,
      addedBy: options.addedBy,
    });
    const collectedAt = options.clock.now();
    await writer.addObservations([
      {
        instanceId: manualInstanceId,
        collectorId: 'evidence_add',
        kind: manualEvidenceKind,
        subject: `${payload.fileName}@${stored.digest.slice(0, 12)}`,
        payload,
        collectedAt,
        provenance: { tool: toolName, connectorType: 'manual', requests: [] },
        attachment: stored.digest,
      },
    ]);
    await writer.addOutcome({
      instanceId: manualInstanceId,
      connectorType: 'manual',
      collectorId: 'evidence_add',
      kind: manualEvidenceKind,
      status: 'collected',
      recordCount: 1,
      startedAt,
      finishedAt: collectedAt,
    });
    const run = await writer.finish('complete', options.clock.now());
    return { run, payload };
  } catch (error) {
    await writer.abandon();
    throw error;
  }
}

/** Every manual evidence file added up to a date, for the coverage report. */
export async function loadManualEvidence(store: EvidenceStore, asOf: Date): Promise<ManualEvidenceItem[]> {
  const records = await store.records(manualEvidenceKind, { until: asOf });
  return records.map((r) => {
    const p = manualEvidencePayload.parse(r.payload);
    return {
      requirements: p.requirements,
      digest: p.sha256,
      fileName: p.fileName,
      size: p.size,
      effective: p.effective,
      expires: p.expires,
      note: p.note,
      addedBy: p.addedBy,
      addedAt: r.collectedAt,
    };
  });
}
