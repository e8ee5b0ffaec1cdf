import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest';
import { evaluateChecks, type CheckEvaluation } from '../../src/checks/run-checks.js';
import { defineCheck, payloadsOf, type CheckDefinition } from '../../src/checks/check.js';
import { dependabotWithinSla, membersHave2fa, orgRequires2fa } from '../../src/checks/github.js';
import { recordCheckRun } from '../../src/pipeline/check-run.js';
import { connectorRegistry } from '../../src/registry.js';
import { canonicalJson, sha256Hex } from '../../src/core/canonical.js';
import type { SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { collectAt, fixedClock, hour, memberPayload, orgPayload, tempStore } from '../pipeline/store-helpers.js';

/**
 * The check runner over a real store: it, not the check, decides `not_collected` and `stale`, so
 * `evaluate` only ever sees current, successfully collected evidence.
 */

const T = new Date('2026-03-10T08:00:00.000Z');
const at = (offsetMs: number) => new Date(T.getTime() + offsetMs);
const checks = (...defs: CheckDefinition<never>[]) => defs as unknown as CheckDefinition<unknown>[];

const members = {
  alice: memberPayload('alice', 1, true),
  bob: memberPayload('bob', 2, false),
};

let store: SqliteEvidenceStore;
let cleanup: () => Promise<void>;
beforeEach(() => {
  ({ store, cleanup } = tempStore());
});
afterEach(async () => cleanup());

async function evaluate(asOf: Date, defs: CheckDefinition<unknown>[], params?: Record<string, unknown>): Promise<CheckEvaluation[]> {
  return evaluateChecks({ store, checks: defs, connectors: connectorRegistry, asOf, ...(params ? { params } : {}) });
}
const only = (evaluations: CheckEvaluation[]) => {
  expect(evaluations).toHaveLength(1);
  return evaluations[0]!;
};

describe('evaluateChecks', () => {
  it('gives one not_collected result with subject "-" when no instance collected the kind', async () => {
    await collectAt(store, T, [{ kind: 'github.member.v1', records: members }]);
    const evaluation = only(await evaluate(at(hour), checks(orgRequires2fa as never)));
    expect(evaluation.checkId).toBe('github.org.requires_2fa');
    expect(evaluation.instanceId).toBe('-');
    expect(evaluation.evidence).toEqual([]);
    expect(evaluation.results).toEqual([
      { subject: '-', status: 'not_collected', message: 'no evidence of github.org_settings.v1 has been collected' },
    ]);
  });

  it('evaluates fresh evidence and ties the results to the run and payload digests read', async () => {
    const run = await collectAt(store, T, [{ kind: 'github.member.v1', records: members }]);
    const evaluation = only(await evaluate(at(hour), checks(membersHave2fa as never)));
    expect(evaluation.instanceId).toBe('github-acme');
    expect(evaluation.asOf).toBe(at(hour).toISOString());
    expect(evaluation.results.map((r) => [r.subject, r.status])).toEqual([
      ['alice', 'pass'],
      ['bob', 'fail'],
    ]);
    expect(evaluation.evidence).toEqual([
      {
        kind: 'github.member.v1',
        instanceId: 'github-acme',
        runId: run.id,
        collectedAt: T.toISOString(),
        digests: [sha256Hex(canonicalJson(members.alice)), sha256Hex(canonicalJson(members.bob))],
      },
    ]);
  });

  it('is not_collected naming the kind when one of the kinds a check reads was never collected, without calling evaluate', async () => {
    await collectAt(store, T, [{ kind: 'github.member.v1', records: members }]);
    const evaluateSpy = vi.fn(() => [{ subject: 'x', status: 'pass' as const, message: 'should not run' }]);
    const both = defineCheck({
      id: 'test.members_and_org',
      title: 'reads two kinds',
      description: 'test',
      kinds: ['github.member.v1', 'github.org_settings.v1'],
      evaluate: evaluateSpy,
    });
    const evaluation = only(await evaluate(at(hour), checks(both as never)));
    expect(evaluateSpy).not.toHaveBeenCalled();
    expect(evaluation.results).toEqual([
      { subject: 'github-acme', status: 'not_collected', message: 'github.org_settings.v1 has never been collected from github-acme' },
    ]);
    expect(evaluation.evidence.map((e) => [e.kind, e.runId === null, e.digests.length])).toEqual([
      ['github.member.v1', false, 2],
      ['github.org_settings.v1', true, 0],
    ]);
  });

  it('is not_collected with the error code when the only collection failed', async () => {
    await collectAt(store, T, [{ kind: 'github.org_settings.v1', failed: { code: 'permission_denied', message: 'HTTP 403' } }]);
    const evaluation = only(await evaluate(at(hour), checks(orgRequires2fa as never)));
    expect(evaluation.results).toEqual([
      {
        subject: 'github-acme',
        status: 'not_collected',
        message: `the last collection of github.org_settings.v1 failed at ${T.toISOString()} (permission_denied: HTTP 403); it has never been collected successfully`,
      },
    ]);
    expect(evaluation.evidence).toEqual([{ kind: 'github.org_settings.v1', instanceId: 'github-acme', runId: null, collectedAt: null, digests: [] }]);
  });

  it('is not_collected, with the error code, when the newest collection failed even though an older one succeeded', async () => {
    await collectAt(store, T, [{ kind: 'github.member.v1', records: members }]);
    const failedAt = at(2 * hour);
    await collectAt(store, failedAt, [{ kind: 'github.member.v1', failed: { code: 'rate_limited', message: 'rate limit exhausted' } }]);

    const after = only(await evaluate(at(3 * hour), checks(membersHave2fa as never)));
    expect(after.results).toHaveLength(1);
    expect(after.results[0]!.subject).toBe('github-acme');
    expect(after.results[0]!.status).toBe('not_collected');
    expect(after.results[0]!.message).toContain(`failed at ${failedAt.toISOString()}`);
    expect(after.results[0]!.message).toContain('rate_limited: rate limit exhausted');
    expect(after.results[0]!.message).toContain(`last good evidence ${T.toISOString()}`);

    // As of a moment before the failure, the good collection is judged.
    const before = only(await evaluate(at(hour), checks(membersHave2fa as never)));
    expect(before.results.map((r) => r.status)).toEqual(['pass', 'fail']);
  });

  it('recovers once a later collection succeeds', async () => {
    await collectAt(store, T, [{ kind: 'github.member.v1', failed: { code: 'server_error', message: '502' } }]);
    await collectAt(store, at(hour), [{ kind: 'github.member.v1', records: { alice: members.alice } }]);
    const evaluation = only(await evaluate(at(2 * hour), checks(membersHave2fa as never)));
    expect(evaluation.results.map((r) => [r.subject, r.status])).toEqual([['alice', 'pass']]);
  });

  it('is stale when the evidence is older than its 36 h TTL, and goes stale between two as-of dates', async () => {
    await collectAt(store, T, [{ kind: 'github.member.v1', records: members }]);
    const fresh = only(await evaluate(at(hour), checks(membersHave2fa as never)));
    expect(fresh.results.map((r) => r.status)).toEqual(['pass', 'fail']);

    const stale = only(await evaluate(at(40 * hour), checks(membersHave2fa as never)));
    expect(stale.results).toEqual([
      {
        subject: 'github-acme',
        status: 'stale',
        message: `newest github.member.v1 evidence is from ${T.toISOString()}, 40 h old (fresh for 36 h)`,
      },
    ]);
    // The stale placeholder still says which collection it refers to.
    expect(stale.evidence[0]!.collectedAt).toBe(T.toISOString());
  });

  it('treats exactly 36 h as fresh and anything later as stale', async () => {
    await collectAt(store, T, [{ kind: 'github.member.v1', records: members }]);
    expect(only(await evaluate(at(36 * hour), checks(membersHave2fa as never))).results.map((r) => r.status)).toEqual(['pass', 'fail']);
    expect(only(await evaluate(at(36 * hour + 1), checks(membersHave2fa as never))).results.map((r) => r.status)).toEqual(['stale']);
  });

  it('ignores collections finished after as-of', async () => {
    await collectAt(store, T, [{ kind: 'github.member.v1', records: { alice: members.alice } }]);
    await collectAt(store, at(2 * hour), [{ kind: 'github.member.v1', records: members }]);
    const early = only(await evaluate(at(hour), checks(membersHave2fa as never)));
    expect(early.results.map((r) => r.subject)).toEqual(['alice']);
    const late = only(await evaluate(at(3 * hour), checks(membersHave2fa as never)));
    expect(late.results.map((r) => r.subject)).toEqual(['alice', 'bob']);
    expect(only(await evaluate(at(-hour), checks(membersHave2fa as never))).instanceId).toBe('-');
  });

  it('evaluates each connector instance separately, in instance order, on its own evidence only', async () => {
    await collectAt(store, T, [
      { kind: 'github.member.v1', instanceId: 'github-zeta', records: { zed: memberPayload('zed', 9, false) } },
      { kind: 'github.member.v1', instanceId: 'github-acme', records: { alice: members.alice } },
    ]);
    const evaluations = await evaluate(at(hour), checks(membersHave2fa as never));
    expect(evaluations.map((e) => [e.instanceId, e.results.map((r) => `${r.subject}:${r.status}`)])).toEqual([
      ['github-acme', ['alice:pass']],
      ['github-zeta', ['zed:fail']],
    ]);
  });

  it('turns an exception in evaluate into an error result for the instance', async () => {
    await collectAt(store, T, [{ kind: 'github.member.v1', records: members }]);
    const throwing = defineCheck({
      id: 'test.throws',
      title: 'throws',
      description: 'test',
      kinds: ['github.member.v1'],
      evaluate: ({ evidence }) => {
        if (payloadsOf(evidence['github.member.v1']).length === 2) throw new Error('boom');
        return [];
      },
    });
    const evaluation = only(await evaluate(at(hour), checks(throwing as never)));
    expect(evaluation.results).toEqual([{ subject: 'github-acme', status: 'error', message: 'check failed to evaluate: boom' }]);
    expect(evaluation.evidence[0]!.digests).toHaveLength(2);
  });

  it('applies params per check id, and turns invalid params into an error result', async () => {
    const alert = (number: number, ageDays: number) => ({
      repository: 'acme/api',
      number,
      state: 'open',
      severity: 'critical',
      ghsaId: `GHSA-${number}`,
      cveId: null,
      summary: 's',
      ecosystem: 'npm',
      package: 'p',
      manifestPath: null,
      vulnerableVersionRange: null,
      firstPatchedVersion: null,
      createdAt: new Date(T.getTime() - ageDays * 86_400_000).toISOString(),
      url: 'https://github.example/a',
    });
    await collectAt(store, T, [{ kind: 'github.dependabot_alert.v1', records: { 'acme/api#1': alert(1, 10) } }]);
    const defaults = only(await evaluate(T, checks(dependabotWithinSla as never)));
    expect(defaults.results.map((r) => r.status)).toEqual(['pass']);
    const strict = only(await evaluate(T, checks(dependabotWithinSla as never), { 'github.dependabot.critical_high_within_sla': { criticalDays: 5 } }));
    expect(strict.results.map((r) => [r.subject, r.status])).toEqual([['acme/api#1', 'fail']]);
    const invalid = only(await evaluate(T, checks(dependabotWithinSla as never), { 'github.dependabot.critical_high_within_sla': { criticalDays: 'soon' } }));
    expect(invalid.results.map((r) => [r.subject, r.status])).toEqual([['github-acme', 'error']]);
    expect(invalid.results[0]!.message).toContain('check failed to evaluate');
  });
});

describe('recordCheckRun', () => {
  it('records every result in a sealed run, each pointing at the evidence refs it read', async () => {
    const collection = await collectAt(store, T, [
      { kind: 'github.member.v1', records: members },
      { kind: 'github.org_settings.v1', records: { acme: orgPayload('acme', false) } },
    ]);
    const clock = fixedClock(at(hour));
    const { run, evaluations } = await recordCheckRun({
      store,
      checks: checks(orgRequires2fa as never, membersHave2fa as never),
      connectors: connectorRegistry,
      params: {},
      asOf: at(hour),
      clock,
      command: 'annexa check',
    });
    expect(run.status).toBe('complete');
    expect(run.command).toBe('annexa check');
    expect(run.startedAt).toBe(at(hour).toISOString());
    expect(evaluations.map((e) => e.checkId)).toEqual(['github.org.requires_2fa', 'github.members.have_2fa']);

    const stored = await store.checkResults();
    expect(stored.map((r) => [r.runId, r.checkId, r.subject, r.status])).toEqual([
      [run.id, 'github.org.requires_2fa', 'acme', 'fail'],
      [run.id, 'github.members.have_2fa', 'alice', 'pass'],
      [run.id, 'github.members.have_2fa', 'bob', 'fail'],
    ]);
    expect(stored.every((r) => r.asOf === at(hour).toISOString())).toBe(true);
    // Both member results share one evidence object, stored once.
    expect(stored[1]!.evidenceDigest).toBe(stored[2]!.evidenceDigest);
    // The stored evidence names the collection's record tree, which commits to the payload digests read.
    const memberEvidence = (await store.blob(stored[1]!.evidenceDigest)) as { tree: string }[];
    expect(memberEvidence).toEqual([
      { kind: 'github.member.v1', instanceId: 'github-acme', runId: collection.id, collectedAt: T.toISOString(), records: 2, tree: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    expect(await store.blob(memberEvidence[0]!.tree)).toEqual([
      ['alice', sha256Hex(canonicalJson(members.alice)), []],
      ['bob', sha256Hex(canonicalJson(members.bob)), []],
    ]);
    const orgEvidence = (await store.blob(stored[0]!.evidenceDigest)) as { tree: string }[];
    expect(orgEvidence).toEqual([
      { kind: 'github.org_settings.v1', instanceId: 'github-acme', runId: collection.id, collectedAt: T.toISOString(), records: 1, tree: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    expect(await store.blob(orgEvidence[0]!.tree)).toEqual([['acme', sha256Hex(canonicalJson(orgPayload('acme', false))), []]]);
    const verify = await store.verify();
    expect(verify.problems).toEqual([]);
    expect(verify.ok).toBe(true);
    expect(verify.runsChecked).toBe(2);
  });
});
