import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import { CollectError } from '../../src/core/errors.js';
import type { GitHubApi, Fetched } from './client.js';
import type { GitHubSettings } from './settings.js';
import { outsideCollaboratorAccessQuery, outsideCollaboratorAccessResponse, simpleUser } from './api-schemas.js';

export const outsideCollaboratorPayload = z.object({
  login: z.string().describe('GitHub login of the outside collaborator (not an organization member).'),
  id: z.number().nullable().describe('GitHub user id.'),
  repositories: z
    .array(
      z.object({
        repository: z.string().describe('owner/name of a repository the collaborator can access.'),
        permission: z.string().describe('Their permission on it: READ, TRIAGE, WRITE, MAINTAIN or ADMIN.'),
      }),
    )
    .describe('Every repository the collaborator has direct access to, sorted by name.'),
});

export const outsideCollaboratorsCollector = defineCollector<GitHubApi, GitHubSettings, typeof outsideCollaboratorPayload>({
  id: 'outside_collaborators',
  kind: 'github.outside_collaborator.v1',
  title: 'Outside collaborators and their repository access',
  description: 'People with repository access who are not organization members, with each repository and permission, for access review.',
  subject: 'collaborator login',
  ttlHours: 36,
  payload: outsideCollaboratorPayload,
  async *collect({ client }) {
    const people = new Map<string, { id: number | null; requests: RequestRef[] }>();
    for await (const page of client.paginate('GET /orgs/{org}/outside_collaborators', { org: client.org }, simpleUser)) {
      for (const user of page.items) people.set(user.login, { id: user.id, requests: [page.request] });
    }
    // Access per repository comes from GraphQL, 25 repositories per request instead of one call each.
    const access = new Map<string, { repository: string; permission: string }[]>();
    const accessRequests: RequestRef[] = [];
    let cursor: string | null = null;
    do {
      const fetched: Fetched<z.output<typeof outsideCollaboratorAccessResponse>> = await client.graphql(outsideCollaboratorAccessQuery, { org: client.org, cursor }, outsideCollaboratorAccessResponse);
        const { data, request } = fetched;
      if (!data.organization) throw new CollectError('not_found', `organization ${client.org} not found`, { endpoint: request.url });
      accessRequests.push(request);
      const repos = data.organization.repositories;
      for (const repo of repos.nodes) {
        if (!repo.collaborators) continue;
        if (repo.collaborators.totalCount > repo.collaborators.edges.length) {
          throw new CollectError('invalid_payload', `${repo.nameWithOwner} has ${repo.collaborators.totalCount} outside collaborators, more than one page (100); refusing to record a partial list`);
        }
        for (const edge of repo.collaborators.edges) {
          const list = access.get(edge.node.login) ?? [];
          list.push({ repository: repo.nameWithOwner, permission: edge.permission });
          access.set(edge.node.login, list);
          if (!people.has(edge.node.login)) people.set(edge.node.login, { id: edge.node.databaseId, requests: [] });
        }
      }
      cursor = repos.pageInfo.hasNextPage ? repos.pageInfo.endCursor : null;
    } while (cursor);
    for (const [login, person] of [...people].sort(([a], [b]) => a.localeCompare(b))) {
      yield {
        subject: login,
        requests: [...person.requests, ...accessRequests],
        payload: {
          login,
          id: person.id,
          repositories: (access.get(login) ?? []).sort((a, b) => a.repository.localeCompare(b.repository)),
        },
      };
    }
  },
});
