import type { admin_directory_v1 } from '@googleapis/admin';
import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import type { GoogleAdminApi } from './client.js';
import type { GoogleWorkspaceSettings } from './settings.js';

export const googleRoleAssignmentPayload = z.object({
  roleAssignmentId: z.string().describe('Role assignment id.'),
  roleId: z.string().describe('Role id.'),
  roleName: z.string().describe('Role name (`_SEED_ADMIN_ROLE` is Super Admin).'),
  isSuperAdminRole: z.boolean().describe('Whether the role is the super administrator role.'),
  assignedTo: z.string().describe('User id (or group / service account id) holding the role.'),
  assigneeType: z.string().nullable().describe('`user` or `group`.'),
  scopeType: z.string().describe('`CUSTOMER` (whole account) or `ORG_UNIT`.'),
  orgUnitId: z.string().nullable().describe('The organizational unit an ORG_UNIT-scoped assignment covers.'),
});

const role = z.object({ roleId: z.string(), roleName: z.string(), isSuperAdminRole: z.boolean().optional(), isSystemRole: z.boolean().optional() });
const assignment = z.object({
  roleAssignmentId: z.string(),
  roleId: z.string(),
  assignedTo: z.string(),
  assigneeType: z.string().nullable().optional(),
  scopeType: z.string(),
  orgUnitId: z.string().nullable().optional(),
});

export const googleRoleAssignmentsCollector = defineCollector<GoogleAdminApi, GoogleWorkspaceSettings, typeof googleRoleAssignmentPayload>({
  id: 'admin_role_assignments',
  kind: 'google.admin_role_assignment.v1',
  title: 'Admin role assignments',
  description: 'Every admin role assignment with the role resolved (super admin or delegated), 100 roles and 200 assignments per request.',
  subject: 'role:assignee id',
  ttlHours: 36,
  payload: googleRoleAssignmentPayload,
  async *collect({ client }) {
    const roles = new Map<string, z.output<typeof role>>();
    const roleRequests: RequestRef[] = [];
    const listRoles = (params: admin_directory_v1.Params$Resource$Roles$List) => client.directory.roles.list(params);
    for await (const page of client.pages(listRoles, { customer: client.customerId, maxResults: 100 }, 'items', role)) {
      roleRequests.push(page.request);
      for (const r of page.items) roles.set(r.roleId, r);
    }
    const listAssignments = (params: admin_directory_v1.Params$Resource$Roleassignments$List) => client.directory.roleAssignments.list(params);
    for await (const page of client.pages(listAssignments, { customer: client.customerId, maxResults: 200 }, 'items', assignment)) {
      for (const a of page.items) {
        const r = roles.get(a.roleId);
        const roleName = r?.roleName ?? a.roleId;
        yield {
          subject: `${roleName}:${a.assignedTo}`,
          requests: [page.request, ...roleRequests],
          payload: {
            roleAssignmentId: a.roleAssignmentId,
            roleId: a.roleId,
            roleName,
            isSuperAdminRole: r?.isSuperAdminRole ?? false,
            assignedTo: a.assignedTo,
            assigneeType: a.assigneeType ?? null,
            scopeType: a.scopeType,
            orgUnitId: a.orgUnitId ?? null,
          },
        };
      }
    }
  },
});
