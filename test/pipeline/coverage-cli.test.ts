import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../cli/helpers.js';
import { startSandboxEnvironment, sandboxToken, type SandboxEnvironment } from '../../src/demo/sandbox-environment.js';
import type { CoverageReport, RequirementRow } from '../../src/reports/coverage-model.js';
import type { ChangesReport } from '../../src/reports/changes.js';

/**
 * End to end through the CLI (in-process) against the GitHub sandbox: SoA, collect, manual
 * evidence, check, coverage in every format, as-of, changes and `annexa run`. Expectations come
 * from the sandbox's documented seeded violations.
 */

const dayMs = 86_400_000;
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * dayMs).toISOString().slice(0, 10);
const exclusion = 'No premises of our own: offices are provided by a co-working operator.';

describe('annexa coverage end to end against the GitHub sandbox', () => {
  let sandbox: SandboxEnvironment;
  const tmp = tempDir('annexa-coverage-cli-');
  const env = { GH_TOKEN: sandboxToken, ANNEXA_USER: 'ciso@acme.example' };
  const cli = (...args: string[]) => runCli(args, tmp.dir, env);
  let org: string;
  let report: CoverageReport;
  /** A member whose 2FA the run test turns off in the sandbox (restored after all tests). */
  let member: SandboxEnvironment['github']['world']['members'][number] | undefined;
  const row = (id: string): RequirementRow => {
    const found = report.controls.find((r) => r.id === id);
    if (!found) throw new Error(`no row ${id}`);
    return found;
  };
  const failingSubjects = (r: RequirementRow, checkId: string, status = 'fail') =>
    r.checks
      .find((c) => c.id === checkId)!
      .failing.filter((f) => f.status === status)
      .map((f) => f.subject)
      .sort();

  beforeAll(async () => {
    sandbox = await startSandboxEnvironment({ scale: 0.2, now: new Date() });
    org = sandbox.github.world.org.login;
    writeFileSync(
      join(tmp.dir, 'annexa.yaml'),
      [
        'store:',
        '  path: ./data/evidence.db',
        'soa:',
        '  path: ./soa.yaml',
        'reports:',
        '  dir: ./reports',
        'connectors:',
        `  - id: github-${org}`,
        '    type: github',
        `    org: ${org}`,
        '    token: ${GH_TOKEN}',
        `    baseUrl: ${sandbox.github.url}`,
        '',
      ].join('\n'),
    );
    const init = await cli('soa', 'init', '--out', 'soa.yaml');
    expect(init.code, init.stderr).toBe(0);
    const template = readFileSync(join(tmp.dir, 'soa.yaml'), 'utf8');
    const edited = template.replace(
      '  A.7.12:\n    applicable: true\n    justification: ""',
      `  A.7.12:\n    applicable: false\n    justification: "${exclusion}"`,
    );
    expect(edited).not.toBe(template);
    writeFileSync(join(tmp.dir, 'soa.yaml'), edited);

    const collect = await cli('collect');
    expect(collect.code, collect.stderr).toBe(0);

    writeFileSync(join(tmp.dir, 'policy.md'), '# Information security policy\n\nApproved by the board.\n');
    writeFileSync(join(tmp.dir, 'audit-report.md'), '# Internal audit report\n');
    const policy = await cli('evidence', 'add', '--control', '5.1', '--clause', '5.2', '--file', 'policy.md', '--effective', day(-30), '--expires', day(335));
    expect(policy.code, policy.stderr).toBe(0);
    const audit = await cli('evidence', 'add', '--clause', '9.2', '--file', 'audit-report.md', '--effective', day(-400), '--expires', day(-35));
    expect(audit.code, audit.stderr).toBe(0);

    const check = await cli('check');
    expect(check.code, check.stderr).toBe(0);

    const coverage = await cli('coverage', '--format', 'json');
    expect(coverage.code, coverage.stderr).toBe(0);
    report = JSON.parse(coverage.stdout) as CoverageReport;
  });
  afterAll(async () => {
    if (member) member.twoFactorEnabled = true;
    await sandbox.close();
    tmp.cleanup();
  });

  it('fails A.8.5 with exactly the seeded members without 2FA, and the organization setting', () => {
    const a85 = row('A.8.5');
    expect(a85.status).toBe('failing');
    const expected = [...sandbox.github.world.violations.membersWithout2fa].sort();
    expect(expected).toHaveLength(3);
    expect(failingSubjects(a85, 'github.members.have_2fa')).toEqual(expected);
    expect(a85.checks.find((c) => c.id === 'github.members.have_2fa')!.failing).toHaveLength(3);
    expect(failingSubjects(a85, 'github.org.requires_2fa')).toEqual([org]);
    expect(row('A.5.17').status).toBe('failing');
  });

  it('fails the change-management and vulnerability controls on the seeded repository, pull requests and alert', () => {
    const { violations } = sandbox.github.world;
    const a84 = row('A.8.4');
    expect(a84.status).toBe('failing');
    expect(failingSubjects(a84, 'github.default_branch.requires_review')).toEqual(violations.unprotectedRepositories.map((r) => `${org}/${r}`));

    const a832 = row('A.8.32');
    expect(a832.status).toBe('failing');
    // Only pull requests merged within the connector's look-back period (90 days by default) are collected.
    const lookbackStart = Date.now() - 90 * dayMs;
    const seeded = [...violations.mergedPullRequestsWithoutApproval, ...violations.mergedPullRequestsApprovedAfterMerge];
    const inWindow = seeded.filter((ref) => {
      const pr = sandbox.github.world.pullRequests.find((p) => p.repository === ref.repository && p.number === ref.number)!;
      return Date.parse(pr.mergedAt) >= lookbackStart;
    });
    expect(inWindow.length).toBeGreaterThan(0);
    const prs = inWindow.map((p) => `${org}/${p.repository}#${p.number}`).sort();
    expect(failingSubjects(a832, 'github.pull_requests.approved_before_merge')).toEqual(prs);

    const a88 = row('A.8.8');
    expect(a88.status).toBe('failing');
    const stale = violations.staleCriticalAlerts[0]!;
    expect(failingSubjects(a88, 'github.dependabot.critical_high_within_sla')).toContain(`${org}/${stale.repository}#${stale.number}`);
  });

  it('passes the access-review controls (outside collaborators are warnings, not failures); supplier access fails on the collaborator without 2FA', () => {
    for (const id of ['A.5.15', 'A.5.18']) {
      expect(row(id).status, id).toBe('passing');
      // Other connectors' checks on these controls have no evidence here (not_collected) and do not count.
      expect(row(id).checks.map((c) => c.id).filter((c) => c.startsWith('github.'))).toEqual(['github.outside_collaborators.listed_for_review']);
    }
    expect(row('A.5.19').status).toBe('failing');
    expect(row('A.5.19').checks.filter((c) => c.id.startsWith('github.')).map((c) => [c.id, c.status])).toEqual([
      ['github.outside_collaborators.listed_for_review', 'warn'],
      ['github.outside_collaborators.have_2fa', 'fail'],
    ]);
    expect(row('A.5.19').checks.find((c) => c.id === 'github.outside_collaborators.have_2fa')!.failing.map((f) => f.subject)).toEqual(sandbox.github.world.violations.outsideCollaboratorsWithout2fa);
    const warned = row('A.5.18').checks.find((c) => c.id === 'github.outside_collaborators.listed_for_review')!.warnings.map((w) => w.subject).sort();
    expect(warned).toEqual(sandbox.github.world.outsideCollaborators.map((o) => o.login).sort());
  });

  it('shows manual evidence: A.5.1 and 5.2 manual with the current policy, 9.2 stale with the expired audit report', () => {
    expect(row('A.5.1').status).toBe('manual');
    expect(row('5.2').status).toBe('manual');
    expect(row('A.5.1').manualEvidence.map((m) => [m.fileName, m.effective, m.expires, m.addedBy, m.current])).toEqual([
      ['policy.md', day(-30), day(335), 'ciso@acme.example', true],
    ]);
    expect(row('9.2').status).toBe('stale');
    expect(row('9.2').manualEvidence.map((m) => [m.fileName, m.current])).toEqual([['audit-report.md', false]]);
  });

  it('excludes the control the SoA excludes, with its justification; other controls with nothing are missing', () => {
    expect(row('A.7.12').status).toBe('excluded');
    expect(row('A.7.12').justification).toBe(exclusion);
    expect(report.summary.excluded).toBe(1);
    expect(report.soaFile).toBe(join(tmp.dir, 'soa.yaml'));
    expect(row('A.7.1').status).toBe('missing');
    const counted = report.summary.byStatus;
    expect(counted.passing + counted.failing + counted.stale + counted.manual + counted.missing).toBe(report.summary.applicable);
    expect(report.summary.applicable).toBe(102);
  });

  it('--fail-on failing exits 4', async () => {
    const gated = await cli('coverage', '--fail-on', 'failing', '--format', 'json');
    expect(gated.code).toBe(4);
    expect(gated.stderr).toContain(`${report.summary.byStatus.failing} failing`);
    // A.5.1 and 5.2 have manual evidence only, so this gate trips too.
    expect((await cli('coverage', '--fail-on', 'manual', '--format', 'json')).code).toBe(4);
  });

  it('writes Markdown and HTML reports with --out', async () => {
    const md = await cli('coverage', '--format', 'md', '--out', 'out/coverage.md');
    const html = await cli('coverage', '--format', 'html', '--out', 'out/coverage.html');
    expect(md.code, md.stderr).toBe(0);
    expect(html.code, html.stderr).toBe(0);
    expect(md.stdout).toBe('');
    const mdText = readFileSync(join(tmp.dir, 'out', 'coverage.md'), 'utf8');
    const htmlText = readFileSync(join(tmp.dir, 'out', 'coverage.html'), 'utf8');
    expect(mdText).toContain('A.8.5');
    expect(mdText).toContain(sandbox.github.world.violations.membersWithout2fa[0]!);
    expect(htmlText).toMatch(/^<!doctype html>/i);
    expect(htmlText).toContain('A.7.12');
  });

  it('--as-of a date before the collection shows the GitHub-mapped controls missing', async () => {
    const before = await cli('coverage', '--format', 'json', '--as-of', day(-2));
    expect(before.code, before.stderr).toBe(0);
    const past = JSON.parse(before.stdout) as CoverageReport;
    const status = (id: string) => past.controls.find((r) => r.id === id)!.status;
    for (const id of ['A.8.5', 'A.5.17', 'A.8.4', 'A.8.32', 'A.8.8', 'A.5.18']) expect(status(id), id).toBe('missing');
    // The manual files were added today, after that as-of date.
    expect(status('A.5.1')).toBe('missing');
    expect(status('9.2')).toBe('missing');
    expect(status('A.7.12')).toBe('excluded');
  });

  it('changes --since runs and reports the manual files added, nothing disappearing', async () => {
    const changes = await cli('changes', '--since', day(-1), '--json');
    expect(changes.code, changes.stderr).toBe(0);
    const parsed = JSON.parse(changes.stdout) as ChangesReport;
    // One collection and one check run in the window: the baseline, so no GitHub change.
    expect(parsed.checkChanges).toEqual([]);
    expect(parsed.evidenceChanges.map((c) => [c.kind, c.subject.replace(/@.*/, ''), c.change])).toEqual([
      ['manual.document.v1', 'policy.md', 'appeared'],
      ['manual.document.v1', 'audit-report.md', 'appeared'],
    ]);
    const text = await cli('changes', '--since', day(-1));
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('No check result changed status.');
  });

  it('run --fail-on new-failing exits 0 with nothing new, writes the latest reports, and 4 when a member newly loses 2FA', async () => {
    const first = await cli('run', '--fail-on', 'new-failing', '--json');
    expect(first.code, first.stderr).toBe(0);
    const repeat = await cli('run', '--fail-on', 'new-failing', '--json');
    expect(repeat.code, repeat.stderr).toBe(0);
    const summary = JSON.parse(repeat.stdout) as { newlyFailing: unknown[]; reports: Record<string, string> };
    expect(summary.newlyFailing).toEqual([]);
    const latestJson = join(tmp.dir, 'reports', 'coverage-latest.json');
    expect(existsSync(join(tmp.dir, 'reports', 'coverage-latest.html'))).toBe(true);
    expect(existsSync(latestJson)).toBe(true);
    const latest = JSON.parse(readFileSync(latestJson, 'utf8')) as CoverageReport;
    expect(latest.controls.find((r) => r.id === 'A.8.5')!.status).toBe('failing');
    expect(latest.controls.find((r) => r.id === 'A.7.12')!.status).toBe('excluded');
    expect(existsSync(summary.reports.changesJson!)).toBe(true);

    // A member with 2FA turns it off: the next run gates on it, naming the login.
    member = sandbox.github.world.members.find((m) => m.role === 'member' && m.twoFactorEnabled)!;
    member.twoFactorEnabled = false;
    const gated = await cli('run', '--fail-on', 'new-failing', '--json');
    expect(gated.code).toBe(4);
    expect(gated.stderr).toContain('1 check result(s) newly failing');
    const fresh = (JSON.parse(gated.stdout) as { newlyFailing: { subject: string; from: string | null; to: string }[] }).newlyFailing;
    expect(fresh.map((c) => [c.subject, c.from, c.to])).toEqual([[member.login, 'pass', 'fail']]);
  });

  // `run` reports changes after the previous check run, so a failure it already gated on is not new again.
  it('run --fail-on new-failing does not gate again on a failure the previous run already reported', async () => {
    expect(member?.twoFactorEnabled).toBe(false);
    const again = await cli('run', '--fail-on', 'new-failing', '--json');
    expect((JSON.parse(again.stdout) as { newlyFailing: unknown[] }).newlyFailing).toEqual([]);
    expect(again.code).toBe(0);
  });

  it('exits 2 naming the control when the SoA misses one', async () => {
    const soa = readFileSync(join(tmp.dir, 'soa.yaml'), 'utf8');
    const without = soa.replace(/ {2}A\.5\.10:\n(?: {4}.*\n){3}/, '');
    expect(without).not.toBe(soa);
    writeFileSync(join(tmp.dir, 'soa-missing.yaml'), without);
    const result = await cli('coverage', '--soa', 'soa-missing.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('controls.A.5.10');
    expect(result.stderr).toContain('missing');
    expect(result.stdout).toBe('');
  });
});
