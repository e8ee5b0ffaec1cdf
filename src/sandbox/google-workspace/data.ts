/**
 * The Google Workspace account of the synthetic company in Admin SDK shapes: Directory users
 * (2SV, admin flags, suspension, last login), admin roles and their assignments, and login audit
 * events from the Reports API. Derived deterministically from the company's people, with seeded
 * violations listed in {@link GoogleWorld.violations}.
 */
import type { Person, SyntheticCompany } from '../company.js';
import { SeededRandom, hashString } from '../random.js';
import { DAY_MS, HOUR_MS, parseIso } from '../time.js';

/** Directory API `User` (projection=basic, the fields the connector reads and a few more). */
export interface DirectoryUser {
  kind: 'admin#directory#user';
  id: string;
  etag: string;
  primaryEmail: string;
  name: { givenName: string; familyName: string; fullName: string };
  isAdmin: boolean;
  isDelegatedAdmin: boolean;
  lastLoginTime: string;
  creationTime: string;
  agreedToTerms: boolean;
  suspended: boolean;
  archived: boolean;
  changePasswordAtNextLogin: boolean;
  ipWhitelisted: boolean;
  emails: { address: string; primary?: boolean }[];
  customerId: string;
  orgUnitPath: string;
  isMailboxSetup: boolean;
  isEnrolledIn2Sv: boolean;
  isEnforcedIn2Sv: boolean;
  includeInGlobalAddressList: boolean;
}

/** Directory API `Role`. */
export interface DirectoryRole {
  kind: 'admin#directory#role';
  etag: string;
  roleId: string;
  roleName: string;
  roleDescription: string;
  isSystemRole: boolean;
  isSuperAdminRole: boolean;
}

/** Directory API `RoleAssignment`. */
export interface DirectoryRoleAssignment {
  kind: 'admin#directory#roleAssignment';
  etag: string;
  roleAssignmentId: string;
  roleId: string;
  assignedTo: string;
  assigneeType: 'user' | 'group';
  scopeType: 'CUSTOMER' | 'ORG_UNIT';
}

/** Reports API `Activity` of the login application. */
export interface LoginActivity {
  kind: 'admin#reports#activity';
  id: { time: string; uniqueQualifier: string; applicationName: 'login'; customerId: string };
  etag: string;
  actor: { email: string; profileId: string };
  ipAddress: string;
  events: { type: string; name: string; parameters: { name: string; value?: string; boolValue?: boolean }[] }[];
}

export interface GoogleViolations {
  /** Active users not enrolled in 2SV. */
  notEnrolledIn2Sv: string[];
  /** The organizational unit where 2SV is not enforced. */
  unenforcedOrgUnit: string;
  /** A delegated admin without 2SV. */
  adminWithout2Sv: string;
  /** Active users who have not logged in for more than 90 days (one never). */
  staleUsers: string[];
  /** A leaver who is still active (not suspended). */
  activeLeaver: string;
  /** A suspicious login event's actor. */
  suspiciousLogin: string;
}

export interface GoogleWorld {
  customerId: string;
  domain: string;
  users: DirectoryUser[];
  roles: DirectoryRole[];
  roleAssignments: DirectoryRoleAssignment[];
  /** Newest first, as the Reports API returns them. */
  loginEvents: LoginActivity[];
  violations: GoogleViolations;
}

const etag = (label: string) => `"${new SeededRandom(hashString(`google-etag:${label}`)).hex(27)}"`;
const numericId = (label: string) => String(100000000000000000000n + BigInt(hashString(`google:${label}`)) * 1000003n);

/** Builds the Google Workspace account from the company. Pure: same company, same account. */
export function createGoogleWorld(company: SyntheticCompany): GoogleWorld {
  const rng = new SeededRandom(company.seed).fork('google');
  const nowMs = parseIso(company.now);
  const iso = (ms: number) => new Date(ms).toISOString();
  const customerId = 'C03az79cb';
  const active = company.people.filter((p) => p.status === 'active');
  const leavers = company.people.filter((p) => p.status === 'leaver');
  const byTitle = (title: string) => active.find((p) => p.title === title)!;
  const ceo = byTitle('Chief Executive Officer');
  const ciso = byTitle('Chief Information Security Officer');
  const peopleHead = byTitle('Head of People');
  const ordinary = rng.fork('ordinary').shuffle(active.filter((p) => p.managerId !== null && p !== peopleHead && p !== ciso && p.department !== 'Sales'));
  const notEnrolled = ordinary.slice(0, 3);
  const stale = ordinary.slice(3, 5);
  const activeLeaver = leavers[1] ?? leavers[0]!;
  const unenforcedOrgUnit = '/Sales';

  const userOf = (p: Person): DirectoryUser => {
    const ou = `/${p.department}`;
    const lastLogin =
      p.status === 'leaver'
        ? `${p.endDate}T17:00:00.000Z`
        : p === stale[1]
          ? '1970-01-01T00:00:00.000Z'
          : stale.includes(p)
            ? iso(nowMs - (120 + rng.int(0, 40)) * DAY_MS)
            : iso(nowMs - rng.int(1, 120) * HOUR_MS);
    const enrolled = !(notEnrolled.includes(p) || p === peopleHead);
    return {
      kind: 'admin#directory#user',
      id: numericId(p.id),
      etag: etag(p.id),
      primaryEmail: p.email,
      name: { givenName: p.firstName, familyName: p.lastName, fullName: p.displayName },
      isAdmin: p === ceo || p === ciso,
      isDelegatedAdmin: p === peopleHead,
      lastLoginTime: lastLogin,
      creationTime: `${p.startDate}T08:00:00.000Z`,
      agreedToTerms: true,
      suspended: p.status === 'leaver' && p !== activeLeaver,
      archived: p.status === 'leaver' && p === leavers[2],
      changePasswordAtNextLogin: false,
      ipWhitelisted: false,
      emails: [{ address: p.email, primary: true }],
      customerId,
      orgUnitPath: ou,
      isMailboxSetup: true,
      isEnrolledIn2Sv: enrolled,
      isEnforcedIn2Sv: ou !== unenforcedOrgUnit,
      includeInGlobalAddressList: true,
    };
  };
  const users = company.people.map(userOf).sort((a, b) => a.primaryEmail.localeCompare(b.primaryEmail));
  const idOf = (p: Person) => numericId(p.id);

  const role = (roleId: string, roleName: string, roleDescription: string, isSuperAdminRole: boolean): DirectoryRole => ({
    kind: 'admin#directory#role',
    etag: etag(`role:${roleId}`),
    roleId,
    roleName,
    roleDescription,
    isSystemRole: true,
    isSuperAdminRole,
  });
  const roles = [
    role('9170516996784129', '_SEED_ADMIN_ROLE', 'Google Workspace Administrator Seed Role', true),
    role('9170516996784130', '_USER_MANAGEMENT_ADMIN_ROLE', 'User Management Administrator', false),
    role('9170516996784131', '_HELP_DESK_ADMIN_ROLE', 'Help Desk Administrator', false),
  ];
  const assign = (roleId: string, p: Person): DirectoryRoleAssignment => ({
    kind: 'admin#directory#roleAssignment',
    etag: etag(`assignment:${roleId}:${p.id}`),
    roleAssignmentId: numericId(`assignment:${roleId}:${p.id}`),
    roleId,
    assignedTo: idOf(p),
    assigneeType: 'user',
    scopeType: 'CUSTOMER',
  });
  const helpDesk = active.find((p) => p.title === 'Support Team Lead') ?? ordinary[6]!;
  const roleAssignments = [assign(roles[0]!.roleId, ceo), assign(roles[0]!.roleId, ciso), assign(roles[1]!.roleId, peopleHead), assign(roles[2]!.roleId, helpDesk)];

  // About five logins per active user over the last 30 days, a few failures, one suspicious login.
  const loginRng = rng.fork('logins');
  const suspicious = ordinary[5]!;
  const events: LoginActivity[] = [];
  for (const p of [...active, activeLeaver]) {
    if (stale.includes(p)) continue;
    const count = p === activeLeaver ? 1 : loginRng.int(3, 7);
    for (let i = 0; i < count; i++) {
      const time = iso(nowMs - loginRng.int(1, 30 * 24 * 60) * 60_000);
      const failed = loginRng.chance(0.05);
      const isSuspicious = p === suspicious && i === 0;
      const qualifier = numericId(`login:${p.id}:${i}`);
      events.push({
        kind: 'admin#reports#activity',
        id: { time, uniqueQualifier: qualifier, applicationName: 'login', customerId },
        etag: etag(`login:${qualifier}`),
        actor: { email: p.email, profileId: idOf(p) },
        ipAddress: isSuspicious ? '203.0.113.77' : `198.51.100.${loginRng.int(1, 254)}`,
        events: [
          {
            type: 'login',
            name: isSuspicious ? 'suspicious_login' : failed ? 'login_failure' : 'login_success',
            parameters: [
              { name: 'login_type', value: 'google_password' },
              { name: 'login_challenge_method', value: failed ? 'password' : 'google_authenticator' },
              { name: 'is_suspicious', boolValue: isSuspicious },
              { name: 'is_second_factor', boolValue: !failed },
            ],
          },
        ],
      });
    }
  }
  events.sort((a, b) => b.id.time.localeCompare(a.id.time) || a.id.uniqueQualifier.localeCompare(b.id.uniqueQualifier));

  return {
    customerId,
    domain: company.domain,
    users,
    roles,
    roleAssignments,
    loginEvents: events,
    violations: {
      notEnrolledIn2Sv: notEnrolled.map((p) => p.email),
      unenforcedOrgUnit,
      adminWithout2Sv: peopleHead.email,
      staleUsers: stale.map((p) => p.email),
      activeLeaver: activeLeaver.email,
      suspiciousLogin: suspicious.email,
    },
  };
}
