import { defineConnector } from '../../src/core/connector.js';
import { classifyGoogleError, GoogleAdminApi } from './client.js';
import { googleScopes, googleWorkspaceSettingsSchema, type GoogleWorkspaceSettings } from './settings.js';
import { googleUsersCollector } from './users.js';
import { googleRoleAssignmentsCollector } from './role-assignments.js';
import { googleLoginEventsCollector } from './login-events.js';

/**
 * Google Workspace through the Admin SDK (Directory and Reports APIs): users with 2-Step
 * Verification, admin role assignments and login audit events. Authorised as a service account
 * with domain-wide delegation, impersonating an admin, with read-only scopes only.
 */
export const googleWorkspaceConnector = defineConnector<GoogleWorkspaceSettings, GoogleAdminApi>({
  type: 'google-workspace',
  title: 'Google Workspace (Admin SDK)',
  description: 'Users and 2-Step Verification, admin roles and login audit events.',
  config: googleWorkspaceSettingsSchema,
  http: { concurrency: 4 },
  permissions: [
    { grant: `Domain-wide delegation scope ${googleScopes[0]}`, reason: 'users: 2SV, admin flags, suspension, last login' },
    { grant: `Domain-wide delegation scope ${googleScopes[1]}`, reason: 'admin_role_assignments' },
    { grant: `Domain-wide delegation scope ${googleScopes[2]}`, reason: 'login_events (Reports API)' },
    { grant: 'adminEmail: an admin allowed to read users, roles and reports (a custom read-only admin role suffices)', reason: 'the service account acts as this admin' },
  ],
  createClient: (settings, io) => GoogleAdminApi.create(settings, io),
  collectors: [googleUsersCollector, googleRoleAssignmentsCollector, googleLoginEventsCollector],
  classifyError: classifyGoogleError,
});
