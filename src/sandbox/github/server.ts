/**
 * The GitHub sandbox behind the shared front door (`../http-server.ts`): authentication, the
 * per-resource rate-limit budget and GitHub's transport headers, then routing — REST to
 * `rest.ts`, GraphQL (`POST /graphql`, or GHES's `POST /api/graphql`) to graphql-js in
 * `graphql.ts`. REST is also served under GHES's `/api/v3` prefix.
 */
import { hashString } from '../random.js';
import { isoSeconds } from '../time.js';
import { jsonResponse, startSandboxServer, type SandboxFaults, type SandboxRequest, type SandboxResponse, type SandboxServer } from '../http-server.js';
import type { GithubWorld } from './data.js';
import { executeQuery, prepareQuery, type GraphqlRequest } from './graphql.js';
import { WorldIndex } from './lookup.js';
import { handleRest, notFound } from './rest.js';

/** Options of {@link startGithubSandbox}. */
export interface GithubSandboxOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** If set, only this token is accepted; otherwise any non-empty token is. */
  token?: string;
  /** Base of web URLs; default `https://github.acme.example` (fixed, so evidence is reproducible, and clearly fictional). */
  htmlBaseUrl?: string;
  /** Budget per resource before 403s: requests for `core`, points for `graphql`; default 5000. */
  rateLimit?: number;
  faults?: SandboxFaults;
}

/** A running GitHub sandbox. */
export type GithubSandbox = SandboxServer;

const API_VERSION = '2022-11-28';
const SECONDARY_LIMIT_DOCS = 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits';

/** Starts a server that serves `world` the way api.github.com would. */
export function startGithubSandbox(world: GithubWorld, options: GithubSandboxOptions = {}): Promise<GithubSandbox> {
  const index = new WorldIndex(world);
  const htmlBase = (options.htmlBaseUrl ?? 'https://github.acme.example').replace(/\/+$/, '');
  const limit = options.rateLimit ?? 5000;
  // Reset one hour after start on the wall clock: clients compare it with their own clock.
  const resetEpoch = Math.floor(Date.now() / 1000) + 3600;
  const used = { core: 0, graphql: 0 };
  type Resource = keyof typeof used;

  const resourceOf = (request: SandboxRequest): Resource => (/^\/(api\/)?graphql$/.test(request.url.pathname) ? 'graphql' : 'core');
  const github = (request: SandboxRequest, resource: Resource, status: number, body: unknown, headers: Record<string, string> = {}): SandboxResponse =>
    jsonResponse(status, body, {
      'x-github-request-id': `SBX1:${hex(request.seq, 4)}:${hex(hashString(`${request.method} ${request.url.pathname}${request.url.search} ${request.seq}`), 8)}`,
      'x-github-api-version-selected': API_VERSION,
      'x-github-media-type': 'github.v3; format=json',
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - used[resource])),
      'x-ratelimit-reset': String(resetEpoch),
      'x-ratelimit-used': String(used[resource]),
      'x-ratelimit-resource': resource,
      ...headers,
    });
  const error = (request: SandboxRequest, resource: Resource, status: number, message: string, documentationUrl: string) =>
    github(request, resource, status, { message, documentation_url: documentationUrl, status: String(status) });

  async function handle(request: SandboxRequest): Promise<SandboxResponse> {
    const resource = resourceOf(request);
    const docs = resource === 'graphql' ? 'https://docs.github.com/graphql' : 'https://docs.github.com/rest';
    if (!authorized(request.headers.authorization, options.token)) return error(request, resource, 401, 'Bad credentials', docs);
    const prefix = resource === 'core' && /^\/api\/v3(\/|$)/.test(request.url.pathname) ? '/api/v3' : '';
    const path = request.url.pathname.slice(prefix.length) || '/';
    // Like GitHub, checking the rate limit does not consume it.
    if (request.method === 'GET' && path === '/rate_limit') {
      const snapshot = (r: Resource) => ({ limit, used: used[r], remaining: limit - used[r], reset: resetEpoch });
      return github(request, 'core', 200, { resources: { core: snapshot('core'), graphql: snapshot('graphql') }, rate: snapshot('core') });
    }
    if (used[resource] >= limit) {
      return error(request, resource, 403, 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.', 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api');
    }
    if (resource === 'core') {
      used.core += 1;
      const urls = { apiBase: `${request.url.origin}${prefix}`, htmlBase };
      const result = request.method === 'GET' ? handleRest(index, { path, url: request.url, urls }) : undefined;
      const answer = result ?? notFound();
      return github(request, resource, answer.status, answer.body, answer.headers);
    }
    if (request.method !== 'POST') return error(request, resource, 404, 'Not Found', docs);
    let body: GraphqlRequest;
    try {
      body = JSON.parse(request.body.toString('utf8')) as GraphqlRequest;
    } catch {
      return error(request, resource, 400, 'Problems parsing JSON', docs);
    }
    const prepared = prepareQuery(body ?? {});
    if ('errors' in prepared) return github(request, resource, 200, prepared);
    used.graphql += prepared.cost;
    const rateLimit = { cost: prepared.cost, limit, nodeCount: prepared.nodeCount, remaining: Math.max(0, limit - used.graphql), resetAt: isoSeconds(resetEpoch * 1000), used: used.graphql };
    const result = await executeQuery(prepared, body, { index, urls: { apiBase: request.url.origin, htmlBase }, rateLimit });
    return github(request, resource, 200, result);
  }

  return startSandboxServer(
    {
      name: 'github',
      handle,
      serverError: (request, message) => error(request, resourceOf(request), 500, `Sandbox error: ${message}`, 'https://docs.github.com/rest'),
      refused: (request, status) =>
        status === 401
          ? error(request, resourceOf(request), 401, 'Bad credentials', 'https://docs.github.com/rest')
          : error(request, resourceOf(request), 403, 'Resource not accessible by integration', 'https://docs.github.com/rest'),
      // GitHub's secondary rate limit: 403 with Retry-After, while the primary budget is not spent.
      throttled: (request, retryAfterSeconds) =>
        github(
          request,
          resourceOf(request),
          403,
          { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: SECONDARY_LIMIT_DOCS, status: '403' },
          { 'retry-after': String(retryAfterSeconds) },
        ),
    },
    { ...(options.host ? { host: options.host } : {}), ...(options.port ? { port: options.port } : {}), ...(options.faults ? { faults: options.faults } : {}) },
  );
}

/** Accepts `token X` and `Bearer X` (scheme case-insensitive), like GitHub. */
function authorized(header: string | undefined, expected: string | undefined): boolean {
  const match = /^(token|bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  return match !== null && (expected === undefined || match[2] === expected);
}

function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(width, '0');
}
