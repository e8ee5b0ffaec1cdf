import { defineConnector } from '../../src/core/connector.js';
import { codeForHttpStatus, collectErrorIn, type ClassifiedError } from '../../src/core/errors.js';
import { sanitizeUrl } from '../../src/http/sanitize-url.js';
import { GitHubApi } from './client.js';
import { githubSettingsSchema, type GitHubSettings } from './settings.js';
import { orgSettingsCollector } from './org-settings.js';
import { membersCollector } from './members.js';
import { outsideCollaboratorsCollector } from './outside-collaborators.js';
import { branchProtectionCollector } from './branch-protection.js';
import { mergedPullRequestsCollector } from './merged-pull-requests.js';
import { dependabotAlertsCollector } from './dependabot-alerts.js';
import { repositorySettingsCollector } from './repository-settings.js';

/**
 * GitHub (github.com or Enterprise Server): organization settings, members and 2FA, outside
 * collaborators, default-branch protection, merged pull requests with reviews, Dependabot alerts
 * and whether each repository has them enabled.
 */
export const githubConnector = defineConnector<GitHubSettings, GitHubApi>({
  type: 'github',
  title: 'GitHub',
  description: 'Organization security settings, members and 2FA, outside collaborators, branch protection, reviewed merges and Dependabot alerts.',
  config: githubSettingsSchema,
  http: { concurrency: 10 },
  classifyError: classifyGithubError,
  permissions: [
    { grant: 'Organization permissions › Administration: Read-only', reason: 'org_settings: 2FA requirement and base permission' },
    { grant: 'Organization permissions › Members: Read-only', reason: 'members, outside_collaborators (2FA status and method need an organization owner token)' },
    { grant: 'Repository permissions › Metadata: Read-only', reason: 'branch_protection: repositories, their rulesets and the rules GitHub applies to default branches' },
    { grant: 'Repository permissions › Administration: Read-only', reason: 'branch_protection: classic protection rules; outside_collaborators: repository collaborators; repository_settings: whether Dependabot alerts are on' },
    { grant: 'Repository permissions › Pull requests: Read-only', reason: 'merged_pull_requests: merged pull requests and their reviews' },
    { grant: 'Repository permissions › Dependabot alerts: Read-only', reason: 'dependabot_alerts' },
  ],
  createClient: (settings, io) => GitHubApi.create(settings, io),
  collectors: [
    orgSettingsCollector,
    membersCollector,
    outsideCollaboratorsCollector,
    branchProtectionCollector,
    mergedPullRequestsCollector,
    dependabotAlertsCollector,
    repositorySettingsCollector,
  ],
});

/**
 * An HTTP error answer as Octokit raises it (`RequestError`), named by its request like every
 * connector's failures: `HTTP 403: GET https://api.github.com/orgs/acme/members: Resource not
 * accessible by integration`. Failures that already carry a code (the shared HTTP layer's) are
 * left to the generic classification.
 */
export function classifyGithubError(error: unknown): ClassifiedError | undefined {
  if (collectErrorIn(error)) return undefined;
  const e = error as { status?: unknown; message?: unknown; request?: { method?: unknown; url?: unknown } } | null;
  if (typeof e?.status !== 'number' || typeof e.request?.url !== 'string') return undefined;
  const code = codeForHttpStatus(e.status);
  if (!code) return undefined;
  return { code, message: `HTTP ${e.status}: ${String(e.request.method ?? 'GET')} ${sanitizeUrl(e.request.url)}: ${String(e.message)}` };
}
