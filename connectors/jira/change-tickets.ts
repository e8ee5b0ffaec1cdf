import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import { canonicalJson, sha256Hex } from '../../src/core/canonical.js';
import type { JiraApi } from './client.js';
import type { JiraSettings } from './settings.js';
import type { ChangelogHistory, SearchIssue } from './api-schemas.js';

const person = z
  .object({
    accountId: z.string().describe('Atlassian account id (stable).'),
    displayName: z.string().nullable().describe('Display name.'),
    email: z.string().nullable().describe('Email, when the user\'s privacy settings show it (null otherwise).'),
  })
  .describe('An Atlassian account.');

export const changeTicketPayload = z.object({
  key: z.string().describe('Issue key (CHG-42).'),
  url: z.string().describe('Browse URL of the ticket.'),
  summary: z.string().describe('Summary at collection time.'),
  issueType: z.string().describe('Issue type name.'),
  status: z.string().describe('Current status name.'),
  labels: z.array(z.string()).describe('Labels.'),
  created: z.string().describe('When the ticket was created (UTC).'),
  updated: z.string().describe('When the ticket last changed (UTC).'),
  resolved: z.string().nullable().describe('Resolution date (UTC), null while unresolved.'),
  reporter: person.nullable(),
  assignee: person.nullable().describe('The current assignee (the person making the change).'),
  emergency: z.boolean().describe('True when a configured emergency label or issue type marks the ticket.'),
  emergencyReason: z.string().nullable().describe('Which label or type made it an emergency change.'),
  approvals: z
    .array(
      z.object({
        by: person.nullable().describe('Who approved (null when Jira did not record an author).'),
        at: z.string().describe('When (UTC).'),
        via: z.enum(['status', 'field', 'transition']).describe('Which configured approval rule matched.'),
        detail: z.string().describe('The changelog change that matched ("status: Awaiting Approval → Approved").'),
      }),
    )
    .describe('Every approval event in the changelog, oldest first, per the configured approval rule.'),
  deployedAt: z.string().nullable().describe('When the ticket first entered a deployed status (UTC); null if it never did.'),
  deployedBy: person.nullable().describe('Who moved it into the deployed status.'),
  deployedStatus: z.string().nullable().describe('The deployed status it entered.'),
  changelogEntries: z.number().describe('Changelog histories read (the whole changelog, fetched separately when the search cut it short).'),
  settings: z
    .string()
    .describe('Digest of the settings the record was derived with (jql, approval, deployedStatuses, emergency, lookbackDays): when they change, the next run collects the whole period again instead of carrying records over.'),
});

export type ChangeTicket = z.output<typeof changeTicketPayload>;

export const changeTicketsCollector = defineCollector<JiraApi, JiraSettings, typeof changeTicketPayload>({
  id: 'change_tickets',
  kind: 'jira.change_ticket.v1',
  title: 'Change tickets with approval and deployment from the changelog',
  description:
    'Tickets selected by the configured JQL and updated in the look-back period, with who approved them and when (from the changelog), when they reached a deployed status, and the emergency flag. Later runs ask Jira only for tickets updated since the last collection and keep the rest.',
  subject: 'issue key',
  ttlHours: 36,
  payload: changeTicketPayload,
  async *collect({ client, config, clock, previous: previousCollection }) {
    const settings = settingsDigest(config);
    const last = await previousCollection?.();
    // Records derived under other settings (another approval rule, a longer period) are not carried over.
    const previous = last && last.records.every((r) => (r.payload as Partial<ChangeTicket>).settings === settings) ? last : undefined;
    const now = clock.now().getTime();
    const periodStart = new Date(now - config.lookbackDays * 86_400_000).toISOString();
    // Relative JQL dates are evaluated by Jira in UTC-independent terms (minutes before its now),
    // unlike absolute dates, which Jira reads in the API user's profile time zone.
    const since = previous
      ? `-${Math.ceil((now - Date.parse(previous.startedAt)) / 60_000) + overlapMinutes}m`
      : `-${config.lookbackDays}d`;
    const jql = `(${config.jql}) AND updated >= "${since}" ORDER BY updated DESC`;
    const seen = new Set<string>();
    for await (const page of client.search(jql)) {
      for (const issue of page.data.issues) {
        const requests: RequestRef[] = [page.request];
        let histories = issue.changelog.histories;
        if (histories.length < issue.changelog.total) {
          // The search embeds only the first histories of a long changelog: read the rest.
          const full = await client.changelog(issue.key);
          histories = full.histories;
          requests.push(...full.requests);
        }
        seen.add(issue.key);
        yield { subject: issue.key, requests, payload: toTicket(issue, histories, config, settings) };
      }
    }
    // Tickets not updated since the last collection are unchanged: carry them over while in the period.
    for (const record of previous?.records ?? []) {
      const ticket = record.payload as ChangeTicket;
      if (!seen.has(record.subject) && ticket.updated >= periodStart) yield { ...record, payload: ticket };
    }
  },
});

/** Minutes of overlap between incremental windows, so an update at the boundary is never missed. */
const overlapMinutes = 10;

/** Jira timestamps (`2026-03-01T10:15:30.000+0000`) as ISO-8601 UTC. */
export function jiraTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`not a Jira timestamp: ${value}`);
  return new Date(ms).toISOString();
}

function toPerson(user: { accountId: string; displayName?: string | undefined; emailAddress?: string | undefined } | null | undefined): ChangeTicket['reporter'] {
  if (!user) return null;
  return { accountId: user.accountId, displayName: user.displayName ?? null, email: user.emailAddress ?? null };
}

/** Describes one issue: approvals and deployment read from its changelog per the configured rules. */
export function toTicket(issue: SearchIssue, histories: readonly ChangelogHistory[], config: JiraSettings, settings = settingsDigest(config)): ChangeTicket {
  const ordered = [...histories].sort((a, b) => Date.parse(a.created) - Date.parse(b.created));
  const approvals: ChangeTicket['approvals'] = [];
  let deployed: { at: string; by: ChangeTicket['deployedBy']; status: string } | undefined;
  const deployedStatuses = new Set(config.deployedStatuses.map((s) => s.toLowerCase()));
  const same = (a: string | null | undefined, b: string) => (a ?? '').toLowerCase() === b.toLowerCase();
  const rule = config.approval;
  for (const history of ordered) {
    for (const item of history.items) {
      const at = jiraTime(history.created);
      const by = toPerson(history.author);
      if (item.field === 'status') {
        const change = `status: ${item.fromString ?? '(none)'} → ${item.toString ?? '(none)'}`;
        if ('status' in rule && rule.status !== undefined && same(item.toString, rule.status)) approvals.push({ by, at, via: 'status', detail: change });
        if ('transition' in rule && rule.transition !== undefined && same(item.toString, rule.transition.to) && (rule.transition.from === undefined || same(item.fromString, rule.transition.from))) {
          approvals.push({ by, at, via: 'transition', detail: change });
        }
        if (!deployed && deployedStatuses.has((item.toString ?? '').toLowerCase())) deployed = { at, by, status: item.toString! };
      } else if ('field' in rule && rule.field !== undefined && (item.fieldId === rule.field || same(item.field, rule.field)) && (item.toString ?? item.to ?? '') !== '') {
        approvals.push({ by, at, via: 'field', detail: `${item.field}: ${item.fromString ?? '(empty)'} → ${item.toString ?? item.to}` });
      }
    }
  }
  const f = issue.fields;
  const label = f.labels.find((l) => config.emergency.labels.some((e) => same(l, e)));
  const type = config.emergency.issueTypes.find((t) => same(f.issuetype.name, t));
  return {
    key: issue.key,
    // The site as Jira names itself in `self` (the canonical site, even behind a proxy URL).
    url: `${new URL(issue.self).origin}/browse/${issue.key}`,
    summary: f.summary,
    issueType: f.issuetype.name,
    status: f.status.name,
    labels: f.labels,
    created: jiraTime(f.created),
    updated: jiraTime(f.updated),
    resolved: f.resolutiondate ? jiraTime(f.resolutiondate) : null,
    reporter: toPerson(f.reporter),
    assignee: toPerson(f.assignee),
    emergency: label !== undefined || type !== undefined,
    emergencyReason: label !== undefined ? `label ${label}` : type !== undefined ? `issue type ${type}` : null,
    approvals,
    deployedAt: deployed?.at ?? null,
    deployedBy: deployed?.by ?? null,
    deployedStatus: deployed?.status ?? null,
    changelogEntries: ordered.length,
    settings,
  };
}

/** The first 16 hex digits of the sha256 of the settings a ticket record depends on. */
export function settingsDigest(config: JiraSettings): string {
  const { jql, approval, deployedStatuses, emergency, lookbackDays } = config;
  return sha256Hex(canonicalJson({ jql, approval, deployedStatuses, emergency, lookbackDays })).slice(0, 16);
}
