import { z } from 'zod';
import { defineCheck, payloadsOf, type CheckResult } from './check.js';
import type { ChangeTicket } from '../../connectors/jira/change-tickets.js';

const dayMs = 86_400_000;
const kind = 'jira.change_ticket.v1';

/** Who an approval names, for messages. */
function who(p: ChangeTicket['assignee']): string {
  return p?.email ?? p?.displayName ?? p?.accountId ?? 'an unknown account';
}

/** Approvals by someone other than the assignee (segregation of duties: nobody approves their own change). */
function independentApprovals(t: ChangeTicket): ChangeTicket['approvals'] {
  return t.approvals.filter((a) => a.by === null || t.assignee === null || a.by.accountId !== t.assignee.accountId);
}

const periodParams = z
  .strictObject({ periodDays: z.number().int().min(1).max(730).default(90).describe('Changes deployed in this many days before the check date form the population.') })
  .default({ periodDays: 90 });

/** Deployed tickets of the period, oldest deployment first. */
function deployedInPeriod(tickets: readonly { subject: string; payload: ChangeTicket }[], asOf: Date, periodDays: number) {
  const from = new Date(asOf.getTime() - periodDays * dayMs).toISOString();
  return tickets
    .filter(({ payload }) => payload.deployedAt !== null && payload.deployedAt >= from && payload.deployedAt <= asOf.toISOString())
    .sort((a, b) => a.payload.deployedAt!.localeCompare(b.payload.deployedAt!));
}

export const changesApprovedBeforeDeployment = defineCheck({
  id: 'jira.changes.approved_before_deployment',
  title: 'Deployed changes were approved before deployment, not by their assignee',
  description:
    'Every non-emergency change ticket that reached a deployed status in the period has an approval (per the configured approval rule) by someone other than its assignee, no later than its deployment. Emergency changes are judged by jira.emergency_changes.approved_retrospectively.',
  kinds: [kind],
  params: periodParams,
  evaluate: ({ evidence, asOf, params, instanceId }) => {
    const population = deployedInPeriod(payloadsOf<ChangeTicket>(evidence[kind]), asOf, params.periodDays).filter(({ payload }) => !payload.emergency);
    const results = population.map(({ subject, payload: t }): CheckResult => {
      const independent = independentApprovals(t);
      const inTime = independent.filter((a) => a.at <= t.deployedAt!);
      if (inTime.length > 0) return { subject, status: 'pass', message: `approved by ${who(inTime[0]!.by)} at ${inTime[0]!.at}, deployed ${t.deployedAt}` };
      if (independent.length > 0) return { subject, status: 'fail', message: `deployed ${t.deployedAt} before its approval by ${who(independent[0]!.by)} at ${independent[0]!.at}` };
      if (t.approvals.length > 0) return { subject, status: 'fail', message: `approved only by its own assignee ${who(t.assignee)} (segregation of duties); deployed ${t.deployedAt}` };
      return { subject, status: 'fail', message: `deployed ${t.deployedAt} by ${who(t.deployedBy)} without any approval` };
    });
    return results.length > 0 ? results : [{ subject: instanceId, status: 'pass', message: `no non-emergency change deployed in the last ${params.periodDays} days` }];
  },
});

const emergencyParams = z
  .strictObject({
    periodDays: z.number().int().min(1).max(730).default(90).describe('Emergency changes deployed in this many days before the check date are judged.'),
    withinDays: z.number().min(0).max(90).default(2).describe('Days after deployment within which the retrospective approval must come.'),
  })
  .default({ periodDays: 90, withinDays: 2 });

export const emergencyChangesApprovedRetrospectively = defineCheck({
  id: 'jira.emergency_changes.approved_retrospectively',
  title: 'Emergency changes were approved, at the latest within N days after deployment',
  description:
    'Every emergency change (by label or issue type) deployed in the period was approved by someone other than its assignee before deployment or within the configured number of days after it (default 2). Still inside the window without approval is a warning.',
  kinds: [kind],
  params: emergencyParams,
  evaluate: ({ evidence, asOf, params, instanceId }) => {
    const limitMs = params.withinDays * dayMs;
    const population = deployedInPeriod(payloadsOf<ChangeTicket>(evidence[kind]), asOf, params.periodDays).filter(({ payload }) => payload.emergency);
    const results = population.map(({ subject, payload: t }): CheckResult => {
      const deployed = Date.parse(t.deployedAt!);
      const independent = independentApprovals(t);
      const first = independent[0];
      if (first && Date.parse(first.at) - deployed <= limitMs) {
        const after = Date.parse(first.at) > deployed ? 'retrospectively' : 'before deployment';
        return { subject, status: 'pass', message: `emergency change approved ${after} by ${who(first.by)} at ${first.at} (deployed ${t.deployedAt})` };
      }
      if (first) return { subject, status: 'fail', message: `emergency change approved ${((Date.parse(first.at) - deployed) / dayMs).toFixed(1)} days after deployment (limit ${params.withinDays})` };
      if (asOf.getTime() - deployed <= limitMs) return { subject, status: 'warn', message: `emergency change deployed ${t.deployedAt}, not yet approved; due within ${params.withinDays} days` };
      if (t.approvals.length > 0) return { subject, status: 'fail', message: `emergency change approved only by its own assignee ${who(t.assignee)}` };
      return { subject, status: 'fail', message: `emergency change deployed ${t.deployedAt} and never approved (limit ${params.withinDays} days)` };
    });
    return results.length > 0 ? results : [{ subject: instanceId, status: 'pass', message: `no emergency change deployed in the last ${params.periodDays} days` }];
  },
});

/** The Jira checks, in report order. */
export const jiraChecks = [changesApprovedBeforeDeployment, emergencyChangesApprovedRetrospectively];
