import { admin, auth, type admin_directory_v1, type admin_reports_v1 } from '@googleapis/admin';
import { z } from 'zod';
import type { Clock } from '../../src/core/clock.js';
import type { ConnectorIO, RequestRef } from '../../src/core/connector.js';
import { CollectError, type ClassifiedError } from '../../src/core/errors.js';
import { sanitizeUrl } from '../../src/http/sanitize-url.js';
import { parseResponse as parse } from '../../src/http/json-api.js';
import { googleScopes, type GoogleWorkspaceSettings } from './settings.js';
import { cursorChain, cursorIn } from '../../src/core/concurrency.js';

/** The token endpoint google-auth-library signs its JWT grant for. */
const googleTokenUrl = 'https://oauth2.googleapis.com/token';

/** The fields of a service-account JSON key the connector uses. */
const serviceAccountKey = z.object({
  type: z.literal('service_account'),
  client_email: z.string(),
  private_key: z.string(),
  token_uri: z.url(),
});

/** A page of items and the request that produced it. */
export interface Page<T> {
  items: T[];
  request: RequestRef;
}

/** A method of the generated client that lists one page (`users.list`, `activities.list`). */
type ListMethod<P> = (params: P) => Promise<{ data: unknown; status: number; config: { url?: string | URL } }>;

/**
 * Google Admin SDK (Directory and Reports) on `@googleapis/admin`, authorised as a service account
 * impersonating an admin (domain-wide delegation). Every call, the OAuth token exchange included,
 * goes through the shared HTTP layer; the token exchange is sent to the key's own `token_uri`.
 */
export class GoogleAdminApi {
  constructor(
    readonly directory: admin_directory_v1.Admin,
    readonly reports: admin_reports_v1.Admin,
    readonly customerId: string,
    private readonly clock: Clock,
  ) {}

  static create(settings: GoogleWorkspaceSettings, io: ConnectorIO): GoogleAdminApi {
    let raw: unknown;
    try {
      raw = JSON.parse(settings.serviceAccountKey.reveal());
    } catch {
      throw new CollectError('config', `serviceAccountKey (${settings.serviceAccountKey.source}) is not JSON`);
    }
    const parsed = serviceAccountKey.safeParse(raw);
    if (!parsed.success) {
      throw new CollectError('config', `serviceAccountKey (${settings.serviceAccountKey.source}) is not a service-account key: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
    }
    const key = parsed.data;
    // google-auth-library always posts its JWT grant to Google's token URL; a key from another
    // issuer (a test server) names its own token_uri, which is where the grant is sent.
    const fetchImplementation: typeof fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      return io.fetch(url === googleTokenUrl && key.token_uri !== googleTokenUrl ? key.token_uri : input, init);
    };
    const jwt = new auth.JWT({
      email: key.client_email,
      key: key.private_key,
      scopes: [...googleScopes],
      subject: settings.adminEmail,
      transporterOptions: { fetchImplementation, retry: false },
    });
    // The shared HTTP layer retries; the generated client must not retry on top of it.
    const options = { auth: jwt, retry: false, ...(settings.rootUrl ? { rootUrl: settings.rootUrl.replace(/\/?$/, '/') } : {}) };
    return new GoogleAdminApi(admin({ version: 'directory_v1', ...options }), admin({ version: 'reports_v1', ...options }), settings.customerId, io.clock);
  }

  /**
   * Follows `nextPageToken` to the end, yielding each page's `field` validated.
   * `list` calls a generated method; `params` are its parameters (the page token is added here).
   */
  pages<P extends { pageToken?: string }, S extends z.ZodType>(list: ListMethod<P>, params: P, field: string, itemSchema: S): AsyncGenerator<Page<z.output<S>>> {
    const pageSchema = z.object({ [field]: z.array(itemSchema).optional(), nextPageToken: z.string().optional() });
    return cursorChain(
      (pageToken) => list({ ...params, ...(pageToken ? { pageToken } : {}) }),
      (response) => cursorIn(response.data, 'nextPageToken'),
      (response) => {
        const request = this.requestRef(response);
        const data = parse(pageSchema, response.data, request) as Record<string, unknown>;
        return { page: { items: (data[field] as z.output<S>[] | undefined) ?? [], request }, cursor: cursorIn(data, 'nextPageToken') };
      },
    );
  }

  private requestRef(response: { status: number; config: { url?: string | URL } }): RequestRef {
    return { method: 'GET', url: sanitizeUrl(String(response.config.url ?? '')), status: response.status, at: this.clock.now().toISOString() };
  }
}

/**
 * Google failures to stable codes: a refused token exchange (delegation not granted, scope
 * missing) is `auth_failed`; API statuses come with Google's own message.
 */
export function classifyGoogleError(error: unknown): ClassifiedError | undefined {
  const e = error as { message?: unknown; status?: unknown; response?: { status?: number; data?: unknown; config?: { url?: string } } } | null;
  const message = googleMessage(e?.response?.data) ?? (typeof e?.message === 'string' ? e.message : String(error));
  if (/unauthorized_client|invalid_grant|invalid_client/.test(message)) return { code: 'auth_failed', message: `token exchange refused: ${message}` };
  const status = typeof e?.status === 'number' ? e.status : e?.response?.status;
  const url = e?.response?.config?.url ? `${sanitizeUrl(e.response.config.url)}: ` : '';
  if (status === 401) return { code: 'auth_failed', message: `${url}HTTP 401: ${message}` };
  if (status === 403) return { code: 'permission_denied', message: `${url}HTTP 403: ${message}` };
  if (status === 429) return { code: 'rate_limited', message: `${url}HTTP 429: ${message}` };
  return undefined;
}

/** Google's own message from an error body: `{error: {message}}` or OAuth's `{error, error_description}`. */
function googleMessage(data: unknown): string | undefined {
  const body = z
    .union([
      z.object({ error: z.object({ message: z.string() }) }).transform((b) => b.error.message),
      z.object({ error: z.string(), error_description: z.string().optional() }).transform((b) => `${b.error}: ${b.error_description ?? ''}`.trim()),
    ])
    .safeParse(data);
  return body.success ? body.data : undefined;
}
