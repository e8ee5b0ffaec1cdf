import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type {
  EvidenceStore,
  ObservationInput,
  OutcomeInput,
  Provenance,
  RunInfo,
  RunStatus,
} from '../../storage/evidence-store.js';

/** A fresh temp directory; `cleanup` removes it. */
export function makeTempDir(prefix = 'annexa-storage-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function provenance(at: Date, url = 'https://api.example/x'): Provenance {
  return {
    tool: 'annexa-test/0.0.0',
    connectorType: 'test',
    requests: [{ method: 'GET', url, status: 200, at: at.toISOString() }],
  };
}

export const instanceId = 'test-acme';

export function observation(kind: string, subject: string, payload: unknown, collectedAt: Date, collectorId = collectorFor(kind)): ObservationInput {
  return { instanceId, collectorId, kind, subject, payload, collectedAt, provenance: provenance(collectedAt) };
}

export function collectorFor(kind: string): string {
  return kind.replace(/\.v\d+$/, '').replace(/\./g, '-');
}

export function outcome(
  kind: string,
  status: 'collected' | 'failed',
  recordCount: number,
  startedAt: Date,
  finishedAt: Date,
  extra: Partial<OutcomeInput> = {},
): OutcomeInput {
  return {
    instanceId,
    connectorType: 'test',
    collectorId: collectorFor(kind),
    kind,
    status,
    recordCount,
    startedAt,
    finishedAt,
    ...(status === 'failed' ? { errorCode: 'upstream_5xx', errorMessage: 'server said 503' } : {}),
    ...extra,
  };
}

/** One collector's contribution to a run: its records (subject → payload) or a failure. */
export interface KindSpec {
  kind: string;
  records?: Record<string, unknown>;
  failed?: boolean;
}

/** Writes and seals a run at `at`: records collected 1 s later, outcomes finished 2 s later, sealed 3 s later. */
export async function writeRun(
  store: EvidenceStore,
  at: Date,
  kinds: KindSpec[],
  status: Exclude<RunStatus, 'incomplete'> = 'complete',
): Promise<RunInfo> {
  const writer = await store.startRun({ command: `collect @${at.toISOString()}`, toolVersion: '0.0.0-test', startedAt: at });
  const collectedAt = new Date(at.getTime() + 1000);
  const finishedAt = new Date(at.getTime() + 2000);
  for (const spec of kinds) {
    if (spec.failed) {
      await writer.addOutcome(outcome(spec.kind, 'failed', 0, at, finishedAt));
      continue;
    }
    const records = Object.entries(spec.records ?? {}).map(([subject, payload]) => observation(spec.kind, subject, payload, collectedAt));
    await writer.addObservations(records);
    await writer.addOutcome(outcome(spec.kind, 'collected', records.length, at, finishedAt));
  }
  return writer.finish(status, new Date(at.getTime() + 3000));
}

/**
 * Drops the triggers on the given tables (all tables when none are given), as listed in
 * sqlite_master; returns their names.
 */
export function dropTriggers(db: Database.Database, tables?: readonly string[]): string[] {
  const rows = db.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all() as {
    name: string;
    tbl_name: string;
  }[];
  const names = rows.filter((r) => !tables || tables.includes(r.tbl_name)).map((r) => r.name);
  for (const name of names) db.exec(`DROP TRIGGER "${name}"`);
  return names;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
