/**
 * Deterministic local fakes of the systems Annexa collects evidence from, all derived from one
 * synthetic company. Each API is a small module (`<api>/`: its world from the company, a thin
 * router, wire encodings by libraries such as graphql-js) behind the shared front door in
 * `http-server.ts`.
 *
 * @example
 * ```ts
 * const company = createSyntheticCompany({ now: new Date('2026-05-01T12:00:00Z') });
 * const sandbox = await startGithubSandbox(createGithubWorld(company), { token: 'sbx' });
 * const octokit = new Octokit({ auth: 'sbx', baseUrl: sandbox.url });
 * ```
 */
export { SeededRandom, createRandom, hashString } from './random.js';
export { isoDate, isoSeconds } from './time.js';
export {
  DEPARTMENTS,
  createSyntheticCompany,
  type Department,
  type EmploymentStatus,
  type EmploymentType,
  type Person,
  type SyntheticCompany,
  type SyntheticCompanyOptions,
} from './company.js';
export {
  createGithubWorld,
  githubSeededViolations,
  legacyNodeId,
  type AlertSeverity,
  type Ecosystem,
  type GithubAccount,
  type GithubAlertState,
  type GithubClassicBranchProtection,
  type GithubDependabotAlert,
  type GithubMember,
  type GithubOrganization,
  type GithubOrgRole,
  type GithubOutsideCollaborator,
  type GithubPullRequest,
  type GithubPullRequestRef,
  type GithubRepository,
  type GithubRepositoryPermission,
  type GithubReview,
  type GithubReviewState,
  type GithubRuleset,
  type GithubRulesetRule,
  type GithubSecurityAdvisory,
  type GithubViolationDetails,
  type GithubVisibility,
  type GithubWorld,
} from './github/data.js';
export { startGithubSandbox, type GithubSandbox, type GithubSandboxOptions } from './github/server.js';
export { createJiraWorld, jiraSeededViolations, type JiraAccount, type JiraIssue, type JiraWorld } from './jira/data.js';
export { startJiraSandbox, jiraTimestamp, type JiraSandboxOptions } from './jira/server.js';
export { createKnowBe4World, knowbe4SeededFindings, type KnowBe4World } from './knowbe4/data.js';
export { startKnowBe4Sandbox } from './knowbe4/server.js';
export { createExports, writeExports, rosterColumns, lmsColumns } from './exports/files.js';
export { startSandboxServer, jsonResponse, type FaultCounts, type SandboxApi, type SandboxFaults, type SandboxRequest, type SandboxResponse, type SandboxServer } from './http-server.js';
export { AWS_REGIONS, AWS_ROLE_NAME, awsSeededViolations, createAwsWorld, type AwsAccount, type AwsWorld } from './aws/data.js';
export { awsSandboxCredentials, startAwsSandbox, useSandboxAwsCredentials, type AwsSandbox, type AwsSandboxOptions } from './aws/server.js';
