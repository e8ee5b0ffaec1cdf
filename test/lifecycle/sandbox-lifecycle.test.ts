import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { Redactor } from '../../src/core/redact.js';
import { parseConfig } from '../../src/config/config.js';
import { connectorRegistry } from '../../src/registry.js';
import { checkRegistry } from '../../src/checks/registry.js';
import { planCollection } from '../../src/pipeline/plan.js';
import { runCollection } from '../../src/pipeline/collect.js';
import { evaluateChecks, type CheckEvaluation } from '../../src/checks/run-checks.js';
import { openSqliteStore, type SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { startSandboxEnvironment, sandboxToken, sandboxTokenVariable, type SandboxEnvironment } from '../../src/demo/sandbox-environment.js';

/**
 * The whole lifecycle story end to end: the real connectors collect the Jira and KnowBe4 sandboxes,
 * the GitHub sandbox and the HR/LMS export files of one synthetic company; the checks must find
 * exactly the seeded findings (each computed here from the worlds, not copied from the checks).
 */
// Like the demo: the company is anchored to the start of today and the sandboxes run on the wall clock.
const COMPANY_NOW = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00.000Z');
let NOW: Date;
const DAY = 86_400_000;

let env: SandboxEnvironment;
let store: SqliteEvidenceStore;
let evaluations: CheckEvaluation[];
const dir = mkdtempSync(join(tmpdir(), 'annexa-lifecycle-'));

beforeAll(async () => {
  env = await startSandboxEnvironment({ scale: 1, now: COMPANY_NOW, exportsDir: join(dir, 'exports') });
  const redactor = new Redactor();
  const config = parseConfig(
    { store: { path: join(dir, 'evidence.db') }, people: { aliases: env.peopleAliases() }, connectors: env.connectorEntries() },
    '<test>',
    connectorRegistry,
    { env: { [sandboxTokenVariable]: sandboxToken, ...env.secrets }, readFile: () => '', redactor },
    checkRegistry,
  );
  store = openSqliteStore(config.storePath);
  const result = await runCollection({ plan: planCollection(config), store, fetch: env.transport, clock: systemClock, logger: silentLogger(), redactor, command: 'test' });
  NOW = new Date();
  expect(result.outcomes.filter((o) => o.status !== 'collected')).toEqual([]);
  evaluations = await evaluateChecks({ store, checks: checkRegistry, connectors: connectorRegistry, asOf: NOW, params: config.checkParams });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

function results(checkId: string) {
  return evaluations.filter((e) => e.checkId === checkId).flatMap((e) => e.results);
}
const notPassing = (checkId: string) => results(checkId).filter((r) => r.status !== 'pass');
const person = (pred: (p: SandboxEnvironment['company']['people'][number]) => boolean) => env.company.people.find(pred)!;
const daysAgo = (date: string) => Math.floor((NOW.getTime() - Date.parse(`${date}T00:00:00Z`)) / DAY);

describe('lifecycle checks over the sandbox company', () => {
  it('finds every leaver with an account still active in any system, naming system, instance and account', () => {
    const lingering = env.github.world.violations.leaversStillMembers;
    expect(lingering).toHaveLength(2);
    // Each fake seeds its own offboarding miss: GitHub seats, an enabled Entra ID user, an active Google user,
    // and AWS keeps the IAM users of leavers (an IAM user has no disabled state: it exists or not).
    const still = new Map<string, string[]>();
    const add = (email: string, account: string) => still.set(email, [...(still.get(email) ?? []), account]);
    for (const account of env.aws.world.accounts) {
      for (const u of account.users) {
        const owner = env.company.people.find((p) => p.id === u.personId);
        if (owner?.status === 'leaver') add(owner.email, `AWS aws-acme: ${account.id}/${u.name}`);
      }
    }
    add(env.entra.world.violations.enabledLeaver, `Entra ID entra: ${env.entra.world.violations.enabledLeaver}`);
    for (const login of lingering) add(person((p) => p.githubLogin === login).email, `GitHub github-acme: ${login}`);
    add(env.google.world.violations.activeLeaver, `Google Workspace google: ${env.google.world.violations.activeLeaver}`);
    const expected = [...still]
      .map(([email, accounts]) => {
        const p = person((x) => x.email === email);
        return { subject: email, status: 'fail', message: `left ${p.endDate} (${daysAgo(p.endDate!)} days ago) but still active: ${accounts.join(', ')}` };
      })
      .sort((a, b) => a.subject.localeCompare(b.subject));
    expect(notPassing('people.leavers.accounts_disabled')).toEqual(expected);
    // Every other leaver passes, with the disabled accounts named.
    const leavers = env.company.people.filter((p) => p.status === 'leaver');
    expect(results('people.leavers.accounts_disabled')).toHaveLength(leavers.length);
    const clean = leavers.find((p) => p.githubLogin === null && p.employmentType === 'employee' && !still.has(p.email))!;
    const jiraId = env.jira.world.accounts.find((a) => a.personId === clean.id)!.accountId;
    const cleanResult = results('people.leavers.accounts_disabled').find((r) => r.subject === clean.email)!;
    expect(cleanResult.status).toBe('pass');
    expect(cleanResult.message).toMatch(new RegExp(`^left ${clean.endDate}; no active account \\(disabled: .*Jira jira-acme: ${jiraId}, KnowBe4 knowbe4: ${clean.email.replace(/\./g, '\\.')}\\)$`));
  });

  it('finds the joiner without training and the person whose last completion is over a year old', () => {
    const [joinerEmail] = env.knowbe4.world.findings.joinerWithoutTraining;
    const joiner = person((p) => p.email === joinerEmail);
    const due = new Date(Date.parse(`${joiner.startDate}T00:00:00Z`) + 30 * DAY).toISOString().slice(0, 10);
    expect(notPassing('people.joiners.trained_within_days')).toEqual([
      { subject: joiner.email, status: 'fail', message: `started ${joiner.startDate}; no completed security awareness training ${daysAgo(joiner.startDate)} days later (due ${due})` },
    ]);
    const [skipperEmail] = env.knowbe4.world.findings.completionOlderThanAYear;
    const last = env.knowbe4.world.enrollments.filter((e) => e.user.person.email === skipperEmail && e.completedMs !== null).map((e) => new Date(e.completedMs!).toISOString().slice(0, 10)).sort().at(-1)!;
    expect(notPassing('people.training.completed_within_12_months')).toEqual([
      { subject: skipperEmail, status: 'fail', message: `last completed Security Awareness Training (KnowBe4 knowbe4) on ${last}, ${daysAgo(last)} days ago (limit 365)` },
    ]);
    // Contractors are judged on the partner LMS export.
    const contractor = person((p) => p.employmentType === 'contractor' && p.status === 'active' && daysAgo(p.startDate) <= 365);
    expect(results('people.joiners.trained_within_days').find((r) => r.subject === contractor.email)).toMatchObject({ status: 'pass', message: expect.stringContaining('Security Awareness for Partners (partner-lms)') });
  });

  it('lists the agency account nobody on the roster answers for as an orphan', () => {
    const orphan = env.jira.world.accounts.find((a) => a.personId === null && a.accountType === 'atlassian')!;
    // The automation app is aliased to its owner; the agency account is the one Jira orphan (listed for review: warn).
    expect(notPassing('people.accounts.linked_to_a_person').filter((r) => r.subject.startsWith('jira:'))).toEqual([
      { subject: `jira:jira-acme:${orphan.accountId}`, status: 'warn', message: `Jira account matches no one: ${orphan.emailAddress} is not on the roster` },
    ]);
  });

  it('finds the self-approved change and the emergency change never approved', () => {
    const [own] = env.jira.world.violations.approvedByOwnAssignee;
    const [emergency] = env.jira.world.violations.emergencyNeverApproved;
    expect(notPassing('jira.changes.approved_before_deployment').map((r) => [r.subject, r.status, r.message.split(' (')[0]])).toEqual([[own, 'fail', expect.stringMatching(/^approved only by its own assignee /)]]);
    expect(notPassing('jira.emergency_changes.approved_retrospectively').map((r) => [r.subject, r.status])).toEqual([[emergency, 'fail']]);
    expect(results('jira.emergency_changes.approved_retrospectively').filter((r) => r.status === 'pass').map((r) => r.subject).sort()).toEqual([...env.jira.world.emergencyApprovedRetrospectively].sort());
  });

  it('reads the long changelog through the changelog endpoint, and only that one', () => {
    const routes = env.jira.requestsByRoute();
    // 60 tickets in one search page of 100; the long changelog (46 histories) in one page of 100; 202 users in one page plus the empty one.
    expect(routes).toEqual({
      // (the shared server collapses numeric path segments, the API version included, into {n})
      [`GET /rest/api/{n}/issue/${env.jira.world.longChangelog}/changelog`]: 1,
      'GET /rest/api/{n}/search/jql': 1,
      'GET /rest/api/{n}/users/search': 2,
    });
    const ticket = evaluations.find((e) => e.checkId === 'jira.changes.approved_before_deployment')!;
    expect(ticket.results.find((r) => r.subject === env.jira.world.longChangelog)?.status).toBe('pass');
  });
});
