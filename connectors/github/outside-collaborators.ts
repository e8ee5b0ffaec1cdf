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
    // The access chain (one GraphQL page per 100 repositories) needs nothing from the two REST
    // listings, so it starts with them instead of after them.
    const accessControl = { stopped: false };
    const accessChain = repositoryAccess(client, accessControl);
    accessChain.catch(() => undefined); // observed below; a listing failing first must not leave it unhandled
    const people = new Map<string, { id: number | null; requests: RequestRef[] }>();
    let without2fa: Awaited<ReturnType<typeof twoFactorListing>>;
    let accessFound: Awaited<typeof accessChain>;
    try {
      for await (const page of client.paginate('GET /orgs/{org}/outside_collaborators', { org: client.org }, simpleUser)) {
        for (const user of page.items) people.set(user.login, { id: user.id, requests: [page.request] });
      }
      without2fa = await twoFactorListing(client, 'GET /orgs/{org}/outside_collaborators', '2fa_disabled', logger);
      accessFound = await accessChain;
    } finally {
      // A listing that failed ends the collector: its access chain stops too, instead of reading on for nothing.
      accessControl.stopped = true;
    }
    const { access, ids, requests: accessRequests } = accessFound;
    for (const [login, id] of ids) if (!people.has(login)) people.set(login, { id, requests: [] });
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

/**
 * Each outside collaborator's repositories and permissions, from GraphQL: 100 repositories per
 * request instead of one call each. A repository with more than 100 outside collaborators is paged
 * on its own, beside the chain: only its own next page waits for its previous one. Reading stops
 * at the next page once `control.stopped` is set (the collector failed).
 */
async function repositoryAccess(client: GitHubApi, control: { readonly stopped: boolean }): Promise<{
  access: Map<string, { repository: string; permission: string }[]>;
  /** Every login seen with access, with its database id (found here when the REST listing missed it). */
  ids: Map<string, number | null>;
  requests: RequestRef[];
}> {
  const access = new Map<string, { repository: string; permission: string }[]>();
  const ids = new Map<string, number | null>();
  /** The chain's requests in order, each followed by one list per overflowing repository, filled as its pages arrive. */
  const requests: RequestRef[][] = [];
  const record = (repository: string, connection: CollaboratorConnection) => {
    for (const edge of connection.edges) {
      const list = access.get(edge.node.login) ?? [];
      list.push({ repository, permission: edge.permission });
      access.set(edge.node.login, list);
      if (!ids.has(edge.node.login)) ids.set(edge.node.login, edge.node.databaseId);
    }
  };
  const morePages = async (nameWithOwner: string, first: CollaboratorConnection, into: RequestRef[]) => {
    const [owner, name] = nameWithOwner.split('/') as [string, string];
    for (let page = first; page.pageInfo.hasNextPage; ) {
      const more: Fetched<z.output<typeof moreOutsideCollaboratorsResponse>> = await client.graphql(moreOutsideCollaboratorsQuery, { owner, name, cursor: page.pageInfo.endCursor }, moreOutsideCollaboratorsResponse, 'chain');
      const next = more.data.repository?.collaborators;
      if (!next) throw new CollectError('not_found', `repository ${nameWithOwner} disappeared while its collaborators were paged`, { endpoint: more.request.url });
      into.push(more.request);
      record(nameWithOwner, next);
      page = next;
    }
  };
  const overflowing: Promise<void>[] = [];
  for await (const { data, request } of client.repositoryChain(outsideCollaboratorAccessQuery, outsideCollaboratorAccessResponse)) {
    if (control.stopped) break;
    requests.push([request]);
    for (const repo of data.repositories.nodes) {
      if (!repo.collaborators) continue;
      record(repo.nameWithOwner, repo.collaborators);
      if (repo.collaborators.pageInfo.hasNextPage) {
        const into: RequestRef[] = [];
        requests.push(into);
        const paged = morePages(repo.nameWithOwner, repo.collaborators, into);
        paged.catch(() => undefined); // observed by Promise.all below, once the chain has ended
        overflowing.push(paged);
      }
    }
  }
  await Promise.all(overflowing);
  return { access, ids, requests: requests.flat() };
}
