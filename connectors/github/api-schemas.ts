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

export const repositoriesQuery = /* GraphQL */ `
query AnnexaRepositories($org: String!, $cursor: String) {
  organization(login: $org) {
    repositories(first: 100, after: $cursor, orderBy: { field: NAME, direction: ASC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        databaseId name nameWithOwner isArchived isPrivate visibility pushedAt url
        defaultBranchRef {
          name
          branchProtectionRule {
            pattern requiresApprovingReviews requiredApprovingReviewCount dismissesStaleReviews
            requiresCodeOwnerReviews requiresStatusChecks requiresStrictStatusChecks requiredStatusCheckContexts
            isAdminEnforced allowsForcePushes allowsDeletions
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

const repositoryNode = z.object({
  databaseId: z.number().nullable(),
  name: z.string(),
  nameWithOwner: z.string(),
  isArchived: z.boolean(),
  isPrivate: z.boolean(),
  visibility: z.string(),
  pushedAt: z.string().nullable(),
  url: z.string(),
  defaultBranchRef: z.object({ name: z.string(), branchProtectionRule: branchProtectionRule.nullable() }).nullable(),
});
export type RepositoryNode = z.output<typeof repositoryNode>;

export const repositoriesResponse = z.object({
  organization: z
    .object({
      repositories: z.object({ totalCount: z.number(), pageInfo, nodes: z.array(repositoryNode) }),
    })
    .nullable(),
});

export const mergedPullRequestsQuery = /* GraphQL */ `
query AnnexaMergedPullRequests($owner: String!, $name: String!, $baseRefName: String!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequests(states: MERGED, baseRefName: $baseRefName, first: 50, after: $cursor, orderBy: { field: UPDATED_AT, direction: DESC }) {
      pageInfo { hasNextPage endCursor }
      nodes {
        databaseId number title url createdAt updatedAt mergedAt baseRefName
        author { login }
        mergedBy { login }
        mergeCommit { oid }
        reviews(first: 100) { totalCount nodes { author { login } state submittedAt } }
      }
    }
  }
}`;

const actor = z.object({ login: z.string() }).nullable();

export const mergedPullRequestsResponse = z.object({
  repository: z
    .object({
      pullRequests: z.object({
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
      }),
    })
    .nullable(),
});

export const outsideCollaboratorAccessQuery = /* GraphQL */ `
query AnnexaOutsideCollaboratorAccess($org: String!, $cursor: String) {
  organization(login: $org) {
    repositories(first: 25, after: $cursor, orderBy: { field: NAME, direction: ASC }) {
      pageInfo { hasNextPage endCursor }
      nodes {
        nameWithOwner
        collaborators(affiliation: OUTSIDE, first: 100) { totalCount edges { permission node { login databaseId } } }
      }
    }
  }
}`;

export const outsideCollaboratorAccessResponse = z.object({
  organization: z
    .object({
      repositories: z.object({
        pageInfo,
        nodes: z.array(
          z.object({
            nameWithOwner: z.string(),
            collaborators: z
              .object({
                totalCount: z.number(),
                edges: z.array(z.object({ permission: z.string(), node: z.object({ login: z.string(), databaseId: z.number().nullable() }) })),
              })
              .nullable(),
          }),
        ),
      }),
    })
    .nullable(),
});
