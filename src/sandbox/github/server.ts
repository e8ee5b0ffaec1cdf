/**
 * HTTP front-end of the GitHub sandbox (node:http only).
 *
 * Serves REST at the root and GraphQL at `POST /graphql`, and the same
 * under GitHub Enterprise Server paths (`/api/v3/...` and
 * `POST /api/graphql`), so Octokit works with either `baseUrl` style. Every
 * response carries GitHub's transport headers (request id, rate-limit
 * headers, API version); authentication and rate limiting behave like
 * GitHub's so connector error handling can be exercised.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashString } from '../random.js';
import { isoSeconds } from '../time.js';
import type { GithubWorld } from './data.js';
import { executeGraphql } from './graphql/executor.js';
import { type GqlContext, githubSchema } from './graphql/schema.js';
import { type UrlBases, WorldIndex } from './lookup.js';
import { type RestResult, handleRest, notFound } from './rest.js';

/** Options of {@link startGithubSandbox}. */
export interface GithubSandboxOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** If set, only this token is accepted; otherwise any non-empty token is. */
  token?: string;
  /**
   * Base of web URLs (`html_url`, GraphQL `url`). Default
   * `https://github.acme.example`: fixed (so evidence is reproducible across
   * runs and ports) and clearly fictional (so it never points at a real org).
   */
  htmlBaseUrl?: string;
  /** Requests allowed per resource (`core`, `graphql`) before 403s; default 5000. */
  rateLimit?: number;
}

/** A running sandbox. */
export interface GithubSandbox {
  /** Base URL, e.g. `http://127.0.0.1:43123` (REST at its root, GraphQL at `/graphql`). */
  url: string;
  /** Requests received so far (including rejected ones). */
  requestCount(): number;
  /** Stops the server and drops open keep-alive connections. */
  close(): Promise<void>;
}

type Resource = 'core' | 'graphql';

interface Bucket {
  limit: number;
  remaining: number;
  used: number;
}

const API_VERSION = '2022-11-28';
const MAX_BODY_BYTES = 1_000_000;

/**
 * Starts an HTTP server that serves `world` the way api.github.com would.
 *
 * REST: `GET /orgs/{org}`, `/orgs/{org}/members`, `/orgs/{org}/outside_collaborators`,
 * `/orgs/{org}/dependabot/alerts`, `/repos/{owner}/{repo}/rules/branches/{branch}`,
 * `/rate_limit`. GraphQL: `organization`, `repository`, `user`, `rateLimit`
 * root fields (see `graphql/schema.ts`).
 */
export async function startGithubSandbox(world: GithubWorld, options: GithubSandboxOptions = {}): Promise<GithubSandbox> {
  const host = options.host ?? '127.0.0.1';
  const htmlBase = (options.htmlBaseUrl ?? 'https://github.acme.example').replace(/\/+$/, '');
  const limit = options.rateLimit ?? 5000;
  const index = new WorldIndex(world);
  // Reset is one hour after start on the wall clock: clients compare it with
  // their own clock to decide how long to back off.
  const resetEpoch = Math.floor(Date.now() / 1000) + 3600;
  const buckets: Record<Resource, Bucket> = {
    core: { limit, remaining: limit, used: 0 },
    graphql: { limit, remaining: limit, used: 0 },
  };
  let requests = 0;

  const server = createServer((req, res) => {
    requests += 1;
    const seq = requests;
    handle(req, res, seq).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) {
        send(res, seq, req, 'core', { status: 500, body: { message: `Sandbox error: ${message}`, status: '500' } });
      } else {
        res.destroy();
      }
    });
  });

  function rateHeaders(resource: Resource): Record<string, string> {
    const b = buckets[resource];
    return {
      'x-ratelimit-limit': String(b.limit),
      'x-ratelimit-remaining': String(b.remaining),
      'x-ratelimit-reset': String(resetEpoch),
      'x-ratelimit-used': String(b.used),
      'x-ratelimit-resource': resource,
    };
  }

  function send(res: ServerResponse, seq: number, req: IncomingMessage, resource: Resource, result: RestResult): void {
    const body = JSON.stringify(result.body);
    const requestId = `SBX1:${hex(seq, 4)}:${hex(hashString(`${req.method ?? ''} ${req.url ?? ''} ${seq}`), 8)}`;
    res.writeHead(result.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'x-github-request-id': requestId,
      'x-github-api-version-selected': API_VERSION,
      'x-github-media-type': 'github.v3; format=json',
      ...rateHeaders(resource),
      ...(result.headers ?? {}),
    });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, seq: number): Promise<void> {
    const method = req.method ?? 'GET';
    const hostHeader = req.headers.host ?? `${host}:${port()}`;
    const url = new URL(req.url ?? '/', `http://${hostHeader}`);
    let path = url.pathname;
    const isGraphql = path === '/graphql' || path === '/api/graphql';
    let prefix = '';
    if (!isGraphql && (path === '/api/v3' || path.startsWith('/api/v3/'))) {
      prefix = '/api/v3';
      path = path.slice(prefix.length) || '/';
    }
    const resource: Resource = isGraphql ? 'graphql' : 'core';
    const docs = isGraphql ? 'https://docs.github.com/graphql' : 'https://docs.github.com/rest';
    // Request bodies must be drained even when rejected, or keep-alive breaks.
    const body = method === 'POST' ? await readBody(req) : '';

    if (!authorized(req.headers.authorization, options.token)) {
      send(res, seq, req, resource, {
        status: 401,
        body: { message: 'Bad credentials', documentation_url: docs, status: '401' },
      });
      return;
    }

    const urls: UrlBases = { apiBase: `http://${hostHeader}${prefix}`, htmlBase };

    // Like GitHub, checking the rate limit does not consume it.
    if (method === 'GET' && path === '/rate_limit') {
      const snapshot = (r: Resource): Record<string, number> => ({
        limit: buckets[r].limit,
        used: buckets[r].used,
        remaining: buckets[r].remaining,
        reset: resetEpoch,
      });
      send(res, seq, req, 'core', {
        status: 200,
        body: { resources: { core: snapshot('core'), graphql: snapshot('graphql') }, rate: snapshot('core') },
      });
      return;
    }

    const bucket = buckets[resource];
    if (bucket.remaining <= 0) {
      send(res, seq, req, resource, {
        status: 403,
        body: {
          message: 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.',
          documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
          status: '403',
        },
      });
      return;
    }
    bucket.remaining -= 1;
    bucket.used += 1;

    if (isGraphql) {
      if (method !== 'POST') {
        send(res, seq, req, resource, notFound(docs));
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        send(res, seq, req, resource, {
          status: 400,
          body: { message: 'Problems parsing JSON', documentation_url: docs, status: '400' },
        });
        return;
      }
      const request = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
      const ctx: GqlContext = {
        index,
        urls,
        rateLimit: {
          limit: bucket.limit,
          remaining: bucket.remaining,
          used: bucket.used,
          resetAt: isoSeconds(resetEpoch * 1000),
        },
      };
      const result = executeGraphql(
        githubSchema,
        { query: request.query, variables: request.variables, operationName: request.operationName },
        ctx,
        null,
      );
      send(res, seq, req, resource, { status: 200, body: result });
      return;
    }

    const result = method === 'GET' ? handleRest(index, { path, url, urls }) : undefined;
    send(res, seq, req, resource, result ?? notFound());
  }

  function port(): number {
    return (server.address() as AddressInfo | null)?.port ?? 0;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const displayHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${displayHost}:${port()}`,
    requestCount: () => requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Accepts `token X` and `Bearer X` (scheme case-insensitive), like GitHub. */
function authorized(header: string | undefined, expected: string | undefined): boolean {
  if (header === undefined) return false;
  const match = /^(token|bearer)\s+(\S+)\s*$/i.exec(header);
  if (!match) return false;
  const token = match[2] as string;
  return expected === undefined ? token.length > 0 : token === expected;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(width, '0');
}
