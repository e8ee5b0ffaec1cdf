/**
 * Google's OAuth token endpoint (service-account JWT grant) and the Admin SDK Directory and
 * Reports APIs for the sandbox account, through the shared sandbox front door. Only routes and
 * encodes: `maxResults`/`nextPageToken` paging, Google's error JSON (401, 403, 429).
 */
import { generateKeyPairSync, randomUUID, verify } from 'node:crypto';
import { jsonResponse, startSandboxServer, type SandboxFaults, type SandboxRequest, type SandboxResponse, type SandboxServer } from '../http-server.js';
import type { GoogleWorld, LoginActivity } from './data.js';

export interface GoogleSandboxOptions {
  /** The admin the service account may impersonate (domain-wide delegation granted for it). */
  adminEmail: string;
  /** Scopes granted to the service account in the Admin console. */
  grantedScopes: readonly string[];
  /** API paths (prefixes) the impersonated admin may not read: 403 Not Authorized. */
  deny?: readonly string[];
  /** Caps every page below the API's own maximum, so tests exercise `nextPageToken` on small accounts. */
  pageSize?: number;
  faults?: SandboxFaults;
}

export interface GoogleSandbox extends SandboxServer {
  /** A service-account JSON key whose `token_uri` is this server (as a real key names Google's). */
  serviceAccountKey: string;
  /** Access tokens issued so far (tests assert none leaks into evidence or logs). */
  issuedTokens(): readonly string[];
}

const googleError = (status: number, message: string, reason: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  jsonResponse(status, { error: { code: status, message, errors: [{ message, domain: 'global', reason, ...extra }] } }, headers);

/** Starts the Google Workspace sandbox on 127.0.0.1 with a fresh service-account key pair. */
export async function startGoogleSandbox(world: GoogleWorld, options: GoogleSandboxOptions): Promise<GoogleSandbox> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = 'annexa-reader@acme-security.iam.gserviceaccount.com';
  const tokens: string[] = [];
  let base = '';

  function token(request: SandboxRequest): SandboxResponse {
    const form = new URLSearchParams(request.body.toString('utf8'));
    const refuse = (error: string, description: string) => jsonResponse(400, { error, error_description: description });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return refuse('unsupported_grant_type', 'Invalid grant_type.');
    const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
    if (!header || !claims || !signature) return refuse('invalid_grant', 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.');
    const signed = verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, 'base64url'));
    if (!signed) return refuse('invalid_grant', 'Invalid JWT Signature.');
    const c = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { iss?: string; sub?: string; scope?: string; aud?: string };
    if (c.iss !== clientEmail) return refuse('invalid_client', 'The OAuth client was not found.');
    const scopes = (c.scope ?? '').split(' ');
    if (c.sub !== options.adminEmail || !scopes.every((s) => options.grantedScopes.includes(s))) {
      return refuse('unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.');
    }
    const accessToken = `ya29.sbx-${randomUUID().replaceAll('-', '')}`;
    tokens.push(accessToken);
    return jsonResponse(200, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' });
  }

  function page<T>(url: URL, items: readonly T[], field: string, kind: string, defaultMax: number, limit: number): SandboxResponse {
    const max = Math.min(Number(url.searchParams.get('maxResults') ?? defaultMax) || defaultMax, limit, options.pageSize ?? Infinity);
    const start = Number(Buffer.from(url.searchParams.get('pageToken') ?? '', 'base64url').toString() || '0');
    const body: Record<string, unknown> = { kind, etag: `"${kind}:${start}"`, [field]: items.slice(start, start + max) };
    if (start + max < items.length) body.nextPageToken = Buffer.from(String(start + max)).toString('base64url');
    return jsonResponse(200, body);
  }

  const usersByKey = new Map(world.users.flatMap((u) => [[u.id, u] as const, [u.primaryEmail, u] as const]));

  // Every page of a login-event listing names the same startTime: filtered once, not once a page
  // (50,000 events at scale 50, 25 ms a page on this fake's one event loop).
  let loginEventsFrom: { start: string; events: readonly LoginActivity[] } | undefined;
  const loginEventsSince = (start: string): readonly LoginActivity[] => {
    if (loginEventsFrom?.start !== start) loginEventsFrom = { start, events: world.loginEvents.filter((e) => e.id.time >= start) };
    return loginEventsFrom.events;
  };

  function api(request: SandboxRequest): SandboxResponse {
    const { pathname, searchParams } = request.url;
    const auth = request.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !tokens.includes(auth.slice(7))) {
      return googleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'authError', {
        location: 'Authorization',
        locationType: 'header',
      });
    }
    if (options.deny?.some((d) => pathname.startsWith(d))) return googleError(403, 'Not Authorized to access this resource/api', 'forbidden');
    const customer = searchParams.get('customer');
    if (pathname === '/admin/directory/v1/users') {
      if (customer !== 'my_customer' && customer !== world.customerId) return googleError(400, 'Bad Request', 'badRequest');
      return page(request.url, world.users, 'users', 'admin#directory#users', 100, 500);
    }
    // One user by id or primary email: the connector lists instead; the benchmark's naive baseline calls this.
    const oneUser = /^\/admin\/directory\/v1\/users\/([^/]+)$/.exec(pathname);
    if (oneUser) {
      const key = decodeURIComponent(oneUser[1]!);
      const user = usersByKey.get(key);
      return user ? jsonResponse(200, user) : googleError(404, 'Resource Not Found: userKey', 'notFound');
    }
    const roleRoute = /^\/admin\/directory\/v1\/customer\/([^/]+)\/(roles|roleassignments)$/.exec(pathname);
    if (roleRoute) {
      if (roleRoute[2] === 'roles') return page(request.url, world.roles, 'items', 'admin#directory#roles', 100, 100);
      return page(request.url, world.roleAssignments, 'items', 'admin#directory#roleAssignments', 100, 200);
    }
    if (pathname === '/admin/reports/v1/activity/users/all/applications/login') {
      const start = searchParams.get('startTime');
      return page(request.url, start ? loginEventsSince(start) : world.loginEvents, 'items', 'admin#reports#activities', 1000, 1000);
    }
    return googleError(404, 'Not Found', 'notFound');
  }

  const server = await startSandboxServer(
    {
      name: 'google-workspace',
      handle(request) {
        if (request.url.pathname === '/token' && request.method === 'POST') return token(request);
        if (request.method !== 'GET') return googleError(405, 'Method Not Allowed', 'methodNotAllowed');
        return api(request);
      },
      serverError: (_request, message) => googleError(503, `The service is currently unavailable (${message}).`, 'backendError'),
      refused: (_request, status) =>
        status === 401
          ? googleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'authError')
          : googleError(403, 'Not Authorized to access this resource/api', 'forbidden'),
      throttled: (_request, seconds) =>
        googleError(429, "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'.", 'rateLimitExceeded', {}, { 'retry-after': String(seconds) }),
    },
    options.faults ? { faults: options.faults } : {},
  );
  base = server.url;
  const serviceAccountKey = JSON.stringify({
    type: 'service_account',
    project_id: 'acme-security',
    private_key_id: randomUUID().replaceAll('-', ''),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: clientEmail,
    client_id: '104857600000000000001',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: `${base}/token`,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
  });
  return { ...server, serviceAccountKey, issuedTokens: () => tokens };
}
