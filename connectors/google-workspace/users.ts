import type { admin_directory_v1 } from '@googleapis/admin';
import { z } from 'zod';
import { defineCollector } from '../../src/core/connector.js';
import type { GoogleAdminApi } from './client.js';
import type { GoogleWorkspaceSettings } from './settings.js';

export const googleUserPayload = z.object({
  id: z.string().describe('Google user id.'),
  primaryEmail: z.string().describe('Primary email address (the sign-in name).'),
  fullName: z.string().nullable().describe('Full name.'),
  isAdmin: z.boolean().describe('Super administrator.'),
  isDelegatedAdmin: z.boolean().describe('Holds a delegated admin role.'),
  suspended: z.boolean().describe('Suspended: cannot sign in.'),
  archived: z.boolean().describe('Archived (a former employee kept for retention).'),
  isEnrolledIn2Sv: z.boolean().describe('Enrolled in 2-Step Verification.'),
  isEnforcedIn2Sv: z.boolean().describe('2-Step Verification is enforced for the user by policy.'),
  lastLoginTime: z.string().nullable().describe('Last login (ISO-8601); null when the user never logged in.'),
  creationTime: z.string().nullable().describe('When the account was created.'),
  orgUnitPath: z.string().nullable().describe('Organizational unit (policies such as 2SV enforcement apply per unit).'),
});

const apiUser = z.object({
  id: z.string(),
  primaryEmail: z.string(),
  name: z.object({ fullName: z.string().nullable().optional() }).nullable().optional(),
  isAdmin: z.boolean().optional(),
  isDelegatedAdmin: z.boolean().optional(),
  suspended: z.boolean().optional(),
  archived: z.boolean().optional(),
  isEnrolledIn2Sv: z.boolean().optional(),
  isEnforcedIn2Sv: z.boolean().optional(),
  lastLoginTime: z.string().nullable().optional(),
  creationTime: z.string().nullable().optional(),
  orgUnitPath: z.string().nullable().optional(),
});

/** The Directory API's "never" (`1970-01-01T00:00:00.000Z`). */
const never = (time: string | null | undefined) => (!time || time.startsWith('1970-01-01') ? null : time);

export const googleUsersCollector = defineCollector<GoogleAdminApi, GoogleWorkspaceSettings, typeof googleUserPayload>({
  id: 'users',
  kind: 'google.user.v1',
  title: 'Users: 2-Step Verification, admin, suspended, archived, last login',
  description: 'Every user of the customer with 2SV enrolment and enforcement, admin flags, suspension, archiving, last login and creation, 500 per request.',
  subject: 'primary email',
  ttlHours: 36,
  payload: googleUserPayload,
  async *collect({ client }) {
    const list = (params: admin_directory_v1.Params$Resource$Users$List) => client.directory.users.list(params);
    for await (const page of client.pages(list, { customer: client.customerId, maxResults: 500, projection: 'basic', orderBy: 'email' }, 'users', apiUser)) {
      for (const u of page.items) {
        yield {
          subject: u.primaryEmail,
          requests: [page.request],
          payload: {
            id: u.id,
            primaryEmail: u.primaryEmail,
            fullName: u.name?.fullName ?? null,
            isAdmin: u.isAdmin ?? false,
            isDelegatedAdmin: u.isDelegatedAdmin ?? false,
            suspended: u.suspended ?? false,
            archived: u.archived ?? false,
            isEnrolledIn2Sv: u.isEnrolledIn2Sv ?? false,
            isEnforcedIn2Sv: u.isEnforcedIn2Sv ?? false,
            lastLoginTime: never(u.lastLoginTime),
            creationTime: u.creationTime ?? null,
            orgUnitPath: u.orgUnitPath ?? null,
          },
        };
      }
    }
  },
});
