import { Octokit } from '@octokit/rest';
import { z } from 'zod';
import type { Clock } from '../../src/core/clock.js';
import type { ConnectorIO, RequestRef } from '../../src/core/connector.js';
import { CollectError, type CollectErrorCode } from '../../src/core/errors.js';
import { toolName } from '../../src/core/version.js';
import { sanitizeUrl } from '../../src/http/sanitize-url.js';
import { parseResponse as parse } from '../../src/http/json-api.js';
import type { Secret } from '../../src/core/secret.js';
import { repositoriesQuery, repositoriesResponse, type RepositoryNode } from './api-schemas.js';
import { SharedListing, cursorChain, cursorIn, mapOrdered, readAhead } from '../../src/core/concurrency.js';
import type { PrioritizedRequestInit } from '../../src/http/http-fetch.js';

/**
 * `chain`: the request is the next page of a cursor chain, which nothing else can overtake; it
 * goes ahead of the instance's waiting requests. `any`: it can wait its turn.
 */
export type RequestOrder = 'chain' | 'any';

/** A page of results and the request that produced it (the record's provenance). */
export interface Page<T> {
  items: T[];
  request: RequestRef;
}

/** One API response, validated, with its provenance. */
export interface Fetched<T> {
  data: T;
  request: RequestRef;
}

/** GitHub REST + GraphQL on top of Octokit, with every response zod-validated at the boundary. */
export class GitHubApi {
  private listing: SharedListing<Page<RepositoryNode>> | undefined;

  constructor(
    private readonly octokit: Octokit,
    readonly org: string,
    private readonly clock: Clock,
    /** Where GraphQL is posted: `/graphql` under the REST base, or GHES's `/api/graphql`. */
    private readonly graphqlUrl: string,
    /**
     * The transport for a cursor chain's next page: the instance's fetch with the `high` priority
     * hint, so the page every later one waits on goes before requests that could equally go later.
     */
    private readonly chainFetch: typeof fetch,
  ) {}

  /** Builds the client for a connector instance, wired to the shared HTTP layer. */
  static create(settings: { org: string; token: Secret; baseUrl?: string | undefined }, io: ConnectorIO): GitHubApi {
    const octokit = new Octokit({
      auth: settings.token.reveal(),
      userAgent: toolName,
      ...(settings.baseUrl ? { baseUrl: settings.baseUrl.replace(/\/$/, '') } : {}),
      request: { fetch: io.fetch, signal: io.signal },
      log: {
        debug: () => undefined,
        info: () => undefined,
        warn: (message: string) => io.logger.warn(message),
        // Octokit logs every failed request; the pipeline already records it as the outcome.
        error: (message: string) => io.logger.debug(message),
      },
    });
    const chainFetch = ((url: string, init?: PrioritizedRequestInit) => io.fetch(url, { ...init, priority: 'high' } as RequestInit)) as typeof fetch;
    return new GitHubApi(octokit, settings.org, io.clock, graphqlEndpoint(settings.baseUrl), chainFetch);
  }

  /** One GET, validated. */
  async get<S extends z.ZodType>(route: string, params: Record<string, unknown>, schema: S): Promise<Fetched<z.output<S>>> {
    const response = await this.octokit.request(route, { ...params, request: rawBody });
    const request = this.requestRef('GET', response);
    return { data: parse(schema, await jsonBody(response.data), request), request };
  }

  /**
   * Follows `Link: rel="next"` (page numbers or cursors alike) and yields each page validated,
   * so a collector streams records instead of buffering the whole listing.
   */
  paginate<S extends z.ZodType>(route: string, params: Record<string, unknown>, itemSchema: S): AsyncGenerator<Page<z.output<S>>> {
    // One page ahead: the next request leaves as soon as its cursor is known, while the collector still processes this page.
    return readAhead(this.paginateInOrder<S>(route, params, itemSchema));
  }

  private async *paginateInOrder<S extends z.ZodType>(route: string, params: Record<string, unknown>, itemSchema: S): AsyncGenerator<Page<z.output<S>>> {
    const page = async (response: { url: string; status: number; headers: Record<string, unknown>; data: unknown }) => {
      const request = this.requestRef('GET', response);
      return { items: parse(z.array(itemSchema), await jsonBody(response.data), request), request };
    };
    let response = await this.octokit.request(route, { per_page: 100, ...params, request: rawBody });
    yield await page(response);
    // Numbered pages (`page=2` … `page=last`) need nothing from one another: a few go at once.
    const numbered = mapOrdered(numberedPageUrls(response.headers.link), pagesAtOnce, async (url) => {
      const answer = await this.octokit.request({ method: 'GET', url, request: rawBody });
      return { answer, page: await page(answer) };
    });
    for await (const numberedPage of numbered) {
      response = numberedPage.answer;
      yield numberedPage.page;
    }
    // Cursor pages (`after=`), or pages added since the first answer named the last: one after another.
    for (let next = nextLink(response.headers.link); next; next = nextLink(response.headers.link)) {
      response = await this.octokit.request({ method: 'GET', url: next, request: this.requestOptions('chain') });
      yield await page(response);
    }
  }

  /**
   * A GraphQL query sent as a plain POST so the response headers (request id, rate limit) are kept
   * as provenance. GraphQL reports failures inside a 200 response; they become stable codes here.
   */
  async graphql<S extends z.ZodType>(query: string, variables: Record<string, unknown>, schema: S, order: RequestOrder = 'any'): Promise<Fetched<z.output<S>>> {
    const { data, request } = await this.graphqlData(query, variables, order);
    return { data: parse(schema, data, request), request };
  }

  /** A GraphQL answer's `data`, not yet validated against the query's schema; errors are thrown as codes. */
  private async graphqlData(query: string, variables: Record<string, unknown>, order: RequestOrder = 'any'): Promise<{ data: unknown; request: RequestRef }> {
    const operation = /query\s+(\w+)/.exec(query)?.[1] ?? 'query';
    for (let attempt = 0; ; attempt++) {
      const response = await this.octokit.request({ method: 'POST', url: this.graphqlUrl, query, variables, request: this.requestOptions(order) });
      const request = { ...this.requestRef('POST', response), url: `${sanitizeUrl(response.url)}#${operation}` };
      const body = parse(graphqlEnvelope, await jsonBody(response.data), request);
      if (body.errors?.length) {
        const first = body.errors[0]!;
        const code = graphqlErrorCode(first.type);
        // The HTTP layer has already noted the exhausted budget and waits for the reset.
        if (code === 'rate_limited' && attempt < 2) continue;
        throw new CollectError(code, `GraphQL ${operation}: ${first.type ?? 'error'}: ${first.message}`, { endpoint: request.url });
      }
      return { data: body.data, request };
    }
  }

  /**
   * A GraphQL cursor chain over the org's repositories (`organization.repositories`, 100 a page),
   * yielding each answer's `organization` (a missing organization is `not_found`): each next page
   * is asked for as soon as the previous answer names its cursor, before that answer is validated
   * (see {@link cursorChain}).
   */
  repositoryChain<S extends z.ZodType<{ organization: { repositories: { pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null }>>(
    query: string,
    schema: S,
  ): AsyncGenerator<Fetched<NonNullable<z.output<S>['organization']>>> {
    const cursorOf = (pageInfo: { hasNextPage?: unknown } | undefined) => (pageInfo?.hasNextPage === true ? cursorIn(pageInfo, 'endCursor') : undefined);
    return cursorChain(
      (cursor) => this.graphqlData(query, { org: this.org, cursor: cursor ?? null }, 'chain'),
      ({ data }) => cursorOf((data as { organization?: { repositories?: { pageInfo?: { hasNextPage?: unknown } } } } | null)?.organization?.repositories?.pageInfo),
      ({ data, request }) => {
        const organization: z.output<S>['organization'] = parse(schema, data, request).organization;
        if (!organization) throw new CollectError('not_found', `organization ${this.org} not found`, { endpoint: request.url });
        return { page: { data: organization, request }, cursor: cursorOf(organization.repositories.pageInfo) };
      },
    );
  }

  /**
   * All repositories of the org (GraphQL, 100 per request) with default-branch classic protection,
   * the rulesets that apply to each and whether Dependabot alerts are on; fetched once per run (one
   * cursor chain) and shared by the branch_protection, repository_settings and merged_pull_requests
   * collectors. Each page reaches a reader as soon as it arrives, so merged_pull_requests sends its
   * first batches while the chain is still running.
   */
  repositoryListing(): SharedListing<Page<RepositoryNode>> {
    return (this.listing ??= new SharedListing(this.repositoryPagesInOrder()));
  }

  private async *repositoryPagesInOrder(): AsyncGenerator<Page<RepositoryNode>> {
    for await (const { data, request } of this.repositoryChain(repositoriesQuery, repositoriesResponse)) {
      yield { items: data.repositories.nodes, request };
    }
  }

  /** Octokit's per-request options: the raw body always, and the chain transport for a chain's page. */
  private requestOptions(order: RequestOrder): { parseSuccessResponseBody: false; fetch?: typeof fetch } {
    return order === 'chain' ? { ...rawBody, fetch: this.chainFetch } : rawBody;
  }

  private requestRef(method: string, response: { url: string; status: number; headers: Record<string, unknown> }): RequestRef {
    const requestId = response.headers['x-github-request-id'];
    return {
      method,
      url: sanitizeUrl(response.url),
      status: response.status,
      ...(typeof requestId === 'string' ? { requestId } : {}),
      at: this.clock.now().toISOString(),
    };
  }
}

/**
 * GitHub Enterprise Server serves REST under `https://host/api/v3` but GraphQL at
 * `https://host/api/graphql`, not `/api/v3/graphql` (the same mapping `@octokit/graphql` makes).
 * Elsewhere (github.com, a test server) GraphQL is `/graphql` under the REST base.
 */
export function graphqlEndpoint(baseUrl: string | undefined): string {
  const ghesRest = /\/api\/v3\/?$/;
  return baseUrl && ghesRest.test(baseUrl) ? baseUrl.replace(ghesRest, '/api/graphql') : '/graphql';
}

const graphqlEnvelope = z.object({
  data: z.unknown().optional(),
  errors: z.array(z.object({ type: z.string().optional(), message: z.string() })).optional(),
});

function graphqlErrorCode(type: string | undefined): CollectErrorCode {
  switch (type) {
    case 'NOT_FOUND':
      return 'not_found';
    case 'FORBIDDEN':
    case 'INSUFFICIENT_SCOPES':
      return 'permission_denied';
    case 'RATE_LIMITED':
      return 'rate_limited';
    default:
      return 'invalid_payload';
  }
}


/**
 * Octokit's own parsing of a successful body is turned off (`rawBody`) and done by {@link jsonBody}:
 * Octokit parses JSON with json-with-bigint, which on Node 20 scans the whole text with a regular
 * expression and revives every value, about 8 times the CPU of `JSON.parse` (measured on a page of
 * 100 members). GitHub's ids are below 2^53, so plain numbers lose nothing. Error bodies are still
 * parsed by Octokit, for its `RequestError`.
 */
const rawBody = { parseSuccessResponseBody: false } as const;

/**
 * A successful response's body (a stream, as `rawBody` leaves it) parsed as JSON. Like Octokit, a
 * body that is not JSON stays text, so the schema check rejects it naming the endpoint.
 */
async function jsonBody(body: unknown): Promise<unknown> {
  if (!(body instanceof ReadableStream)) return body;
  const text = await new Response(body as ReadableStream<Uint8Array>).text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function nextLink(link: unknown): string | undefined {
  if (typeof link !== 'string') return undefined;
  return /<([^>]+)>;\s*rel="next"/.exec(link)?.[1];
}

/** Numbered pages of one listing read at once (of the instance's requests in flight). */
const pagesAtOnce = 4;

/**
 * The URLs of every page after the first of a listing GitHub pages by number: `rel="next"` and
 * `rel="last"` differ only in `page` (`/orgs/{org}/members?page=2&per_page=100` … `page=50`).
 * Empty for a single page or cursor pages (`after=`, as Dependabot alerts), which must be followed.
 */
export function numberedPageUrls(link: unknown): string[] {
  if (typeof link !== 'string') return [];
  const next = nextLink(link);
  const last = /<([^>]+)>;\s*rel="last"/.exec(link)?.[1];
  if (!next || !last) return [];
  const [nextUrl, lastUrl] = [new URL(next), new URL(last)];
  const [from, to] = [Number(nextUrl.searchParams.get('page')), Number(lastUrl.searchParams.get('page'))];
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 2 || to < from) return [];
  // Both re-serialized the same way before they are compared.
  for (const url of [nextUrl, lastUrl]) url.searchParams.set('page', String(from));
  if (lastUrl.href !== nextUrl.href) return [];
  return Array.from({ length: to - from + 1 }, (_, i) => {
    nextUrl.searchParams.set('page', String(from + i));
    return nextUrl.href;
  });
}
