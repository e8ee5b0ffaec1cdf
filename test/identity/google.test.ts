import { afterEach, describe, expect, it } from 'vitest';
import { evaluateChecks } from '../../src/checks/run-checks.js';
import { googleChecks } from '../../src/checks/google.js';
import { connectorRegistry } from '../../src/registry.js';
import type { CheckDefinition } from '../../src/checks/check.js';
import { identityRun, NOW, stored, type IdentityRun } from './harness.js';

let run: IdentityRun | undefined;
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});

const outcomes = (r: IdentityRun) => Object.fromEntries(r.result.outcomes.filter((o) => o.instanceId === 'google').map((o) => [o.collectorId, o.status === 'collected' ? o.recordCount : o.errorCode]));

describe('Google Workspace connector against the sandbox account', () => {
  it('exchanges a signed service-account JWT for a token at the key\'s token_uri and collects every kind', async () => {
    run = await identityRun({ entra: false });
    const w = run.googleWorld;
    const since = new Date(NOW.getTime() - 30 * 86_400_000).toISOString();
    expect(run.result.status).toBe('complete');
    expect(outcomes(run)).toEqual({
      users: w.users.length,
      admin_role_assignments: w.roleAssignments.length,
      login_events: w.loginEvents.filter((e) => e.id.time >= since).length,
    });
    expect(run.google!.requestsByRoute()).toEqual({
      'GET /admin/directory/v1/customer/my_customer/roleassignments': 1,
      'GET /admin/directory/v1/customer/my_customer/roles': 1,
      'GET /admin/directory/v1/users': 1,
      'GET /admin/reports/v1/activity/users/all/applications/login': 1,
      'POST /token': 1,
    });
  });

  it('records users, role assignments and login events exactly', async () => {
    run = await identityRun({ entra: false });
    const w = run.googleWorld;
    const admin = w.users.find((u) => u.primaryEmail === w.violations.adminWithout2Sv)!;
    const users = await stored(run.store, 'google.user.v1', 'google');
    expect(users.get(admin.primaryEmail)).toEqual({
      id: admin.id,
      primaryEmail: admin.primaryEmail,
      fullName: admin.name.fullName,
      isAdmin: false,
      isDelegatedAdmin: true,
      suspended: false,
      archived: false,
      isEnrolledIn2Sv: false,
      isEnforcedIn2Sv: true,
      lastLoginTime: admin.lastLoginTime,
      creationTime: admin.creationTime,
      orgUnitPath: '/People',
    });
    const never = w.violations.staleUsers[1]!;
    expect((users.get(never) as { lastLoginTime: string | null }).lastLoginTime).toBeNull();
    const roles = await stored(run.store, 'google.admin_role_assignment.v1', 'google');
    expect(roles.get(`_USER_MANAGEMENT_ADMIN_ROLE:${admin.id}`)).toEqual({
      roleAssignmentId: w.roleAssignments[2]!.roleAssignmentId,
      roleId: '9170516996784130',
      roleName: '_USER_MANAGEMENT_ADMIN_ROLE',
      isSuperAdminRole: false,
      assignedTo: admin.id,
      assigneeType: 'user',
      scopeType: 'CUSTOMER',
      orgUnitId: null,
    });
    const events = await stored(run.store, 'google.login_event.v1', 'google');
    const suspicious = [...events.values()].filter((e) => (e as { eventName: string }).eventName === 'suspicious_login');
    expect(suspicious).toEqual([
      {
        time: expect.any(String),
        uniqueQualifier: expect.any(String),
        actorEmail: w.violations.suspiciousLogin,
        eventName: 'suspicious_login',
        loginType: 'google_password',
        isSuspicious: true,
        isSecondFactor: true,
        ipAddress: '203.0.113.77',
      },
    ]);
  });

  it('follows nextPageToken to the end', async () => {
    run = await identityRun({ entra: false, google: { pageSize: 7 } });
    const w = run.googleWorld;
    expect(outcomes(run).users).toBe(w.users.length);
    expect(run.google!.requestsByRoute()['GET /admin/directory/v1/users']).toBe(Math.ceil(w.users.length / 7));
  });

  it('judges the seeded violations: exact failing subjects of every Google check', async () => {
    run = await identityRun({ entra: false });
    const v = run.googleWorld.violations;
    const evaluations = await evaluateChecks({
      store: run.store,
      checks: googleChecks as unknown as CheckDefinition<unknown>[],
      connectors: connectorRegistry,
      asOf: new Date(NOW.getTime() + 3_600_000),
    });
    const failing = (id: string) => evaluations.filter((e) => e.checkId === id).flatMap((e) => e.results.filter((r) => r.status === 'fail').map((r) => `${r.subject}: ${r.message}`));
    expect(failing('google.users.2sv_enrolled').sort()).toEqual(
      [...v.notEnrolledIn2Sv.map((e) => `${e}: user is not enrolled in 2SV`), `${v.adminWithout2Sv}: delegated admin is not enrolled in 2SV`].sort(),
    );
    const sales = run.googleWorld.users.filter((u) => u.orgUnitPath === '/Sales' && !u.suspended && !u.archived).length;
    expect(failing('google.2sv.enforced')).toEqual([`/Sales: 2SV not enforced for ${sales} of ${sales} active users`]);
    expect(failing('google.users.signed_in_recently').map((f) => f.split(':')[0]).sort()).toEqual([...v.staleUsers].sort());
    expect(failing('google.admins.2sv_enrolled')).toEqual([`${v.adminWithout2Sv}: holds _USER_MANAGEMENT_ADMIN_ROLE without 2SV`]);
  });

  it('fails with auth_failed when domain-wide delegation lacks a scope, naming Google\'s answer', async () => {
    run = await identityRun({ entra: false, google: { grantedScopes: ['https://www.googleapis.com/auth/admin.directory.user.readonly'] } });
    expect(run.result.outcomes.map((o) => [o.collectorId, o.errorCode])).toEqual([
      ['users', 'auth_failed'],
      ['admin_role_assignments', 'auth_failed'],
      ['login_events', 'auth_failed'],
    ]);
    expect(run.result.outcomes[0]!.errorMessage).toContain('unauthorized_client');
  });

  it('fails a collector the admin may not read as permission_denied (403), and the rest still collect', async () => {
    run = await identityRun({ entra: false, google: { deny: ['/admin/reports'] } });
    expect(outcomes(run)).toEqual({ users: run.googleWorld.users.length, admin_role_assignments: run.googleWorld.roleAssignments.length, login_events: 'permission_denied' });
    expect(run.result.outcomes.find((o) => o.collectorId === 'login_events')!.errorMessage).toContain('Not Authorized to access this resource/api');
  });

  it('collects login events incrementally: the next run fetches only what is newer and carries the rest forward', async () => {
    run = await identityRun({ entra: false, google: { pageSize: 40 } });
    const first = await stored(run.store, 'google.login_event.v1', 'google');
    const fullPages = run.google!.requestsByRoute()['GET /admin/reports/v1/activity/users/all/applications/login']!;
    expect(fullPages).toBe(Math.ceil(first.size / 40));
    const second = await run.collectAgain(new Date(NOW.getTime() + 3_600_000));
    expect(second.status).toBe('complete');
    const secondPages = run.google!.requestsByRoute()['GET /admin/reports/v1/activity/users/all/applications/login']! - fullPages;
    // Only the events of the settling margin (3 h before the first run started) are fetched again.
    const since = new Date(NOW.getTime() - 10_000 - 3 * 3_600_000).toISOString();
    const refetched = run.googleWorld.loginEvents.filter((e) => e.id.time >= since).length;
    expect(secondPages).toBe(Math.max(1, Math.ceil(refetched / 40)));
    expect(secondPages).toBeLessThan(fullPages);
    const again = await stored(run.store, 'google.login_event.v1', 'google');
    // The look-back now starts an hour later: events of that first hour drop out, nothing else changes.
    const periodStart = new Date(NOW.getTime() + 3_600_000 - 30 * 86_400_000).toISOString();
    expect([...again.keys()].sort()).toEqual([...first.entries()].filter(([, p]) => (p as { time: string }).time >= periodStart).map(([k]) => k).sort());
  });

  it('keeps the service-account key and the access token out of evidence and logs', async () => {
    run = await identityRun({ entra: false });
    const key = JSON.parse(run.google!.serviceAccountKey) as { private_key: string };
    const keyBody = key.private_key.split('\n')[5]!;
    const bytes = run.storeBytes().toString('latin1');
    const logs = run.logs.join('');
    expect(run.google!.issuedTokens().length).toBeGreaterThan(0);
    for (const secret of [...run.google!.issuedTokens(), keyBody]) {
      expect(bytes.includes(secret)).toBe(false);
      expect(logs.includes(secret)).toBe(false);
    }
  });
});
