import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import type { GitHubApi } from './client.js';
import type { GitHubSettings } from './settings.js';
import { simpleUser } from './api-schemas.js';

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
});

export const membersCollector = defineCollector<GitHubApi, GitHubSettings, typeof memberPayload>({
  id: 'members',
  kind: 'github.member.v1',
  title: 'Organization members, roles and 2FA status',
  description: 'Every member with role (owner or member) and whether two-factor authentication is enabled.',
  subject: 'member login',
  ttlHours: 36,
  payload: memberPayload,
  async *collect({ client, logger }) {
    // 2FA first: absence from the 2fa_disabled list only means "enabled" when the list was visible.
    const disabled = new Set<number>();
    const twoFactorRequests: RequestRef[] = [];
    let notVisibleReason: string | null = null;
    try {
      for await (const page of client.paginate('GET /orgs/{org}/members', { org: client.org, filter: '2fa_disabled' }, simpleUser)) {
        twoFactorRequests.push(page.request);
        for (const user of page.items) disabled.add(user.id);
      }
    } catch (error) {
      const status = (error as { status?: number }).status;
      // Only owners may use the filter: GitHub answers 403 or 422 to everyone else.
      if (status !== 403 && status !== 422) throw error;
      notVisibleReason = `HTTP ${status} from filter=2fa_disabled: only organization owners can see member 2FA status`;
      logger.warn({ org: client.org }, 'member 2FA status is not visible to this token; recording it as not visible');
    }
    for (const role of ['admin', 'member'] as const) {
      for await (const page of client.paginate('GET /orgs/{org}/members', { org: client.org, role }, simpleUser)) {
        const requests = [page.request, ...twoFactorRequests];
        for (const user of page.items) {
          yield {
            subject: user.login,
            requests,
            payload: {
              login: user.login,
              id: user.id,
              role,
              twoFactorEnabled: notVisibleReason ? null : !disabled.has(user.id),
              twoFactorVisibility: notVisibleReason ? 'not_visible' : 'visible',
              twoFactorNotVisibleReason: notVisibleReason,
            },
          };
        }
      }
    }
  },
});
