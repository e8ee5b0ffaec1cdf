import { describe, expect, it } from 'vitest';
import { createSyntheticCompany } from '../../src/sandbox/company.js';
import { createEntraWorld } from '../../src/sandbox/microsoft-graph/data.js';
import { createGoogleWorld } from '../../src/sandbox/google-workspace/data.js';
import { GraphApi } from '../../connectors/microsoft-graph/client.js';
import { microsoftGraphSettingsSchema } from '../../connectors/microsoft-graph/settings.js';
import { Secret } from '../../src/core/secret.js';
import { silentLogger } from '../../src/core/logger.js';

const now = new Date('2026-05-01T12:00:00Z');

describe('identity sandbox worlds', () => {
  it('are pure functions of the company: same people, same emails, same dates in Entra ID and Google', () => {
    const company = createSyntheticCompany({ now, scale: 0.5 });
    expect(createEntraWorld(company)).toEqual(createEntraWorld(createSyntheticCompany({ now, scale: 0.5 })));
    expect(createGoogleWorld(company)).toEqual(createGoogleWorld(createSyntheticCompany({ now, scale: 0.5 })));
    const entra = createEntraWorld(company);
    const google = createGoogleWorld(company);
    const emails = company.people.map((p) => p.email).sort();
    expect(entra.users.filter((u) => u.userType === 'Member' && u.mail).map((u) => u.mail).sort()).toEqual(emails);
    expect(google.users.map((u) => u.primaryEmail).sort()).toEqual(emails);
    for (const p of company.people) {
      expect(entra.users.find((u) => u.mail === p.email)!.createdDateTime).toBe(`${p.startDate}T08:00:00Z`);
      expect(google.users.find((u) => u.primaryEmail === p.email)!.creationTime).toBe(`${p.startDate}T08:00:00.000Z`);
    }
  });

  it('seed violations that name real accounts, among them an overdue access review with undecided items', () => {
    const company = createSyntheticCompany({ now });
    const entra = createEntraWorld(company);
    const google = createGoogleWorld(company);
    const upns = new Set(entra.users.map((u) => u.userPrincipalName));
    const v = entra.violations;
    for (const upn of [...v.membersWithoutMfa, v.adminWithoutMfa, ...v.staleMembers, v.enabledLeaver, v.staleGuest, ...v.mfaPolicyExcludedUsers]) expect(upns.has(upn), upn).toBe(true);
    const overdue = entra.reviews.flatMap((r) => r.instances).find((i) => i.instance.id === v.overdueReview.instanceId)!;
    expect(Date.parse(overdue.instance.endDateTime)).toBeLessThan(now.getTime());
    expect(overdue.instance.status).toBe('InProgress');
    expect(v.overdueReview.undecided.length).toBeGreaterThan(0);
    expect(overdue.decisions.filter((d) => d.decision === 'NotReviewed').map((d) => d.principal.userPrincipalName)).toEqual(v.overdueReview.undecided);
    const emails = new Set(google.users.map((u) => u.primaryEmail));
    for (const e of [...google.violations.notEnrolledIn2Sv, google.violations.adminWithout2Sv, ...google.violations.staleUsers]) expect(emails.has(e), e).toBe(true);
  });
});

describe('Entra ID settings', () => {
  const io = { fetch: () => Promise.reject(new Error('no network')), clock: { now: () => now, sleep: async () => {} }, logger: silentLogger(), signal: new AbortController().signal };

  it('sends Graph calls to the national cloud\'s Graph host', () => {
    const secret = new Secret('s', 'test');
    const origin = (cloud: 'global' | 'usgov' | 'china') => GraphApi.create({ tenantId: 't', clientId: 'c', clientSecret: secret, cloud, signInActivity: true }, io).origin;
    expect([origin('global'), origin('usgov'), origin('china')]).toEqual(['https://graph.microsoft.com', 'https://graph.microsoft.us', 'https://microsoftgraph.chinacloudapi.cn']);
  });

  it('requires exactly one of clientSecret and clientCertificate, and https hosts', () => {
    const base = { tenantId: 't', clientId: 'c' };
    expect(microsoftGraphSettingsSchema.safeParse(base).error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['clientSecret', 'expected exactly one of clientSecret or clientCertificate']]);
    expect(microsoftGraphSettingsSchema.safeParse({ ...base, clientSecret: '${S}', clientCertificate: { file: 'x.pem' } }).success).toBe(false);
    expect(microsoftGraphSettingsSchema.safeParse({ ...base, clientSecret: '${S}', graphBaseUrl: 'http://127.0.0.1:1' }).error?.issues[0]!.message).toBe('expected an https URL');
    expect(microsoftGraphSettingsSchema.safeParse({ ...base, clientSecret: '${S}', cloud: 'usgov' }).success).toBe(true);
  });
});
