/**
 * The subset of GitHub's GraphQL schema the sandbox serves: exactly the types, fields and
 * arguments the GitHub connector queries, spelled as in GitHub's published schema
 * (`@octokit/graphql-schema`; a test checks that every field here exists there with the same type).
 * A query using anything else is rejected by graphql-js validation, as GitHub would reject it.
 */
export const githubSchemaSdl = /* GraphQL */ `
scalar DateTime
scalar URI
scalar GitObjectID

type Query {
  organization(login: String!): Organization
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  rateLimit(dryRun: Boolean = false): RateLimit
}

type RateLimit {
  cost: Int!
  limit: Int!
  nodeCount: Int!
  remaining: Int!
  resetAt: DateTime!
  used: Int!
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}

enum OrderDirection { ASC DESC }
enum RepositoryOrderField { CREATED_AT NAME PUSHED_AT STARGAZERS UPDATED_AT }
input RepositoryOrder { direction: OrderDirection! field: RepositoryOrderField! }
enum IssueOrderField { COMMENTS CREATED_AT UPDATED_AT }
input IssueOrder { direction: OrderDirection! field: IssueOrderField! }
enum PullRequestState { CLOSED MERGED OPEN }
enum PullRequestReviewState { APPROVED CHANGES_REQUESTED COMMENTED DISMISSED PENDING }
enum RepositoryVisibility { INTERNAL PRIVATE PUBLIC }
enum CollaboratorAffiliation { ALL DIRECT OUTSIDE }
enum RepositoryPermission { ADMIN MAINTAIN READ TRIAGE WRITE }
enum RuleEnforcement { ACTIVE DISABLED EVALUATE }
enum RepositoryRulesetTarget { BRANCH PUSH REPOSITORY TAG }
enum RepositoryRuleType {
  CREATION DELETION NON_FAST_FORWARD PULL_REQUEST REQUIRED_DEPLOYMENTS REQUIRED_LINEAR_HISTORY
  REQUIRED_SIGNATURES REQUIRED_STATUS_CHECKS UPDATE
}

type Organization {
  login: String!
  name: String
  requiresTwoFactorAuthentication: Boolean
  repositories(first: Int, after: String, last: Int, before: String, orderBy: RepositoryOrder, isArchived: Boolean): RepositoryConnection!
}

interface Actor { login: String! }
type User implements Actor { login: String! databaseId: Int name: String }

type Repository {
  databaseId: Int
  name: String!
  nameWithOwner: String!
  isArchived: Boolean!
  isPrivate: Boolean!
  visibility: RepositoryVisibility!
  pushedAt: DateTime
  url: URI!
  hasVulnerabilityAlertsEnabled: Boolean!
  defaultBranchRef: Ref
  pullRequests(first: Int, after: String, last: Int, before: String, states: [PullRequestState!], baseRefName: String, orderBy: IssueOrder): PullRequestConnection!
  collaborators(affiliation: CollaboratorAffiliation, first: Int, after: String, last: Int, before: String): RepositoryCollaboratorConnection
  rulesets(first: Int, after: String, last: Int, before: String, includeParents: Boolean = true): RepositoryRulesetConnection
}

type RepositoryConnection { nodes: [Repository] pageInfo: PageInfo! totalCount: Int! }

type Ref {
  name: String!
  branchProtectionRule: BranchProtectionRule
}

type BranchProtectionRule {
  pattern: String!
  requiresApprovingReviews: Boolean!
  requiredApprovingReviewCount: Int
  dismissesStaleReviews: Boolean!
  requiresCodeOwnerReviews: Boolean!
  requiresStatusChecks: Boolean!
  requiresStrictStatusChecks: Boolean!
  requiredStatusCheckContexts: [String]
  isAdminEnforced: Boolean!
  allowsForcePushes: Boolean!
  allowsDeletions: Boolean!
}

type PullRequest {
  databaseId: Int
  number: Int!
  title: String!
  url: URI!
  createdAt: DateTime!
  updatedAt: DateTime!
  mergedAt: DateTime
  baseRefName: String!
  author: Actor
  mergedBy: Actor
  mergeCommit: Commit
  reviews(first: Int, after: String, last: Int, before: String): PullRequestReviewConnection
}
type PullRequestConnection { nodes: [PullRequest] pageInfo: PageInfo! totalCount: Int! }
type Commit { oid: GitObjectID! }
type PullRequestReview { author: Actor state: PullRequestReviewState! submittedAt: DateTime }
type PullRequestReviewConnection { nodes: [PullRequestReview] pageInfo: PageInfo! totalCount: Int! }

type RepositoryCollaboratorConnection { edges: [RepositoryCollaboratorEdge] pageInfo: PageInfo! totalCount: Int! }
type RepositoryCollaboratorEdge { cursor: String! node: User! permission: RepositoryPermission! }

type RepositoryRuleset {
  databaseId: Int
  name: String!
  enforcement: RuleEnforcement!
  target: RepositoryRulesetTarget
  source: RuleSource!
  conditions: RepositoryRuleConditions!
  rules(first: Int, after: String, last: Int, before: String): RepositoryRuleConnection
}
type RepositoryRulesetConnection { nodes: [RepositoryRuleset] pageInfo: PageInfo! totalCount: Int! }
union RuleSource = Organization | Repository
type RepositoryRuleConditions { refName: RefNameConditionTarget }
type RefNameConditionTarget { include: [String!]! exclude: [String!]! }
type RepositoryRule { type: RepositoryRuleType! parameters: RuleParameters }
type RepositoryRuleConnection { nodes: [RepositoryRule] pageInfo: PageInfo! totalCount: Int! }
union RuleParameters = PullRequestParameters | RequiredStatusChecksParameters
type PullRequestParameters {
  dismissStaleReviewsOnPush: Boolean!
  requireCodeOwnerReview: Boolean!
  requireLastPushApproval: Boolean!
  requiredApprovingReviewCount: Int!
  requiredReviewThreadResolution: Boolean!
}
type RequiredStatusChecksParameters {
  doNotEnforceOnCreate: Boolean!
  requiredStatusChecks: [StatusCheckConfiguration!]!
  strictRequiredStatusChecksPolicy: Boolean!
}
type StatusCheckConfiguration { context: String! integrationId: Int }
`;
