/**
 * The Jira Cloud world of the sandbox: the company's Atlassian accounts and a change project
 * (`CHG`) whose tickets move Open → Awaiting Approval → Approved → In Progress → Deployed, with
 * the documented seeded violations ({@link jiraSeededViolations}). A pure function of the company.
 */
import { SeededRandom, hashString } from '../random.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, parseIso } from '../time.js';
import type { Person, SyntheticCompany } from '../company.js';

/** An Atlassian account as `/users/search` and embedded user objects show it. */
export interface JiraAccount {
  accountId: string;
  accountType: 'atlassian' | 'app';
  displayName: string;
  emailAddress: string | null;
  active: boolean;
  /** The person behind it (`null` for apps and the seeded orphan). */
  personId: string | null;
}

export interface JiraChangelogItem {
  field: string;
  fieldtype: string;
  fieldId: string;
  from: string | null;
  fromString: string | null;
  to: string | null;
  toString: string | null;
}

export interface JiraHistory {
  id: string;
  author: JiraAccount;
  /** Epoch ms (rendered in Jira's `+0000` format by the router). */
  createdMs: number;
  items: JiraChangelogItem[];
}

export interface JiraIssue {
  id: string;
  key: string;
  summary: string;
  issueType: string;
  status: string;
  labels: string[];
  createdMs: number;
  updatedMs: number;
  resolvedMs: number | null;
  reporter: JiraAccount;
  assignee: JiraAccount;
  histories: JiraHistory[];
}

/** The concrete tickets behind each seeded violation. */
export interface JiraViolationDetails {
  /** Deployed change approved by its own assignee (segregation of duties). */
  approvedByOwnAssignee: string[];
  /** Emergency change deployed and never approved. */
  emergencyNeverApproved: string[];
}

export interface JiraWorld {
  /** Site URL used in `self` and browse links (fixed, fictional). */
  site: string;
  project: string;
  accounts: JiraAccount[];
  /** Sorted by key number. */
  issues: JiraIssue[];
  /** Emergency changes approved retrospectively within a day: a correct check passes them. */
  emergencyApprovedRetrospectively: string[];
  /** The automation app account and the employee who owns it (for `people.aliases`). */
  automation: { accountId: string; ownerEmail: string };
  /** A ticket whose changelog is longer than a search embeds (exercises the changelog endpoint). */
  longChangelog: string;
  violations: JiraViolationDetails;
}

/** Seeded violations present in every world, independent of seed and scale. */
export const jiraSeededViolations = {
  approvedByOwnAssignee: 1,
  emergencyNeverApproved: 1,
  /** Emergency changes approved within a day after deployment (not violations). */
  emergencyApprovedRetrospectively: 2,
  /** Changelog histories of the long ticket (more than the 40 a search embeds). */
  longChangelogHistories: 46,
  /** Change tickets per unit of scale. */
  ticketsPerScale: 60,
  /** Tickets are created within this many days before now. */
  periodDays: 80,
} as const;

/** Statuses the sandbox workflow uses; `Deployed` is the deployed status. */
export const jiraWorkflow = { open: 'Open', awaiting: 'Awaiting Approval', approved: 'Approved', inProgress: 'In Progress', deployed: 'Deployed' } as const;

const statusIds: Record<string, string> = { Open: '1', 'Awaiting Approval': '10001', Approved: '10002', 'In Progress': '3', Deployed: '10003' };

const SUMMARIES = [
  'Upgrade PostgreSQL minor version on orders-db',
  'Rotate TLS certificate for api gateway',
  'Deploy pick-planner 2.14',
  'Increase autoscaling limit for vision workers',
  'Change firewall rule for warehouse VPN',
  'Enable audit logging on billing bucket',
  'Roll out new robot firmware to fleet B',
  'Migrate CI runners to new image',
  'Patch OpenSSL on edge gateways',
  'Update SSO group mapping for Support',
];

function accountIdFor(person: Person): string {
  // Atlassian account ids look like `5b10ac8d82e05b22cc7d4ef5` (24 hex) for older accounts.
  return new SeededRandom(hashString(`jira:${person.id}`)).hex(24);
}

/** Derives the Jira world from the company. */
export function createJiraWorld(company: SyntheticCompany): JiraWorld {
  const rng = new SeededRandom(company.seed).fork('jira');
  const nowMs = parseIso(company.now);
  const accounts: JiraAccount[] = [];
  const byPerson = new Map<string, JiraAccount>();
  for (const person of company.people) {
    const account: JiraAccount = {
      accountId: accountIdFor(person),
      accountType: 'atlassian',
      displayName: person.displayName,
      emailAddress: person.email,
      // Leavers were deactivated when they left.
      active: person.status === 'active',
      personId: person.id,
    };
    accounts.push(account);
    byPerson.set(person.id, account);
  }
  const automation: JiraAccount = {
    accountId: '557058:f58131cb-b67d-43c7-b30d-6b58d40bd077',
    accountType: 'app',
    displayName: 'Automation for Jira',
    emailAddress: null,
    active: true,
    personId: null,
  };
  // Seeded orphan: an agency account nobody on the roster owns.
  const orphan: JiraAccount = {
    accountId: rng.fork('orphan').hex(24),
    accountType: 'atlassian',
    displayName: 'Temp Release Manager',
    emailAddress: `release.temp@partner.example`,
    active: true,
    personId: null,
  };
  accounts.push(automation, orphan);

  const current = company.people.filter((p) => p.status === 'active' && p.employmentType === 'employee');
  const engineers = current.filter((p) => p.department === 'Engineering' && !/Manager|Chief|Head|VP/.test(p.title));
  const approvers = current.filter((p) => (p.department === 'Engineering' || p.department === 'Security') && /Manager|Chief|Head|VP/.test(p.title));
  const people = new Map(company.people.map((p) => [p.id, p]));
  const approverFor = (assignee: Person): Person => {
    const manager = assignee.managerId ? people.get(assignee.managerId) : undefined;
    return manager && manager.status === 'active' && manager.id !== assignee.id ? manager : rng.pick(approvers);
  };

  const count = Math.max(8, Math.round(jiraSeededViolations.ticketsPerScale * company.scale));
  const issues: JiraIssue[] = [];
  let historyId = 10_000;
  const statusItem = (from: string, to: string): JiraChangelogItem => ({
    field: 'status',
    fieldtype: 'jira',
    fieldId: 'status',
    from: statusIds[from] ?? null,
    fromString: from,
    to: statusIds[to] ?? null,
    toString: to,
  });
  const history = (author: JiraAccount, createdMs: number, items: JiraChangelogItem[]): JiraHistory => ({ id: String(historyId++), author, createdMs, items });

  // Seeded tickets take fixed positions among the oldest (so every one is deployed before now).
  const ownAssigneeAt = 3;
  const emergencyUnapprovedAt = 7;
  const emergencyRetroAt = [5, 11];
  const longAt = 9;
  const trng = rng.fork('tickets');
  for (let n = 1; n <= count; n++) {
    const assignee = trng.pick(engineers);
    const reporter = trng.pick(current);
    const approver = n === ownAssigneeAt ? assignee : approverFor(assignee);
    const emergency = n === emergencyUnapprovedAt || emergencyRetroAt.includes(n);
    // Older tickets first: key numbers grow with creation time.
    const createdMs = nowMs - Math.round(((count - n + 1) / count) * jiraSeededViolations.periodDays * DAY_MS) + trng.int(0, 600) * MINUTE_MS;
    const a = byPerson.get(assignee.id)!;
    const r = byPerson.get(reporter.id)!;
    const ap = byPerson.get(approver.id)!;
    const histories: JiraHistory[] = [];
    let t = createdMs;
    let status: string = jiraWorkflow.open;
    const move = (author: JiraAccount, to: string, afterMs: number) => {
      t += afterMs;
      histories.push(history(author, t, [statusItem(status, to)]));
      status = to;
    };
    if (emergency) {
      move(a, jiraWorkflow.inProgress, trng.int(5, 30) * MINUTE_MS);
      move(a, jiraWorkflow.deployed, trng.int(30, 180) * MINUTE_MS);
      if (emergencyRetroAt.includes(n)) {
        // Approved retrospectively later that day: the approver moves it through Approved and back.
        move(ap, jiraWorkflow.approved, trng.int(4, 20) * HOUR_MS);
        move(a, jiraWorkflow.deployed, trng.int(1, 10) * MINUTE_MS);
      }
    } else {
      move(r, jiraWorkflow.awaiting, trng.int(10, 120) * MINUTE_MS);
      move(ap, jiraWorkflow.approved, trng.int(2, 48) * HOUR_MS);
      move(a, jiraWorkflow.inProgress, trng.int(1, 24) * HOUR_MS);
      if (n === longAt) {
        for (let i = 0; i < jiraSeededViolations.longChangelogHistories - 4; i++) {
          t += trng.int(5, 90) * MINUTE_MS;
          histories.push(history(a, t, [{ field: 'description', fieldtype: 'jira', fieldId: 'description', from: null, fromString: `rollout step ${i}`, to: null, toString: `rollout step ${i + 1}` }]));
        }
      }
      const deployAt = t + trng.int(1, 48) * HOUR_MS;
      if (deployAt < nowMs) move(a, jiraWorkflow.deployed, deployAt - t);
    }
    issues.push({
      id: String(20_000 + n),
      key: `CHG-${n}`,
      summary: trng.pick(SUMMARIES),
      issueType: 'Change',
      status,
      labels: emergency ? ['emergency'] : [],
      createdMs,
      updatedMs: t,
      resolvedMs: status === jiraWorkflow.deployed ? histories.filter((h) => h.items.some((i) => i.toString === jiraWorkflow.deployed)).at(-1)!.createdMs : null,
      reporter: r,
      assignee: a,
      histories,
    });
  }
  // The orphan account and the automation app touched a few tickets too (comments, labels): not approvals.
  issues[0]!.histories.push(history(automation, issues[0]!.updatedMs, [{ field: 'labels', fieldtype: 'jira', fieldId: 'labels', from: null, fromString: '', to: null, toString: 'auto-linked' }]));

  return {
    site: 'https://acme.atlassian.example',
    project: 'CHG',
    accounts,
    issues,
    emergencyApprovedRetrospectively: emergencyRetroAt.map((n) => `CHG-${n}`),
    automation: { accountId: automation.accountId, ownerEmail: approvers[0]!.email },
    longChangelog: `CHG-${longAt}`,
    violations: { approvedByOwnAssignee: [`CHG-${ownAssigneeAt}`], emergencyNeverApproved: [`CHG-${emergencyUnapprovedAt}`] },
  };
}
