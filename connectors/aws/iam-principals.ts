import { GetAccountAuthorizationDetailsCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import { type AwsApi } from './client.js';
import { parseResponse as parse } from '../../src/http/json-api.js';
import { eachAccount, iso } from './scopes.js';
import { CollectError } from '../../src/core/errors.js';
import type { AwsSettings } from './settings.js';

const grantedPolicy = z.object({
  name: z.string().describe('Policy name (managed) or inline policy name.'),
  arn: z.string().nullable().describe('Managed policy ARN; null for inline policies.'),
  attachment: z.enum(['direct', 'group', 'inline', 'group_inline']).describe('How the principal gets it: attached directly, through a group, inline, or inline on a group.'),
  group: z.string().nullable().describe('The group it comes through, for `group` and `group_inline`.'),
  allowsAllActionsOnAllResources: z
    .boolean()
    .nullable()
    .describe('The policy document has an Allow statement for Action "*" (or "*:*") on Resource "*"; null for AWS managed policies, whose documents are not collected.'),
});

export const iamPrincipalPayload = z.object({
  account: z.string().describe('AWS account id.'),
  type: z.enum(['user', 'role']).describe('IAM user or role.'),
  name: z.string().describe('User or role name.'),
  arn: z.string().describe('ARN.'),
  createdAt: z.string().nullable().describe('When it was created (UTC).'),
  groups: z.array(z.string()).describe('Groups a user belongs to (empty for roles).'),
  policies: z.array(grantedPolicy).describe('Every policy that applies to it, directly, through groups and inline.'),
});

const attached = z.array(z.object({ PolicyName: z.string(), PolicyArn: z.string() })).default([]);
const inline = z.array(z.object({ PolicyName: z.string(), PolicyDocument: z.string().optional() })).default([]);
const page = z.object({
  UserDetailList: z
    .array(z.object({ UserName: z.string(), Arn: z.string(), CreateDate: z.date().optional(), GroupList: z.array(z.string()).default([]), AttachedManagedPolicies: attached, UserPolicyList: inline }))
    .default([]),
  GroupDetailList: z.array(z.object({ GroupName: z.string(), AttachedManagedPolicies: attached, GroupPolicyList: inline })).default([]),
  RoleDetailList: z
    .array(z.object({ RoleName: z.string(), Arn: z.string(), CreateDate: z.date().optional(), AttachedManagedPolicies: attached, RolePolicyList: inline }))
    .default([]),
  Policies: z
    .array(
      z.object({
        Arn: z.string(),
        DefaultVersionId: z.string().optional(),
        PolicyVersionList: z.array(z.object({ VersionId: z.string().optional(), IsDefaultVersion: z.boolean().optional(), Document: z.string().optional() })).default([]),
      }),
    )
    .default([]),
  IsTruncated: z.boolean().optional(),
  Marker: z.string().optional(),
});

const statement = z.object({
  Effect: z.string(),
  Action: z.union([z.string(), z.array(z.string())]).optional(),
  Resource: z.union([z.string(), z.array(z.string())]).optional(),
});

/**
 * Whether a policy document (URL-encoded JSON, as IAM returns it) allows every action on every
 * resource. A fact about the document; which principals that makes administrators is the check's call.
 */
export function allowsAllActionsOnAllResources(encoded: string | undefined): boolean {
  if (!encoded) return false;
  let document: unknown;
  try {
    document = JSON.parse(decodeURIComponent(encoded));
  } catch {
    // A document we cannot read is a malformed answer: reporting it as "not admin" would hide an administrator.
    throw new CollectError('invalid_payload', 'GetAccountAuthorizationDetails returned a policy document that is not URL-encoded JSON', {
      endpoint: 'iam:GetAccountAuthorizationDetails',
    });
  }
  const raw = (document as { Statement?: unknown } | null)?.Statement;
  const statements = Array.isArray(raw) ? raw : [raw];
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return statements.some((s) => {
    const parsed = statement.safeParse(s);
    if (!parsed.success || parsed.data.Effect !== 'Allow') return false;
    return list(parsed.data.Action).some((a) => a === '*' || a === '*:*') && list(parsed.data.Resource).includes('*');
  });
}

export const iamPrincipalsCollector = defineCollector<AwsApi, AwsSettings, typeof iamPrincipalPayload>({
  id: 'iam_principals',
  kind: 'aws.iam_principal.v1',
  title: 'IAM users and roles with every policy that applies to them',
  description:
    'Users and roles with policies attached directly, through groups and inline, and whether each document allows every action on every resource: from GetAccountAuthorizationDetails (1,000 items per page), not per-principal calls.',
  subject: 'account/user|role/name',
  ttlHours: 36,
  payload: iamPrincipalPayload,
  collect: (ctx) =>
    eachAccount(ctx, async function* (session) {
      // Users name their groups and customer-managed policies, which may come on later pages: read every page first.
      const pages: z.output<typeof page>[] = [];
      const requests: RequestRef[] = [];
      let marker: string | undefined;
      do {
        const { output, request } = await ctx.client.send<unknown>(
          session.iam,
          new GetAccountAuthorizationDetailsCommand({ Filter: ['User', 'Role', 'Group', 'LocalManagedPolicy'], MaxItems: 1000, ...(marker ? { Marker: marker } : {}) }),
          'GetAccountAuthorizationDetails',
        );
        const parsed = parse(page, output, 'IAM GetAccountAuthorizationDetails');
        pages.push(parsed);
        requests.push(request);
        marker = parsed.IsTruncated ? parsed.Marker : undefined;
      } while (marker);

      const customerPolicyAllowsAll = new Map<string, boolean>();
      for (const p of pages.flatMap((x) => x.Policies)) {
        const current = p.PolicyVersionList.find((v) => v.IsDefaultVersion || v.VersionId === p.DefaultVersionId);
        customerPolicyAllowsAll.set(p.Arn, allowsAllActionsOnAllResources(current?.Document));
      }
      const managed = (list: z.output<typeof attached>, attachment: 'direct' | 'group', group: string | null) =>
        list.map((a) => ({ name: a.PolicyName, arn: a.PolicyArn, attachment, group, allowsAllActionsOnAllResources: customerPolicyAllowsAll.get(a.PolicyArn) ?? null }));
      const inlined = (list: z.output<typeof inline>, attachment: 'inline' | 'group_inline', group: string | null) =>
        list.map((p) => ({ name: p.PolicyName, arn: null, attachment, group, allowsAllActionsOnAllResources: allowsAllActionsOnAllResources(p.PolicyDocument) }));
      const groups = new Map(pages.flatMap((x) => x.GroupDetailList).map((g) => [g.GroupName, g]));

      for (const user of pages.flatMap((x) => x.UserDetailList)) {
        const viaGroups = user.GroupList.flatMap((name) => {
          const group = groups.get(name);
          return group ? [...managed(group.AttachedManagedPolicies, 'group', name), ...inlined(group.GroupPolicyList, 'group_inline', name)] : [];
        });
        yield {
          subject: `${session.account}/user/${user.UserName}`,
          requests,
          payload: {
            account: session.account,
            type: 'user' as const,
            name: user.UserName,
            arn: user.Arn,
            createdAt: iso(user.CreateDate),
            groups: user.GroupList,
            policies: [...managed(user.AttachedManagedPolicies, 'direct', null), ...inlined(user.UserPolicyList, 'inline', null), ...viaGroups],
          },
        };
      }
      for (const role of pages.flatMap((x) => x.RoleDetailList)) {
        yield {
          subject: `${session.account}/role/${role.RoleName}`,
          requests,
          payload: {
            account: session.account,
            type: 'role' as const,
            name: role.RoleName,
            arn: role.Arn,
            createdAt: iso(role.CreateDate),
            groups: [],
            policies: [...managed(role.AttachedManagedPolicies, 'direct', null), ...inlined(role.RolePolicyList, 'inline', null)],
          },
        };
      }
    }),
});
