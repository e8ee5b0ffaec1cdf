import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeChanges, newlyFailing, type CheckStatusChange, type EvidenceChange } from '../../src/reports/changes.js';
import { addManualEvidence } from '../../src/pipeline/manual-evidence.js';
import { loadFramework } from '../../src/frameworks/framework.js';
import { canonicalJson, sha256Hex } from '../../src/core/canonical.js';
import type { RunInfo } from '../../storage/evidence-store.js';
import type { SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { collectAt, fixedClock, memberPayload, recordChecksAt, tempStore } from './store-helpers.js';

/**
 * computeChanges over hand-built history:
 *
 * collections of github.member.v1 (each finishing at the given time)
 *   R1 03-01 00:00  alice(2FA) bob(2FA) carol(2FA)
 *   -- 03-01 12:00  failed collection (must not read as "everyone disappeared")
 *   R2 03-02 00:00  alice(2FA) bob(no 2FA) dave(no 2FA)          bob changed, carol gone, dave new
 *   R3 03-03 00:00  alice(2FA) bob(no 2FA) carol(2FA)            carol back, dave gone
 *
 * check runs of github.members.have_2fa
 *   C1 03-01 01:00  alice pass, bob pass, carol pass, frank fail
 *   C2 03-02 01:00  alice pass, bob fail, dave fail, frank fail     (carol gone)
 *   C3 03-03 01:00  alice pass, bob pass, carol pass, erin error, frank error   (dave gone)
 */

const check = 'github.members.have_2fa';
const d = (iso: string) => new Date(iso);
const alice = memberPayload('alice', 1, true);
const bob = memberPayload('bob', 2, true);
const bobNo2fa = memberPayload('bob', 2, false);
const carol = memberPayload('carol', 3, true);
const dave = memberPayload('dave', 4, false);
const digest = (payload: unknown) => sha256Hex(canonicalJson(payload));

let store: SqliteEvidenceStore;
let cleanup: () => Promise<void>;
let dir: string;
let r2: RunInfo;
let r3: RunInfo;
let c2: RunInfo;
let c3: RunInfo;

beforeAll(async () => {
  ({ store, cleanup, dir } = tempStore('annexa-changes-'));
  await collectAt(store, d('2026-03-01T00:00:00.000Z'), [{ kind: 'github.member.v1', records: { alice, bob, carol } }]);
  await recordChecksAt(store, d('2026-03-01T01:00:00.000Z'), [
    { checkId: check, subject: 'alice', status: 'pass' },
    { checkId: check, subject: 'bob', status: 'pass' },
    { checkId: check, subject: 'carol', status: 'pass' },
    { checkId: check, subject: 'frank', status: 'fail' },
  ]);
  await collectAt(store, d('2026-03-01T12:00:00.000Z'), [{ kind: 'github.member.v1', failed: { code: 'server_error', message: '502' } }]);
  r2 = await collectAt(store, d('2026-03-02T00:00:00.000Z'), [{ kind: 'github.member.v1', records: { alice, bob: bobNo2fa, dave } }]);
  c2 = await recordChecksAt(store, d('2026-03-02T01:00:00.000Z'), [
    { checkId: check, subject: 'alice', status: 'pass' },
    { checkId: check, subject: 'bob', status: 'fail', message: 'member has 2FA disabled' },
    { checkId: check, subject: 'dave', status: 'fail', message: 'member has 2FA disabled' },
    { checkId: check, subject: 'frank', status: 'fail' },
  ]);
  r3 = await collectAt(store, d('2026-03-03T00:00:00.000Z'), [{ kind: 'github.member.v1', records: { alice, bob: bobNo2fa, carol } }]);
  c3 = await recordChecksAt(store, d('2026-03-03T01:00:00.000Z'), [
    { checkId: check, subject: 'alice', status: 'pass' },
    { checkId: check, subject: 'bob', status: 'pass', message: 'member has 2FA enabled' },
    { checkId: check, subject: 'carol', status: 'pass', message: 'member has 2FA enabled' },
    { checkId: check, subject: 'erin', status: 'error', message: '2FA status not visible' },
    { checkId: check, subject: 'frank', status: 'error', message: 'frank is error' },
  ]);
});
afterAll(async () => cleanup());

const bySubject = <T extends { runId: string; subject: string }>(list: readonly T[]) =>
  [...list].sort((a, b) => a.runId.localeCompare(b.runId) || a.subject.localeCompare(b.subject));

function checkChange(run: RunInfo, subject: string, from: string | null, to: string | null, message: string): CheckStatusChange {
  return { checkId: check, instanceId: 'github-acme', subject, from, to, message, runId: run.id, at: run.startedAt };
}
function evidenceChange(run: RunInfo, subject: string, change: EvidenceChange['change'], before: unknown, after: unknown): EvidenceChange {
  return {
    kind: 'github.member.v1',
    instanceId: 'github-acme',
    subject,
    change,
    before: before === null ? null : digest(before),
    after: after === null ? null : digest(after),
    runId: run.id,
    at: run.finishedAt!,
  };
}

const allCheckChanges = () => [
  checkChange(c2, 'bob', 'pass', 'fail', 'member has 2FA disabled'),
  checkChange(c2, 'dave', null, 'fail', 'member has 2FA disabled'),
  checkChange(c2, 'carol', 'pass', null, 'no longer evaluated (subject gone)'),
  checkChange(c3, 'bob', 'fail', 'pass', 'member has 2FA enabled'),
  checkChange(c3, 'carol', null, 'pass', 'member has 2FA enabled'),
  checkChange(c3, 'erin', null, 'error', '2FA status not visible'),
  checkChange(c3, 'frank', 'fail', 'error', 'frank is error'),
  checkChange(c3, 'dave', 'fail', null, 'no longer evaluated (subject gone)'),
];

const allEvidenceChanges = () => [
  evidenceChange(r2, 'bob', 'changed', bob, bobNo2fa),
  evidenceChange(r2, 'carol', 'disappeared', carol, null),
  evidenceChange(r2, 'dave', 'appeared', null, dave),
  evidenceChange(r3, 'carol', 'appeared', null, carol),
  evidenceChange(r3, 'dave', 'disappeared', dave, null),
];

describe('computeChanges', () => {
  it('since before everything: every change between consecutive check runs and collections, with the run where it was first seen', async () => {
    const report = await computeChanges(store, d('2026-02-01T00:00:00.000Z'), d('2026-03-31T00:00:00.000Z'));
    expect(report.since).toBe('2026-02-01T00:00:00.000Z');
    expect(report.until).toBe('2026-03-31T00:00:00.000Z');
    expect(bySubject(report.checkChanges)).toEqual(bySubject(allCheckChanges()));
    // Evidence changes are ordered by time, then kind, then subject.
    expect(report.evidenceChanges).toEqual(allEvidenceChanges());
  });

  it('newlyFailing picks pass→fail and new failing subjects only', async () => {
    const report = await computeChanges(store, d('2026-02-01T00:00:00.000Z'), d('2026-03-31T00:00:00.000Z'));
    expect(bySubject(newlyFailing(report)).map((c) => [c.runId, c.subject, c.from, c.to])).toEqual([
      [c2.id, 'bob', 'pass', 'fail'],
      [c2.id, 'dave', null, 'fail'],
      [c3.id, 'erin', null, 'error'],
    ]);
  });

  it('since between runs: the last run before since is the baseline', async () => {
    const report = await computeChanges(store, d('2026-03-01T18:00:00.000Z'), d('2026-03-31T00:00:00.000Z'));
    expect(bySubject(report.checkChanges)).toEqual(bySubject(allCheckChanges()));
    expect(report.evidenceChanges).toEqual(allEvidenceChanges());

    const later = await computeChanges(store, d('2026-03-02T12:00:00.000Z'), d('2026-03-31T00:00:00.000Z'));
    expect(bySubject(later.checkChanges)).toEqual(bySubject(allCheckChanges().filter((c) => c.runId === c3.id)));
    expect(later.evidenceChanges).toEqual(allEvidenceChanges().filter((c) => c.runId === r3.id));
    expect(newlyFailing(later).map((c) => c.subject)).toEqual(['erin']);
  });

  it('since exactly at a check run includes that run’s changes; one millisecond later only the changes after it', async () => {
    const at = await computeChanges(store, d(c2.startedAt), d('2026-03-31T00:00:00.000Z'));
    expect(bySubject(at.checkChanges)).toEqual(bySubject(allCheckChanges()));
    const after = await computeChanges(store, new Date(Date.parse(c2.startedAt) + 1), d('2026-03-31T00:00:00.000Z'));
    expect(bySubject(after.checkChanges)).toEqual(bySubject(allCheckChanges().filter((c) => c.runId === c3.id)));
    expect(newlyFailing(after).map((c) => c.subject)).toEqual(['erin']);
  });

  it('until cuts off later runs', async () => {
    const report = await computeChanges(store, d('2026-02-01T00:00:00.000Z'), d('2026-03-02T12:00:00.000Z'));
    expect(bySubject(report.checkChanges)).toEqual(bySubject(allCheckChanges().filter((c) => c.runId === c2.id)));
    expect(report.evidenceChanges).toEqual(allEvidenceChanges().filter((c) => c.runId === r2.id));
  });

  it('since after everything: nothing', async () => {
    const report = await computeChanges(store, d('2026-03-10T00:00:00.000Z'), d('2026-03-31T00:00:00.000Z'));
    expect(report.checkChanges).toEqual([]);
    expect(report.evidenceChanges).toEqual([]);
    expect(newlyFailing(report)).toEqual([]);
  });

  it('manual evidence accumulates: adding a second file does not make the first one disappear', async () => {
    const { catalog } = loadFramework();
    const files = ['policy.md', 'audit.md'].map((name) => {
      const path = join(dir, name);
      writeFileSync(path, `${name} content\n`);
      return path;
    });
    const add = (file: string, requirements: string[], at: string) =>
      addManualEvidence({ store, catalog, file, requirements, effective: '2026-03-01', addedBy: 'ciso', clock: fixedClock(d(at)), command: 'test' });
    const { run: first, payload: policy } = await add(files[0]!, ['A.5.1'], '2026-03-04T00:00:00.000Z');
    const { run: second, payload: audit } = await add(files[1]!, ['9.2'], '2026-03-05T00:00:00.000Z');

    // Every file added in the window appeared, the first one included (there was nothing before it).
    const report = await computeChanges(store, d('2026-03-03T12:00:00.000Z'), d('2026-03-31T00:00:00.000Z'));
    expect(report.checkChanges).toEqual([]);
    expect(report.evidenceChanges.map((c) => [c.kind, c.subject, c.change, c.before, c.after, c.runId, c.at])).toEqual([
      ['manual.document.v1', `policy.md@${policy.sha256.slice(0, 12)}`, 'appeared', null, digest(policy), first.id, '2026-03-04T00:00:00.000Z'],
      ['manual.document.v1', `audit.md@${audit.sha256.slice(0, 12)}`, 'appeared', null, digest(audit), second.id, '2026-03-05T00:00:00.000Z'],
    ]);

    const between = await computeChanges(store, d('2026-03-04T12:00:00.000Z'), d('2026-03-31T00:00:00.000Z'));
    expect(between.evidenceChanges.map((c) => [c.subject, c.change])).toEqual([[`audit.md@${audit.sha256.slice(0, 12)}`, 'appeared']]);
    // The GitHub history is unaffected by the manual runs.
    const all = await computeChanges(store, d('2026-02-01T00:00:00.000Z'), d('2026-03-31T00:00:00.000Z'));
    expect(all.evidenceChanges.filter((c) => c.kind === 'github.member.v1')).toEqual(allEvidenceChanges());
  });
});
