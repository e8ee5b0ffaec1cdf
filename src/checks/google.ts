import { z } from 'zod';
import { defineCheck, payloadsOf, type CheckResult } from './check.js';
import type { googleUserPayload } from '../../connectors/google-workspace/users.js';
import type { googleRoleAssignmentPayload } from '../../connectors/google-workspace/role-assignments.js';

type User = z.output<typeof googleUserPayload>;
type RoleAssignment = z.output<typeof googleRoleAssignmentPayload>;

const dayMs = 86_400_000;
const canSignIn = (u: User) => !u.suspended && !u.archived;

export const users2svEnrolled = defineCheck({
  id: 'google.users.2sv_enrolled',
  title: 'Every active Google Workspace user is enrolled in 2-Step Verification',
  description: 'Each user who can sign in (not suspended or archived) is enrolled in 2SV.',
  kinds: ['google.user.v1'],
  evaluate: ({ evidence }) =>
    payloadsOf<User>(evidence['google.user.v1'])
      .filter(({ payload }) => canSignIn(payload))
      .map(({ subject, payload: u }): CheckResult => {
        const who = u.isAdmin ? 'super admin' : u.isDelegatedAdmin ? 'delegated admin' : 'user';
        return u.isEnrolledIn2Sv ? { subject, status: 'pass', message: `${who} is enrolled in 2SV` } : { subject, status: 'fail', message: `${who} is not enrolled in 2SV` };
      }),
});

export const twoStepEnforced = defineCheck({
  id: 'google.2sv.enforced',
  title: '2-Step Verification is enforced by policy in every organizational unit',
  description: 'Per organizational unit with active users: 2SV enforcement applies to all of them. An unit where it is not enforced relies on users enrolling voluntarily.',
  kinds: ['google.user.v1'],
  evaluate: ({ evidence }) => {
    const byUnit = new Map<string, User[]>();
    for (const { payload } of payloadsOf<User>(evidence['google.user.v1']).filter(({ payload }) => canSignIn(payload))) {
      const unit = payload.orgUnitPath ?? '/';
      byUnit.set(unit, [...(byUnit.get(unit) ?? []), payload]);
    }
    return [...byUnit.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([unit, users]): CheckResult => {
        const unenforced = users.filter((u) => !u.isEnforcedIn2Sv);
        if (unenforced.length === 0) return { subject: unit, status: 'pass', message: `2SV enforced for all ${users.length} active users` };
        return { subject: unit, status: 'fail', message: `2SV not enforced for ${unenforced.length} of ${users.length} active users` };
      });
  },
});

export const googleSignInParams = z
  .strictObject({ staleDays: z.number().int().min(1).default(90).describe('An active user with no login for more than this many days is stale.') })
  .default({ staleDays: 90 });

export const googleUsersSignedInRecently = defineCheck({
  id: 'google.users.signed_in_recently',
  title: 'Active Google Workspace users are in use',
  description: 'Every user who can sign in logged in within the last N days (default 90); a user never logged in since creation N days ago is stale too.',
  kinds: ['google.user.v1'],
  params: googleSignInParams,
  evaluate: ({ evidence, asOf, params }) => {
    const cutoff = asOf.getTime() - params.staleDays * dayMs;
    return payloadsOf<User>(evidence['google.user.v1'])
      .filter(({ payload }) => canSignIn(payload))
      .map(({ subject, payload: u }): CheckResult => {
        if (!u.lastLoginTime) {
          if (u.creationTime && Date.parse(u.creationTime) > cutoff) return { subject, status: 'pass', message: `created ${u.creationTime}, not logged in yet` };
          return { subject, status: 'fail', message: `active but never logged in (created ${u.creationTime ?? 'unknown'})` };
        }
        const days = Math.floor((asOf.getTime() - Date.parse(u.lastLoginTime)) / dayMs);
        return Date.parse(u.lastLoginTime) < cutoff
          ? { subject, status: 'fail', message: `active but last logged in ${days} days ago (${u.lastLoginTime})` }
          : { subject, status: 'pass', message: `last logged in ${days} days ago` };
      });
  },
});

export const googleAdmins2sv = defineCheck({
  id: 'google.admins.2sv_enrolled',
  title: 'Google Workspace administrators are listed with their 2-Step Verification state',
  description: 'Every super admin and holder of an admin role, with the roles held; an admin who can sign in without 2SV fails.',
  kinds: ['google.user.v1', 'google.admin_role_assignment.v1'],
  evaluate: ({ evidence }) => {
    const users = payloadsOf<User>(evidence['google.user.v1']);
    const byId = new Map(users.map(({ payload }) => [payload.id, payload]));
    const roles = new Map<string, string[]>();
    for (const { payload: a } of payloadsOf<RoleAssignment>(evidence['google.admin_role_assignment.v1'])) {
      roles.set(a.assignedTo, [...(roles.get(a.assignedTo) ?? []), a.isSuperAdminRole ? `${a.roleName} (super admin)` : a.roleName]);
    }
    const adminIds = new Set([...users.filter(({ payload }) => payload.isAdmin || payload.isDelegatedAdmin).map(({ payload }) => payload.id), ...roles.keys()]);
    return [...adminIds].sort().map((id): CheckResult => {
      const u = byId.get(id);
      const held = roles.get(id)?.join(', ') ?? (u?.isAdmin ? 'super admin' : 'delegated admin');
      if (!u) return { subject: id, status: 'warn', message: `${held} is assigned to ${id}, not a user of this account (a group or service account): review it` };
      if (!canSignIn(u)) return { subject: u.primaryEmail, status: 'warn', message: `holds ${held} but is ${u.suspended ? 'suspended' : 'archived'}: remove the role` };
      return u.isEnrolledIn2Sv
        ? { subject: u.primaryEmail, status: 'pass', message: `holds ${held}; 2SV enrolled${u.isEnforcedIn2Sv ? ' and enforced' : ', not enforced'}` }
        : { subject: u.primaryEmail, status: 'fail', message: `holds ${held} without 2SV` };
    });
  },
});

export const googleChecks = [users2svEnrolled, twoStepEnforced, googleUsersSignedInRecently, googleAdmins2sv] as const;
