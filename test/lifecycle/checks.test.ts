import { describe, expect, it } from 'vitest';
import type { EvidenceSet } from '../../src/checks/check.js';
import { joinersTrained, leaversAccountsDisabled, trainingCurrent } from '../../src/checks/lifecycle.js';
import { evaluateChecks } from '../../src/checks/run-checks.js';
import { connectorRegistry } from '../../src/registry.js';
import { collectAt, tempStore } from '../pipeline/store-helpers.js';

const asOf = new Date('2026-06-15T12:00:00Z');

function set(kind: string, instanceId: string, records: Record<string, unknown>): EvidenceSet {
  return { kind, instanceId, collectedAt: asOf.toISOString(), records: Object.entries(records).map(([subject, payload]) => ({ subject, payload, digest: subject })) };
}

const roster = (email: string, startDate: string, endDate: string | null = null) => ({
  email, name: null, employeeId: null, startDate, endDate, department: null, managerEmail: null, source: { file: '/x/roster.csv', line: 2 },
});
const kb4User = (email: string, status: string) => ({ id: 1, email, name: null, status, employeeNumber: null, department: null, managerEmail: null, joinedOn: null, lastSignIn: null, employeeStartDate: null, archivedAt: null, phishPronePercentage: null });
const member = (login: string) => ({ login, id: 1, role: 'member', twoFactorEnabled: true, twoFactorVisibility: 'visible', twoFactorNotVisibleReason: null });
const enrollment = (email: string, completedAt: string | null) => ({
  enrollmentId: 1, userId: 1, email, module: 'Awareness', contentType: null, campaignId: 1, campaign: 'Annual', enrolledAt: null, startedAt: null, completedAt, dueAt: null, status: completedAt ? 'Passed' : 'Not Started',
});
const completion = (email: string, completedAt: string) => ({ email, name: null, course: 'Partner course', completedAt, source: { file: '/x/lms.csv', line: 2 } });

describe('people.leavers.accounts_disabled', () => {
  const sets = [
    set('people.roster.v1', 'hr', {
      'gone@acme.example': roster('gone@acme.example', '2020-01-01', '2026-05-01'),
      'recent@acme.example': roster('recent@acme.example', '2020-01-01', '2026-06-13'),
      'clean@acme.example': roster('clean@acme.example', '2020-01-01', '2026-04-01'),
      'nowhere@acme.example': roster('nowhere@acme.example', '2020-01-01', '2026-03-01'),
      'staying@acme.example': roster('staying@acme.example', '2020-01-01', '2026-07-31'),
    }),
    set('github.member.v1', 'github-acme', { gone1: member('gone1'), recent1: member('recent1') }),
    set('knowbe4.user.v1', 'kb4', { 'gone@acme.example': kb4User('gone@acme.example', 'active'), 'clean@acme.example': kb4User('clean@acme.example', 'archived') }),
    set('jira.user.v1', 'jira', { a1: { accountId: 'a1', accountType: 'atlassian', displayName: null, email: 'staying@acme.example', active: true } }),
  ];
  const aliases = { 'github:gone1': 'gone@acme.example', 'github:recent1': 'recent@acme.example' };

  it('fails leavers past the grace period with every active account named, warns inside it, passes the clean ones', () => {
    expect(leaversAccountsDisabled.evaluate({ evidence: {}, instanceId: '*', sets, asOf, params: { aliases, graceDays: 3 } })).toEqual([
      { subject: 'clean@acme.example', status: 'pass', message: 'left 2026-04-01; no active account (disabled: KnowBe4 kb4: clean@acme.example)' },
      { subject: 'gone@acme.example', status: 'fail', message: 'left 2026-05-01 (45 days ago) but still active: GitHub github-acme: gone1, KnowBe4 kb4: gone@acme.example' },
      { subject: 'nowhere@acme.example', status: 'pass', message: 'left 2026-03-01; no account in any connected system' },
      { subject: 'recent@acme.example', status: 'warn', message: 'left 2026-06-13 (2 days ago, within the 3-day grace period); still active: GitHub github-acme: recent1' },
    ]);
  });

  it('cannot link a GitHub login without an alias, so that leaver is not judged on it', () => {
    const results = leaversAccountsDisabled.evaluate({ evidence: {}, instanceId: '*', sets, asOf, params: { aliases: {}, graceDays: 3 } });
    expect(results.find((r) => r.subject === 'gone@acme.example')).toEqual({ subject: 'gone@acme.example', status: 'fail', message: 'left 2026-05-01 (45 days ago) but still active: KnowBe4 kb4: gone@acme.example' });
  });
});

describe('training checks across KnowBe4 and LMS imports', () => {
  const sets = [
    set('people.roster.v1', 'hr', {
      'pre@acme.example': roster('pre@acme.example', '2026-05-01'),
      'late@acme.example': roster('late@acme.example', '2026-03-01'),
      'due@acme.example': roster('due@acme.example', '2026-06-01'),
      'never@acme.example': roster('never@acme.example', '2026-04-01'),
      'contractor@partner.example': roster('contractor@partner.example', '2026-02-01'),
      'veteran@acme.example': roster('veteran@acme.example', '2019-01-01'),
      'lapsed@acme.example': roster('lapsed@acme.example', '2019-01-01'),
      'left@acme.example': roster('left@acme.example', '2019-01-01', '2026-01-31'),
    }),
    set('knowbe4.training_enrollment.v1', 'kb4', {
      1: enrollment('pre@acme.example', '2026-04-20T10:00:00.000Z'),
      2: enrollment('late@acme.example', '2026-05-20T10:00:00.000Z'),
      3: enrollment('never@acme.example', null),
      4: enrollment('veteran@acme.example', '2026-02-10T09:00:00.000Z'),
      5: enrollment('lapsed@acme.example', '2025-05-01T09:00:00.000Z'),
    }),
    set('training.completion.v1', 'lms', { c1: completion('contractor@partner.example', '2026-02-05') }),
  ];

  it('joiners: pre-boarding counts, late is a fail, not yet due a warning, none past due a fail, LMS records count', () => {
    expect(joinersTrained.evaluate({ evidence: {}, instanceId: '*', sets, asOf, params: { aliases: {}, withinDays: 30, lookbackDays: 365 } })).toEqual([
      { subject: 'contractor@partner.example', status: 'pass', message: 'started 2026-02-01; completed Partner course (lms) on 2026-02-05' },
      { subject: 'due@acme.example', status: 'warn', message: 'started 2026-06-01; no completed training yet, due 2026-07-01' },
      { subject: 'late@acme.example', status: 'fail', message: 'started 2026-03-01; completed Awareness (KnowBe4 kb4) only on 2026-05-20, after the 30-day deadline 2026-03-31' },
      { subject: 'never@acme.example', status: 'fail', message: 'started 2026-04-01; no completed security awareness training 75 days later (due 2026-05-01)' },
      { subject: 'pre@acme.example', status: 'pass', message: 'started 2026-05-01; completed Awareness (KnowBe4 kb4) on 2026-04-20' },
    ]);
  });

  it('annual: people with over a year of tenure need a completion in the last 365 days; leavers are not judged', () => {
    expect(trainingCurrent.evaluate({ evidence: {}, instanceId: '*', sets, asOf, params: { aliases: {}, maxAgeDays: 365 } })).toEqual([
      { subject: 'lapsed@acme.example', status: 'fail', message: 'last completed Awareness (KnowBe4 kb4) on 2025-05-01, 410 days ago (limit 365)' },
      { subject: 'veteran@acme.example', status: 'pass', message: 'last completed Awareness (KnowBe4 kb4) on 2026-02-10 (125 days ago)' },
    ]);
  });
});

describe('lifecycle checks through the runner', () => {
  it('are not_collected without a roster; with a failed training source a missing completion is not judged, while a leaver finding stands', async () => {
    const t = tempStore('annexa-lifecycle-runner-');
    try {
      const checks = [leaversAccountsDisabled, trainingCurrent];
      const collectedAt = new Date('2026-06-15T10:00:00Z');
      await collectAt(t.store, collectedAt, [{ kind: 'knowbe4.user.v1', instanceId: 'kb4', records: { 'a@acme.example': kb4User('a@acme.example', 'active') } }]);
      const before = await evaluateChecks({ store: t.store, checks, connectors: connectorRegistry, asOf });
      expect(before.map((e) => [e.checkId, e.results.map((r) => r.status)])).toEqual([
        ['people.leavers.accounts_disabled', ['not_collected']],
        ['people.training.completed_within_12_months', ['not_collected']],
      ]);
      await collectAt(t.store, new Date('2026-06-15T11:00:00Z'), [
        {
          kind: 'people.roster.v1',
          instanceId: 'hr',
          records: { 'a@acme.example': roster('a@acme.example', '2019-01-01', '2026-05-01'), 'b@acme.example': roster('b@acme.example', '2019-01-01', '2026-04-01'), 'c@acme.example': roster('c@acme.example', '2019-01-01') },
        },
        { kind: 'knowbe4.training_enrollment.v1', instanceId: 'kb4', failed: { code: 'rate_limited', message: 'HTTP 429' } },
      ]);
      const after = await evaluateChecks({ store: t.store, checks, connectors: connectorRegistry, asOf, params: { 'people.leavers.accounts_disabled': { aliases: {}, graceDays: 3 }, 'people.training.completed_within_12_months': { aliases: {}, maxAgeDays: 365 } } });
      expect(after[0]!.results).toEqual([
        { subject: 'a@acme.example', status: 'fail', message: 'left 2026-05-01 (45 days ago) but still active: KnowBe4 kb4: a@acme.example' },
        { subject: 'b@acme.example', status: 'pass', message: 'left 2026-04-01; no account in any connected system' },
      ]);
      expect(after[1]!.results).toEqual([
        { subject: 'kb4/knowbe4.training_enrollment.v1', status: 'not_collected', message: 'the last collection of knowbe4.training_enrollment.v1 failed at 2026-06-15T11:00:00.000Z (rate_limited: HTTP 429); it has never been collected successfully' },
        { subject: 'c@acme.example', status: 'not_collected', message: 'no training completion on record (started 2019-01-01) (not judged: kb4/knowbe4.training_enrollment.v1 not current)' },
      ]);
    } finally {
      await t.cleanup();
    }
  });
});
