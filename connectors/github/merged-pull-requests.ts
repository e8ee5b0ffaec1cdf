import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import { CollectError } from '../../src/core/errors.js';
import type { GitHubApi, Fetched, Page } from './client.js';
import type { GitHubSettings } from './settings.js';
import {
  GRAPHQL_MAX_NODES,
  PULL_REQUEST_PAGE,
  REVIEWS_PER_PULL_REQUEST,
  mergedPullRequestsQuery,
  mergedPullRequestsResponse,
  type RateLimit,
  type RepositoryNode,
} from './api-schemas.js';

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
type MergedPullRequest = z.output<typeof mergedPullRequestPayload>;

/** Nodes one repository's page asks for: the pull requests and, under each, its reviews. */
const nodesPerRepository = PULL_REQUEST_PAGE + PULL_REQUEST_PAGE * REVIEWS_PER_PULL_REQUEST;
/** Most repositories per query: within GitHub's node limit and a size GitHub answers well within its timeout. */
const maxBatch = Math.min(50, Math.floor(GRAPHQL_MAX_NODES / nodesPerRepository));
/** Points one query may spend; GitHub's own estimate before the first answer: 1 + 50 review connections per repository / 100. */
const maxPointsPerQuery = 30;
const estimatedPointsPerRepository = (1 + PULL_REQUEST_PAGE) / 100;

/**
 * Pull-request batches in flight at most, of the instance's 10 requests (GitHub's default
 * concurrency), so the listings of the other collectors keep a share. Each batch stays within
 * {@link maxPointsPerQuery}, so those in flight cost at most 240 of GitHub's 2,000 GraphQL points a minute.
 */
const batchesAtOnce = 8;

/** One repository's next page to read. */
interface PendingPage {
  repo: RepositoryNode;
  pageRequest: RequestRef;
  cursor: string | null;
}

/** A batch's answer, with the pages it asked for. */
interface BatchAnswer {
  batch: PendingPage[];
  fetched: Fetched<z.output<typeof mergedPullRequestsResponse>>;
}

/**
 * Batch size for the next query: as many repositories as fit GitHub's node limit and the points
 * per query, never more than what is left of the hour's budget (`rateLimit { cost remaining }`
 * of the previous answer, cost measured per repository).
 */
export function nextBatchSize(previous: { rateLimit: RateLimit; batch: number } | undefined): number {
  const perRepository = previous?.rateLimit && previous.batch > 0 ? Math.max(previous.rateLimit.cost / previous.batch, 0.01) : estimatedPointsPerRepository;
  const budget = Math.min(maxPointsPerQuery, previous?.rateLimit?.remaining ?? maxPointsPerQuery);
  return Math.max(1, Math.min(maxBatch, Math.floor(budget / perRepository)));
}

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
    // A merge pushes to the base branch, so a repository not pushed to since the period began has none.
    const active = (page: Page<RepositoryNode>): PendingPage[] =>
      page.items.filter((r) => r.defaultBranchRef && r.pushedAt !== null && r.pushedAt >= since).map((repo) => ({ repo, pageRequest: page.request, cursor: null }));
    const send = async (batch: PendingPage[]): Promise<BatchAnswer> => {
      const variables: Record<string, unknown> = { owner: client.org };
      batch.forEach(({ repo, cursor }, i) => Object.assign(variables, { [`name${i}`]: repo.name, [`base${i}`]: repo.defaultBranchRef!.name, [`cursor${i}`]: cursor }));
      // A batch holding a repository's next page continues that repository's chain.
      const order = batch.some((pending) => pending.cursor !== null) ? 'chain' : 'any';
      return { batch, fetched: await client.graphql(mergedPullRequestsQuery(batch.length), variables, mergedPullRequestsResponse, order) };
    };
    // Many repositories per query (one alias each). Batches go out while the repository listing
    // still runs, as soon as a full one is waiting, and a few at once: they need nothing from one
    // another. A repository with more pages goes back to the front of the queue, since only its
    // next page waits for its previous one. Answers are read in the order their batches were sent.
    const repositoryPages = client.repositoryListing().read();
    let nextPage: Promise<IteratorResult<Page<RepositoryNode>>> | undefined = repositoryPages.next();
    const queue: PendingPage[] = [];
    const inFlight: Promise<BatchAnswer>[] = [];
    let previous: { rateLimit: RateLimit; batch: number } | undefined;
    try {
      for (;;) {
        // One batch fewer while the repository listing runs: its next page is the chain everything waits on.
        while (inFlight.length < (nextPage ? batchesAtOnce - 1 : batchesAtOnce) && queue.length > 0) {
          const size = nextBatchSize(previous);
          if (nextPage && queue.length < size) break;
          const answer = send(queue.splice(0, size));
          // Observed when its turn comes; no unhandled-rejection noise while earlier answers are read.
          answer.catch(() => undefined);
          inFlight.push(answer);
        }
        // Nothing waiting, nothing in flight, no repositories to come: the loop above sent every queued page.
        if (!nextPage && inFlight.length === 0) return;
        const next: { page: IteratorResult<Page<RepositoryNode>> } | { answer: BatchAnswer } = await Promise.race([
          ...(nextPage ? [nextPage.then((page) => ({ page }))] : []),
          ...(inFlight.length > 0 ? [inFlight[0]!.then((answer) => ({ answer }))] : []),
        ]);
        if ('page' in next) {
          nextPage = next.page.done ? undefined : repositoryPages.next();
          if (!next.page.done) queue.push(...active(next.page.value));
          continue;
        }
        inFlight.shift();
        const { batch, fetched } = next.answer;
        const { data, request } = fetched;
        previous = { rateLimit: data.rateLimit, batch: batch.length };
        const nextPages: PendingPage[] = [];
        for (const [i, pending] of batch.entries()) {
          const connection = data[`r${i}`]?.pullRequests;
          if (!connection) throw new CollectError('not_found', `repository ${pending.repo.nameWithOwner} not found`, { endpoint: request.url });
          let reachedPeriodStart = false;
          for (const pr of connection.nodes) {
            // Ordered by updatedAt descending and mergedAt <= updatedAt: older pages cannot hold merges in the period.
            if (pr.updatedAt < since) {
              reachedPeriodStart = true;
              break;
            }
            if (!pr.mergedAt || pr.mergedAt < since) continue;
            const payload: MergedPullRequest = {
              repository: pending.repo.nameWithOwner,
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
            };
            yield { subject: `${payload.repository}#${payload.number}`, requests: [pending.pageRequest, request], payload };
          }
          if (!reachedPeriodStart && connection.pageInfo.hasNextPage) nextPages.push({ ...pending, cursor: connection.pageInfo.endCursor });
        }
        queue.unshift(...nextPages);
      }
    } finally {
      // A failed batch, or a consumer that stopped, ends the collector: the batches still in flight
      // settle first, so none of its requests runs on after its outcome (as a cursor chain does).
      await Promise.allSettled(inFlight);
    }
  },
});
