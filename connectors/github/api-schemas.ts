import { z } from 'zod';

/**
 * Raw GitHub API shapes, validated at the boundary. Only the fields Annexa reads are declared;
 * zod drops the rest, so a new field upstream never breaks a run but a changed type does, loudly.
 */

export const organization = z.object({
  login: z.string(),
  id: z.number(),
  name: z.string().nullish(),
  two_factor_requirement_enabled: z.boolean().nullish(),
  default_repository_permission: z.string().nullish(),
  members_can_create_repositories: z.boolean().nullish(),
  members_can_create_public_repositories: z.boolean().nullish(),
  web_commit_signoff_required: z.boolean().nullish(),
  plan: z.object({ name: z.string() }).nullish(),
});

export const simpleUser = z.object({
  login: z.string(),
  id: z.number(),
  type: z.string().optional(),
  site_admin: z.boolean().optional(),
});

export const branchRule = z.object({
  type: z.string(),
  ruleset_source_type: z.string().optional(),
  ruleset_source: z.string().optional(),
  ruleset_id: z.number().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

export const dependabotAlert = z.object({
  number: z.number(),
  state: z.string(),
  dependency: z.object({
    package: z.object({ ecosystem: z.string(), name: z.string() }),
    manifest_path: z.string().nullish(),
    scope: z.string().nullish(),
  }),
  security_advisory: z.object({
    ghsa_id: z.string(),
    cve_id: z.string().nullish(),
    summary: z.string(),
    severity: z.string(),
  }),
  security_vulnerability: z.object({
    severity: z.string(),
    vulnerable_version_range: z.string().nullish(),
    first_patched_version: z.object({ identifier: z.string() }).nullish(),
  }),
  html_url: z.string(),
  created_at: z.string(),
  updated_at: z.string().nullish(),
  repository: z.object({ full_name: z.string() }),
});

const pageInfo = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() });

/** GitHub's per-query point cost and what is left of the hour's budget; read to size batches. */
const rateLimit = z.object({ cost: z.number(), remaining: z.number() }).nullable();
export type RateLimit = z.output<typeof rateLimit>;

/** GitHub's limit on the nodes one GraphQL query may request. */
export const GRAPHQL_MAX_NODES = 500_000;

/**
 * Repositories with everything read per repository, 100 per page: default-branch classic
 * protection, every ruleset that applies to the repository (GitHub has evaluated the repository
 * conditions; `includeParents` defaults to true, so organization rulesets come too) and whether
 * Dependabot alerts are on. Nodes per page: 100 + 100×10 rulesets + 100×10×25 rules = 26,100.
 */
export const repositoriesQuery = /* GraphQL */ `
query AnnexaRepositories($org: String!, $cursor: String) {
  rateLimit { cost remaining }
  organization(login: $org) {
    repositories(first: 100, after: $cursor, orderBy: { field: NAME, direction: ASC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        databaseId name nameWithOwner isArchived isPrivate visibility pushedAt url hasVulnerabilityAlertsEnabled
        defaultBranchRef {
          name
          branchProtectionRule {
            pattern requiresApprovingReviews requiredApprovingReviewCount dismissesStaleReviews
            requiresCodeOwnerReviews requiresStatusChecks requiresStrictStatusChecks requiredStatusCheckContexts
            isAdminEnforced allowsForcePushes allowsDeletions
          }
        }
        rulesets(first: 10) {
          totalCount
          nodes {
            databaseId name enforcement target
            source { __typename ... on Organization { login } ... on Repository { nameWithOwner } }
            conditions { refName { include exclude } }
            rules(first: 25) {
              totalCount
              nodes {
                type
                parameters {
                  __typename
                  ... on PullRequestParameters { requiredApprovingReviewCount dismissStaleReviewsOnPush requireCodeOwnerReview requireLastPushApproval }
                  ... on RequiredStatusChecksParameters { requiredStatusChecks { context } }
                }
              }
            }
          }
        }
      }
    }
  }
}`;

const branchProtectionRule = z.object({
  pattern: z.string(),
  requiresApprovingReviews: z.boolean(),
  requiredApprovingReviewCount: z.number().nullable(),
  dismissesStaleReviews: z.boolean(),
  requiresCodeOwnerReviews: z.boolean(),
  requiresStatusChecks: z.boolean(),
  requiresStrictStatusChecks: z.boolean(),
  requiredStatusCheckContexts: z.array(z.string()).nullable(),
  isAdminEnforced: z.boolean(),
  allowsForcePushes: z.boolean(),
  allowsDeletions: z.boolean(),
});

const rulesetNode = z.object({
  databaseId: z.number().nullable(),
  name: z.string(),
  enforcement: z.string(),
  target: z.string().nullable(),
  source: z.object({ __typename: z.string(), login: z.string().optional(), nameWithOwner: z.string().optional() }),
  conditions: z.object({ refName: z.object({ include: z.array(z.string()), exclude: z.array(z.string()) }).nullable() }),
  rules: z.object({
    totalCount: z.number(),
    nodes: z.array(
      z.object({
        type: z.string(),
        parameters: z
          .object({
            __typename: z.string(),
            requiredApprovingReviewCount: z.number().optional(),
            dismissStaleReviewsOnPush: z.boolean().optional(),
            requireCodeOwnerReview: z.boolean().optional(),
            requireLastPushApproval: z.boolean().optional(),
            requiredStatusChecks: z.array(z.object({ context: z.string() })).optional(),
          })
          .nullable(),
      }),
    ),
  }),
});
export type RulesetNode = z.output<typeof rulesetNode>;

const repositoryNode = z.object({
  databaseId: z.number().nullable(),
  name: z.string(),
  nameWithOwner: z.string(),
  isArchived: z.boolean(),
  isPrivate: z.boolean(),
  visibility: z.string(),
  pushedAt: z.string().nullable(),
  url: z.string(),
  hasVulnerabilityAlertsEnabled: z.boolean(),
  defaultBranchRef: z.object({ name: z.string(), branchProtectionRule: branchProtectionRule.nullable() }).nullable(),
  rulesets: z.object({ totalCount: z.number(), nodes: z.array(rulesetNode) }).nullable(),
});
export type RepositoryNode = z.output<typeof repositoryNode>;

export const repositoriesResponse = z.object({
  rateLimit,
  organization: z
    .object({
      repositories: z.object({ totalCount: z.number(), pageInfo, nodes: z.array(repositoryNode) }),
    })
    .nullable(),
});

/** Merged pull requests per page of one repository, and the reviews per pull request. */
export const PULL_REQUEST_PAGE = 50;
export const REVIEWS_PER_PULL_REQUEST = 100;

const mergedPullRequestPage = /* GraphQL */ `
fragment AnnexaMergedPullRequestPage on PullRequestConnection {
  pageInfo { hasNextPage endCursor }
  nodes {
    number title url createdAt updatedAt mergedAt baseRefName
    author { login }
    mergedBy { login }
    mergeCommit { oid }
    reviews(first: ${REVIEWS_PER_PULL_REQUEST}) { totalCount nodes { author { login } state submittedAt } }
  }
}`;

/**
 * Merged pull requests of `count` repositories in one query, one alias each (`r0`, `r1`, ...):
 * newest-updated first into the default branch, each repository from its own cursor.
 */
export function mergedPullRequestsQuery(count: number): string {
  const variables = Array.from({ length: count }, (_, i) => `$name${i}: String!, $base${i}: String!, $cursor${i}: String`);
  const aliases = Array.from(
    { length: count },
    (_, i) =>
      `  r${i}: repository(owner: $owner, name: $name${i}) { pullRequests(states: MERGED, baseRefName: $base${i}, first: ${PULL_REQUEST_PAGE}, after: $cursor${i}, orderBy: { field: UPDATED_AT, direction: DESC }) { ...AnnexaMergedPullRequestPage } }`,
  );
  return `query AnnexaMergedPullRequests($owner: String!, ${variables.join(', ')}) {\n  rateLimit { cost remaining }\n${aliases.join('\n')}\n}\n${mergedPullRequestPage}`;
}

const actor = z.object({ login: z.string() }).nullable();

const mergedPullRequestConnection = z.object({
  pageInfo,
  nodes: z.array(
    z.object({
      number: z.number(),
      title: z.string(),
      url: z.string(),
      createdAt: z.string(),
      updatedAt: z.string(),
      mergedAt: z.string().nullable(),
      baseRefName: z.string(),
      author: actor,
      mergedBy: actor,
      mergeCommit: z.object({ oid: z.string() }).nullable(),
      reviews: z.object({
        totalCount: z.number(),
        nodes: z.array(z.object({ author: actor, state: z.string(), submittedAt: z.string().nullable() })),
      }),
    }),
  ),
});

/** `rateLimit` plus one `r<i>` alias per repository (null when the repository is gone). */
export const mergedPullRequestsResponse = z
  .object({ rateLimit })
  .catchall(z.object({ pullRequests: mergedPullRequestConnection }).nullable());

const outsideCollaboratorPage = /* GraphQL */ `
fragment AnnexaOutsideCollaboratorPage on RepositoryCollaboratorConnection {
  totalCount
  pageInfo { hasNextPage endCursor }
  edges { permission node { login databaseId } }
}`;

export const outsideCollaboratorAccessQuery = /* GraphQL */ `
query AnnexaOutsideCollaboratorAccess($org: String!, $cursor: String) {
  organization(login: $org) {
    repositories(first: 100, after: $cursor, orderBy: { field: NAME, direction: ASC }) {
      pageInfo { hasNextPage endCursor }
      nodes {
        nameWithOwner
        collaborators(affiliation: OUTSIDE, first: 100) { ...AnnexaOutsideCollaboratorPage }
      }
    }
  }
}
${outsideCollaboratorPage}`;

/** The next page of one repository's outside collaborators, when it has more than 100. */
export const moreOutsideCollaboratorsQuery = /* GraphQL */ `
query AnnexaMoreOutsideCollaborators($owner: String!, $name: String!, $cursor: String!) {
  repository(owner: $owner, name: $name) {
    collaborators(affiliation: OUTSIDE, first: 100, after: $cursor) { ...AnnexaOutsideCollaboratorPage }
  }
}
${outsideCollaboratorPage}`;

const collaboratorConnection = z.object({
  totalCount: z.number(),
  pageInfo,
  edges: z.array(z.object({ permission: z.string(), node: z.object({ login: z.string(), databaseId: z.number().nullable() }) })),
});
export type CollaboratorConnection = z.output<typeof collaboratorConnection>;

export const outsideCollaboratorAccessResponse = z.object({
  organization: z
    .object({
      repositories: z.object({
        pageInfo,
        nodes: z.array(
          z.object({
            nameWithOwner: z.string(),
            collaborators: collaboratorConnection.nullable(),
          }),
        ),
      }),
    })
    .nullable(),
});

export const moreOutsideCollaboratorsResponse = z.object({
  repository: z.object({ collaborators: collaboratorConnection.nullable() }).nullable(),
});
