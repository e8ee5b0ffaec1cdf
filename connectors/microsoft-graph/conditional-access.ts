import { z } from 'zod';
import { defineCollector } from '../../src/core/connector.js';
import { isLicenceError, type GraphApi } from './client.js';
import { notAvailablePayload, notAvailableRecord } from './availability.js';
import type { MicrosoftGraphSettings } from './settings.js';

const ids = (what: string) => z.array(z.string()).describe(what);

export const conditionalAccessPolicyPayload = z.union([
  z.object({
    id: z.string().describe('Policy id.'),
    displayName: z.string().describe('Policy name.'),
    state: z.string().describe('`enabled`, `disabled` or `enabledForReportingButNotEnforced` (report-only).'),
    requiresMfa: z.boolean().describe('The grant controls require MFA (the `mfa` control or an authentication strength).'),
    blocks: z.boolean().describe('The policy blocks access.'),
    authenticationStrength: z.string().nullable().describe('Required authentication strength, by name.'),
    grantOperator: z.string().nullable().describe('`AND` or `OR` between grant controls.'),
    clientAppTypes: ids('Client app types the policy applies to (`all`, `exchangeActiveSync`, `other`, …).'),
    includeUsers: ids('Users in scope: object ids, or `All`, `GuestsOrExternalUsers`, `None`.'),
    excludeUsers: ids('Users excluded: object ids.'),
    includeGroups: ids('Groups in scope: object ids.'),
    excludeGroups: ids('Groups excluded: object ids.'),
    includeRoles: ids('Directory roles in scope: role template ids.'),
    excludeRoles: ids('Directory roles excluded: role template ids.'),
    includeApplications: ids('Applications in scope: app ids, or `All`, `Office365`.'),
    excludeApplications: ids('Applications excluded: app ids.'),
  }),
  notAvailablePayload,
]);

const list = z.array(z.string()).nullable().optional();
const policy = z.object({
  id: z.string(),
  displayName: z.string(),
  state: z.string(),
  conditions: z.object({
    clientAppTypes: list,
    users: z.object({ includeUsers: list, excludeUsers: list, includeGroups: list, excludeGroups: list, includeRoles: list, excludeRoles: list }).nullable().optional(),
    applications: z.object({ includeApplications: list, excludeApplications: list }).nullable().optional(),
  }),
  grantControls: z
    .object({
      operator: z.string().nullable().optional(),
      builtInControls: list,
      authenticationStrength: z.object({ displayName: z.string().nullable().optional() }).nullable().optional(),
    })
    .nullable()
    .optional(),
});

export const conditionalAccessCollector = defineCollector<GraphApi, MicrosoftGraphSettings, typeof conditionalAccessPolicyPayload>({
  id: 'conditional_access_policies',
  kind: 'entra.conditional_access_policy.v1',
  title: 'Conditional access policies',
  description: 'Every conditional access policy: state, whether it requires MFA, and which users, groups, roles and apps it includes or excludes.',
  subject: 'policy id',
  ttlHours: 36,
  payload: conditionalAccessPolicyPayload,
  async *collect({ client, clock }) {
    try {
      for await (const page of client.pages('/identity/conditionalAccess/policies', policy)) {
        for (const p of page.items) {
          const users = p.conditions.users;
          const controls = p.grantControls?.builtInControls ?? [];
          const strength = p.grantControls?.authenticationStrength?.displayName ?? null;
          yield {
            subject: p.id,
            requests: [page.request],
            payload: {
              id: p.id,
              displayName: p.displayName,
              state: p.state,
              requiresMfa: controls.includes('mfa') || strength !== null,
              blocks: controls.includes('block'),
              authenticationStrength: strength,
              grantOperator: p.grantControls?.operator ?? null,
              clientAppTypes: p.conditions.clientAppTypes ?? [],
              includeUsers: users?.includeUsers ?? [],
              excludeUsers: users?.excludeUsers ?? [],
              includeGroups: users?.includeGroups ?? [],
              excludeGroups: users?.excludeGroups ?? [],
              includeRoles: users?.includeRoles ?? [],
              excludeRoles: users?.excludeRoles ?? [],
              includeApplications: p.conditions.applications?.includeApplications ?? [],
              excludeApplications: p.conditions.applications?.excludeApplications ?? [],
            },
          };
        }
      }
    } catch (error) {
      if (!isLicenceError(error)) throw error;
      yield notAvailableRecord('conditional access', 'Microsoft Entra ID P1', error, clock.now().toISOString());
    }
  },
});
