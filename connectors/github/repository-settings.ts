import { z } from 'zod';
import { defineCollector } from '../../src/core/connector.js';
import type { GitHubApi } from './client.js';
import type { GitHubSettings } from './settings.js';

export const repositorySettingsPayload = z.object({
  repository: z.string().describe('owner/name.'),
  archived: z.boolean().describe('Archived repositories are read-only and no longer scanned.'),
  visibility: z.string().describe('PRIVATE, INTERNAL or PUBLIC.'),
  vulnerabilityAlertsEnabled: z
    .boolean()
    .describe('Dependabot alerts are on (GraphQL `hasVulnerabilityAlertsEnabled`). When off, the organization alert list cannot show this repository at all.'),
});

export const repositorySettingsCollector = defineCollector<GitHubApi, GitHubSettings, typeof repositorySettingsPayload>({
  id: 'repository_settings',
  kind: 'github.repository_settings.v1',
  title: 'Repository security settings',
  description: 'For every repository, whether Dependabot alerts are enabled: a repository that does not scan cannot appear among the alerts.',
  subject: 'repository owner/name',
  ttlHours: 36,
  payload: repositorySettingsPayload,
  async *collect({ client }) {
    // The repository pages are shared with branch protection and merged pull requests: no extra request.
    for await (const page of client.repositoryListing().read()) {
      for (const repo of page.items) {
        yield {
          subject: repo.nameWithOwner,
          requests: [page.request],
          payload: { repository: repo.nameWithOwner, archived: repo.isArchived, visibility: repo.visibility, vulnerabilityAlertsEnabled: repo.hasVulnerabilityAlertsEnabled },
        };
      }
    }
  },
});
