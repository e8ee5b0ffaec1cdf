import { defineConnector } from '../../src/core/connector.js';
import { HttpStatusError } from '../../src/http/json-api.js';
import { findCause } from '../../src/core/errors.js';
import { JiraApi } from './client.js';
import { jiraSettingsSchema, type JiraSettings } from './settings.js';
import { changeTicketsCollector } from './change-tickets.js';
import { usersCollector } from './users.js';

/** Jira Cloud: change tickets with approval and deployment read from the changelog, and site users. */
export const jiraConnector = defineConnector<JiraSettings, JiraApi>({
  type: 'jira',
  title: 'Jira Cloud',
  description: 'Change tickets (approval and deployment from the changelog, emergency flag) and site users.',
  config: jiraSettingsSchema,
  http: { concurrency: 4 },
  permissions: [
    { grant: 'Project permission › Browse projects (on the change projects the JQL selects)', reason: 'change_tickets: issues and their changelogs' },
    { grant: 'Global permission › Browse users and groups', reason: 'users: site accounts and whether they are active' },
    { grant: 'OAuth 2.0 scopes read:jira-work, read:jira-user (when using bearerToken)', reason: 'the same reads with an OAuth app' },
  ],
  createClient: (settings, io) => JiraApi.create(settings, io),
  collectors: [changeTicketsCollector, usersCollector],
  classifyError(err) {
    const status = findCause(err, (e): e is HttpStatusError => e instanceof HttpStatusError);
    // Jira answers 400 to a JQL it cannot run (unknown project or field): a configuration problem.
    if (status?.status === 400) return { code: 'config', message: `Jira rejected the query: ${status.message}` };
    return undefined;
  },
});
