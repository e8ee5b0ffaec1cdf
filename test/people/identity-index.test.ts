import { describe, it, expect } from 'vitest';
import type { EvidenceSet } from '../../src/checks/check.js';
import { accountSources, defineAccountSource } from '../../src/people/sources.js';
import { buildIdentityIndex, describeAccount, describePerson } from '../../src/people/identity-index.js';
import { accountsLinkedToPeople, secondFactorEverywhere } from '../../src/checks/people.js';
import { z } from 'zod';
import { parseConfig } from '../../src/config/config.js';
import { Redactor } from '../../src/core/redact.js';
import { connectorRegistry } from '../../src/registry.js';
import { checkRegistry } from '../../src/checks/registry.js';

/** Builds an evidence set from subject → payload. */
function set(kind: string, instanceId: string, records: Record<string, unknown>): EvidenceSet {
  return {
    kind,
    instanceId,
    collectedAt: '2026-03-10T08:00:00.000Z',
    records: Object.entries(records).map(([subject, payload]) => ({ subject, payload, digest: `d-${subject}` })),
  };
}

const entraUser = (upn: string, over: Record<string, unknown> = {}) => ({
  id: `id-${upn}`,
  userPrincipalName: upn,
  displayName: upn,
  mail: upn.includes('#EXT#') ? null : upn,
  userType: 'Member',
  accountEnabled: true,
  createdDateTime: '2024-01-01T00:00:00Z',
  lastSignInDateTime: '2026-03-01T00:00:00Z',
  ...over,
});
const entraMfa = (upn: string, isMfaRegistered: boolean, isAdmin = false) => ({ id: `id-${upn}`, userPrincipalName: upn, isMfaRegistered, isAdmin });
const googleUser = (email: string, isEnrolledIn2Sv: boolean, over: Record<string, unknown> = {}) => ({
  primaryEmail: email,
  isAdmin: false,
  isDelegatedAdmin: false,
  suspended: false,
  archived: false,
  isEnrolledIn2Sv,
  lastLoginTime: '2026-03-02T00:00:00Z',
  ...over,
});
const githubMember = (login: string, twoFactorEnabled: boolean | null, role = 'member') => ({ login, id: 1, role, twoFactorEnabled });

const sets = [
  set('entra.user.v1', 'entra', {
    'jane.doe@acme.example': entraUser('jane.doe@acme.example'),
    'omar.lee@acme.example': entraUser('omar.lee@acme.example', { accountEnabled: false }),
    'pat_partner.example#EXT#@acme.onmicrosoft.com': entraUser('pat_partner.example#EXT#@acme.onmicrosoft.com', { userType: 'Guest', mail: 'pat@partner.example' }),
  }),
  set('entra.mfa_registration.v1', 'entra', {
    'jane.doe@acme.example': entraMfa('jane.doe@acme.example', true, true),
    'omar.lee@acme.example': entraMfa('omar.lee@acme.example', false),
  }),
  set('google.user.v1', 'google', {
    'Jane.Doe@acme.example': googleUser('Jane.Doe@acme.example', false),
    'svc-backup@acme.example': googleUser('svc-backup@acme.example', true),
  }),
  set('github.member.v1', 'github-acme', {
    janedoe: githubMember('janedoe', true, 'admin'),
    mystery: githubMember('mystery', false),
  }),
];

describe('buildIdentityIndex', () => {
  it('links accounts across systems by email and alias, and lists the unmatched ones', () => {
    const index = buildIdentityIndex(sets, { sources: accountSources, aliases: { 'github:janedoe': 'jane.doe@acme.example' } });
    expect(index.people.map((p) => [p.email, p.accounts.map((a) => `${a.system}:${a.accountId}:${a.matchedBy}`)])).toEqual([
      [
        'jane.doe@acme.example',
        ['entra:jane.doe@acme.example:email', 'github:janedoe:alias', 'google:Jane.Doe@acme.example:email'],
      ],
      ['omar.lee@acme.example', ['entra:omar.lee@acme.example:email']],
      ['pat@partner.example', ['entra:pat_partner.example#EXT#@acme.onmicrosoft.com:email']],
      ['svc-backup@acme.example', ['google:svc-backup@acme.example:email']],
    ]);
    expect(index.unmatched.map((a) => [a.system, a.instanceId, a.accountId, a.reason])).toEqual([
      ['github', 'github-acme', 'mystery', 'no email visible and no people.aliases entry github:mystery'],
    ]);
    // Facts from the two Entra kinds are merged into one account.
    const jane = index.people[0]!;
    expect(jane.accounts[0]).toEqual({
      accountId: 'jane.doe@acme.example',
      emails: ['jane.doe@acme.example'],
      active: true,
      guest: false,
      lastSignIn: '2026-03-01T00:00:00Z',
      mfa: true,
      privileged: true,
      system: 'entra',
      label: 'Entra ID',
      factor: 'MFA',
      instanceId: 'entra',
      kinds: ['entra.user.v1', 'entra.mfa_registration.v1'],
      matchedBy: 'email',
    });
    expect(describePerson(jane)).toBe('jane.doe@acme.example: Entra ID MFA yes (admin), GitHub 2FA yes (admin), Google Workspace 2SV no');
    expect(describePerson(index.people[1]!)).toBe('omar.lee@acme.example: Entra ID MFA no (disabled)');
    expect(index.unreadable).toEqual([]);
  });

  it('matches AWS IAM users (named after usernames) to the unique known email with that local part, and refuses ambiguous ones', () => {
    const iamUser = (userName: string, consoleAccess: boolean, mfaActive: boolean) => ({
      account: '111122223333',
      userName,
      arn: `arn:aws:iam::111122223333:user/${userName}`,
      createdAt: '2025-01-01T00:00:00Z',
      consoleAccess,
      passwordLastUsed: null,
      passwordLastChanged: null,
      mfaActive,
      accessKeys: [],
      lastActivity: '2026-03-01T00:00:00Z',
    });
    const index = buildIdentityIndex(
      [
        ...sets,
        set('google.user.v1', 'google-eu', { 'jane.doe@acme.eu': googleUser('jane.doe@acme.eu', true) }),
        set('aws.iam_user.v1', 'aws-prod', {
          '111122223333/omar.lee': iamUser('omar.lee', true, false),
          '111122223333/jane.doe': iamUser('jane.doe', true, true),
          '111122223333/ci-deployer': iamUser('ci-deployer', false, false),
        }),
      ],
      { sources: accountSources, aliases: {} },
    );
    const omar = index.people.find((p) => p.email === 'omar.lee@acme.example')!;
    expect(omar.accounts.map((a) => `${a.system}:${a.accountId}:${a.matchedBy}`)).toEqual(['aws:111122223333/omar.lee:username', 'entra:omar.lee@acme.example:email']);
    expect(describePerson(omar)).toBe('omar.lee@acme.example: AWS MFA no, Entra ID MFA no (disabled)');
    expect(index.unmatched.map((a) => [a.accountId, a.reason])).toEqual([
      ['111122223333/ci-deployer', 'username ci-deployer is no known person\'s email name and there is no people.aliases entry aws:111122223333/ci-deployer'],
      ['111122223333/jane.doe', 'username jane.doe matches several people (jane.doe@acme.example, jane.doe@acme.eu); add a people.aliases entry'],
      ['janedoe', 'no email visible and no people.aliases entry github:janedoe'],
      ['mystery', 'no email visible and no people.aliases entry github:mystery'],
    ]);
    expect(describeAccount(index.unmatched[0]!)).toBe('AWS MFA no (access keys only)');
  });

  it('with a roster, people are the roster and other emails are unmatched', () => {
    const roster = defineAccountSource({
      kind: 'test.roster.v1',
      system: 'hr',
      label: 'HR roster',
      factor: '',
      definesPeople: true,
      fields: z.object({ email: z.string() }),
      facts: (_s, r) => ({ accountId: r.email, emails: [r.email] }),
    });
    const index = buildIdentityIndex([...sets, set('test.roster.v1', 'hr', { 'jane.doe@acme.example': { email: 'jane.doe@acme.example' } })], {
      sources: [...accountSources, roster],
      aliases: {},
    });
    expect(index.people.map((p) => [p.email, p.onRoster, p.accounts.map((a) => a.system)])).toEqual([['jane.doe@acme.example', true, ['entra', 'google', 'hr']]]);
    expect(describePerson(index.people[0]!)).toBe('jane.doe@acme.example: Entra ID MFA yes (admin), Google Workspace 2SV no, HR roster');
    expect(index.unmatched.map((a) => [a.accountId, a.reason])).toEqual([
      ['omar.lee@acme.example', 'omar.lee@acme.example is not on the roster'],
      ['pat_partner.example#EXT#@acme.onmicrosoft.com', 'pat@partner.example is not on the roster'],
      ['janedoe', 'no email visible and no people.aliases entry github:janedoe'],
      ['mystery', 'no email visible and no people.aliases entry github:mystery'],
      ['svc-backup@acme.example', 'svc-backup@acme.example is not on the roster'],
    ]);
  });

  it('reports records whose shape a source cannot read instead of guessing', () => {
    const index = buildIdentityIndex([set('google.user.v1', 'google', { broken: { primaryEmail: 42 } })], { sources: accountSources, aliases: {} });
    expect(index.people).toEqual([]);
    expect(index.unreadable).toEqual([{ kind: 'google.user.v1', instanceId: 'google', subject: 'broken' }]);
  });
});

describe('people checks', () => {
  const input = (aliases: Record<string, string>) => ({ evidence: {}, instanceId: '*', sets, unavailable: [], asOf: new Date('2026-03-10T09:00:00Z'), params: { aliases } });

  it('people.accounts.linked_to_a_person passes linked accounts and lists the unmatched for review (warn)', () => {
    expect(accountsLinkedToPeople.evaluate(input({ 'github:janedoe': 'jane.doe@acme.example' }))).toEqual([
      { subject: 'entra:entra:jane.doe@acme.example', status: 'pass', message: 'Entra ID account linked to jane.doe@acme.example by email' },
      { subject: 'github:github-acme:janedoe', status: 'pass', message: 'GitHub account linked to jane.doe@acme.example by alias' },
      { subject: 'google:google:Jane.Doe@acme.example', status: 'pass', message: 'Google Workspace account linked to jane.doe@acme.example by email' },
      { subject: 'entra:entra:omar.lee@acme.example', status: 'pass', message: 'Entra ID account linked to omar.lee@acme.example by email' },
      {
        subject: 'entra:entra:pat_partner.example#EXT#@acme.onmicrosoft.com',
        status: 'pass',
        message: 'Entra ID account linked to pat@partner.example by email',
      },
      { subject: 'google:google:svc-backup@acme.example', status: 'pass', message: 'Google Workspace account linked to svc-backup@acme.example by email' },
      { subject: 'github:github-acme:mystery', status: 'warn', message: 'GitHub account matches no one: no email visible and no people.aliases entry github:mystery' },
    ]);
  });

  it('people.second_factor.everywhere fails a person missing a factor anywhere, skips disabled accounts, errors on unknown', () => {
    expect(secondFactorEverywhere.evaluate(input({ 'github:janedoe': 'jane.doe@acme.example' }))).toEqual([
      {
        subject: 'jane.doe@acme.example',
        status: 'fail',
        message: 'no second factor in Google Workspace: Entra ID MFA yes (admin), GitHub 2FA yes (admin), Google Workspace 2SV no',
      },
      // Entra has no MFA registration record for the guest: unknown, never a pass.
      { subject: 'pat@partner.example', status: 'error', message: 'second factor not visible in Entra ID: Entra ID MFA unknown (guest)' },
      { subject: 'svc-backup@acme.example', status: 'pass', message: 'Google Workspace 2SV yes' },
    ]);
  });
});

describe('people.second_factor.everywhere with AWS IAM users', () => {
  it('fails a console user without MFA and ignores an access-keys-only user (no sign-in to guard)', () => {
    const iamUser = (userName: string, consoleAccess: boolean, mfaActive: boolean) => ({ account: '111122223333', userName, consoleAccess, mfaActive, lastActivity: null });
    const withAws = [
      set('google.user.v1', 'google', { 'jane.doe@acme.example': googleUser('jane.doe@acme.example', true), 'omar.lee@acme.example': googleUser('omar.lee@acme.example', true) }),
      set('aws.iam_user.v1', 'aws-prod', { a: iamUser('jane.doe', true, false), b: iamUser('omar.lee', false, false) }),
    ];
    const results = secondFactorEverywhere.evaluate({ evidence: {}, instanceId: '*', sets: withAws, unavailable: [], asOf: new Date('2026-03-10T09:00:00Z'), params: { aliases: {} } });
    expect(results).toEqual([
      { subject: 'jane.doe@acme.example', status: 'fail', message: 'no second factor in AWS: AWS MFA no, Google Workspace 2SV yes' },
      { subject: 'omar.lee@acme.example', status: 'pass', message: 'Google Workspace 2SV yes' },
    ]);
  });
});

describe('people.aliases in annexa.yaml', () => {
  const sources = { env: {}, readFile: () => '', redactor: new Redactor() };

  it('is handed to every people.* check and kept for annexa people', () => {
    const config = parseConfig({ people: { aliases: { 'github:octocat': 'jane.doe@acme.example' } } }, 'annexa.yaml', connectorRegistry, sources, checkRegistry);
    expect(config.people).toEqual({ aliases: { 'github:octocat': 'jane.doe@acme.example' } });
    expect(config.checkParams['people.second_factor.everywhere']).toEqual({ aliases: { 'github:octocat': 'jane.doe@acme.example' } });
    expect(config.checkParams['people.accounts.linked_to_a_person']).toEqual({ aliases: { 'github:octocat': 'jane.doe@acme.example' } });
  });

  it('rejects a key without a system prefix and a value that is not an email, naming the key path', () => {
    expect(() => parseConfig({ people: { aliases: { octocat: 'jane' } } }, 'annexa.yaml', connectorRegistry, sources, checkRegistry)).toThrow(
      /annexa\.yaml: people\.aliases(\.octocat)?: /,
    );
  });
});
