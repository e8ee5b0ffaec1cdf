import { defineConnector } from '../../src/core/connector.js';
import { KnowBe4Api } from './client.js';
import { knowbe4SettingsSchema, type KnowBe4Settings } from './settings.js';
import { campaignsCollector, enrollmentsCollector, phishingTestsCollector, usersCollector } from './collectors.js';

/** KnowBe4 Reporting API: users, training campaigns and enrollments, phishing security tests. */
export const knowbe4Connector = defineConnector<KnowBe4Settings, KnowBe4Api>({
  type: 'knowbe4',
  title: 'KnowBe4',
  description: 'Security awareness training: users, campaigns, enrollments with completion and due dates, and phishing test results.',
  config: knowbe4SettingsSchema,
  // The Reporting API allows 4 requests per second with short bursts.
  http: { concurrency: 2 },
  permissions: [
    { grant: 'Reporting API token (read-only by design; created by an account admin under Account Settings › API)', reason: 'every collector: users, training campaigns and enrollments, phishing security tests' },
  ],
  createClient: (settings, io) => KnowBe4Api.create(settings, io),
  collectors: [usersCollector, campaignsCollector, enrollmentsCollector, phishingTestsCollector],
});
