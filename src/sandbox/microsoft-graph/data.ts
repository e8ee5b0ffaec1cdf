/**
 * The Entra ID tenant of the synthetic company, in Microsoft Graph v1.0 shapes: users (with
 * sign-in activity), MFA registration details, conditional access policies, directory role
 * assignments (active and PIM-eligible), access reviews with instances and decisions, and Intune
 * managed devices. Derived deterministically from the company's people, with a handful of seeded
 * violations listed in {@link EntraWorld.violations}.
 */
import type { Person, SyntheticCompany } from '../company.js';
import { SeededRandom, hashString } from '../random.js';
import { DAY_MS, isoSeconds, parseIso } from '../time.js';

/** Graph `user` with the properties the connector selects. */
export interface GraphUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  mail: string | null;
  userType: 'Member' | 'Guest';
  accountEnabled: boolean;
  createdDateTime: string;
  signInActivity: { lastSignInDateTime: string | null; lastNonInteractiveSignInDateTime: string | null };
}

/** Graph `userRegistrationDetails`. */
export interface GraphRegistrationDetails {
  id: string;
  userPrincipalName: string;
  userDisplayName: string;
  userType: 'member' | 'guest';
  isAdmin: boolean;
  isMfaRegistered: boolean;
  isMfaCapable: boolean;
  isSsprRegistered: boolean;
  isPasswordlessCapable: boolean;
  methodsRegistered: string[];
  defaultMfaMethod: string;
  lastUpdatedDateTime: string;
}

/** Graph `conditionalAccessPolicy` (the parts the connector reads). */
export interface GraphConditionalAccessPolicy {
  id: string;
  displayName: string;
  state: 'enabled' | 'disabled' | 'enabledForReportingButNotEnforced';
  createdDateTime: string;
  modifiedDateTime: string | null;
  conditions: {
    clientAppTypes: string[];
    users: {
      includeUsers: string[];
      excludeUsers: string[];
      includeGroups: string[];
      excludeGroups: string[];
      includeRoles: string[];
      excludeRoles: string[];
    };
    applications: { includeApplications: string[]; excludeApplications: string[] };
  };
  grantControls: { operator: 'AND' | 'OR'; builtInControls: string[]; authenticationStrength: { id: string; displayName: string } | null } | null;
}

/** Graph `unifiedRoleDefinition`. */
export interface GraphRoleDefinition {
  id: string;
  displayName: string;
  templateId: string;
  isBuiltIn: boolean;
}

/** An active assignment (`unifiedRoleAssignment`) or an eligibility (`unifiedRoleEligibilityScheduleInstance`). */
export interface GraphRoleGrant {
  id: string;
  roleDefinitionId: string;
  principalId: string;
  directoryScopeId: string;
  /** Eligibilities only. */
  startDateTime?: string;
  endDateTime?: string | null;
  memberType?: 'Direct' | 'Group' | 'Inherited';
}

/** Graph `accessReviewScheduleDefinition`. */
export interface GraphAccessReviewDefinition {
  id: string;
  displayName: string;
  status: string;
  createdDateTime: string;
  descriptionForReviewers: string;
  scope: { '@odata.type': string; query: string; queryType: 'MicrosoftGraph' };
  reviewers: { query: string; queryType: 'MicrosoftGraph' }[];
  settings: {
    defaultDecisionEnabled: boolean;
    defaultDecision: 'None' | 'Approve' | 'Deny' | 'Recommendation';
    autoApplyDecisionsEnabled: boolean;
    instanceDurationInDays: number;
    recurrence: { pattern: { type: string; interval: number } } | null;
  };
}

/** Graph `accessReviewInstance`. */
export interface GraphAccessReviewInstance {
  id: string;
  startDateTime: string;
  endDateTime: string;
  status: string;
  scope: { '@odata.type': string; query: string; queryType: 'MicrosoftGraph' };
}

/** Graph `accessReviewInstanceDecisionItem`. */
export interface GraphAccessReviewDecision {
  id: string;
  accessReviewId: string;
  decision: 'Approve' | 'Deny' | 'NotReviewed' | 'DontKnow';
  applyResult: 'New' | 'AppliedSuccessfully' | 'AppliedWithUnknownFailure' | 'AppliedSuccessfullyButObjectNotFound' | 'ApplyNotSupported';
  appliedDateTime: string | null;
  reviewedDateTime: string | null;
  justification: string;
  recommendation: 'Approve' | 'Deny' | 'NoInfoAvailable';
  reviewedBy: { id: string; displayName: string; userPrincipalName: string } | null;
  appliedBy: { id: string; displayName: string; userPrincipalName: string } | null;
  principal: { '@odata.type': '#microsoft.graph.userIdentity'; id: string; displayName: string; userPrincipalName: string };
  resource: { id: string; displayName: string; type: string };
}

/** Intune `managedDevice` (selected properties). */
export interface GraphManagedDevice {
  id: string;
  deviceName: string;
  userPrincipalName: string;
  operatingSystem: string;
  osVersion: string;
  complianceState: 'unknown' | 'compliant' | 'noncompliant' | 'conflict' | 'error' | 'inGracePeriod' | 'configManager';
  managedDeviceOwnerType: 'company' | 'personal';
  lastSyncDateTime: string;
  enrolledDateTime: string;
  isEncrypted: boolean;
}

/** Which paid features the tenant has; a missing one makes Graph answer with its licence error. */
export interface EntraLicences {
  /** Entra ID P1: sign-in activity, the registration report, conditional access. */
  p1: boolean;
  /** Entra ID P2: access reviews and PIM eligibility. */
  p2: boolean;
  /** Intune: managed devices. */
  intune: boolean;
}

/** What was seeded so tests and the demo can name the exact violations. */
export interface EntraViolations {
  /** Enabled members without MFA registered. */
  membersWithoutMfa: string[];
  /** Global administrator without MFA registered. */
  adminWithoutMfa: string;
  /** Enabled members whose last sign-in is more than 90 days ago (or never). */
  staleMembers: string[];
  /** Leaver whose account is still enabled. */
  enabledLeaver: string;
  /** Guest who has not signed in for more than 90 days. */
  staleGuest: string;
  /** Users excluded from the all-users MFA policy (break-glass plus one ordinary user). */
  mfaPolicyExcludedUsers: string[];
  /** Group excluded from the all-users MFA policy. */
  mfaPolicyExcludedGroup: string;
  /** Access review instance past its end date and not completed, with undecided items. */
  overdueReview: { definition: string; instanceId: string; undecided: string[] };
  /** Access review instance whose undecided items were auto-applied by the default decision. */
  autoAppliedReview: { definition: string; instanceId: string; autoApplied: string[] };
  /** Non-compliant devices (device name). */
  nonCompliantDevices: string[];
}

export interface EntraWorld {
  tenantId: string;
  /** The onmicrosoft.com domain guests' UPNs live in. */
  initialDomain: string;
  now: string;
  users: GraphUser[];
  registrations: GraphRegistrationDetails[];
  policies: GraphConditionalAccessPolicy[];
  roleDefinitions: GraphRoleDefinition[];
  roleAssignments: GraphRoleGrant[];
  roleEligibilities: GraphRoleGrant[];
  reviews: { definition: GraphAccessReviewDefinition; instances: { instance: GraphAccessReviewInstance; decisions: GraphAccessReviewDecision[] }[] }[];
  devices: GraphManagedDevice[];
  violations: EntraViolations;
}

/** A stable GUID for a label (object ids must not change between runs). */
export function guidFor(label: string): string {
  const hex = new SeededRandom(hashString(`entra:${label}`)).hex(32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Built-in role template ids as Entra ID publishes them. */
export const builtInRoles = {
  globalAdministrator: { templateId: '62e90394-69f5-4237-9190-012177145e10', displayName: 'Global Administrator' },
  privilegedRoleAdministrator: { templateId: 'e8611ab8-c189-46e8-94e1-60213ab1f814', displayName: 'Privileged Role Administrator' },
  securityAdministrator: { templateId: '194ae4cb-b126-40b2-bd5b-6091b380977d', displayName: 'Security Administrator' },
  userAdministrator: { templateId: 'fe930be7-5e62-47db-91af-98c3a49a38b1', displayName: 'User Administrator' },
  helpdeskAdministrator: { templateId: '729827e3-9c14-49f7-bb1b-9608f156bbb8', displayName: 'Helpdesk Administrator' },
  globalReader: { templateId: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451', displayName: 'Global Reader' },
} as const;

/** Builds the tenant from the company. Pure: same company, same tenant. */
export function createEntraWorld(company: SyntheticCompany): EntraWorld {
  const rng = new SeededRandom(company.seed).fork('entra');
  const nowMs = parseIso(company.now);
  const ago = (days: number, jitterHours = 0) => isoSeconds(nowMs - days * DAY_MS - jitterHours * 3_600_000);
  const initialDomain = 'acmerobotics.onmicrosoft.com';
  const tenantId = guidFor('tenant');

  const active = company.people.filter((p) => p.status === 'active');
  const leavers = company.people.filter((p) => p.status === 'leaver');
  const byTitle = (title: string) => active.find((p) => p.title === title)!;
  const ceo = byTitle('Chief Executive Officer');
  const ciso = byTitle('Chief Information Security Officer');
  const cto = byTitle('Chief Technology Officer');
  const security = active.filter((p) => p.department === 'Security' && p.managerId !== null && p !== ciso);
  const ordinary = rng.fork('ordinary').shuffle(active.filter((p) => p.managerId !== null && p.department !== 'Security' && p !== cto));

  // Seeded violations, drawn from ordinary members so they never collide with admins.
  const withoutMfa = ordinary.slice(0, 4);
  const staleMembers = ordinary.slice(4, 7);
  const excludedUser = ordinary[7]!;
  const enabledLeaver = leavers[0]!;
  const adminWithoutMfa = cto;

  const userOf = (p: Person): GraphUser => {
    const stale = staleMembers.includes(p);
    const neverSignedIn = stale && p === staleMembers[2];
    const lastSignIn = neverSignedIn ? null : stale ? ago(100 + rng.int(0, 60)) : p.status === 'leaver' ? `${p.endDate}T17:${String(rng.int(10, 59))}:00Z` : ago(rng.int(0, 6), rng.int(0, 20));
    return {
      id: guidFor(`user:${p.id}`),
      userPrincipalName: p.email,
      displayName: p.displayName,
      mail: p.email,
      userType: 'Member',
      accountEnabled: p.status === 'active' || p === enabledLeaver,
      createdDateTime: `${p.startDate}T08:00:00Z`,
      signInActivity: { lastSignInDateTime: lastSignIn, lastNonInteractiveSignInDateTime: lastSignIn },
    };
  };
  const users = company.people.map(userOf);
  const guests: GraphUser[] = [
    ['kofi', 'Kofi Mensah', 'partner-robotics.example', 5],
    ['lucia', 'Lucia Ferreira', 'auditfirm.example', 20],
    ['pieter', 'Pieter de Vries', 'contract-vision.example', 160],
  ].map(([name, displayName, domain, days]) => {
    const mail = `${name}@${domain}`;
    return {
      id: guidFor(`guest:${mail}`),
      userPrincipalName: `${String(name)}_${String(domain)}#EXT#@${initialDomain}`,
      displayName: String(displayName),
      mail,
      userType: 'Guest' as const,
      accountEnabled: true,
      createdDateTime: ago(400),
      signInActivity: { lastSignInDateTime: ago(Number(days)), lastNonInteractiveSignInDateTime: null },
    };
  });
  const breakGlass: GraphUser = {
    id: guidFor('break-glass'),
    userPrincipalName: `breakglass@${initialDomain}`,
    displayName: 'Emergency access (break-glass)',
    mail: null,
    userType: 'Member',
    accountEnabled: true,
    createdDateTime: `${company.foundedOn}T08:00:00Z`,
    signInActivity: { lastSignInDateTime: ago(30), lastNonInteractiveSignInDateTime: null },
  };
  const allUsers = [...users, breakGlass, ...guests];
  const userByPerson = new Map(company.people.map((p, i) => [p, users[i]!]));
  const u = (p: Person) => userByPerson.get(p)!;

  // Roles: CEO and CISO are global admins, the CTO too (without MFA: seeded); security staff are
  // PIM-eligible for Security Administrator; one helpdesk admin.
  const roleDefinitions: GraphRoleDefinition[] = Object.values(builtInRoles).map((r) => ({ id: r.templateId, displayName: r.displayName, templateId: r.templateId, isBuiltIn: true }));
  const grant = (kind: string, role: { templateId: string }, principalId: string, extra: Partial<GraphRoleGrant> = {}): GraphRoleGrant => ({
    id: guidFor(`${kind}:${role.templateId}:${principalId}`),
    roleDefinitionId: role.templateId,
    principalId,
    directoryScopeId: '/',
    ...extra,
  });
  const helpdesk = active.find((p) => p.department === 'Support' && p.title === 'Support Team Lead') ?? ordinary[10]!;
  const roleAssignments = [
    grant('active', builtInRoles.globalAdministrator, u(ceo).id),
    grant('active', builtInRoles.globalAdministrator, u(ciso).id),
    grant('active', builtInRoles.globalAdministrator, u(cto).id),
    grant('active', builtInRoles.globalAdministrator, breakGlass.id),
    grant('active', builtInRoles.globalReader, u(security[0] ?? ciso).id),
    grant('active', builtInRoles.helpdeskAdministrator, u(helpdesk).id),
  ];
  const roleEligibilities = security.slice(0, 3).map((p, i) =>
    grant('eligible', i === 0 ? builtInRoles.privilegedRoleAdministrator : builtInRoles.securityAdministrator, u(p).id, {
      startDateTime: ago(200),
      endDateTime: null,
      memberType: 'Direct',
    }),
  );
  const adminIds = new Set([...roleAssignments, ...roleEligibilities].filter((g) => g.roleDefinitionId !== builtInRoles.globalReader.templateId).map((g) => g.principalId));

  const registrations: GraphRegistrationDetails[] = allUsers.map((user) => {
    const person = company.people.find((p) => u(p) === user);
    const registered = user.userType === 'Guest' ? user !== guests[2] : !(person && (withoutMfa.includes(person) || person === adminWithoutMfa));
    return {
      id: user.id,
      userPrincipalName: user.userPrincipalName,
      userDisplayName: user.displayName,
      userType: user.userType === 'Guest' ? 'guest' : 'member',
      isAdmin: adminIds.has(user.id),
      isMfaRegistered: registered,
      isMfaCapable: registered,
      isSsprRegistered: registered,
      isPasswordlessCapable: false,
      methodsRegistered: registered ? ['microsoftAuthenticatorPush', 'softwareOneTimePasscode'] : [],
      defaultMfaMethod: registered ? 'microsoftAuthenticatorPush' : 'none',
      lastUpdatedDateTime: ago(3),
    };
  });

  const exemptGroup = guidFor('group:mfa-exempt-sales');
  const policy = (name: string, p: Omit<GraphConditionalAccessPolicy, 'id' | 'displayName' | 'createdDateTime' | 'modifiedDateTime'>): GraphConditionalAccessPolicy => ({
    id: guidFor(`policy:${name}`),
    displayName: name,
    createdDateTime: ago(700),
    modifiedDateTime: ago(40),
    ...p,
  });
  const noUsers = { includeUsers: [], excludeUsers: [], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [] };
  const policies = [
    policy('Require MFA for all users', {
      state: 'enabled',
      conditions: {
        clientAppTypes: ['all'],
        users: { ...noUsers, includeUsers: ['All'], excludeUsers: [breakGlass.id, u(excludedUser).id], excludeGroups: [exemptGroup] },
        applications: { includeApplications: ['All'], excludeApplications: [] },
      },
      grantControls: { operator: 'OR', builtInControls: ['mfa'], authenticationStrength: null },
    }),
    policy('Block legacy authentication', {
      state: 'enabled',
      conditions: {
        clientAppTypes: ['exchangeActiveSync', 'other'],
        users: { ...noUsers, includeUsers: ['All'], excludeUsers: [breakGlass.id] },
        applications: { includeApplications: ['All'], excludeApplications: [] },
      },
      grantControls: { operator: 'OR', builtInControls: ['block'], authenticationStrength: null },
    }),
    policy('Phishing-resistant MFA for admins (report-only)', {
      state: 'enabledForReportingButNotEnforced',
      conditions: {
        clientAppTypes: ['all'],
        users: { ...noUsers, includeRoles: [builtInRoles.globalAdministrator.templateId, builtInRoles.privilegedRoleAdministrator.templateId] },
        applications: { includeApplications: ['All'], excludeApplications: [] },
      },
      grantControls: { operator: 'AND', builtInControls: [], authenticationStrength: { id: '00000000-0000-0000-0000-000000000004', displayName: 'Phishing-resistant MFA' } },
    }),
  ];

  // Access reviews: global admins (done on time), guests (undecided items auto-applied), and the
  // Sales CRM app (overdue, undecided).
  const reviewer = u(ciso);
  const identity = (x: GraphUser) => ({ id: x.id, displayName: x.displayName, userPrincipalName: x.userPrincipalName });
  const definition = (name: string, defaultDecision: GraphAccessReviewDefinition['settings']['defaultDecision'], autoApply: boolean, query: string): GraphAccessReviewDefinition => ({
    id: guidFor(`review:${name}`),
    displayName: name,
    status: 'InProgress',
    createdDateTime: ago(400),
    descriptionForReviewers: `Confirm each person still needs access (${name}).`,
    scope: { '@odata.type': '#microsoft.graph.accessReviewQueryScope', query, queryType: 'MicrosoftGraph' },
    reviewers: [{ query: `/users/${reviewer.id}`, queryType: 'MicrosoftGraph' }],
    settings: { defaultDecisionEnabled: defaultDecision !== 'None', defaultDecision, autoApplyDecisionsEnabled: autoApply, instanceDurationInDays: 14, recurrence: { pattern: { type: 'absoluteMonthly', interval: 3 } } },
  });
  const decisionsFor = (
    reviewName: string,
    instanceId: string,
    subjects: GraphUser[],
    resource: string,
    decide: (x: GraphUser, i: number) => { decision: GraphAccessReviewDecision['decision']; reviewedAt: string | null; applied: string | null; auto: boolean },
  ): GraphAccessReviewDecision[] =>
    subjects.map((x, i) => {
      const d = decide(x, i);
      return {
        id: guidFor(`decision:${reviewName}:${instanceId}:${x.id}`),
        accessReviewId: instanceId,
        decision: d.decision,
        applyResult: d.applied ? 'AppliedSuccessfully' : 'New',
        appliedDateTime: d.applied,
        reviewedDateTime: d.reviewedAt,
        justification: d.decision === 'NotReviewed' ? '' : d.decision === 'Deny' ? 'No longer needs access' : 'Still needed for role',
        recommendation: 'Approve',
        reviewedBy: d.reviewedAt && !d.auto ? identity(reviewer) : null,
        appliedBy: d.applied ? (d.auto ? { id: '00000000-0000-0000-0000-000000000000', displayName: 'AAD Access Reviews', userPrincipalName: '' } : identity(reviewer)) : null,
        principal: { '@odata.type': '#microsoft.graph.userIdentity', ...identity(x) },
        resource: { id: guidFor(`resource:${resource}`), displayName: resource, type: resource.includes('Administrator') ? 'directoryRole' : 'group' },
      };
    });
  const instance = (name: string, endDaysAgo: number, status: string, query: string): GraphAccessReviewInstance => ({
    id: guidFor(`instance:${name}:${endDaysAgo}`),
    startDateTime: ago(endDaysAgo + 14),
    endDateTime: ago(endDaysAgo),
    status,
    scope: { '@odata.type': '#microsoft.graph.accessReviewQueryScope', query, queryType: 'MicrosoftGraph' },
  });

  const adminsDef = definition('Quarterly review: Global Administrators', 'None', true, `/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '${builtInRoles.globalAdministrator.templateId}'`);
  const adminsInst = instance(adminsDef.displayName, 20, 'Completed', adminsDef.scope.query);
  const adminSubjects = [u(ceo), u(ciso), u(cto), breakGlass];
  const adminDecisions = decisionsFor(adminsDef.displayName, adminsInst.id, adminSubjects, 'Global Administrator', () => ({
    decision: 'Approve',
    reviewedAt: ago(25),
    applied: ago(20),
    auto: false,
  }));

  const guestsDef = definition('Quarterly review: Guest users', 'Approve', true, "/users?$filter=(userType eq 'Guest')");
  const guestsInst = instance(guestsDef.displayName, 8, 'Applied', guestsDef.scope.query);
  const guestDecisions = decisionsFor(guestsDef.displayName, guestsInst.id, guests, 'Guest users', (_x, i) =>
    i === 0 ? { decision: 'Approve', reviewedAt: ago(12), applied: ago(8), auto: false } : { decision: 'NotReviewed', reviewedAt: null, applied: ago(8), auto: true },
  );

  const salesTeam = active.filter((p) => p.department === 'Sales').slice(0, 6).map(u);
  const salesDef = definition('Quarterly review: Sales CRM access', 'None', false, `/groups/${guidFor('group:sales-crm')}/transitiveMembers`);
  const salesPrev = instance(salesDef.displayName, 100, 'Completed', salesDef.scope.query);
  const salesPrevDecisions = decisionsFor(salesDef.displayName, salesPrev.id, salesTeam, 'Sales CRM', () => ({ decision: 'Approve', reviewedAt: ago(104), applied: null, auto: false }));
  const salesOverdue = instance(salesDef.displayName, 12, 'InProgress', salesDef.scope.query);
  const salesDecisions = decisionsFor(salesDef.displayName, salesOverdue.id, salesTeam, 'Sales CRM', (_x, i) =>
    i < 2 ? { decision: i === 0 ? 'Approve' : 'Deny', reviewedAt: ago(15), applied: null, auto: false } : { decision: 'NotReviewed', reviewedAt: null, applied: null, auto: false },
  );

  const reviews = [
    { definition: adminsDef, instances: [{ instance: adminsInst, decisions: adminDecisions }] },
    { definition: guestsDef, instances: [{ instance: guestsInst, decisions: guestDecisions }] },
    {
      definition: salesDef,
      instances: [
        { instance: salesPrev, decisions: salesPrevDecisions },
        { instance: salesOverdue, decisions: salesDecisions },
      ],
    },
  ];

  // One company laptop per active employee; a few out of compliance.
  const deviceRng = rng.fork('devices');
  const nonCompliantOwners = new Set(deviceRng.sample(ordinary.slice(12), 3));
  const graceOwner = ordinary[11]!;
  const devices: GraphManagedDevice[] = active.map((p, i) => {
    const mac = deviceRng.chance(0.4);
    const state: GraphManagedDevice['complianceState'] = nonCompliantOwners.has(p) ? 'noncompliant' : p === graceOwner ? 'inGracePeriod' : 'compliant';
    return {
      id: guidFor(`device:${p.id}`),
      deviceName: `${mac ? 'MAC' : 'WIN'}-${p.id}`,
      userPrincipalName: p.email,
      operatingSystem: mac ? 'macOS' : 'Windows',
      osVersion: mac ? '14.6.1' : '10.0.22631.4169',
      complianceState: state,
      managedDeviceOwnerType: 'company',
      lastSyncDateTime: ago(i % 3, 2),
      enrolledDateTime: `${p.startDate}T09:00:00Z`,
      isEncrypted: state === 'compliant',
    };
  });

  return {
    tenantId,
    initialDomain,
    now: company.now,
    users: allUsers,
    registrations,
    policies,
    roleDefinitions,
    roleAssignments,
    roleEligibilities,
    reviews,
    devices,
    violations: {
      membersWithoutMfa: withoutMfa.map((p) => p.email),
      adminWithoutMfa: adminWithoutMfa.email,
      staleMembers: staleMembers.map((p) => p.email),
      enabledLeaver: enabledLeaver.email,
      staleGuest: guests[2]!.userPrincipalName,
      mfaPolicyExcludedUsers: [breakGlass.userPrincipalName, excludedUser.email],
      mfaPolicyExcludedGroup: exemptGroup,
      overdueReview: {
        definition: salesDef.displayName,
        instanceId: salesOverdue.id,
        undecided: salesDecisions.filter((d) => d.decision === 'NotReviewed').map((d) => d.principal.userPrincipalName),
      },
      autoAppliedReview: {
        definition: guestsDef.displayName,
        instanceId: guestsInst.id,
        autoApplied: guestDecisions.filter((d) => d.decision === 'NotReviewed').map((d) => d.principal.userPrincipalName),
      },
      nonCompliantDevices: devices.filter((d) => d.complianceState === 'noncompliant').map((d) => d.deviceName),
    },
  };
}
