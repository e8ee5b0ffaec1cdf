import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import type { CheckResultInput, RunInfo } from '../../storage/evidence-store.js';
import { connectorRegistry } from '../../src/registry.js';
import type { Clock } from '../../src/core/clock.js';
import type { RequestRef } from '../../src/core/connector.js';

/** A fresh SQLite evidence store in a temp directory. */
export function tempStore(prefix = 'annexa-pipeline-'): { store: SqliteEvidenceStore; dir: string; path: string; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'evidence.db');
  const store = openSqliteStore(path);
  return {
    store,
    dir,
    path,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The real collector id of a GitHub evidence kind (`github.member.v1` → `members`). */
export function collectorIdOf(kind: string): string {
  for (const connector of connectorRegistry) {
    const collector = connector.collectors.find((c) => c.kind === kind);
    if (collector) return collector.id;
  }
  throw new Error(`no collector for ${kind}`);
}

/** One collector's part of a hand-built collection run. */
export interface CollectionSpec {
  kind: string;
  instanceId?: string;
  /** subject → payload. */
  records?: Record<string, unknown>;
  /** A failed collection with this stable code and message. */
  failed?: { code: string; message: string };
  /** The API requests each record came from (default: none), as a function of the collection time. */
  requests?: (at: Date) => RequestRef[];
}

export const minute = 60_000;
export const hour = 3_600_000;

/**
 * Writes and seals a collection run whose collections all finish exactly at `at`: the run starts
 * 10 s earlier, records are observed 5 s earlier, and the run is sealed at `at`.
 */
export async function collectAt(store: SqliteEvidenceStore, at: Date, specs: readonly CollectionSpec[]): Promise<RunInfo> {
  const startedAt = new Date(at.getTime() - 10_000);
  const observedAt = new Date(at.getTime() - 5_000);
  const writer = await store.startRun({ command: `collect @${at.toISOString()}`, toolVersion: '0.0.0-test', startedAt });
  for (const spec of specs) {
    const instanceId = spec.instanceId ?? 'github-acme';
    const collectorId = collectorIdOf(spec.kind);
    const records = Object.entries(spec.records ?? {});
    if (!spec.failed && records.length > 0) {
      await writer.addObservations(
        records.map(([subject, payload]) => ({
          instanceId,
          collectorId,
          kind: spec.kind,
          subject,
          payload,
          collectedAt: observedAt,
          provenance: { tool: 'annexa-test', connectorType: 'github', requests: spec.requests?.(observedAt) ?? [] },
        })),
      );
    }
    await writer.addOutcome({
      instanceId,
      connectorType: 'github',
      collectorId,
      kind: spec.kind,
      status: spec.failed ? 'failed' : 'collected',
      recordCount: spec.failed ? 0 : records.length,
      ...(spec.failed ? { errorCode: spec.failed.code, errorMessage: spec.failed.message } : {}),
      startedAt,
      finishedAt: at,
    });
  }
  return writer.finish(specs.some((s) => s.failed) ? 'partial' : 'complete', at);
}

/** Records check results by hand in a sealed run started at `at`. */
export async function recordChecksAt(
  store: SqliteEvidenceStore,
  at: Date,
  results: readonly { checkId: string; subject: string; status: string; instanceId?: string; message?: string }[],
): Promise<RunInfo> {
  const writer = await store.startRun({ command: `check @${at.toISOString()}`, toolVersion: '0.0.0-test', startedAt: at });
  const evidence = { hand: 'written' };
  await writer.addCheckResults(
    results.map(
      (r): CheckResultInput => ({
        checkId: r.checkId,
        instanceId: r.instanceId ?? 'github-acme',
        subject: r.subject,
        status: r.status,
        message: r.message ?? `${r.subject} is ${r.status}`,
        asOf: at,
        evidence,
      }),
    ),
  );
  return writer.finish('complete', new Date(at.getTime() + 1000));
}

/** A clock pinned to a settable instant. */
export function fixedClock(start: Date): Clock & { set(at: Date): void } {
  let now = start;
  return {
    now: () => new Date(now.getTime()),
    sleep: async () => {},
    set: (at: Date) => {
      now = at;
    },
  };
}

/** A github.member.v1 payload. */
export function memberPayload(login: string, id: number, twoFactorEnabled: boolean | null, role: 'admin' | 'member' = 'member') {
  return {
    login,
    id,
    role,
    twoFactorEnabled,
    twoFactorVisibility: twoFactorEnabled === null ? 'not_visible' : 'visible',
    twoFactorNotVisibleReason: twoFactorEnabled === null ? 'HTTP 403 from filter=2fa_disabled' : null,
  };
}

/** A github.org_settings.v1 payload. */
export function orgPayload(login: string, twoFactorRequirementEnabled: boolean | null) {
  return {
    org: login,
    name: 'Acme',
    twoFactorRequirementEnabled,
    defaultRepositoryPermission: 'read',
    membersCanCreateRepositories: false,
    membersCanCreatePublicRepositories: false,
    webCommitSignoffRequired: false,
    plan: 'enterprise',
  };
}
