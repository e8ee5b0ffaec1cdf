import { z } from 'zod';
import { defineCollector } from '../../src/core/connector.js';
import { isLicenceError, type GraphApi } from './client.js';
import { notAvailablePayload, notAvailableRecord } from './availability.js';
import type { MicrosoftGraphSettings } from './settings.js';

export const mfaRegistrationPayload = z.union([
  z.object({
    id: z.string().describe('Entra ID object id of the user.'),
    userPrincipalName: z.string().describe('Sign-in name (UPN).'),
    userType: z.string().nullable().describe('`member` or `guest`.'),
    isAdmin: z.boolean().describe('Whether the user holds an admin role (as the registration report sees it).'),
    isMfaRegistered: z.boolean().describe('Whether the user has registered a strong authentication method for MFA.'),
    isMfaCapable: z.boolean().describe('Registered and allowed by policy to use MFA.'),
    methodsRegistered: z.array(z.string()).describe('Authentication methods registered (microsoftAuthenticatorPush, fido2, …).'),
    defaultMfaMethod: z.string().nullable().describe('The method used by default for MFA.'),
    lastUpdatedDateTime: z.string().nullable().describe('When the report last refreshed this row.'),
  }),
  notAvailablePayload,
]);

const registration = z.object({
  id: z.string(),
  userPrincipalName: z.string(),
  userType: z.string().nullable().optional(),
  isAdmin: z.boolean(),
  isMfaRegistered: z.boolean(),
  isMfaCapable: z.boolean(),
  methodsRegistered: z.array(z.string()),
  defaultMfaMethod: z.string().nullable().optional(),
  lastUpdatedDateTime: z.string().nullable().optional(),
});

export const mfaRegistrationCollector = defineCollector<GraphApi, MicrosoftGraphSettings, typeof mfaRegistrationPayload>({
  id: 'mfa_registration',
  kind: 'entra.mfa_registration.v1',
  title: 'MFA registration of every user',
  description: 'The authentication-methods registration report for every user in bulk (999 per request, never per user).',
  subject: 'user principal name',
  ttlHours: 36,
  payload: mfaRegistrationPayload,
  async *collect({ client, clock }) {
    try {
      for await (const page of client.pages('/reports/authenticationMethods/userRegistrationDetails?$top=999', registration)) {
        for (const r of page.items) {
          yield {
            subject: r.userPrincipalName,
            requests: [page.request],
            payload: {
              id: r.id,
              userPrincipalName: r.userPrincipalName,
              userType: r.userType ?? null,
              isAdmin: r.isAdmin,
              isMfaRegistered: r.isMfaRegistered,
              isMfaCapable: r.isMfaCapable,
              methodsRegistered: r.methodsRegistered,
              defaultMfaMethod: r.defaultMfaMethod ?? null,
              lastUpdatedDateTime: r.lastUpdatedDateTime ?? null,
            },
          };
        }
      }
    } catch (error) {
      if (!isLicenceError(error)) throw error;
      yield notAvailableRecord('authentication methods registration report', 'Microsoft Entra ID P1 or P2', error, clock.now().toISOString());
    }
  },
});
