import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import { mapOrdered } from '../../src/core/concurrency.js';
import { CollectError } from '../../src/core/errors.js';
import type { GitHubApi, Fetched } from './client.js';
import type { GitHubSettings } from './settings.js';
import { mergedPullRequestsQuery, mergedPullRequestsResponse } from './api-schemas.js';

export const mergedPullRequestPayload = z.object({
  repository: z.string().describe('owner/name.'),
  number: z.number().describe('Pull request number.'),
  title: z.string().describe('Title at collection time.'),
  url: z.string().describe('Web URL of the pull request.'),
  author: z.string().nullable().describe('Login of the author (null for a deleted account).'),
  mergedBy: z.string().nullable().describe('Login of whoever merged it.'),
  createdAt: z.string().describe('When it was opened (UTC).'),
  mergedAt: z.string().describe('When it was merged (UTC).'),
  baseBranch: z.string().describe('The default branch it was merged into.'),
  mergeCommit: z.string().nullable().describe('SHA of the merge commit.'),
  reviews: z
    .array(
      z.object({
        reviewer: z.string().nullable().describe('Reviewer login.'),
        state: z.string().describe('APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED.'),
        submittedAt: z.string().nullable().describe('When the review was submitted (UTC).'),
      }),
    )
    .describe('Every review in submission order: who approved and when, so approval-before-merge can be judged.'),
  reviewsTruncated: z.boolean().describe('True when the pull request has more than 100 reviews and only the first 100 are listed.'),
});

export const mergedPullRequestsCollector = defineCollector<GitHubApi, GitHubSettings, typeof mergedPullRequestPayload>({
  id: 'merged_pull_requests',
  kind: 'github.merged_pull_request.v1',
  title: 'Merged pull requests into default branches with reviews',
  description:
    'Pull requests merged into each repository\'s default branch within the look-back period, with every review: the change-management population an auditor samples.',
  subject: 'owner/name#number',
  ttlHours: 36,
  payload: mergedPullRequestPayload,
  async *collect({ client, config, clock }) {
    const since = new Date(clock.now().getTime() - config.pullRequests.lookbackDays * 86_400_000).toISOString();
    const pages = await client.repositories();
    // A merge pushes to the base branch, so a repository not pushed to since the period began has none.
    const active = pages.flatMap((page) =>
      page.items.filter((r) => r.defaultBranchRef && r.pushedAt !== null && r.pushedAt >= since).map((repo) => ({ repo, pageRequest: page.request })),
    );
    const perRepo = mapOrdered(active, 4, async ({ repo, pageRequest }) => {
      const [owner, name] = repo.nameWithOwner.split('/') as [string, string];
      const baseRefName = repo.defaultBranchRef!.name;
      const found: { payload: z.output<typeof mergedPullRequestPayload>; request: RequestRef }[] = [];
      let cursor: string | null = null;
      let more = true;
      while (more) {
        const fetched: Fetched<z.output<typeof mergedPullRequestsResponse>> = await client.graphql(mergedPullRequestsQuery, { owner, name, baseRefName, cursor }, mergedPullRequestsResponse);
        const { data, request } = fetched;
        if (!data.repository) throw new CollectError('not_found', `repository ${repo.nameWithOwner} not found`, { endpoint: request.url });
        const connection = data.repository.pullRequests;
        for (const pr of connection.nodes) {
          // Ordered by updatedAt descending and mergedAt <= updatedAt: older pages cannot hold merges in the period.
          if (pr.updatedAt < since) {
            more = false;
            break;
          }
          if (!pr.mergedAt || pr.mergedAt < since) continue;
          found.push({
            request,
            payload: {
              repository: repo.nameWithOwner,
              number: pr.number,
              title: pr.title,
              url: pr.url,
              author: pr.author?.login ?? null,
              mergedBy: pr.mergedBy?.login ?? null,
              createdAt: pr.createdAt,
              mergedAt: pr.mergedAt,
              baseBranch: pr.baseRefName,
              mergeCommit: pr.mergeCommit?.oid ?? null,
              reviews: pr.reviews.nodes.map((r) => ({ reviewer: r.author?.login ?? null, state: r.state, submittedAt: r.submittedAt })),
              reviewsTruncated: pr.reviews.totalCount > pr.reviews.nodes.length,
            },
          });
        }
        cursor = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
        if (!cursor) more = false;
      }
      return { found, pageRequest };
    });
    for await (const { found, pageRequest } of perRepo) {
      for (const { payload, request } of found) {
        yield { subject: `${payload.repository}#${payload.number}`, requests: [pageRequest, request], payload };
      }
    }
  },
});
