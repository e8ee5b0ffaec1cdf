import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import { isLicenceError, type GraphApi } from './client.js';
import { notAvailablePayload, notAvailableRecord } from './availability.js';
import type { MicrosoftGraphSettings } from './settings.js';

/**
 * Built-in roles Microsoft marks as privileged (they can change identities, authentication,
 * security settings or every resource), by role template id.
 */
export const privilegedRoleTemplateIds: ReadonlySet<string> = new Set([
  '62e90394-69f5-4237-9190-012177145e10', // Global Administrator
  'e8611ab8-c189-46e8-94e1-60213ab1f814', // Privileged Role Administrator
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13', // Privileged Authentication Administrator
  '194ae4cb-b126-40b2-bd5b-6091b380977d', // Security Administrator
  'fe930be7-5e62-47db-91af-98c3a49a38b1', // User Administrator
  '729827e3-9c14-49f7-bb1b-9608f156bbb8', // Helpdesk Administrator
  'c4e39bd9-1100-46d3-8c65-fb160da0071f', // Authentication Administrator
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', // Application Administrator
  '158c047a-c907-4556-b7ef-446551a6b5f7', // Cloud Application Administrator
  'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9', // Conditional Access Administrator
  '29232cdf-9323-42fd-ade2-1d097af3e4de', // Exchange Administrator
  'f28a1f50-f6e7-4571-818b-6a12f2af6b6c', // SharePoint Administrator
  '3a2c62db-5318-420d-8d74-23affee5d9d5', // Intune Administrator
  'b0f54661-2d74-4c50-afa3-1ec803f12efe', // Billing Administrator
  '8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2', // Hybrid Identity Administrator
]);

export const roleAssignmentPayload = z.union([
  z.object({
    assignmentType: z.enum(['active', 'eligible']).describe('`active` (assigned now) or `eligible` (PIM: can activate on demand).'),
    roleDefinitionId: z.string().describe('Role definition (template) id.'),
    roleName: z.string().describe('Role display name.'),
    privileged: z.boolean().describe('Whether the role is one Microsoft marks as privileged.'),
    principalId: z.string().describe('Object id of the user, group or service principal holding the role.'),
    principalType: z.enum(['user', 'group', 'servicePrincipal', 'unknown']).describe('What kind of principal holds the role.'),
    principalName: z.string().describe('UPN of a user, else the display name.'),
    directoryScopeId: z.string().describe('Scope of the assignment (`/` is the whole tenant).'),
    startDateTime: z.string().nullable().describe('PIM eligibility start.'),
    endDateTime: z.string().nullable().describe('PIM eligibility end (null: permanent).'),
  }),
  notAvailablePayload,
]);
type RoleAssignment = Exclude<z.output<typeof roleAssignmentPayload>, { availability: 'not_available' }>;

const roleDefinition = z.object({ id: z.string(), displayName: z.string(), templateId: z.string().nullable().optional() });
const grant = z.object({
  id: z.string(),
  roleDefinitionId: z.string(),
  principalId: z.string(),
  directoryScopeId: z.string().nullable().optional(),
  startDateTime: z.string().nullable().optional(),
  endDateTime: z.string().nullable().optional(),
  principal: z
    .object({ '@odata.type': z.string().optional(), displayName: z.string().nullable().optional(), userPrincipalName: z.string().nullable().optional() })
    .nullable()
    .optional(),
});

function principalType(odataType: string | undefined): RoleAssignment['principalType'] {
  if (odataType === '#microsoft.graph.user') return 'user';
  if (odataType === '#microsoft.graph.group') return 'group';
  if (odataType === '#microsoft.graph.servicePrincipal') return 'servicePrincipal';
  return 'unknown';
}

export const roleAssignmentsCollector = defineCollector<GraphApi, MicrosoftGraphSettings, typeof roleAssignmentPayload>({
  id: 'directory_role_assignments',
  kind: 'entra.directory_role_assignment.v1',
  title: 'Directory role assignments, active and PIM-eligible',
  description: 'Who holds which directory role, active now or eligible through Privileged Identity Management, with the principal resolved.',
  subject: 'role:principal:active|eligible',
  ttlHours: 36,
  payload: roleAssignmentPayload,
  async *collect({ client, clock }) {
    const definitions = new Map<string, { name: string; templateId: string }>();
    const definitionRequests: RequestRef[] = [];
    for await (const page of client.pages('/roleManagement/directory/roleDefinitions?$select=id,displayName,templateId', roleDefinition)) {
      definitionRequests.push(page.request);
      for (const d of page.items) definitions.set(d.id, { name: d.displayName, templateId: d.templateId ?? d.id });
    }
    const sources = [
      { type: 'active' as const, path: '/roleManagement/directory/roleAssignments?$expand=principal' },
      { type: 'eligible' as const, path: '/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal' },
    ];
    for (const source of sources) {
      try {
        for await (const page of client.pages(source.path, grant)) {
          for (const g of page.items) {
            const definition = definitions.get(g.roleDefinitionId);
            const roleName = definition?.name ?? g.roleDefinitionId;
            const principalName = g.principal?.userPrincipalName ?? g.principal?.displayName ?? g.principalId;
            yield {
              subject: `${roleName}:${principalName}:${source.type}`,
              requests: [page.request, ...definitionRequests],
              payload: {
                assignmentType: source.type,
                roleDefinitionId: g.roleDefinitionId,
                roleName,
                privileged: privilegedRoleTemplateIds.has(definition?.templateId ?? g.roleDefinitionId),
                principalId: g.principalId,
                principalType: principalType(g.principal?.['@odata.type']),
                principalName,
                directoryScopeId: g.directoryScopeId ?? '/',
                startDateTime: g.startDateTime ?? null,
                endDateTime: g.endDateTime ?? null,
              },
            };
          }
        }
      } catch (error) {
        // Active assignments need no licence; PIM eligibility needs P2.
        if (source.type !== 'eligible' || !isLicenceError(error)) throw error;
        yield notAvailableRecord('PIM eligible role assignments', 'Microsoft Entra ID P2', error, clock.now().toISOString());
      }
    }
  },
});
