import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { evaluateChecks } from '../../src/checks/run-checks.js';
import { entraChecks } from '../../src/checks/entra.js';
import { connectorRegistry } from '../../src/registry.js';
import type { CheckDefinition } from '../../src/checks/check.js';
import { GraphApi } from '../../connectors/microsoft-graph/client.js';
import { Secret } from '../../src/core/secret.js';
import { silentLogger } from '../../src/core/logger.js';
import { CollectError } from '../../src/core/errors.js';
import { sandboxTrustingFetch } from '../../src/sandbox/tls.js';
import { CLIENT_ID, CLIENT_SECRET, identityRun, NOW, stored, type IdentityRun } from './harness.js';

let run: IdentityRun | undefined;
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});

const outcomes = (r: IdentityRun) => Object.fromEntries(r.result.outcomes.filter((o) => o.instanceId === 'entra').map((o) => [o.collectorId, o.status === 'collected' ? o.recordCount : o.errorCode]));
const evaluate = async (r: IdentityRun, checks: readonly CheckDefinition<never>[]) =>
  evaluateChecks({ store: r.store, checks: checks as unknown as CheckDefinition<unknown>[], connectors: connectorRegistry, asOf: new Date(NOW.getTime() + 3_600_000) });

describe('Entra ID connector against the sandbox tenant', () => {
  it('collects every kind with the token from the sandbox authority, in a handful of requests', async () => {
    run = await identityRun({ google: false });
    const w = run.entraWorld;
    expect(run.result.status).toBe('complete');
    expect(outcomes(run)).toEqual({
      users: w.users.length,
      mfa_registration: w.registrations.length,
      conditional_access_policies: w.policies.length,
      directory_role_assignments: w.roleAssignments.length + w.roleEligibilities.length,
      access_reviews: w.reviews.reduce((n, r) => n + r.instances.length, 0),
      managed_devices: w.devices.length,
    });
    const routes = run.entra!.requestsByRoute();
    const tokenRoutes = Object.keys(routes).filter((r) => r.includes('/oauth2/v2.0/token'));
    // One token for the whole run; every listing fits one page; reviews need two $batch calls.
    expect(tokenRoutes.map((r) => routes[r])).toEqual([1]);
    expect(Object.entries(routes).filter(([r]) => r.includes('/v1.0/'))).toEqual([
      ['GET /v1.0/deviceManagement/managedDevices', 1],
      ['GET /v1.0/identity/conditionalAccess/policies', 1],
      ['GET /v1.0/identityGovernance/accessReviews/definitions', 1],
      ['GET /v1.0/reports/authenticationMethods/userRegistrationDetails', 1],
      ['GET /v1.0/roleManagement/directory/roleAssignments', 1],
      ['GET /v1.0/roleManagement/directory/roleDefinitions', 1],
      ['GET /v1.0/roleManagement/directory/roleEligibilityScheduleInstances', 1],
      ['GET /v1.0/users', 1],
      ['POST /v1.0/$batch', 2],
    ]);
  });

  it('records users, registrations and the overdue access review exactly as Graph returned them', async () => {
    run = await identityRun({ google: false });
    const w = run.entraWorld;
    const neverSignedIn = w.violations.staleMembers[2]!;
    const user = w.users.find((u) => u.userPrincipalName === neverSignedIn)!;
    const users = await stored(run.store, 'entra.user.v1', 'entra');
    expect(users.get(neverSignedIn)).toEqual({
      id: user.id,
      userPrincipalName: neverSignedIn,
      displayName: user.displayName,
      mail: neverSignedIn,
      userType: 'Member',
      accountEnabled: true,
      createdDateTime: user.createdDateTime,
      lastSignInDateTime: null,
      signInActivity: 'visible',
      signInActivityNote: null,
    });
    const registrations = await stored(run.store, 'entra.mfa_registration.v1', 'entra');
    expect(registrations.get(w.violations.adminWithoutMfa)).toMatchObject({ isAdmin: true, isMfaRegistered: false, methodsRegistered: [] });

    const reviews = await stored(run.store, 'entra.access_review.v1', 'entra');
    const overdue = w.reviews.flatMap((r) => r.instances.map((i) => ({ d: r.definition, ...i }))).find((x) => x.instance.id === w.violations.overdueReview.instanceId)!;
    expect(reviews.get(`${overdue.d.displayName} / ${overdue.instance.id}`)).toEqual({
      definitionId: overdue.d.id,
      definitionName: 'Quarterly review: Sales CRM access',
      instanceId: overdue.instance.id,
      status: 'InProgress',
      startDateTime: overdue.instance.startDateTime,
      endDateTime: overdue.instance.endDateTime,
      defaultDecisionEnabled: false,
      defaultDecision: 'None',
      autoApplyDecisionsEnabled: false,
      reviewers: overdue.d.reviewers.map((r) => r.query),
      decisions: overdue.decisions.map((d) => ({
        principalId: d.principal.id,
        principalName: d.principal.userPrincipalName,
        resource: 'Sales CRM',
        decision: d.decision,
        reviewedBy: d.reviewedBy?.userPrincipalName ?? null,
        reviewedDateTime: d.reviewedDateTime,
        applyResult: 'New',
        appliedDateTime: null,
        appliedBy: null,
        justification: d.justification || null,
      })),
    });
  });

  it('judges the seeded violations: exact failing subjects of every Entra check', async () => {
    run = await identityRun({ google: false });
    const v = run.entraWorld.violations;
    const evaluations = await evaluate(run, entraChecks as unknown as CheckDefinition<never>[]);
    const failing = (id: string) =>
      evaluations
        .filter((e) => e.checkId === id)
        .flatMap((e) => e.results.filter((r) => r.status === 'fail').map((r) => r.subject))
        .sort();
    const guestPieter = run.entraWorld.users.find((u) => u.mail === 'pieter@contract-vision.example')!.userPrincipalName;
    expect(failing('entra.users.mfa_registered')).toEqual([...v.membersWithoutMfa, v.adminWithoutMfa, guestPieter].sort());
    expect(failing('entra.conditional_access.requires_mfa_for_all')).toEqual(['Require MFA for all users']);
    expect(failing('entra.accounts.signed_in_recently')).toEqual([...v.staleMembers, v.staleGuest].sort());
    expect(failing('entra.privileged_roles.mfa_registered')).toEqual([v.adminWithoutMfa]);
    expect(failing('entra.access_reviews.completed_on_time')).toEqual(
      [`${v.overdueReview.definition} / ${v.overdueReview.instanceId}`, `${v.autoAppliedReview.definition} / ${v.autoAppliedReview.instanceId}`].sort(),
    );
    expect(failing('entra.devices.compliant')).toEqual([...v.nonCompliantDevices].sort());
    const review = evaluations.find((e) => e.checkId === 'entra.access_reviews.completed_on_time')!.results.find((r) => r.subject.includes(v.overdueReview.instanceId))!;
    expect(review.message).toBe(
      `overdue by 12 days (due ${run.entraWorld.reviews[2]!.instances[1]!.instance.endDateTime}, status InProgress); 2 of ${2 + v.overdueReview.undecided.length} decided by ${run.entraWorld.reviews[0]!.instances[0]!.decisions[0]!.reviewedBy!.userPrincipalName}; undecided: ${v.overdueReview.undecided.join(', ')}`,
    );
    const ca = evaluations.find((e) => e.checkId === 'entra.conditional_access.requires_mfa_for_all')!.results[0]!;
    expect(ca.message).toBe(`requires MFA for all users and apps but excludes users ${v.mfaPolicyExcludedUsers.join(', ')}; groups ${v.mfaPolicyExcludedGroup}`);
  });

  it('follows @odata.nextLink to the end when the API pages below the requested $top', async () => {
    run = await identityRun({ google: false, entra: { pageSize: 10 } });
    const w = run.entraWorld;
    expect(outcomes(run).users).toBe(w.users.length);
    expect(run.entra!.requestsByRoute()['GET /v1.0/users']).toBe(Math.ceil(w.users.length / 10));
    expect(run.entra!.requestsByRoute()['GET /v1.0/reports/authenticationMethods/userRegistrationDetails']).toBe(Math.ceil(w.registrations.length / 10));
    expect((await stored(run.store, 'entra.user.v1', 'entra')).size).toBe(w.users.length);
  });

  it('records a missing licence as "not available", and the checks say so instead of passing', async () => {
    run = await identityRun({ google: false, entra: { licences: { p1: false, p2: false, intune: false } } });
    expect(run.result.status).toBe('complete');
    expect(outcomes(run)).toEqual({
      users: run.entraWorld.users.length,
      mfa_registration: 1,
      conditional_access_policies: 1,
      directory_role_assignments: run.entraWorld.roleAssignments.length + 1,
      access_reviews: 1,
      managed_devices: 1,
    });
    const reviews = await stored(run.store, 'entra.access_review.v1', 'entra');
    expect([...reviews]).toEqual([
      [
        '(not available)',
        {
          availability: 'not_available',
          feature: 'access reviews',
          licence: 'Microsoft Entra ID P2 (or ID Governance)',
          reason: 'HTTP 403 AadPremiumLicenseRequired: The tenant needs an AAD Premium 2 license to use access reviews.',
        },
      ],
    ]);
    const users = await stored(run.store, 'entra.user.v1', 'entra');
    expect([...users.values()].every((u) => (u as { signInActivity: string }).signInActivity === 'not_available')).toBe(true);
    expect((users.values().next().value as { signInActivityNote: string }).signInActivityNote).toBe(
      "not available: HTTP 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant: Neither tenant is B2C or tenant doesn't have premium license",
    );
    const evaluations = await evaluate(run, entraChecks as unknown as CheckDefinition<never>[]);
    expect(evaluations.map((e) => [e.checkId, e.results.length === 1 ? e.results[0] : e.results.length])).toEqual([
      ['entra.users.mfa_registered', { subject: 'entra', status: 'error', message: expect.stringMatching(/^not available: authentication methods registration report needs Microsoft Entra ID P1 or P2 \(HTTP 403/) }],
      ['entra.conditional_access.requires_mfa_for_all', { subject: 'entra', status: 'error', message: expect.stringMatching(/^not available: conditional access needs Microsoft Entra ID P1/) }],
      ['entra.accounts.signed_in_recently', { subject: 'entra', status: 'error', message: expect.stringMatching(/^not available: last sign-in is not visible/) }],
      [
        'entra.privileged_roles.mfa_registered',
        2,
      ],
      ['entra.access_reviews.completed_on_time', { subject: 'entra', status: 'error', message: expect.stringMatching(/^not available: access reviews needs Microsoft Entra ID P2/) }],
      ['entra.devices.compliant', { subject: 'entra', status: 'error', message: 'not available: Intune managed devices needs Microsoft Intune (HTTP 400 BadRequest: Request not applicable to target tenant.)' }],
    ]);
    expect(evaluations.flatMap((e) => e.results).some((r) => r.status === 'pass')).toBe(false);
  });

  it('fails a collector whose permission is missing (403 Authorization_RequestDenied) as permission_denied, and the rest still collect', async () => {
    run = await identityRun({ google: false, entra: { deny: ['/identity/conditionalAccess'] } });
    expect(run.result.status).toBe('partial');
    const failed = run.result.outcomes.find((o) => o.collectorId === 'conditional_access_policies')!;
    expect([failed.status, failed.errorCode]).toEqual(['failed', 'permission_denied']);
    expect(failed.errorMessage).toContain('HTTP 403 Authorization_RequestDenied: Insufficient privileges to complete the operation.');
    expect(outcomes(run).users).toBe(run.entraWorld.users.length);
  });

  it('honours 429 Retry-After and 503 and still collects everything', async () => {
    let n = 0;
    // Every third request is throttled (429, Retry-After: 2 s), every seventh gets a 503.
    run = await identityRun({
      google: false,
      entra: { faults: { throttleRate: 0.34, errorRate: 0.01, retryAfterSeconds: 2, random: () => (++n % 7 === 0 ? 0.005 : n % 3 === 0 ? 0.2 : 0.9) } },
    });
    expect(run.result.status).toBe('complete');
    expect(outcomes(run).users).toBe(run.entraWorld.users.length);
    expect(run.clock.sleeps.filter((ms) => ms === 2000).length).toBeGreaterThan(0);
    expect(run.logs.some((l) => l.includes('"status":429'))).toBe(true);
  });

  it('asks again, on its own, for a $batch item Graph throttled (429), and still records every review', async () => {
    run = await identityRun({ google: false, entra: { throttleBatchItems: 2 } });
    const w = run.entraWorld;
    expect(outcomes(run).access_reviews).toBe(w.reviews.reduce((n, r) => n + r.instances.length, 0));
    const routes = run.entra!.requestsByRoute();
    // The first two instance listings were throttled inside the batch and fetched singly.
    expect(Object.entries(routes).filter(([r]) => r.endsWith('/instances')).reduce((n, [, c]) => n + c, 0)).toBe(2);
    const reviews = await stored(run.store, 'entra.access_review.v1', 'entra');
    expect([...reviews.keys()].sort()).toEqual(w.reviews.flatMap((r) => r.instances.map((i) => `${r.definition.displayName} / ${i.instance.id}`)).sort());
  });

  it('fails with auth_failed when the token endpoint refuses the client secret', async () => {
    run = await identityRun({ google: false, env: { ENTRA_CLIENT_SECRET: 'wrong-secret-value' } });
    const codes = new Set(run.result.outcomes.map((o) => o.errorCode));
    expect([...codes]).toEqual(['auth_failed']);
  });

  it('signs in with a client certificate (a signed client assertion, no secret) as well', async () => {
    const pem = readFileSync(new URL('./fixtures/test-app-certificate.pem', import.meta.url), 'utf8');
    run = await identityRun({ google: false, entraSettings: { clientSecret: undefined, clientCertificate: '${ENTRA_CERT}' }, env: { ENTRA_CERT: pem } });
    expect(run.result.status).toBe('complete');
    expect(run.entra!.issuedTokens()).toHaveLength(1);
    const keyLine = pem.split('\n')[3]!;
    expect(run.storeBytes().toString('latin1').includes(keyLine)).toBe(false);
    expect(run.logs.join('').includes(keyLine)).toBe(false);
  });

  it('keeps tokens and the client secret out of evidence and logs', async () => {
    run = await identityRun({ google: false });
    const tokens = run.entra!.issuedTokens();
    expect(tokens.length).toBe(1);
    const bytes = run.storeBytes().toString('latin1');
    const logs = run.logs.join('');
    for (const secret of [...tokens, CLIENT_SECRET]) {
      expect(bytes.includes(secret)).toBe(false);
      expect(logs.includes(secret)).toBe(false);
    }
  });
});

describe('GraphApi', () => {
  it('refuses to follow a link off the Graph host, so the token never goes elsewhere', async () => {
    const api = GraphApi.create(
      { tenantId: 't', clientId: CLIENT_ID, clientSecret: new Secret(CLIENT_SECRET, 'test'), cloud: 'global', signInActivity: true },
      { fetch: sandboxTrustingFetch(() => Promise.reject(new Error('no network in tests'))), clock: { now: () => NOW, sleep: async () => {} }, logger: silentLogger(), signal: new AbortController().signal },
    );
    await expect(api.get('https://attacker.example/v1.0/users?$skiptoken=x', (await import('zod')).z.unknown())).rejects.toThrow(CollectError);
    expect(api.origin).toBe('https://graph.microsoft.com');
  });
});
