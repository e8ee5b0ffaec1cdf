import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest';
import { evaluateChecks, type CheckEvaluation } from '../../src/checks/run-checks.js';
import { defineCheck, payloadsOf, setsOfKind, type CheckDefinition, type CheckInput } from '../../src/checks/check.js';
import { connectorRegistry } from '../../src/registry.js';
import { identityIndexOf } from '../../src/checks/people.js';
import type { SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { collectAt, hour, memberPayload, orgPayload, tempStore } from '../pipeline/store-helpers.js';

/**
 * The cross-instance check contract: a check declaring `scope: 'across-instances'` is evaluated
 * once over every instance's current evidence of its kinds; the runner still decides stale and
 * not_collected per (kind, instance) input.
 */

const T = new Date('2026-03-10T08:00:00.000Z');
const at = (offsetMs: number) => new Date(T.getTime() + offsetMs);

let store: SqliteEvidenceStore;
let cleanup: () => Promise<void>;
beforeEach(() => {
  ({ store, cleanup } = tempStore());
});
afterEach(async () => cleanup());

/** Passes members with 2FA and fails the rest, across every GitHub instance; reads org settings optionally. */
function membersEverywhere(spy?: (input: CheckInput<unknown>) => void) {
  return defineCheck({
    id: 'test.members_everywhere',
    title: 'members across instances',
    description: 'test',
    kinds: ['github.member.v1', 'github.org_settings.v1'],
    optionalKinds: ['github.org_settings.v1'],
    scope: 'across-instances',
    evaluate: (input) => {
      spy?.(input as CheckInput<unknown>);
      return setsOfKind(input, 'github.member.v1').flatMap((set) =>
        payloadsOf<{ login: string; twoFactorEnabled: boolean | null }>(set).map(({ payload }) => ({
          subject: `${set.instanceId}:${payload.login}`,
          status: payload.twoFactorEnabled ? ('pass' as const) : ('fail' as const),
          message: payload.login,
        })),
      );
    },
  }) as unknown as CheckDefinition<unknown>;
}

async function evaluate(asOf: Date, check: CheckDefinition<unknown>): Promise<CheckEvaluation> {
  const evaluations = await evaluateChecks({ store, checks: [check], connectors: connectorRegistry, asOf });
  expect(evaluations).toHaveLength(1);
  return evaluations[0]!;
}

describe('across-instances checks', () => {
  it('are evaluated once, as instance "*", over every instance\'s sets sorted by kind then instance', async () => {
    const run = await collectAt(store, T, [
      { kind: 'github.member.v1', instanceId: 'github-zeta', records: { zed: memberPayload('zed', 9, false) } },
      { kind: 'github.member.v1', instanceId: 'github-acme', records: { alice: memberPayload('alice', 1, true) } },
    ]);
    const spy = vi.fn();
    const evaluation = await evaluate(at(hour), membersEverywhere(spy));
    expect(evaluation.instanceId).toBe('*');
    expect(evaluation.results).toEqual([
      { subject: 'github-acme:alice', status: 'pass', message: 'alice' },
      { subject: 'github-zeta:zed', status: 'fail', message: 'zed' },
    ]);
    expect(evaluation.evidence.map((e) => [e.kind, e.instanceId, e.runId, e.digests.length])).toEqual([
      ['github.member.v1', 'github-acme', run.id, 1],
      ['github.member.v1', 'github-zeta', run.id, 1],
    ]);
    const input = spy.mock.calls[0]![0] as CheckInput<unknown>;
    expect(input.instanceId).toBe('*');
    expect(input.evidence).toEqual({});
    expect(input.unavailable).toEqual([]);
    expect(input.sets!.map((s) => `${s.kind}@${s.instanceId}`)).toEqual(['github.member.v1@github-acme', 'github.member.v1@github-zeta']);
  });

  it('over the same kinds share one judged input within an evaluation (the people checks build one identity index)', async () => {
    await collectAt(store, T, [{ kind: 'github.member.v1', instanceId: 'github-acme', records: { alice: memberPayload('alice', 1, true) } }]);
    const spy = vi.fn();
    const twin = { ...membersEverywhere(spy), id: 'test.members_everywhere_again' } as CheckDefinition<unknown>;
    const evaluations = await evaluateChecks({ store, checks: [membersEverywhere(spy), twin], connectors: connectorRegistry, asOf: at(hour) });
    expect(evaluations.map((e) => [e.checkId, e.results.map((r) => r.status)])).toEqual([
      ['test.members_everywhere', ['pass']],
      ['test.members_everywhere_again', ['pass']],
    ]);
    const [first, second] = spy.mock.calls.map((call) => (call[0] as CheckInput<unknown>).sets);
    expect(second).toBe(first);
    const index = identityIndexOf({ sets: first!, params: { aliases: {} } });
    expect(identityIndexOf({ sets: second!, params: { aliases: {} } })).toBe(index);
    expect(identityIndexOf({ sets: second!, params: { aliases: { 'github:alice': 'alice@example.com' } } })).not.toBe(index);
  });

  it('is not_collected without calling evaluate when no instance collected a required kind', async () => {
    await collectAt(store, T, [{ kind: 'github.org_settings.v1', records: { acme: orgPayload('acme', true) } }]);
    const spy = vi.fn();
    const evaluation = await evaluate(at(hour), membersEverywhere(spy));
    expect(spy).not.toHaveBeenCalled();
    expect(evaluation.instanceId).toBe('*');
    expect(evaluation.results).toEqual([
      { subject: '-', status: 'not_collected', message: 'no evidence of github.member.v1, github.org_settings.v1 has been collected' },
    ]);
  });

  it('reports a stale input as its own result and downgrades passes, while fails judged on current evidence stand', async () => {
    await collectAt(store, T, [{ kind: 'github.member.v1', instanceId: 'github-old', records: { olga: memberPayload('olga', 3, true) } }]);
    await collectAt(store, at(39 * hour), [
      { kind: 'github.member.v1', instanceId: 'github-acme', records: { alice: memberPayload('alice', 1, true), bob: memberPayload('bob', 2, false) } },
    ]);
    const spy = vi.fn();
    const evaluation = await evaluate(at(40 * hour), membersEverywhere(spy));
    const input = spy.mock.calls[0]![0] as CheckInput<unknown>;
    expect(input.sets!.map((s) => s.instanceId)).toEqual(['github-acme']);
    expect(input.unavailable).toEqual([
      {
        kind: 'github.member.v1',
        instanceId: 'github-old',
        status: 'stale',
        message: `newest github.member.v1 evidence is from ${T.toISOString()}, 40 h old (fresh for 36 h)`,
      },
    ]);
    expect(evaluation.results).toEqual([
      { subject: 'github-old/github.member.v1', status: 'stale', message: `newest github.member.v1 evidence is from ${T.toISOString()}, 40 h old (fresh for 36 h)` },
      { subject: 'github-acme:alice', status: 'stale', message: 'alice (not judged: github-old/github.member.v1 not current)' },
      { subject: 'github-acme:bob', status: 'fail', message: 'bob' },
    ]);
  });

  it('downgrades to not_collected when an input\'s last collection failed, naming the error code', async () => {
    await collectAt(store, T, [
      { kind: 'github.member.v1', instanceId: 'github-acme', records: { alice: memberPayload('alice', 1, true) } },
      { kind: 'github.org_settings.v1', instanceId: 'github-acme', failed: { code: 'permission_denied', message: 'HTTP 403' } },
    ]);
    const evaluation = await evaluate(at(hour), membersEverywhere());
    expect(evaluation.results).toEqual([
      {
        subject: 'github-acme/github.org_settings.v1',
        status: 'not_collected',
        message: `the last collection of github.org_settings.v1 failed at ${T.toISOString()} (permission_denied: HTTP 403); it has never been collected successfully`,
      },
      { subject: 'github-acme:alice', status: 'not_collected', message: 'alice (not judged: github-acme/github.org_settings.v1 not current)' },
    ]);
  });

  it('is not_collected per missing kind, without calling evaluate, when a required kind was never collected by anyone', async () => {
    await collectAt(store, T, [{ kind: 'github.member.v1', instanceId: 'github-acme', records: { alice: memberPayload('alice', 1, true) } }]);
    const spy = vi.fn(() => []);
    const bothRequired = defineCheck({ id: 'test.both_required', title: 't', description: 't', kinds: ['github.member.v1', 'github.org_settings.v1'], scope: 'across-instances', evaluate: spy });
    const evaluation = await evaluate(at(hour), bothRequired as unknown as CheckDefinition<unknown>);
    expect(spy).not.toHaveBeenCalled();
    expect(evaluation.results).toEqual([{ subject: 'github.org_settings.v1', status: 'not_collected', message: 'no instance has collected github.org_settings.v1' }]);
  });

  it('does not call evaluate when every instance of a required kind is unavailable', async () => {
    await collectAt(store, T, [{ kind: 'github.member.v1', instanceId: 'github-acme', failed: { code: 'server_error', message: '502' } }]);
    const spy = vi.fn();
    const evaluation = await evaluate(at(hour), membersEverywhere(spy));
    expect(spy).not.toHaveBeenCalled();
    expect(evaluation.results.map((r) => [r.subject, r.status])).toEqual([['github-acme/github.member.v1', 'not_collected']]);
  });

  it('leaves per-instance checks unchanged and hands them their sets too', async () => {
    await collectAt(store, T, [
      { kind: 'github.member.v1', instanceId: 'github-acme', records: { alice: memberPayload('alice', 1, true) } },
      { kind: 'github.member.v1', instanceId: 'github-zeta', records: { zed: memberPayload('zed', 9, false) } },
    ]);
    const spy = vi.fn(() => []);
    const perInstance = defineCheck({ id: 'test.per_instance', title: 't', description: 't', kinds: ['github.member.v1'], evaluate: spy });
    const evaluations = await evaluateChecks({ store, checks: [perInstance as never], connectors: connectorRegistry, asOf: at(hour) });
    expect(evaluations.map((e) => e.instanceId)).toEqual(['github-acme', 'github-zeta']);
    const calls = spy.mock.calls as unknown as [CheckInput<unknown>][];
    expect(calls.map(([input]) => [input.instanceId, input.sets!.map((s) => s.instanceId), input.unavailable])).toEqual([
      ['github-acme', ['github-acme'], []],
      ['github-zeta', ['github-zeta'], []],
    ]);
  });
});
