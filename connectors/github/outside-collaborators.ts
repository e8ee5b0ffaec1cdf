import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import { CollectError } from '../../src/core/errors.js';
import type { GitHubApi, Fetched } from './client.js';
import type { GitHubSettings } from './settings.js';
import {
  moreOutsideCollaboratorsQuery,
  moreOutsideCollaboratorsResponse,
  outsideCollaboratorAccessQuery,
  outsideCollaboratorAccessResponse,
  simpleUser,
  type CollaboratorConnection,
} from './api-schemas.js';
import { twoFactorListing } from './two-factor.js';

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
  twoFactorEnabled: z
    .boolean()
    .nullable()
    .describe('2FA status from the owners-only `filter=2fa_disabled` listing; null when the token could not see it (never guessed).'),
  twoFactorNotVisibleReason: z.string().nullable().describe('Why 2FA status was not visible (for example "HTTP 403 from filter=2fa_disabled").'),
});

export const outsideCollaboratorsCollector = defineCollector<GitHubApi, GitHubSettings, typeof outsideCollaboratorPayload>({
  id: 'outside_collaborators',
  kind: 'github.outside_collaborator.v1',
  title: 'Outside collaborators, their repository access and 2FA status',
  description: 'People with repository access who are not organization members, with each repository and permission, for access review, and whether they have 2FA enabled.',
  subject: 'collaborator login',
  ttlHours: 36,
  payload: outsideCollaboratorPayload,
  async *collect({ client, logger }) {
    const people = new Map<string, { id: number | null; requests: RequestRef[] }>();
    for await (const page of client.paginate('GET /orgs/{org}/outside_collaborators', { org: client.org }, simpleUser)) {
      for (const user of page.items) people.set(user.login, { id: user.id, requests: [page.request] });
    }
    const without2fa = await twoFactorListing(client, 'GET /orgs/{org}/outside_collaborators', '2fa_disabled', logger);
    // Access per repository comes from GraphQL, 100 repositories per request instead of one call each;
    // a repository with more than 100 outside collaborators is paged on its own.
    const access = new Map<string, { repository: string; permission: string }[]>();
    const accessRequests: RequestRef[] = [];
    const record = (repository: string, connection: CollaboratorConnection) => {
      for (const edge of connection.edges) {
        const list = access.get(edge.node.login) ?? [];
        list.push({ repository, permission: edge.permission });
        access.set(edge.node.login, list);
        if (!people.has(edge.node.login)) people.set(edge.node.login, { id: edge.node.databaseId, requests: [] });
      }
    };
    let cursor: string | null = null;
    do {
      const fetched: Fetched<z.output<typeof outsideCollaboratorAccessResponse>> = await client.graphql(outsideCollaboratorAccessQuery, { org: client.org, cursor }, outsideCollaboratorAccessResponse);
      const { data, request } = fetched;
      if (!data.organization) throw new CollectError('not_found', `organization ${client.org} not found`, { endpoint: request.url });
      accessRequests.push(request);
      const repos = data.organization.repositories;
      for (const repo of repos.nodes) {
        if (!repo.collaborators) continue;
        record(repo.nameWithOwner, repo.collaborators);
        for (let page = repo.collaborators; page.pageInfo.hasNextPage; ) {
          const [owner, name] = repo.nameWithOwner.split('/') as [string, string];
          const more: Fetched<z.output<typeof moreOutsideCollaboratorsResponse>> = await client.graphql(moreOutsideCollaboratorsQuery, { owner, name, cursor: page.pageInfo.endCursor }, moreOutsideCollaboratorsResponse);
          const next = more.data.repository?.collaborators;
          if (!next) throw new CollectError('not_found', `repository ${repo.nameWithOwner} disappeared while its collaborators were paged`, { endpoint: more.request.url });
          accessRequests.push(more.request);
          record(repo.nameWithOwner, next);
          page = next;
        }
      }
      cursor = repos.pageInfo.hasNextPage ? repos.pageInfo.endCursor : null;
    } while (cursor);
    for (const [login, person] of [...people].sort(([a], [b]) => a.localeCompare(b))) {
      yield {
        subject: login,
        requests: [...person.requests, ...without2fa.requests, ...accessRequests],
        payload: {
          login,
          id: person.id,
          repositories: (access.get(login) ?? []).sort((a, b) => a.repository.localeCompare(b.repository)),
          twoFactorEnabled: without2fa.notVisibleReason || person.id === null ? null : !without2fa.ids.has(person.id),
          twoFactorNotVisibleReason: without2fa.notVisibleReason ?? (person.id === null ? 'no user id to match against filter=2fa_disabled' : null),
        },
      };
    }
  },
});
