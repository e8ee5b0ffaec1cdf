import { z } from 'zod';
import { secretRef } from '../../src/config/secret-ref.js';
import type { Secret } from '../../src/core/secret.js';

/** The Reporting API base URL of each KnowBe4 region. */
export const knowbe4RegionUrls = {
  us: 'https://us.api.knowbe4.com',
  eu: 'https://eu.api.knowbe4.com',
  ca: 'https://ca.api.knowbe4.com',
  uk: 'https://uk.api.knowbe4.com',
  de: 'https://de.api.knowbe4.com',
} as const;

/** Config keys of a `type: knowbe4` connector instance. */
export const knowbe4SettingsSchema = z.strictObject({
  region: z.enum(['us', 'eu', 'ca', 'uk', 'de']).describe('Where the KnowBe4 account is hosted (the API base URL follows from it).'),
  token: secretRef('Reporting API token (Account Settings › API › Reporting API).'),
  baseUrl: z.url({ message: 'expected an http(s) URL' }).optional().describe('Overrides the regional base URL (a proxy or a test server).'),
});

/** Validated settings with the token resolved. */
export type KnowBe4Settings = Omit<z.output<typeof knowbe4SettingsSchema>, 'token'> & { token: Secret };
