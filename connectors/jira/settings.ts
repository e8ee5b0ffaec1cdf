import { z } from 'zod';
import { secretRef } from '../../src/config/secret-ref.js';
import type { Secret } from '../../src/core/secret.js';

/**
 * How a ticket's approval shows in its changelog. Jira's changelog records status changes and
 * field edits, not transition names, so a transition is identified by the statuses it moves
 * between.
 */
const approvalRule = z
  .strictObject({
    status: z.string().min(1).optional().describe('Approved when the ticket moves into this status (Approved).'),
    field: z.string().min(1).optional().describe('Approved when this field (id customfield_10042 or its name) is set.'),
    transition: z
      .strictObject({
        from: z.string().min(1).optional().describe('Status the approving transition leaves (any when omitted).'),
        to: z.string().min(1).describe('Status the approving transition enters.'),
      })
      .optional()
      .describe('Approved by the transition between these statuses.'),
  })
  // One object with exactly one key (not a union) so a mistake is reported at its own key path.
  .refine((rule) => [rule.status, rule.field, rule.transition].filter((v) => v !== undefined).length === 1, {
    message: 'expected exactly one of status, field or transition',
  });

/** The approval rule, exactly one of its forms. */
export type ApprovalRule = { status: string } | { field: string } | { transition: { from?: string | undefined; to: string } };

/** Config keys of a `type: jira` connector instance. */
export const jiraSettingsSchema = z
  .strictObject({
    site: z.url({ message: 'expected the site URL such as https://acme.atlassian.net' }).describe('Jira Cloud site URL.'),
    email: z.string().min(3).optional().describe('Atlassian account email the API token belongs to (with apiToken).'),
    apiToken: secretRef('Atlassian API token of a read-only account (with email).').optional(),
    bearerToken: secretRef('OAuth 2.0 / personal access bearer token, instead of email + apiToken.').optional(),
    jql: z.string().min(1).describe('JQL selecting change tickets (project = CHG). No ORDER BY: Annexa adds the period.'),
    approval: approvalRule.describe('How approval is read from the changelog.'),
    deployedStatuses: z.array(z.string().min(1)).min(1).describe('Statuses meaning the change is deployed (Done, Deployed).'),
    emergency: z
      .strictObject({
        labels: z.array(z.string().min(1)).default(['emergency']).describe('Labels marking an emergency change.'),
        issueTypes: z.array(z.string().min(1)).default(['Emergency Change']).describe('Issue types marking an emergency change.'),
      })
      .default({ labels: ['emergency'], issueTypes: ['Emergency Change'] }),
    lookbackDays: z.number().int().min(1).max(730).default(90).describe('Tickets updated in this many days are collected; later runs ask only for updates since.'),
  })
  .superRefine((value, ctx) => {
    const basic = value.email !== undefined || value.apiToken !== undefined;
    if (basic && value.bearerToken !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['bearerToken'], message: 'use either email + apiToken or bearerToken, not both' });
    } else if (!basic && value.bearerToken === undefined) {
      ctx.addIssue({ code: 'custom', path: ['apiToken'], message: 'expected email + apiToken, or bearerToken' });
    } else if (basic && (value.email === undefined || value.apiToken === undefined)) {
      ctx.addIssue({ code: 'custom', path: [value.email === undefined ? 'email' : 'apiToken'], message: 'email and apiToken go together' });
    }
  });

/** Validated settings with the tokens resolved. */
export type JiraSettings = Omit<z.output<typeof jiraSettingsSchema>, 'apiToken' | 'bearerToken' | 'approval'> & { apiToken?: Secret; bearerToken?: Secret; approval: ApprovalRule };
