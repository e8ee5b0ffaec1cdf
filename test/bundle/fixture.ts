import type { RequestRef } from '../../src/core/connector.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { checkRegistry } from '../../src/checks/registry.js';
import { connectorRegistry } from '../../src/registry.js';
import { recordCheckRun } from '../../src/pipeline/check-run.js';
import { addManualEvidence } from '../../src/pipeline/manual-evidence.js';
import { loadFramework } from '../../src/frameworks/framework.js';
import { annexAControls } from '../../src/soa/soa.js';
import type { SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { collectAt, fixedClock, memberPayload, orgPayload, type CollectionSpec } from '../pipeline/store-helpers.js';

/** The audit period of the fixture: ten days of March 2026. */
export const period = { from: '2026-03-01', to: '2026-03-10' };
export const excludedControl = 'A.7.4';
export const exclusionJustification = 'Fully remote company: no premises to monitor.';
export const manualText = 'Information security policy v3\nApproved by the board.\n';

const day = (n: number, time = '02:00:00.000') => new Date(`2026-03-${String(n).padStart(2, '0')}T${time}Z`);

/** A github.merged_pull_request.v1 payload merged at `mergedAt`, approved by `reviewer` before merge. */
export function mergedPr(number: number, mergedAt: string, reviewer: string | null) {
  return {
    repository: 'acme/api',
    number,
    title: `Change ${number}, "quoted", with a comma`,
    url: `https://github.com/acme/api/pull/${number}`,
    author: 'jane-smith',
    mergedBy: 'jane-smith',
    createdAt: '2026-02-20T09:00:00Z',
    mergedAt,
    baseBranch: 'main',
    mergeCommit: `c0ffee${number}`,
    reviews: reviewer ? [{ reviewer, state: 'APPROVED', submittedAt: '2026-02-20T10:00:00Z' }] : [],
    reviewsTruncated: false,
  };
}

/**
 * Ten days of a small organization, collected and checked daily with the real checks:
 * - juliaf81 loses 2FA on day 5 and regains it on day 9 (pass → fail → … → pass);
 * - no collection on days 6 and 7 (day 7's check finds the evidence stale);
 * - the members collection fails on day 8 (not collected);
 * - merged PRs: #1 and #2 inside the period, #3 merged before it (not in the population);
 * - a policy added as manual evidence for A.5.1, effective from day 3;
 * - an SoA excluding A.7.4 with a justification.
 */
export async function buildPeriodStore(store: SqliteEvidenceStore, dir: string): Promise<{ soaPath: string; policyPath: string }> {
  const framework = loadFramework();
  const clock = fixedClock(day(1));
  const members = (julia2fa: boolean) => ({
    // The GitHub connector on main records the 2FA method too (github.members.no_insecure_2fa): all use an app.
    'jane-smith': { ...memberPayload('jane-smith', 1, true, 'admin'), twoFactorInsecure: false },
    juliaf81: { ...memberPayload('juliaf81', 2, julia2fa), twoFactorInsecure: false },
    'kai-acme': { ...memberPayload('kai-acme', 3, true), twoFactorInsecure: false },
  });
  for (let n = 1; n <= 10; n++) {
    if (n !== 6 && n !== 7) {
      const specs: CollectionSpec[] = [
        { kind: 'github.org_settings.v1', records: { acme: orgPayload('acme', true) } },
        n === 8
          ? { kind: 'github.member.v1', failed: { code: 'rate_limited', message: 'rate limit reset not reached in time' } }
          : { kind: 'github.member.v1', records: members(n < 5 || n > 8), requests: memberRequests },
        {
          kind: 'github.merged_pull_request.v1',
          records: {
            'acme/api#1': mergedPr(1, '2026-03-02T11:00:00Z', 'kai-acme'),
            'acme/api#2': mergedPr(2, '2026-03-04T15:30:00Z', null),
            'acme/api#3': mergedPr(3, '2026-02-25T08:00:00Z', 'kai-acme'),
          },
        },
      ];
      await collectAt(store, day(n), specs);
    }
    clock.set(day(n, '02:05:00.000'));
    await recordCheckRun({ store, checks: checkRegistry, connectors: connectorRegistry, params: {}, asOf: clock.now(), clock, command: `check day ${n}` });
    if (n === 3) {
      const policyPath = join(dir, 'information security policy.md');
      writeFileSync(policyPath, manualText);
      clock.set(day(3, '09:00:00.000'));
      await addManualEvidence({
        store,
        catalog: framework.catalog,
        file: policyPath,
        requirements: ['A.5.1'],
        effective: '2026-03-03',
        expires: '2027-03-03',
        note: 'v3',
        addedBy: 'ciso',
        clock,
        command: 'evidence add',
      });
    }
  }
  const soaPath = join(dir, 'soa.yaml');
  const controls = Object.fromEntries(
    annexAControls(framework.catalog).map((c) => [
      c.id,
      c.id === excludedControl ? { applicable: false, justification: exclusionJustification } : { applicable: true, justification: 'Risk treatment plan.' },
    ]),
  );
  writeFileSync(soaPath, stringify({ framework: 'iso27001-2022', controls }));
  return { soaPath, policyPath: join(dir, 'information security policy.md') };
}

/** A fixture store and its bundle, signed with a fresh key pair written next to it as PEM files. */
export async function buildFixtureBundle(dir: string, extra: { samples?: { population: string; size: number | 'auto' }[]; seed?: string } = {}) {
  const { generateKeyPairSync } = await import('node:crypto');
  const { openSqliteStore } = await import('../../storage/sqlite-store.js');
  const { writeBundle } = await import('../../src/bundle/export.js');
  const store = openSqliteStore(join(dir, 'evidence.db'));
  const { soaPath } = await buildPeriodStore(store, dir);
  const keys = generateKeyPairSync('ed25519');
  const publicKeyFile = join(dir, 'annexa-signing.pub');
  const privateKeyFile = join(dir, 'annexa-signing.key');
  writeFileSync(publicKeyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(privateKeyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const summary = await writeBundle({
    store,
    period,
    requirements: 'all',
    checks: checkRegistry,
    soaPath,
    checkParams: {},
    privateKey: keys.privateKey,
    samples: extra.samples ?? [],
    ...(extra.seed ? { seed: extra.seed } : {}),
    now: new Date('2026-03-15T12:00:00.000Z'),
    workDir: dir,
    out: join(dir, 'bundle.zip'),
  });
  return { store, soaPath, keys, publicKeyFile, privateKeyFile, summary, out: summary.out };
}

/** The API requests of a members collection at a time (paged member list, as the GitHub connector asks). */
export function memberRequests(at: Date): RequestRef[] {
  return [1, 2].map((page) => ({
    method: 'GET',
    url: `https://api.github.com/orgs/acme/members?per_page=100&page=${page}`,
    status: 200,
    requestId: `ABCD:${page}:${at.toISOString().slice(0, 10)}`,
    at: at.toISOString(),
  }));
}
