import { z } from 'zod';
import { defineCheck, setsOfKind, type CheckInput, type CheckResult } from './check.js';
import { accountSources } from '../people/sources.js';
import { peopleCheckParams, identityIndexOf } from './people.js';
import type { LinkedAccount } from '../people/identity-index.js';
import type { RosterEntry, TrainingCompletion } from '../../connectors/file/collectors.js';
import type { knowbe4EnrollmentPayload } from '../../connectors/knowbe4/collectors.js';

/**
 * The people lifecycle across sources: the HR roster (who joined and left when) joined with the
 * identity index (every account in every connected system, linked by email or `people.aliases`)
 * and every training record (KnowBe4 enrollments, LMS exports). Cross-instance checks: the roster
 * is required, every other source optional, so an organisation is judged on the systems it has.
 * Accounts that match no one on the roster (orphans) are `people.accounts.linked_to_a_person`.
 */

const rosterKind = 'people.roster.v1';
const enrollmentKind = 'knowbe4.training_enrollment.v1';
const completionKind = 'training.completion.v1';
const accountKinds = accountSources.map((s) => s.kind).filter((k) => k !== rosterKind);
const trainingKinds = [enrollmentKind, completionKind];
const dayMs = 86_400_000;

type Enrollment = z.output<typeof knowbe4EnrollmentPayload>;

/** Roster entries by email (the roster import guarantees one entry per email per instance). */
function roster(input: Pick<CheckInput<unknown>, 'sets'>): RosterEntry[] {
  const byEmail = new Map<string, RosterEntry>();
  for (const set of setsOfKind(input, rosterKind)) for (const r of set.records) byEmail.set((r.payload as RosterEntry).email, r.payload as RosterEntry);
  return [...byEmail.values()].sort((a, b) => a.email.localeCompare(b.email));
}

/** Whole days from a calendar date (`YYYY-MM-DD`) to `asOf`. */
function daysSince(date: string, asOf: Date): number {
  return Math.floor((asOf.getTime() - Date.parse(`${date}T00:00:00Z`)) / dayMs);
}

/** `GitHub github-acme: wangt`: the system, the instance and the account, for the finding. */
function describeAccount(a: LinkedAccount): string {
  return `${a.label} ${a.instanceId}: ${a.accountId}`;
}

export const leaversAccountsDisabled = defineCheck({
  id: 'people.leavers.accounts_disabled',
  title: 'Leavers have no active account in any connected system',
  description:
    'Every person whose roster end date is more than the grace period ago (default 3 days) has no active account left in any connected system (GitHub, Entra ID, Google Workspace, Jira, KnowBe4, ...). A finding names each system, instance and account still active.',
  kinds: [rosterKind, ...accountKinds],
  optionalKinds: accountKinds,
  scope: 'across-instances',
  params: peopleCheckParams
    .unwrap()
    .extend({ graceDays: z.number().int().min(0).max(90).default(3).describe('Days after the last working day before an active account is a finding.') })
    .default({ aliases: {}, graceDays: 3 }),
  evaluate: (input) => {
    const index = identityIndexOf(input);
    const people = new Map(index.people.map((p) => [p.email, p]));
    const today = input.asOf.toISOString().slice(0, 10);
    return roster(input)
      .filter((r) => r.endDate !== null && r.endDate < today)
      .map((r): CheckResult => {
        const accounts = (people.get(r.email)?.accounts ?? []).filter((a) => a.system !== 'roster');
        const active = accounts.filter((a) => a.active !== false);
        const gone = daysSince(r.endDate!, input.asOf);
        if (active.length === 0) {
          const disabled = accounts.map(describeAccount);
          return { subject: r.email, status: 'pass', message: `left ${r.endDate}; ${disabled.length ? `no active account (disabled: ${disabled.join(', ')})` : 'no account in any connected system'}` };
        }
        const still = active.map(describeAccount).join(', ');
        if (gone <= input.params.graceDays) {
          return { subject: r.email, status: 'warn', message: `left ${r.endDate} (${gone} days ago, within the ${input.params.graceDays}-day grace period); still active: ${still}` };
        }
        return { subject: r.email, status: 'fail', message: `left ${r.endDate} (${gone} days ago) but still active: ${still}` };
      });
  },
});

/** Completed training per email, oldest first, from every training source. */
function completionsByEmail(input: Pick<CheckInput<unknown>, 'sets'>): Map<string, { date: string; what: string }[]> {
  const out = new Map<string, { date: string; what: string }[]>();
  const add = (email: string, date: string, what: string) => out.set(email, [...(out.get(email) ?? []), { date, what }]);
  for (const set of setsOfKind(input, enrollmentKind)) {
    for (const { payload } of set.records as readonly { payload: Enrollment }[]) {
      if (payload.completedAt) add(payload.email, payload.completedAt.slice(0, 10), `${payload.module} (KnowBe4 ${set.instanceId})`);
    }
  }
  for (const set of setsOfKind(input, completionKind)) {
    for (const { payload } of set.records as readonly { payload: TrainingCompletion }[]) add(payload.email, payload.completedAt, `${payload.course} (${set.instanceId})`);
  }
  for (const list of out.values()) list.sort((a, b) => a.date.localeCompare(b.date));
  return out;
}

/**
 * A training finding ("no completion", "too old") only stands when every training source is
 * current: the missing completion may be in the one that is not. Then it is `not_collected`.
 */
function unlessTrainingUnavailable(input: Pick<CheckInput<unknown>, 'unavailable'>, result: CheckResult): CheckResult {
  const missing = (input.unavailable ?? []).filter((u) => trainingKinds.includes(u.kind));
  if (result.status !== 'fail' || missing.length === 0) return result;
  return { ...result, status: 'not_collected', message: `${result.message} (not judged: ${missing.map((u) => `${u.instanceId}/${u.kind}`).join(', ')} not current)` };
}

/** Current people: on the roster, started, and not left. */
function current(entries: readonly RosterEntry[], today: string): RosterEntry[] {
  return entries.filter((r) => r.startDate !== null && r.startDate <= today && (r.endDate === null || r.endDate >= today));
}

export const joinersTrained = defineCheck({
  id: 'people.joiners.trained_within_days',
  title: 'Joiners completed security awareness training within N days of starting',
  description:
    'Every current person who started within the look-back (default 365 days) has a completed training (KnowBe4 or an LMS export) no later than N days after their start date (default 30). Not yet due is a warning.',
  kinds: [rosterKind, ...trainingKinds],
  optionalKinds: trainingKinds,
  scope: 'across-instances',
  params: peopleCheckParams
    .unwrap()
    .extend({
      withinDays: z.number().int().min(0).max(365).default(30).describe('Days after the start date by which training must be completed.'),
      lookbackDays: z.number().int().min(1).max(3650).default(365).describe('People who started within this many days count as joiners.'),
    })
    .default({ aliases: {}, withinDays: 30, lookbackDays: 365 }),
  evaluate: (input) => {
    const { withinDays, lookbackDays } = input.params;
    const today = input.asOf.toISOString().slice(0, 10);
    const completions = completionsByEmail(input);
    return current(roster(input), today)
      .filter((r) => daysSince(r.startDate!, input.asOf) <= lookbackDays)
      .map((r): CheckResult => {
        const due = new Date(Date.parse(`${r.startDate}T00:00:00Z`) + withinDays * dayMs).toISOString().slice(0, 10);
        // Training taken up to 30 days before the first day (pre-boarding) counts.
        const earliest = new Date(Date.parse(`${r.startDate}T00:00:00Z`) - 30 * dayMs).toISOString().slice(0, 10);
        const first = (completions.get(r.email) ?? []).find((c) => c.date >= earliest);
        if (first && first.date <= due) return { subject: r.email, status: 'pass', message: `started ${r.startDate}; completed ${first.what} on ${first.date}` };
        if (first) return { subject: r.email, status: 'fail', message: `started ${r.startDate}; completed ${first.what} only on ${first.date}, after the ${withinDays}-day deadline ${due}` };
        if (today <= due) return { subject: r.email, status: 'warn', message: `started ${r.startDate}; no completed training yet, due ${due}` };
        return unlessTrainingUnavailable(input, { subject: r.email, status: 'fail', message: `started ${r.startDate}; no completed security awareness training ${daysSince(r.startDate!, input.asOf)} days later (due ${due})` });
      });
  },
});

export const trainingCurrent = defineCheck({
  id: 'people.training.completed_within_12_months',
  title: 'Everyone completed security awareness training in the last 12 months',
  description:
    'Every current person who started more than the maximum age ago (default 365 days) has a training completion (KnowBe4 or an LMS export) within it. Newer people are judged by people.joiners.trained_within_days.',
  kinds: [rosterKind, ...trainingKinds],
  optionalKinds: trainingKinds,
  scope: 'across-instances',
  params: peopleCheckParams
    .unwrap()
    .extend({ maxAgeDays: z.number().int().min(1).max(3650).default(365).describe('The latest completion may be at most this many days old.') })
    .default({ aliases: {}, maxAgeDays: 365 }),
  evaluate: (input) => {
    const { maxAgeDays } = input.params;
    const today = input.asOf.toISOString().slice(0, 10);
    const completions = completionsByEmail(input);
    return current(roster(input), today)
      .filter((r) => daysSince(r.startDate!, input.asOf) > maxAgeDays)
      .map((r): CheckResult => {
        const last = (completions.get(r.email) ?? []).at(-1);
        if (!last) return unlessTrainingUnavailable(input, { subject: r.email, status: 'fail', message: `no training completion on record (started ${r.startDate})` });
        const age = daysSince(last.date, input.asOf);
        return age <= maxAgeDays
          ? { subject: r.email, status: 'pass', message: `last completed ${last.what} on ${last.date} (${age} days ago)` }
          : unlessTrainingUnavailable(input, { subject: r.email, status: 'fail', message: `last completed ${last.what} on ${last.date}, ${age} days ago (limit ${maxAgeDays})` });
      });
  },
});

/** The lifecycle checks, in report order. */
export const lifecycleChecks = [leaversAccountsDisabled, joinersTrained, trainingCurrent];
