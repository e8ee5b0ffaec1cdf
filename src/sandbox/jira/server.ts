/**
 * The Jira Cloud sandbox: routes the calls the `jira` connector makes and encodes answers in Jira's
 * wire format (token-paged `/search/jql`, offset-paged changelogs and users, `+0000` timestamps,
 * `errorMessages` error bodies, `x-arequestid`). State lives in {@link JiraWorld}.
 */
import { jsonResponse, startSandboxServer, type SandboxApi, type SandboxFaults, type SandboxRequest, type SandboxResponse, type SandboxServer } from '../http-server.js';
import type { JiraAccount, JiraHistory, JiraIssue, JiraWorld } from './data.js';

/** A search embeds at most this many changelog histories per issue; the rest come from `/issue/{key}/changelog`. */
export const embeddedChangelogLimit = 40;

export interface JiraSandboxOptions {
  /** The accepted API token (Basic password) or bearer token. */
  token: string;
  /** Jira evaluates relative JQL dates (`-90d`) against its own now; tests pin it. Default: wall clock. */
  now?: () => Date;
  faults?: SandboxFaults;
}

/** `2026-03-01T10:15:30.000+0000`, the way Jira Cloud renders timestamps. */
export function jiraTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

function user(account: JiraAccount, site: string) {
  return {
    self: `${site}/rest/api/3/user?accountId=${account.accountId}`,
    accountId: account.accountId,
    accountType: account.accountType,
    ...(account.emailAddress ? { emailAddress: account.emailAddress } : {}),
    displayName: account.displayName,
    active: account.active,
    timeZone: 'Etc/UTC',
  };
}

function history(h: JiraHistory, site: string) {
  return { id: h.id, author: user(h.author, site), created: jiraTimestamp(h.createdMs), items: h.items };
}

function issueJson(issue: JiraIssue, site: string) {
  return {
    expand: 'operations,versionedRepresentations,editmeta,changelog,renderedFields',
    id: issue.id,
    self: `${site}/rest/api/3/issue/${issue.id}`,
    key: issue.key,
    changelog: {
      startAt: 0,
      maxResults: embeddedChangelogLimit,
      total: issue.histories.length,
      histories: issue.histories.slice(0, embeddedChangelogLimit).map((h) => history(h, site)),
    },
    fields: {
      summary: issue.summary,
      issuetype: { self: `${site}/rest/api/3/issuetype/10100`, id: '10100', name: issue.issueType, subtask: false },
      status: { self: `${site}/rest/api/3/status/1`, name: issue.status, statusCategory: { key: issue.status === 'Deployed' ? 'done' : 'indeterminate' } },
      created: jiraTimestamp(issue.createdMs),
      updated: jiraTimestamp(issue.updatedMs),
      resolutiondate: issue.resolvedMs === null ? null : jiraTimestamp(issue.resolvedMs),
      reporter: user(issue.reporter, site),
      assignee: user(issue.assignee, site),
      labels: issue.labels,
    },
  };
}

const errorBody = (messages: string[]) => ({ errorMessages: messages, errors: {} });

/** The JQL the connector sends: `(project = X) AND updated >= "-Nd|-Nm" [ORDER BY ...]`. */
function parseJql(jql: string): { project: string; sinceMs: number } | undefined {
  const m = /^\(\s*project\s*=\s*"?(\w+)"?\s*\)\s+AND\s+updated\s*>=\s*"-(\d+)([dm])"(?:\s+ORDER BY\s+updated\s+DESC)?$/i.exec(jql.trim());
  if (!m) return undefined;
  return { project: m[1]!, sinceMs: Number(m[2]) * (m[3] === 'd' ? 86_400_000 : 60_000) };
}

/** The Jira router over a world. */
export function jiraApi(world: JiraWorld, options: JiraSandboxOptions): SandboxApi {
  const now = options.now ?? (() => new Date());
  const site = world.site;
  const authorized = (req: SandboxRequest) => {
    const header = String(req.headers.authorization ?? '');
    if (header === `Bearer ${options.token}`) return true;
    if (!header.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1) === options.token;
  };
  const reply = (req: SandboxRequest, status: number, body: unknown): SandboxResponse =>
    jsonResponse(status, body, { 'x-arequestid': `sbx-${req.seq}`, 'x-ratelimit-limit': '350', 'x-ratelimit-remaining': '349' });

  return {
    name: 'jira',
    serverError: (req, message) => reply(req, 500, errorBody([`Internal server error: ${message}`])),
    refused: (req, status) =>
      reply(req, status, errorBody([status === 401 ? 'Client must be authenticated to access this resource.' : 'You do not have permission to perform this operation.'])),
    throttled: (req, retryAfterSeconds) => ({
      ...reply(req, 429, errorBody(['Rate limit exceeded.'])),
      headers: { 'content-type': 'application/json', 'retry-after': String(retryAfterSeconds), 'x-arequestid': `sbx-${req.seq}`, 'x-ratelimit-reason': 'jira-burst-based' },
    }),
    handle(req) {
      if (!authorized(req)) {
        return reply(req, 401, errorBody(['Client must be authenticated to access this resource.']));
      }
      const path = req.url.pathname;
      const q = req.url.searchParams;
      if (req.method === 'GET' && path === '/rest/api/3/search/jql') {
        const parsed = parseJql(q.get('jql') ?? '');
        if (!parsed) return reply(req, 400, errorBody([`Error in the JQL Query: the sandbox understands only the query the connector builds (got "${q.get('jql')}").`]));
        if (parsed.project !== world.project) return reply(req, 400, errorBody([`The value '${parsed.project}' does not exist for the field 'project'.`]));
        const since = now().getTime() - parsed.sinceMs;
        const matching = world.issues.filter((i) => i.updatedMs >= since).sort((a, b) => b.updatedMs - a.updatedMs);
        const max = Math.min(Number(q.get('maxResults') ?? 50), 100);
        const start = q.get('nextPageToken') ? Number(Buffer.from(q.get('nextPageToken')!, 'base64url').toString()) : 0;
        const page = matching.slice(start, start + max);
        const last = start + max >= matching.length;
        return reply(req, 200, {
          issues: page.map((i) => issueJson(i, site)),
          ...(last ? {} : { nextPageToken: Buffer.from(String(start + max)).toString('base64url') }),
          isLast: last,
        });
      }
      const changelog = /^\/rest\/api\/3\/issue\/([A-Z]+-\d+)\/changelog$/.exec(path);
      if (req.method === 'GET' && changelog) {
        const issue = world.issues.find((i) => i.key === changelog[1]);
        if (!issue) return reply(req, 404, errorBody(['Issue does not exist or you do not have permission to see it.']));
        const startAt = Number(q.get('startAt') ?? 0);
        const max = Math.min(Number(q.get('maxResults') ?? 100), 100);
        const values = issue.histories.slice(startAt, startAt + max);
        const isLast = startAt + max >= issue.histories.length;
        return reply(req, 200, {
          self: `${site}/rest/api/3/issue/${issue.key}/changelog?maxResults=${max}&startAt=${startAt}`,
          ...(isLast ? {} : { nextPage: `${site}/rest/api/3/issue/${issue.key}/changelog?maxResults=${max}&startAt=${startAt + max}` }),
          maxResults: max,
          startAt,
          total: issue.histories.length,
          isLast,
          values: values.map((h) => history(h, site)),
        });
      }
      if (req.method === 'GET' && path === '/rest/api/3/users/search') {
        const startAt = Number(q.get('startAt') ?? 0);
        const max = Math.min(Number(q.get('maxResults') ?? 50), 1000);
        return reply(req, 200, world.accounts.slice(startAt, startAt + max).map((a) => user(a, site)));
      }
      return reply(req, 404, errorBody([`No route for ${req.method} ${path} in the Jira sandbox.`]));
    },
  };
}

/** Starts the Jira sandbox on 127.0.0.1. */
export function startJiraSandbox(world: JiraWorld, options: JiraSandboxOptions): Promise<SandboxServer> {
  return startSandboxServer(jiraApi(world, options), { ...(options.faults ? { faults: options.faults } : {}) });
}
