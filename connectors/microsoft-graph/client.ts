import { AuthenticationHandler, Client, GraphClientError, ResponseType, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import { ClientCertificateCredential, ClientSecretCredential, type AccessToken, type TokenCredential } from '@azure/identity';
import { createHttpHeaders, type HttpClient } from '@azure/core-rest-pipeline';
import { z } from 'zod';
import type { Clock } from '../../src/core/clock.js';
import type { ConnectorIO, RequestRef } from '../../src/core/connector.js';
import { CollectError, codeForHttpStatus, collectErrorIn, type ClassifiedError } from '../../src/core/errors.js';
import { sanitizeUrl } from '../../src/http/sanitize-url.js';
import { graphClouds, type MicrosoftGraphSettings } from './settings.js';
import { parseResponse as parse } from '../../src/http/json-api.js';
import { cursorChain, cursorIn } from '../../src/core/concurrency.js';

/** A page of items and the request that produced it. */
export interface Page<T> {
  items: T[];
  request: RequestRef;
}

/** Graph's error body: `{ "error": { "code": "Authorization_RequestDenied", "message": "…" } }`. */
const graphErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string().optional() }) });

/** A non-2xx Graph answer, with Graph's own error code (`Authorization_RequestDenied`). */
export class GraphRequestError extends Error {
  override readonly name = 'GraphRequestError';
  constructor(
    readonly status: number,
    readonly graphCode: string,
    /** Graph's own message (`Request not applicable to target tenant.`). */
    readonly graphMessage: string,
    message: string,
    readonly endpoint: string,
  ) {
    super(message);
  }
}

/**
 * Graph error codes that mean "the tenant lacks the licence", not "the app lacks the permission":
 * sign-in activity and the registration report without Entra ID P1/P2, access reviews and PIM
 * without P2, Intune endpoints without an Intune licence.
 */
export const licenceErrorCodes: ReadonlySet<string> = new Set([
  'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
  'AadPremiumLicenseRequired',
  'RequestFromNonPremiumTenant',
]);

/** Whether an error is Graph saying the tenant is not licensed for the feature. */
export function isLicenceError(error: unknown): error is GraphRequestError {
  if (!(error instanceof GraphRequestError)) return false;
  // Intune's answer for a tenant without Intune (or without an MDM authority).
  if (error.status === 400 && /not applicable to target tenant/i.test(error.graphMessage)) return true;
  return licenceErrorCodes.has(error.graphCode);
}

/**
 * The final link of the Graph client's middleware chain: sends the request through the
 * connector's shared HTTP layer (queue, retries, `Retry-After` on 429/503) instead of the
 * SDK's global fetch and its own retry handler.
 */
class SharedHttpHandler implements Middleware {
  constructor(private readonly fetchFn: typeof fetch) {}
  async execute(context: Context): Promise<void> {
    try {
      context.response = await this.fetchFn(context.request, context.options);
    } catch (error) {
      // The SDK rebuilds any other error as a GraphError without its cause, so a timeout or reset
      // from the shared layer would lose its stable code and surface as `unexpected`; a
      // GraphClientError is passed through as is, and classification finds the code in its cause.
      throw throughGraphSdk(error);
    }
  }
}

/** An error the Graph SDK passes on unchanged (a GraphClientError), carrying `error` as its cause. */
function throughGraphSdk(error: unknown): GraphClientError {
  const passed = new GraphClientError(error instanceof Error ? error.message : String(error));
  passed.customError = error;
  Object.defineProperty(passed, 'cause', { value: error });
  return passed;
}

/**
 * An Azure SDK HttpClient over the shared HTTP layer, so @azure/identity's token requests obey
 * the same policy (and, in tests, reach the local token endpoint) as every other call.
 */
export function fetchHttpClient(fetchFn: typeof fetch): HttpClient {
  return {
    async sendRequest(request) {
      const body = typeof request.body === 'string' ? request.body : undefined;
      const response = await fetchFn(request.url, {
        method: request.method,
        headers: Object.fromEntries(request.headers),
        ...(body !== undefined ? { body } : {}),
        ...(request.abortSignal ? { signal: request.abortSignal as AbortSignal } : {}),
      });
      return {
        request,
        status: response.status,
        headers: createHttpHeaders(Object.fromEntries(response.headers)),
        bodyAsText: await response.text(),
      };
    },
  };
}

/**
 * One token per connector instance: concurrent collectors share the in-flight request and the
 * token until five minutes before it expires (MSAL's own cache is per call site, not per run).
 */
export function sharedTokenCredential(credential: TokenCredential): TokenCredential {
  let current: AccessToken | null = null;
  let pending: Promise<AccessToken | null> | undefined;
  return {
    getToken(scopes, options) {
      if (current && current.expiresOnTimestamp - Date.now() > 5 * 60_000) return Promise.resolve(current);
      pending ??= credential
        .getToken(scopes, options)
        .then((token) => (current = token))
        .finally(() => {
          pending = undefined;
        });
      return pending;
    },
  };
}

/**
 * The sign-in host's fetch, remembering its last transport failure (timeout, reset, rate limit
 * beyond the wait, 5xx after retries): MSAL reports any of them as `endpoints_resolution_error`
 * or a bare network error, without the cause, the code or the endpoint.
 */
function recordSignInFailure(fetchFn: typeof fetch, signIn: { failure?: CollectError }): typeof fetch {
  return async (input, init) => {
    try {
      const response = await fetchFn(input, init);
      if (response.status >= 500) {
        const url = sanitizeUrl(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
        signIn.failure = new CollectError('server_error', `${init?.method ?? 'GET'} ${url}: HTTP ${response.status}`, { endpoint: url });
      }
      return response;
    } catch (error) {
      signIn.failure = collectErrorIn(error);
      throw error;
    }
  };
}

/** A token request that failed on the wire fails with that failure's code, named as a token request. */
function keepSignInFailure(credential: TokenCredential, signIn: { failure?: CollectError }): TokenCredential {
  return {
    async getToken(scopes, options) {
      signIn.failure = undefined;
      try {
        return await credential.getToken(scopes, options);
      } catch (error) {
        const failure = signIn.failure as CollectError | undefined;
        if (!failure) throw error;
        throw throughGraphSdk(new CollectError(failure.code, `token request failed: ${failure.message}`, { cause: error, ...(failure.endpoint ? { endpoint: failure.endpoint } : {}) }));
      }
    },
  };
}

/** App-only credential (client secret or certificate) for the tenant, in the configured cloud. */
export function createGraphCredential(settings: MicrosoftGraphSettings, fetchFn: typeof fetch): TokenCredential {
  const options = {
    authorityHost: settings.authorityHost ?? graphClouds[settings.cloud].authorityHost,
    httpClient: fetchHttpClient(fetchFn),
    // A sign-in host that is not one of Microsoft's clouds cannot be validated by instance discovery.
    disableInstanceDiscovery: settings.authorityHost !== undefined,
    additionallyAllowedTenants: [] as string[],
  };
  if (settings.clientCertificate) {
    return new ClientCertificateCredential(settings.tenantId, settings.clientId, { certificate: settings.clientCertificate.reveal() }, options);
  }
  if (!settings.clientSecret) throw new CollectError('config', 'microsoft-graph: clientSecret or clientCertificate is required');
  return new ClientSecretCredential(settings.tenantId, settings.clientId, settings.clientSecret.reveal(), options);
}

/**
 * Microsoft Graph v1.0 on the official SDK. The middleware chain is the SDK's own
 * AuthenticationHandler (it attaches the token only to Graph hosts and declared custom hosts)
 * followed by the shared HTTP layer. Responses are read raw so the request id is kept as
 * provenance, and every body is zod-validated at the boundary.
 */
export class GraphApi {
  constructor(
    private readonly client: Client,
    private readonly clock: Clock,
    /** Origin every request (and every `@odata.nextLink`) must stay on. */
    readonly origin: string,
  ) {}

  static create(settings: MicrosoftGraphSettings, io: ConnectorIO): GraphApi {
    const cloud = graphClouds[settings.cloud];
    const signIn: { failure?: CollectError } = {};
    const credential = sharedTokenCredential(keepSignInFailure(createGraphCredential(settings, recordSignInFailure(io.fetch, signIn)), signIn));
    const auth = new AuthenticationHandler(new TokenCredentialAuthenticationProvider(credential, { scopes: [`${cloud.graphHost}/.default`] }));
    auth.setNext(new SharedHttpHandler(io.fetch));
    const baseUrl = (settings.graphBaseUrl ?? cloud.graphHost).replace(/\/?$/, '/');
    const customHosts = settings.graphBaseUrl ? new Set([new URL(settings.graphBaseUrl).hostname]) : undefined;
    const client = Client.initWithMiddleware({ middleware: auth, baseUrl, defaultVersion: 'v1.0', ...(customHosts ? { customHosts } : {}) });
    return new GraphApi(client, io.clock, new URL(baseUrl).origin);
  }

  /** One GET (a path under v1.0 with its query, or an absolute `@odata.nextLink`), validated. */
  async get<S extends z.ZodType>(pathOrUrl: string, schema: S): Promise<{ data: z.output<S>; request: RequestRef }> {
    const { body, request } = await this.getBody(pathOrUrl);
    return { data: parse(schema, body, request), request };
  }

  /** One GET's JSON body, not yet validated; a Graph error answer is thrown as its error. */
  private async getBody(pathOrUrl: string): Promise<{ body: unknown; request: RequestRef }> {
    if (/^https?:/.test(pathOrUrl) && new URL(pathOrUrl).origin !== this.origin) {
      // The token must never follow a link off the Graph host.
      throw new CollectError('invalid_payload', `Graph returned a link to another host: ${sanitizeUrl(pathOrUrl)}`, { endpoint: sanitizeUrl(pathOrUrl) });
    }
    const response = (await this.client.api(pathOrUrl).responseType(ResponseType.RAW).get()) as Response;
    const request = this.requestRef('GET', response);
    const body = await jsonBody(response, request, response.ok);
    if (!response.ok) throw graphError(response.status, body, request.url);
    return { body, request };
  }

  /** Follows `@odata.nextLink` to the end, yielding each page of `value` validated. */
  pages<S extends z.ZodType>(path: string, itemSchema: S): AsyncGenerator<Page<z.output<S>>> {
    const pageSchema = z.object({ value: z.array(itemSchema), '@odata.nextLink': z.string().optional() });
    return cursorChain(
      (next) => this.getBody(next ?? path),
      ({ body }) => cursorIn(body, '@odata.nextLink'),
      ({ body, request }) => {
        const data = parse(pageSchema, body, request);
        return { page: { items: data.value, request }, cursor: cursorIn(data, '@odata.nextLink') };
      },
    );
  }

  /**
   * JSON batching: up to 20 GETs in one request. Each answer is validated (or turned into its
   * error); a listing longer than one page continues with its own `@odata.nextLink`.
   */
  async batch<S extends z.ZodType>(paths: readonly string[], schema: S): Promise<({ data: z.output<S>; request: RequestRef } | { error: GraphRequestError; path?: string })[]> {
    const out: ({ data: z.output<S>; request: RequestRef } | { error: GraphRequestError; path?: string })[] = [];
    for (let start = 0; start < paths.length; start += 20) {
      const chunk = paths.slice(start, start + 20);
      const response = (await this.client
        .api('/$batch')
        .responseType(ResponseType.RAW)
        .post({ requests: chunk.map((url, i) => ({ id: String(i), method: 'GET', url })) })) as Response;
      const batchRequest = this.requestRef('POST', response);
      const body = await jsonBody(response, batchRequest, response.ok);
      if (!response.ok) throw graphError(response.status, body, batchRequest.url);
      const parsed = parse(batchResponse, body, batchRequest);
      const byId = new Map(parsed.responses.map((r) => [r.id, r]));
      chunk.forEach((path, i) => {
        const answer = byId.get(String(i));
        const request = { ...batchRequest, url: `${batchRequest.url}#${path}` };
        if (!answer) throw new CollectError('invalid_payload', `$batch answered no response for ${path}`, { endpoint: batchRequest.url });
        if (answer.status >= 400) out.push({ error: graphError(answer.status, answer.body, request.url), path });
        else out.push({ data: parse(schema, answer.body, request), request: { ...request, status: answer.status } });
      });
    }
    // A throttled or failed item inside a batch is asked for again on its own, through the shared
    // HTTP layer, which honours its Retry-After and retries 5xx.
    for (const [i, answer] of out.entries()) {
      if ('error' in answer && answer.path && (answer.error.status === 429 || answer.error.status >= 500)) out[i] = await this.get(answer.path, schema);
    }
    return out;
  }

  private requestRef(method: string, response: Response): RequestRef {
    const requestId = response.headers.get('request-id') ?? response.headers.get('client-request-id');
    return {
      method,
      url: sanitizeUrl(response.url),
      status: response.status,
      ...(requestId ? { requestId } : {}),
      at: this.clock.now().toISOString(),
    };
  }
}

/**
 * A response body as JSON. A success that is not JSON is `invalid_payload` naming the request; an
 * error body that is not JSON is only an error without Graph's details (undefined).
 */
async function jsonBody(response: Response, request: RequestRef, required: boolean): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (!required) return undefined;
    throw new CollectError('invalid_payload', `${request.method} ${request.url} returned a body that is not JSON (${text.slice(0, 60)})`, { endpoint: request.url });
  }
}

const batchResponse = z.object({
  responses: z.array(z.object({ id: z.string(), status: z.number(), body: z.unknown().optional() })),
});

function graphError(status: number, body: unknown, endpoint: string): GraphRequestError {
  const parsed = graphErrorBody.safeParse(body);
  const code = parsed.success ? parsed.data.error.code : `HTTP${status}`;
  const message = parsed.success ? (parsed.data.error.message ?? code) : `HTTP ${status}`;
  return new GraphRequestError(status, code, message, `${endpoint}: HTTP ${status} ${code}: ${message}`, endpoint);
}

/** Graph failures to stable codes (a 403 `Authorization_RequestDenied` is a missing permission). */
export function classifyGraphError(error: unknown): ClassifiedError | undefined {
  // @azure/identity: the token endpoint refused the app (wrong secret, unknown app or tenant).
  const name = (error as { name?: unknown } | null)?.name;
  const text = error instanceof Error ? error.message : '';
  if (name === 'AuthenticationError' || name === 'CredentialUnavailableError' || /^(invalid_client|unauthorized_client|invalid_grant)\b|AADSTS\d+/.test(text)) {
    return { code: 'auth_failed', message: `token request refused: ${(error as Error).message.split('\n')[0]}` };
  }
  if (!(error instanceof GraphRequestError)) return undefined;
  if (error.graphCode === 'Authorization_RequestDenied' || error.status === 403) return { code: 'permission_denied', message: error.message };
  const code = codeForHttpStatus(error.status);
  return code ? { code, message: error.message } : { code: 'unexpected', message: error.message };
}
