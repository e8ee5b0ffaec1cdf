import { z } from 'zod';
import { defineCollector } from '../../src/core/connector.js';
import type { JiraApi } from './client.js';
import type { JiraSettings } from './settings.js';

export const jiraUserPayload = z.object({
  accountId: z.string().describe('Atlassian account id.'),
  accountType: z.string().describe('atlassian (a person), app (a bot or integration) or customer (service desk).'),
  displayName: z.string().nullable().describe('Display name.'),
  email: z.string().nullable().describe('Email, when visible to the token (managed accounts of a verified domain show it).'),
  active: z.boolean().describe('Whether the account can sign in to the site.'),
});

export const usersCollector = defineCollector<JiraApi, JiraSettings, typeof jiraUserPayload>({
  id: 'users',
  kind: 'jira.user.v1',
  title: 'Jira site users',
  description: 'Every account of the site with its type and whether it is active: who can still sign in, for joiner and leaver checks.',
  subject: 'account id',
  ttlHours: 36,
  payload: jiraUserPayload,
  async *collect({ client }) {
    for await (const page of client.users()) {
      for (const user of page.data) {
        yield {
          subject: user.accountId,
          requests: [page.request],
          payload: {
            accountId: user.accountId,
            accountType: user.accountType,
            displayName: user.displayName ?? null,
            email: user.emailAddress ?? null,
            active: user.active,
          },
        };
      }
    }
  },
});
