import { z } from 'zod';
import { secretRef } from '../../src/config/secret-ref.js';
import type { Secret } from '../../src/core/secret.js';

/**
 * Microsoft's national clouds: where to sign in and where Graph lives. The token is requested for
 * `<graph host>/.default` and sent only to that host (or a declared `graphBaseUrl` host).
 */
export const graphClouds = {
  global: { authorityHost: 'https://login.microsoftonline.com', graphHost: 'https://graph.microsoft.com' },
  usgov: { authorityHost: 'https://login.microsoftonline.us', graphHost: 'https://graph.microsoft.us' },
  china: { authorityHost: 'https://login.chinacloudapi.cn', graphHost: 'https://microsoftgraph.chinacloudapi.cn' },
} as const;

const httpsUrl = z.url({ protocol: /^https$/, message: 'expected an https URL' });

/** Config keys of a `type: microsoft-graph` connector instance. */
export const microsoftGraphSettingsSchema = z
  .strictObject({
    tenantId: z.string().min(1).describe('Directory (tenant) id or primary domain of the Entra ID tenant.'),
    clientId: z.string().min(1).describe('Application (client) id of the app registration with the read-only Graph application permissions.'),
    clientSecret: secretRef('Client secret of the app registration.').optional(),
    clientCertificate: secretRef('PEM file holding the app certificate and its private key (preferred over a secret).').optional(),
    cloud: z.enum(['global', 'usgov', 'china']).default('global').describe('National cloud: global, usgov (GCC High) or china (21Vianet).'),
    authorityHost: httpsUrl.optional().describe('Sign-in host other than the cloud\'s (a private cloud or a test server).'),
    graphBaseUrl: httpsUrl
      .optional()
      .describe('Graph endpoint other than the cloud\'s; its host is declared to the Graph client as the only other host that receives the token.'),
    signInActivity: z
      .boolean()
      .default(true)
      .describe('Ask for users\' last sign-in (needs Entra ID P1/P2 and AuditLog.Read.All); without the licence it is recorded as not available.'),
  })
  .refine((s) => (s.clientSecret === undefined) !== (s.clientCertificate === undefined), {
    message: 'expected exactly one of clientSecret or clientCertificate',
    path: ['clientSecret'],
  });

/** Validated settings with secrets resolved. */
export type MicrosoftGraphSettings = Omit<z.output<typeof microsoftGraphSettingsSchema>, 'clientSecret' | 'clientCertificate'> & {
  clientSecret?: Secret | undefined;
  clientCertificate?: Secret | undefined;
};
