import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runCli, tempDir } from '../cli/helpers.js';
import { createSyntheticCompany } from '../../src/sandbox/company.js';
import { createEntraWorld } from '../../src/sandbox/microsoft-graph/data.js';
import { createGoogleWorld } from '../../src/sandbox/google-workspace/data.js';

/**
 * `annexa demo` collects Entra ID and Google Workspace next to GitHub, checks them and reports;
 * `annexa people` then shows one view of each person from the stored evidence.
 */
describe('annexa demo and annexa people', () => {
  const tmp = tempDir();
  const config = join(tmp.dir, 'demo', 'annexa.yaml');
  let demo: { code: number; stdout: string; stderr: string };
  // The demo anchors its company to the start of the UTC day.
  const today = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00.000Z');
  const company = createSyntheticCompany({ scale: 0.3, now: today });
  const entra = createEntraWorld(company);
  const google = createGoogleWorld(company);

  beforeAll(async () => {
    demo = await runCli(['demo', '--dir', 'demo', '--scale', '0.3'], tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  it('collects every Entra ID and Google kind and reports the seeded identity violations', () => {
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    for (const kind of ['entra.user.v1', 'entra.mfa_registration.v1', 'entra.access_review.v1', 'entra.managed_device.v1', 'google.user.v1', 'google.login_event.v1']) {
      expect(demo.stdout).toMatch(new RegExp(`${kind.replace(/\./g, '\\.')}\\s+\\d+\\s+collected`));
    }
    const overdue = entra.violations.overdueReview;
    expect(demo.stdout).toContain(`entra.access_reviews.completed_on_time  fail  ${overdue.definition} / ${overdue.instanceId}: overdue by 12 days`);
    expect(demo.stdout).toContain(`undecided: ${overdue.undecided.join(', ')}`);
    expect(demo.stdout).toContain(`google.2sv.enforced  fail  /Sales`);
  });

  it('people --format json: every person once, accounts linked by email or alias, the unaliased GitHub accounts unmatched', async () => {
    const out = await runCli(['people', '--format', 'json', '--config', config], tmp.dir);
    expect(out.code).toBe(0);
    const view = JSON.parse(out.stdout) as {
      people: { email: string; accounts: { system: string; accountId: string; matchedBy: string; mfa?: boolean | null }[] }[];
      unmatched: { system: string; accountId: string; reason: string }[];
      unavailable: unknown[];
    };
    expect(view.unavailable).toEqual([]);
    // The demo imports the HR roster, which defines who the people are: everyone on it, leavers included.
    expect(view.people.map((p) => p.email)).toEqual(company.people.map((p) => p.email).sort());
    const unaliased = company.people.filter((p) => p.githubLogin !== null && p.status === 'active').slice(0, 2);
    // AWS service users (no person's username) are unmatched too; every IAM user named after a person is linked.
    const awsUnmatched = view.unmatched.filter((a) => a.system === 'aws');
    expect(awsUnmatched.length).toBeGreaterThan(0);
    for (const a of awsUnmatched) expect(company.people.some((p) => a.accountId.endsWith(`/${p.username}`)), a.accountId).toBe(false);
    expect(view.unmatched.filter((a) => a.system === 'github').map((a) => [a.system, a.accountId, a.reason])).toEqual(
      unaliased
        .map((p) => ['github', p.githubLogin!, `no email visible and no people.aliases entry github:${p.githubLogin}`])
        .sort((a, b) => a[1]!.localeCompare(b[1]!)),
    );
    // Every other unmatched account (AWS service users aside, checked above) has an email that is not on the roster (guests, break-glass, an agency account).
    for (const a of view.unmatched.filter((x) => x.system !== 'github' && x.system !== 'aws')) expect(a.reason).toMatch(/ is not on the roster$/);
    const adminWithoutMfa = view.people.find((p) => p.email === entra.violations.adminWithoutMfa)!;
    expect(adminWithoutMfa.accounts.filter((a) => ['entra', 'github', 'google'].includes(a.system)).map((a) => [a.system, a.matchedBy, a.mfa])).toEqual([
      ['entra', 'email', false],
      ...(company.people.find((p) => p.email === entra.violations.adminWithoutMfa)!.githubLogin ? [['github', 'alias', expect.any(Boolean)]] : []),
      ['google', 'email', expect.any(Boolean)],
    ]);
  });

  it('people (table) and --format csv say the same per person', async () => {
    const table = await runCli(['people', '--config', config], tmp.dir);
    const csv = await runCli(['people', '--format', 'csv', '--config', config], tmp.dir);
    expect(table.code).toBe(0);
    expect(csv.code).toBe(0);
    const notEnrolled = google.violations.notEnrolledIn2Sv[0]!;
    const line = table.stdout.split('\n').find((l) => l.startsWith(`${notEnrolled} `))!;
    // Entra ID MFA yes, then Google Workspace 2SV no (the roster, Jira and KnowBe4 columns follow).
    expect(line).toMatch(/\s+yes\s+.*\sno(\s|$)/);
    const rows = csv.stdout.trimEnd().split('\r\n');
    expect(rows[0]).toBe('person,system,instance,account,matched_by,second_factor,factor,active,privileged,guest,last_sign_in,unmatched_reason');
    expect(rows.filter((r) => r.startsWith(`${notEnrolled},Google Workspace,google,${notEnrolled},email,no,2SV,yes,`))).toHaveLength(1);
    expect(table.stdout).toContain('Unmatched accounts (linked to no one):');
  });

  it('rejects an unknown format as a usage error', async () => {
    const out = await runCli(['people', '--format', 'xml', '--config', config], tmp.dir);
    expect(out.code).toBe(2);
  });
});
