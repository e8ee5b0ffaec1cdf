import { z } from 'zod';
import { defineCollector } from '../../src/core/connector.js';
import { isLicenceError, type GraphApi } from './client.js';
import type { MicrosoftGraphSettings } from './settings.js';

export const entraUserPayload = z.object({
  id: z.string().describe('Entra ID object id (stable across renames).'),
  userPrincipalName: z.string().describe('Sign-in name (UPN); guests have `name_domain#EXT#@tenant.onmicrosoft.com`.'),
  displayName: z.string().nullable().describe('Display name.'),
  mail: z.string().nullable().describe('Primary SMTP address; for guests, their own address.'),
  userType: z.string().nullable().describe('`Member` or `Guest`.'),
  accountEnabled: z.boolean().nullable().describe('Whether the account can sign in.'),
  createdDateTime: z.string().nullable().describe('When the account was created (ISO-8601).'),
  lastSignInDateTime: z
    .string()
    .nullable()
    .describe('Last interactive sign-in (signInActivity); null for never, or when sign-in activity is not available.'),
  signInActivity: z
    .enum(['visible', 'not_available'])
    .describe('Whether sign-in activity could be read: it needs Entra ID P1/P2 and AuditLog.Read.All; `not_available` is never read as "never signed in".'),
  signInActivityNote: z.string().nullable().describe("Why sign-in activity is not available (Graph's answer)."),
});

const graphUser = z.object({
  id: z.string(),
  userPrincipalName: z.string(),
  displayName: z.string().nullable().optional(),
  mail: z.string().nullable().optional(),
  userType: z.string().nullable().optional(),
  accountEnabled: z.boolean().nullable().optional(),
  createdDateTime: z.string().nullable().optional(),
  signInActivity: z.object({ lastSignInDateTime: z.string().nullable().optional() }).nullable().optional(),
});

const select = 'id,userPrincipalName,displayName,mail,userType,accountEnabled,createdDateTime';

export const usersCollector = defineCollector<GraphApi, MicrosoftGraphSettings, typeof entraUserPayload>({
  id: 'users',
  kind: 'entra.user.v1',
  title: 'Users: enabled, member or guest, created, last sign-in',
  description: 'Every user (members and guests) with account state, creation date and last interactive sign-in, 500 per request (999 without sign-in activity).',
  subject: 'user principal name',
  ttlHours: 36,
  payload: entraUserPayload,
  async *collect({ client, config, logger }) {
    let note: string | null = config.signInActivity ? null : 'not requested: signInActivity is false in the connector config';
    let withSignIn = config.signInActivity;
    let emitted = 0;
    for (;;) {
      try {
        // Graph's page maximum is 999 users, but 500 when signInActivity is selected.
        const path = withSignIn ? `/users?$top=500&$select=${select},signInActivity` : `/users?$top=999&$select=${select}`;
        for await (const page of client.pages(path, graphUser)) {
          for (const u of page.items) {
            emitted += 1;
            yield {
              subject: u.userPrincipalName,
              requests: [page.request],
              payload: {
                id: u.id,
                userPrincipalName: u.userPrincipalName,
                displayName: u.displayName ?? null,
                mail: u.mail ?? null,
                userType: u.userType ?? null,
                accountEnabled: u.accountEnabled ?? null,
                createdDateTime: u.createdDateTime ?? null,
                lastSignInDateTime: withSignIn ? (u.signInActivity?.lastSignInDateTime ?? null) : null,
                signInActivity: withSignIn ? 'visible' : 'not_available',
                signInActivityNote: note,
              },
            };
          }
        }
        return;
      } catch (error) {
        // Graph refuses the whole listing when signInActivity is selected without a premium licence:
        // list again without it and say so on every record (before any record was emitted).
        if (!withSignIn || emitted > 0 || !isLicenceError(error)) throw error;
        withSignIn = false;
        note = `not available: HTTP ${error.status} ${error.graphCode}: ${error.graphMessage}`;
        logger.warn({ code: error.graphCode }, 'sign-in activity is not available in this tenant (Entra ID P1/P2 needed); collecting users without it');
      }
    }
  },
});
