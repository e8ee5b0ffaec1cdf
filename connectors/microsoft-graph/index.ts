import { defineConnector } from '../../src/core/connector.js';
import { classifyGraphError, GraphApi } from './client.js';
import { microsoftGraphSettingsSchema, type MicrosoftGraphSettings } from './settings.js';
import { usersCollector } from './users.js';
import { mfaRegistrationCollector } from './mfa-registration.js';
import { conditionalAccessCollector } from './conditional-access.js';
import { roleAssignmentsCollector } from './role-assignments.js';
import { accessReviewsCollector } from './access-reviews.js';
import { managedDevicesCollector } from './managed-devices.js';

/**
 * Microsoft Entra ID through Microsoft Graph v1.0, app-only: users and sign-in activity, MFA
 * registration, conditional access, privileged roles (active and PIM-eligible), access reviews
 * with decisions, and Intune device compliance. Licence-dependent parts are recorded as "not
 * available" when the tenant lacks the licence.
 */
export const microsoftGraphConnector = defineConnector<MicrosoftGraphSettings, GraphApi>({
  type: 'microsoft-graph',
  title: 'Microsoft Entra ID (Microsoft Graph)',
  description: 'Users, MFA registration, conditional access, privileged roles, access reviews and Intune device compliance.',
  config: microsoftGraphSettingsSchema,
  http: { concurrency: 4, requestIdHeader: 'request-id' },
  permissions: [
    { grant: 'Microsoft Graph application permission User.Read.All', reason: 'users: accounts, member or guest, enabled, created' },
    { grant: 'Microsoft Graph application permission AuditLog.Read.All', reason: 'users: last sign-in (signInActivity); mfa_registration: the registration report' },
    { grant: 'Microsoft Graph application permission Policy.Read.All', reason: 'conditional_access_policies' },
    { grant: 'Microsoft Graph application permission RoleManagement.Read.Directory', reason: 'directory_role_assignments: active and PIM-eligible' },
    { grant: 'Microsoft Graph application permission AccessReview.Read.All', reason: 'access_reviews: definitions, instances, decisions' },
    { grant: 'Microsoft Graph application permission DeviceManagementManagedDevices.Read.All', reason: 'managed_devices (Intune)' },
  ],
  createClient: (settings, io) => GraphApi.create(settings, io),
  collectors: [usersCollector, mfaRegistrationCollector, conditionalAccessCollector, roleAssignmentsCollector, accessReviewsCollector, managedDevicesCollector],
  classifyError: classifyGraphError,
});
