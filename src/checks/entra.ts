import { z } from 'zod';
import { defineCheck, payloadsOf, type CheckResult, type EvidenceSet } from './check.js';
import { isNotAvailable, type NotAvailable } from '../../connectors/microsoft-graph/availability.js';
import type { entraUserPayload } from '../../connectors/microsoft-graph/users.js';
import type { mfaRegistrationPayload } from '../../connectors/microsoft-graph/mfa-registration.js';
import type { conditionalAccessPolicyPayload } from '../../connectors/microsoft-graph/conditional-access.js';
import type { roleAssignmentPayload } from '../../connectors/microsoft-graph/role-assignments.js';
import type { accessReviewPayload } from '../../connectors/microsoft-graph/access-reviews.js';
import type { managedDevicePayload } from '../../connectors/microsoft-graph/managed-devices.js';

type Available<T> = Exclude<T, NotAvailable>;
type User = z.output<typeof entraUserPayload>;
type Registration = Available<z.output<typeof mfaRegistrationPayload>>;
type Policy = Available<z.output<typeof conditionalAccessPolicyPayload>>;
type RoleAssignment = Available<z.output<typeof roleAssignmentPayload>>;
type AccessReview = Available<z.output<typeof accessReviewPayload>>;
type Device = Available<z.output<typeof managedDevicePayload>>;

const dayMs = 86_400_000;

/** The records of a licence-dependent kind, and the "not available" marker if the tenant lacks the licence. */
export function splitAvailability<P>(set: EvidenceSet | undefined): { records: { subject: string; payload: Available<P> }[]; notAvailable: NotAvailable | undefined } {
  const all = payloadsOf<P | NotAvailable>(set);
  const marker = all.find((r) => isNotAvailable(r.payload));
  return {
    records: all.filter((r) => !isNotAvailable(r.payload)) as { subject: string; payload: Available<P> }[],
    notAvailable: marker?.payload as NotAvailable | undefined,
  };
}

/** The one result a check gives over a feature the tenant is not licensed for: not a pass, not a crash. */
export function notAvailableResult(subject: string, n: NotAvailable): CheckResult {
  return { subject, status: 'error', message: `not available: ${n.feature} needs ${n.licence} (${n.reason})` };
}

export const usersMfaRegistered = defineCheck({
  id: 'entra.users.mfa_registered',
  title: 'Every enabled Entra ID user has MFA registered',
  description: 'Each enabled user (members and guests) appears in the registration report with a method registered for MFA. A user missing from the report is unknown, never a pass.',
  kinds: ['entra.user.v1', 'entra.mfa_registration.v1'],
  evaluate: ({ evidence, instanceId }) => {
    const { records, notAvailable } = splitAvailability<Registration>(evidence['entra.mfa_registration.v1']);
    if (notAvailable) return [notAvailableResult(instanceId, notAvailable)];
    const byId = new Map(records.map((r) => [r.payload.id, r.payload]));
    return payloadsOf<User>(evidence['entra.user.v1'])
      .filter(({ payload }) => payload.accountEnabled !== false)
      .map(({ subject, payload }): CheckResult => {
        const r = byId.get(payload.id);
        const who = payload.userType === 'Guest' ? 'guest' : r?.isAdmin ? 'admin' : 'member';
        if (!r) return { subject, status: 'error', message: `${who} is not in the registration report: MFA state unknown` };
        return r.isMfaRegistered
          ? { subject, status: 'pass', message: `${who} has MFA registered (${r.methodsRegistered.join(', ')})` }
          : { subject, status: 'fail', message: `${who} has no MFA method registered` };
      });
  },
});

export const conditionalAccessParams = z
  .strictObject({
  maxExcludedUsers: z
    .number()
    .int()
    .min(0)
    .default(2)
    .describe('Users a policy that requires MFA for everyone may exclude (emergency-access accounts) before the exclusion counts as broad.'),
  })
  .default({ maxExcludedUsers: 2 });

/** Whether a policy requires MFA for every user, every app and every client. */
function coversEveryone(p: Policy): boolean {
  return p.requiresMfa && p.includeUsers.includes('All') && p.includeApplications.includes('All') && (p.clientAppTypes.length === 0 || p.clientAppTypes.includes('all'));
}

export const conditionalAccessRequiresMfa = defineCheck({
  id: 'entra.conditional_access.requires_mfa_for_all',
  title: 'Conditional access enforces MFA for all users and all apps, without broad exclusions',
  description:
    'An enabled (not report-only) policy requires MFA for all users, all cloud apps and all client apps. Excluded groups or roles, or more excluded users than emergency-access accounts, make the exclusion broad.',
  kinds: ['entra.conditional_access_policy.v1', 'entra.user.v1'],
  params: conditionalAccessParams,
  evaluate: ({ evidence, instanceId, params }) => {
    const { records, notAvailable } = splitAvailability<Policy>(evidence['entra.conditional_access_policy.v1']);
    if (notAvailable) return [notAvailableResult(instanceId, notAvailable)];
    const names = new Map(payloadsOf<User>(evidence['entra.user.v1']).map(({ payload }) => [payload.id, payload.userPrincipalName]));
    const candidates = records.filter((r) => coversEveryone(r.payload));
    const enforced = candidates.filter((r) => r.payload.state === 'enabled');
    if (enforced.length === 0) {
      const reportOnly = candidates.filter((r) => r.payload.state === 'enabledForReportingButNotEnforced').map((r) => r.payload.displayName);
      return [
        {
          subject: instanceId,
          status: 'fail',
          message: `no enabled conditional access policy requires MFA for all users and all apps${reportOnly.length ? ` (report-only: ${reportOnly.join(', ')})` : ''}`,
        },
      ];
    }
    return enforced.map(({ payload: p }): CheckResult => {
      const users = p.excludeUsers.map((id) => names.get(id) ?? id);
      const exclusions = [
        users.length ? `users ${users.join(', ')}` : null,
        p.excludeGroups.length ? `groups ${p.excludeGroups.join(', ')}` : null,
        p.excludeRoles.length ? `roles ${p.excludeRoles.join(', ')}` : null,
        p.excludeApplications.length ? `apps ${p.excludeApplications.join(', ')}` : null,
      ].filter(Boolean);
      const broad = p.excludeGroups.length > 0 || p.excludeRoles.length > 0 || p.excludeApplications.length > 0 || users.length > params.maxExcludedUsers;
      if (broad) return { subject: p.displayName, status: 'fail', message: `requires MFA for all users and apps but excludes ${exclusions.join('; ')}` };
      return {
        subject: p.displayName,
        status: 'pass',
        message: `requires MFA for all users and apps${exclusions.length ? `; excludes only ${exclusions.join('; ')}` : ' with no exclusions'}`,
      };
    });
  },
});

export const signInParams = z
  .strictObject({
    staleDays: z.number().int().min(1).default(90).describe('An enabled account with no sign-in for more than this many days is stale.'),
  })
  .default({ staleDays: 90 });

export const accountsSignedInRecently = defineCheck({
  id: 'entra.accounts.signed_in_recently',
  title: 'Enabled Entra ID accounts are in use; guests are listed for review',
  description:
    'Every enabled account signed in within the last N days (default 90); an account never used since creation N days ago is stale too. Active guests are listed for review. Without sign-in activity (Entra ID P1/P2) this is not available.',
  kinds: ['entra.user.v1'],
  params: signInParams,
  evaluate: ({ evidence, instanceId, asOf, params }) => {
    const users = payloadsOf<User>(evidence['entra.user.v1']).filter(({ payload }) => payload.accountEnabled !== false);
    const unavailable = users.find(({ payload }) => payload.signInActivity === 'not_available');
    if (unavailable) {
      return [{ subject: instanceId, status: 'error', message: `not available: last sign-in is not visible (${unavailable.payload.signInActivityNote ?? 'sign-in activity not collected'})` }];
    }
    const cutoff = asOf.getTime() - params.staleDays * dayMs;
    return users.map(({ subject, payload: u }): CheckResult => {
      const guest = u.userType === 'Guest';
      const last = u.lastSignInDateTime ? Date.parse(u.lastSignInDateTime) : null;
      const created = u.createdDateTime ? Date.parse(u.createdDateTime) : null;
      const who = guest ? 'guest' : 'member';
      if (last === null) {
        if (created !== null && created > cutoff) return { subject, status: guest ? 'warn' : 'pass', message: `${who} created ${u.createdDateTime}, not signed in yet` };
        return { subject, status: 'fail', message: `${who} is enabled but has never signed in (created ${u.createdDateTime ?? 'unknown'})` };
      }
      const days = Math.floor((asOf.getTime() - last) / dayMs);
      if (last < cutoff) return { subject, status: 'fail', message: `${who} is enabled but last signed in ${days} days ago (${u.lastSignInDateTime})` };
      return guest
        ? { subject, status: 'warn', message: `guest account (${u.mail ?? u.userPrincipalName}) last signed in ${days} days ago: confirm it is still needed` }
        : { subject, status: 'pass', message: `last signed in ${days} days ago` };
    });
  },
});

export const privilegedRolesMfa = defineCheck({
  id: 'entra.privileged_roles.mfa_registered',
  title: 'Holders of privileged Entra ID roles, active or eligible, have MFA registered',
  description:
    'Lists every principal holding a privileged directory role (active, or eligible through PIM) with its MFA state. A user without MFA fails; groups and service principals are listed for review.',
  kinds: ['entra.directory_role_assignment.v1', 'entra.mfa_registration.v1'],
  evaluate: ({ evidence, instanceId }) => {
    const assignments = splitAvailability<RoleAssignment>(evidence['entra.directory_role_assignment.v1']);
    const registrations = splitAvailability<Registration>(evidence['entra.mfa_registration.v1']);
    const results: CheckResult[] = [];
    if (assignments.notAvailable) results.push(notAvailableResult(`${instanceId}:eligible`, assignments.notAvailable));
    if (registrations.notAvailable) return [...results, notAvailableResult(instanceId, registrations.notAvailable)];
    const mfa = new Map(registrations.records.map((r) => [r.payload.id, r.payload.isMfaRegistered]));
    const byPrincipal = new Map<string, RoleAssignment[]>();
    for (const { payload } of assignments.records.filter((r) => r.payload.privileged)) {
      byPrincipal.set(payload.principalId, [...(byPrincipal.get(payload.principalId) ?? []), payload]);
    }
    for (const held of byPrincipal.values()) {
      const first = held[0]!;
      const roles = held.map((a) => `${a.roleName} (${a.assignmentType})`).join(', ');
      if (first.principalType !== 'user') {
        results.push({ subject: first.principalName, status: 'warn', message: `${first.principalType} holds ${roles}: review who can act through it` });
        continue;
      }
      const registered = mfa.get(first.principalId);
      if (registered === undefined) results.push({ subject: first.principalName, status: 'error', message: `holds ${roles}; MFA state unknown (not in the registration report)` });
      else if (registered) results.push({ subject: first.principalName, status: 'pass', message: `holds ${roles}; MFA registered` });
      else results.push({ subject: first.principalName, status: 'fail', message: `holds ${roles} without MFA registered` });
    }
    return results;
  },
});

const finishedStatuses = new Set(['Completed', 'Applied', 'AutoReviewed']);

export const accessReviewsCompleted = defineCheck({
  id: 'entra.access_reviews.completed_on_time',
  title: 'Access reviews are completed on time, every item decided by a reviewer',
  description:
    'Each access review occurrence that is past its deadline is completed, every item was decided by a reviewer before the deadline, and nothing was left undecided or only auto-applied by a default decision. No access review at all is a finding.',
  kinds: ['entra.access_review.v1'],
  evaluate: ({ evidence, instanceId, asOf }) => {
    const { records, notAvailable } = splitAvailability<AccessReview>(evidence['entra.access_review.v1']);
    if (notAvailable) return [notAvailableResult(instanceId, notAvailable)];
    if (records.length === 0) return [{ subject: instanceId, status: 'fail', message: 'no access reviews are configured in the tenant' }];
    return records.map(({ subject, payload: r }): CheckResult => {
      const due = Date.parse(r.endDateTime);
      const undecided = r.decisions.filter((d) => d.decision === 'NotReviewed');
      const late = r.decisions.filter((d) => d.reviewedDateTime && Date.parse(d.reviewedDateTime) > due);
      const reviewers = [...new Set(r.decisions.map((d) => d.reviewedBy).filter(Boolean))];
      const tally = `${r.decisions.length - undecided.length} of ${r.decisions.length} decided${reviewers.length ? ` by ${reviewers.join(', ')}` : ''}`;
      if (due > asOf.getTime()) {
        return { subject, status: 'pass', message: `in progress (${r.status}), due ${r.endDateTime}; ${tally}` };
      }
      if (!finishedStatuses.has(r.status)) {
        const days = Math.floor((asOf.getTime() - due) / dayMs);
        return {
          subject,
          status: 'fail',
          message: `overdue by ${days} days (due ${r.endDateTime}, status ${r.status}); ${tally}; undecided: ${undecided.map((d) => d.principalName).join(', ') || 'none'}`,
        };
      }
      if (undecided.length > 0) {
        const applied = undecided.filter((d) => d.applyResult?.startsWith('Applied'));
        const how = applied.length > 0 ? `auto-applied by the default decision ${r.defaultDecision}` : 'left undecided';
        return { subject, status: 'fail', message: `completed with ${undecided.length} item(s) no reviewer decided, ${how}: ${undecided.map((d) => d.principalName).join(', ')}` };
      }
      if (late.length > 0) return { subject, status: 'fail', message: `completed, but ${late.length} decision(s) were made after the deadline ${r.endDateTime}` };
      return { subject, status: 'pass', message: `completed on time (due ${r.endDateTime}); ${tally}` };
    });
  },
});

export const devicesCompliant = defineCheck({
  id: 'entra.devices.compliant',
  title: 'Intune-managed devices are compliant',
  description: 'Each managed device is compliant with its Intune compliance policies; devices in a grace period are listed, non-compliant ones fail. Without Intune this is not available.',
  kinds: ['entra.managed_device.v1'],
  evaluate: ({ evidence, instanceId }) => {
    const { records, notAvailable } = splitAvailability<Device>(evidence['entra.managed_device.v1']);
    if (notAvailable) return [notAvailableResult(instanceId, notAvailable)];
    return records.map(({ payload: d }): CheckResult => {
      const subject = d.deviceName;
      const owner = d.userPrincipalName ? ` (${d.userPrincipalName})` : '';
      if (d.complianceState === 'compliant') return { subject, status: 'pass', message: `compliant${owner}` };
      if (d.complianceState === 'inGracePeriod') return { subject, status: 'warn', message: `in its compliance grace period${owner}` };
      if (d.complianceState === 'unknown' || d.complianceState === 'configManager') return { subject, status: 'error', message: `compliance ${d.complianceState}${owner}` };
      return { subject, status: 'fail', message: `${d.complianceState}${owner}, last check-in ${d.lastSyncDateTime ?? 'never'}` };
    });
  },
});

export const entraChecks = [usersMfaRegistered, conditionalAccessRequiresMfa, accountsSignedInRecently, privilegedRolesMfa, accessReviewsCompleted, devicesCompliant] as const;
