import { z } from 'zod';
import { defineCollector } from '../../src/core/connector.js';
import type { GitHubApi } from './client.js';
import type { GitHubSettings } from './settings.js';
import { organization } from './api-schemas.js';

export const orgSettingsPayload = z.object({
  org: z.string().describe('Organization login.'),
  name: z.string().nullable().describe('Display name.'),
  twoFactorRequirementEnabled: z
    .boolean()
    .nullable()
    .describe('Whether members must enable 2FA; null when the token cannot see it (only owners can).'),
  defaultRepositoryPermission: z.string().nullable().describe('Base permission every member gets on every repository (none, read, write, admin).'),
  membersCanCreateRepositories: z.boolean().nullable().describe('Whether non-owners can create repositories.'),
  membersCanCreatePublicRepositories: z.boolean().nullable().describe('Whether non-owners can create public repositories.'),
  webCommitSignoffRequired: z.boolean().nullable().describe('Whether commits made in the web UI must be signed off.'),
  plan: z.string().nullable().describe('GitHub plan name; null when not visible.'),
});

export const orgSettingsCollector = defineCollector<GitHubApi, GitHubSettings, typeof orgSettingsPayload>({
  id: 'org_settings',
  kind: 'github.org_settings.v1',
  title: 'Organization security settings',
  description: '2FA requirement, base repository permission and repository-creation policy of the organization.',
  subject: 'organization login',
  ttlHours: 36,
  payload: orgSettingsPayload,
  async *collect({ client }) {
    const { data, request } = await client.get('GET /orgs/{org}', { org: client.org }, organization);
    yield {
      subject: data.login,
      requests: [request],
      payload: {
        org: data.login,
        name: data.name ?? null,
        twoFactorRequirementEnabled: data.two_factor_requirement_enabled ?? null,
        defaultRepositoryPermission: data.default_repository_permission ?? null,
        membersCanCreateRepositories: data.members_can_create_repositories ?? null,
        membersCanCreatePublicRepositories: data.members_can_create_public_repositories ?? null,
        webCommitSignoffRequired: data.web_commit_signoff_required ?? null,
        plan: data.plan?.name ?? null,
      },
    };
  },
});
