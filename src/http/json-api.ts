import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { RequestRef } from '../core/connector.js';
import { CollectError, codeForHttpStatus } from '../core/errors.js';
import { sanitizeUrl } from './sanitize-url.js';

/** One API response, validated, with its provenance. */
export interface Fetched<T> {
  data: T;
  request: RequestRef;
}

/** What a plain JSON REST client needs: the shared HTTP layer's fetch, the clock, fixed headers. */
export interface JsonApiOptions {
  /** The instance's shared HTTP layer (queue, retries, rate limits). */
  fetch: typeof fetch;
  clock: Clock;
  /** Sent with every request (authorization, accept). */
  headers: Record<string, string>;
  /** Response header holding the API's own request id (`x-arequestid` for Jira), kept as provenance. */
  requestIdHeader?: string;
  signal?: AbortSignal;
}

/**
 * An HTTP status the retry policy gave up on. `status` lets {@link classifyError} map it to a
 * stable code; connectors may map API-specific statuses (a rejected JQL query) themselves.
 */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  constructor(
    readonly status: number,
    readonly endpoint: string,
    /** The API's own error text, when its error body had one. */
    readonly apiMessage: string | undefined,
  ) {
    super(`GET ${endpoint}${apiMessage ? `: ${apiMessage}` : ''}`);
  }
}

/**
 * GET a JSON document through the shared HTTP layer and validate it at the boundary. Non-2xx
 * answers become an {@link HttpStatusError} (its code follows the status: 401 `auth_failed`,
 * 403 `permission_denied`, ...), with the API's error message when its body carries one.
 */
export async function getJson<S extends z.ZodType>(options: JsonApiOptions, url: string, schema: S): Promise<Fetched<z.output<S>>> {
  const { body, request } = await getJsonBody(options, url);
  return { data: parseResponse(schema, body, request), request };
}

/** {@link getJson} without the validation: the parsed JSON body, for a caller that validates it later. */
export async function getJsonBody(options: JsonApiOptions, url: string): Promise<{ body: unknown; request: RequestRef }> {
  const response = await options.fetch(url, { method: 'GET', headers: options.headers, ...(options.signal ? { signal: options.signal } : {}) });
  const requestId = options.requestIdHeader ? response.headers.get(options.requestIdHeader) : null;
  const request: RequestRef = {
    method: 'GET',
    url: sanitizeUrl(url),
    status: response.status,
    ...(requestId ? { requestId } : {}),
    at: options.clock.now().toISOString(),
  };
  const text = await response.text();
  if (!response.ok) {
    const error = new HttpStatusError(response.status, request.url, apiErrorMessage(text));
    if (codeForHttpStatus(response.status)) throw error;
    throw new CollectError('unexpected', `HTTP ${response.status}: ${error.message}`, { cause: error, endpoint: request.url });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CollectError('invalid_payload', `GET ${request.url} returned a body that is not JSON (${text.slice(0, 60)})`, { endpoint: request.url });
  }
  return { body, request };
}

/**
 * Validates an API answer at the boundary: an HTTP response (named by its request) or an SDK
 * call's output (named by the call, `iam:GetAccountSummary`). The error names the endpoint or call
 * and the first offending fields.
 */
export function parseResponse<S extends z.ZodType>(schema: S, value: unknown, source: RequestRef | string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const where = result.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  const endpoint = typeof source === 'string' ? source : source.url;
  const named = typeof source === 'string' ? source : `${source.method} ${source.url}`;
  throw new CollectError('invalid_payload', `${named} returned an unexpected payload: ${where}`, { endpoint });
}

/**
 * The human part of a REST error body: Jira's `errorMessages`/`errors`, or the `message`/`error`
 * most APIs use. Cut to 200 characters; the pipeline redacts it before storing.
 */
function apiErrorMessage(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text.trim() ? text.trim().slice(0, 200) : undefined;
  }
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as { errorMessages?: unknown; errors?: unknown; message?: unknown; error?: unknown };
  const parts: string[] = [];
  if (Array.isArray(b.errorMessages)) parts.push(...b.errorMessages.filter((m): m is string => typeof m === 'string'));
  if (b.errors && typeof b.errors === 'object' && !Array.isArray(b.errors)) {
    parts.push(...Object.entries(b.errors).map(([k, v]) => `${k}: ${String(v)}`));
  }
  if (typeof b.message === 'string') parts.push(b.message);
  if (typeof b.error === 'string') parts.push(b.error);
  return parts.length ? parts.join('; ').slice(0, 200) : undefined;
}
