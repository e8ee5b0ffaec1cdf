import { z } from 'zod';
import { secretRef } from '../../src/config/secret-ref.js';
import type { Secret } from '../../src/core/secret.js';

/** Config keys of a `type: google-workspace` connector instance. */
export const googleWorkspaceSettingsSchema = z.strictObject({
  customerId: z.string().min(1).default('my_customer').describe('Customer id (`my_customer` is the admin\'s own account).'),
  adminEmail: z.email({ message: 'expected the email of the admin the service account impersonates' }).describe('Admin user the service account impersonates (domain-wide delegation).'),
  serviceAccountKey: secretRef('Service account JSON key (with domain-wide delegation for the read-only scopes).'),
  loginEvents: z
    .strictObject({
      lookbackDays: z.number().int().min(1).max(180).default(30).describe('Login audit events are collected for this many days back (the Reports API keeps 180).'),
    })
    .default({ lookbackDays: 30 }),
  rootUrl: z
    .url({ message: 'expected an http(s) URL such as https://admin.googleapis.com/' })
    .optional()
    .describe('API root other than https://admin.googleapis.com/ (a test server).'),
});

/** Validated settings with the key resolved. */
export type GoogleWorkspaceSettings = Omit<z.output<typeof googleWorkspaceSettingsSchema>, 'serviceAccountKey'> & { serviceAccountKey: Secret };

/** The read-only scopes the service account is granted in the Admin console (domain-wide delegation). */
export const googleScopes = [
  'https://www.googleapis.com/auth/admin.directory.user.readonly',
  'https://www.googleapis.com/auth/admin.directory.rolemanagement.readonly',
  'https://www.googleapis.com/auth/admin.reports.audit.readonly',
] as const;
