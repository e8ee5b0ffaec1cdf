import { z } from 'zod';
import { defineCollector } from '../../src/core/connector.js';
import type { GitHubApi } from './client.js';
import type { GitHubSettings } from './settings.js';
import { simpleUser } from './api-schemas.js';
import { twoFactorListing } from './two-factor.js';

export const memberPayload = z.object({
  login: z.string().describe('GitHub login.'),
  id: z.number().describe('GitHub user id (stable across login renames).'),
  role: z.enum(['admin', 'member']).describe('Organization role: admin means organization owner.'),
  twoFactorEnabled: z
    .boolean()
    .nullable()
    .describe('2FA status from the owners-only `filter=2fa_disabled` listing; null when the token could not see it (never guessed).'),
  twoFactorVisibility: z
    .enum(['visible', 'not_visible'])
    .describe('Whether 2FA status was visible to the token; `not_visible` comes with the HTTP status GitHub answered.'),
  twoFactorNotVisibleReason: z.string().nullable().describe('Why 2FA status was not visible (for example "HTTP 403 from filter=2fa_disabled").'),
  twoFactorInsecure: z
    .boolean()
    .nullable()
    .describe('True when the member\'s second factor is SMS (owners-only `filter=2fa_insecure` listing); null when the token could not see it.'),
  twoFactorInsecureNotVisibleReason: z.string().nullable().describe('Why the 2FA method was not visible (for example "HTTP 422 from filter=2fa_insecure").'),
});

export const membersCollector = defineCollector<GitHubApi, GitHubSettings, typeof memberPayload>({
  id: 'members',
  kind: 'github.member.v1',
  title: 'Organization members, roles and 2FA status',
  description: 'Every member with role (owner or member), whether two-factor authentication is enabled and whether its method is SMS.',
  subject: 'member login',
  ttlHours: 36,
  payload: memberPayload,
  async *collect({ client, logger }) {
    const disabled = await twoFactorListing(client, 'GET /orgs/{org}/members', '2fa_disabled', logger);
    const insecure = await twoFactorListing(client, 'GET /orgs/{org}/members', '2fa_insecure', logger);
    for (const role of ['admin', 'member'] as const) {
      for await (const page of client.paginate('GET /orgs/{org}/members', { org: client.org, role }, simpleUser)) {
        const requests = [page.request, ...disabled.requests, ...insecure.requests];
        for (const user of page.items) {
          yield {
            subject: user.login,
            requests,
            payload: {
              login: user.login,
              id: user.id,
              role,
              twoFactorEnabled: disabled.notVisibleReason ? null : !disabled.ids.has(user.id),
              twoFactorVisibility: disabled.notVisibleReason ? 'not_visible' : 'visible',
              twoFactorNotVisibleReason: disabled.notVisibleReason,
              twoFactorInsecure: insecure.notVisibleReason ? null : insecure.ids.has(user.id),
              twoFactorInsecureNotVisibleReason: insecure.notVisibleReason,
            },
          };
        }
      }
    }
  },
});
