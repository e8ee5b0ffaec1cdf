/**
 * Microsoft identity platform token endpoint and Microsoft Graph v1.0 for the sandbox tenant,
 * served over HTTPS (MSAL refuses an http authority) through the shared sandbox front door. Only
 * routes and encodes: paging with `$top`/`$skiptoken` and absolute `@odata.nextLink`s, `$select`,
 * `$expand=principal`, JSON `$batch`, Graph's error JSON (403 `Authorization_RequestDenied`,
 * licence errors, 429 `TooManyRequests` with `Retry-After`).
 */
import { randomUUID } from 'node:crypto';
import { jsonResponse, startSandboxServer, type SandboxFaults, type SandboxRequest, type SandboxResponse, type SandboxServer } from '../http-server.js';
import { sandboxTls } from '../tls.js';
import type { EntraLicences, EntraWorld } from './data.js';

export interface EntraSandboxOptions {
  /** The app registration the token endpoint accepts. */
  clientId: string;
  clientSecret: string;
  /** Paid features the tenant has (default: all). */
  licences?: Partial<EntraLicences>;
  /** Graph paths (prefixes under /v1.0) the app has no permission for: 403 Authorization_RequestDenied. */
  deny?: readonly string[];
  /** Caps every page below Graph's own maximum, so tests exercise `@odata.nextLink` on small tenants. */
  pageSize?: number;
  /** The first N requests inside `$batch` calls are answered 429 (Retry-After 1), as Graph throttles batch items one by one. */
  throttleBatchItems?: number;
  faults?: SandboxFaults;
}

export interface EntraSandbox extends SandboxServer {
  /** `https://127.0.0.1:PORT`: both the sign-in host (`authorityHost`) and the Graph base URL. */
  url: string;
  /** Access tokens issued so far (tests assert none leaks into evidence or logs). */
  issuedTokens(): readonly string[];
}

interface Listing {
  items: readonly object[];
  /** Page size without `$top`, and the largest `$top` honoured. */
  defaultTop: number;
  maxTop: number;
  context: string;
}

const graphError = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  jsonResponse(status, { error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': randomUUID(), 'client-request-id': randomUUID() } } }, headers);

/** Starts the Entra ID sandbox (token endpoint + Graph) on 127.0.0.1 over HTTPS. */
export async function startEntraSandbox(world: EntraWorld, options: EntraSandboxOptions): Promise<EntraSandbox> {
  const licences: EntraLicences = { p1: true, p2: true, intune: true, ...options.licences };
  const tokens: string[] = [];
  let throttledItems = 0;
  let base = '';

  function token(request: SandboxRequest): SandboxResponse {
    const form = new URLSearchParams(request.body.toString('utf8'));
    const tokenError = (status: number, error: string, description: string) =>
      jsonResponse(status, { error, error_description: description, error_codes: [7000215], timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() });
    if (form.get('grant_type') !== 'client_credentials') return tokenError(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    if (form.get('client_id') !== options.clientId) return tokenError(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`);
    const assertion = form.get('client_assertion');
    const secretOk = form.get('client_secret') === options.clientSecret;
    // A certificate credential sends a signed JWT; the sandbox accepts any well-formed one.
    const assertionOk = assertion !== null && assertion.split('.').length === 3;
    if (!secretOk && !assertionOk) return tokenError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    const accessToken = `eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ aud: 'https://graph.microsoft.com', tid: world.tenantId, n: tokens.length })).toString('base64url')}.sbx${randomUUID().replaceAll('-', '')}`;
    tokens.push(accessToken);
    return jsonResponse(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken });
  }

  function openIdConfiguration(tenant: string): SandboxResponse {
    const authority = `${base}/${tenant}`;
    return jsonResponse(200, {
      token_endpoint: `${authority}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/${world.tenantId}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${base}/oidc/userinfo`,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${authority}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid'],
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    });
  }

  const withPrincipal = (grant: EntraWorld['roleAssignments'][number]) => {
    const user = world.users.find((u) => u.id === grant.principalId);
    return {
      ...grant,
      principal: user
        ? { '@odata.type': '#microsoft.graph.user', id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName }
        : { '@odata.type': '#microsoft.graph.servicePrincipal', id: grant.principalId, displayName: 'unknown' },
    };
  };

  const registrationsById = new Map(world.registrations.map((r) => [r.id, r]));

  /** A listing for a Graph path, or an error answer. */
  function listing(path: string, url: URL): Listing | SandboxResponse {
    const select = url.searchParams.get('$select')?.split(',') ?? [];
    const licence = (ok: boolean, status: number, code: string, message: string) => (ok ? undefined : graphError(status, code, message));
    if (path === '/users') {
      const denied = select.includes('signInActivity') ? licence(licences.p1, 403, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant', "Neither tenant is B2C or tenant doesn't have premium license") : undefined;
      // Graph caps pages at 500 users when signInActivity is selected, 999 otherwise.
      return denied ?? { items: world.users, defaultTop: 100, maxTop: select.includes('signInActivity') ? 500 : 999, context: 'users' };
    }
    // Per-user methods: the connector reads the registration report instead; the benchmark's naive baseline calls this.
    const methods = /^\/users\/([^/]+)\/authentication\/methods$/.exec(path);
    if (methods) {
      const registered = registrationsById.get(decodeURIComponent(methods[1]!))?.methodsRegistered ?? [];
      const items = ['password', ...registered].map((m, i) => ({ '@odata.type': `#microsoft.graph.${m}AuthenticationMethod`, id: `${methods[1]}-${i}` }));
      return { items, defaultTop: 100, maxTop: 100, context: `users('${methods[1]}')/authentication/methods` };
    }
    if (path === '/reports/authenticationMethods/userRegistrationDetails') {
      return licence(licences.p1, 403, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant', "Neither tenant is B2C or tenant doesn't have premium license") ?? {
        items: world.registrations,
        defaultTop: 1000,
        maxTop: 999,
        context: 'reports/authenticationMethods/userRegistrationDetails',
      };
    }
    if (path === '/identity/conditionalAccess/policies') {
      return licence(licences.p1, 403, 'AadPremiumLicenseRequired', 'The tenant needs an Azure AD Premium P1 license to use conditional access.') ?? {
        items: world.policies,
        defaultTop: 100,
        maxTop: 100,
        context: 'identity/conditionalAccess/policies',
      };
    }
    if (path === '/roleManagement/directory/roleDefinitions') return { items: world.roleDefinitions, defaultTop: 1000, maxTop: 1000, context: 'roleManagement/directory/roleDefinitions' };
    if (path === '/roleManagement/directory/roleAssignments') {
      return { items: world.roleAssignments.map(withPrincipal), defaultTop: 100, maxTop: 999, context: 'roleManagement/directory/roleAssignments' };
    }
    if (path === '/roleManagement/directory/roleEligibilityScheduleInstances') {
      return licence(licences.p2, 400, 'AadPremiumLicenseRequired', 'The tenant needs an AAD Premium 2 license.') ?? {
        items: world.roleEligibilities.map(withPrincipal),
        defaultTop: 100,
        maxTop: 999,
        context: 'roleManagement/directory/roleEligibilityScheduleInstances',
      };
    }
    const reviews = /^\/identityGovernance\/accessReviews\/definitions(?:\/([^/]+)\/instances(?:\/([^/]+)\/decisions)?)?$/.exec(path);
    if (reviews) {
      const denied = licence(licences.p2, 403, 'AadPremiumLicenseRequired', 'The tenant needs an AAD Premium 2 license to use access reviews.');
      if (denied) return denied;
      const [, definitionId, instanceId] = reviews;
      if (!definitionId) return { items: world.reviews.map((r) => r.definition), defaultTop: 100, maxTop: 100, context: 'identityGovernance/accessReviews/definitions' };
      const review = world.reviews.find((r) => r.definition.id === definitionId);
      if (!review) return graphError(404, 'NotFound', `Access review definition ${definitionId} not found.`);
      if (!instanceId) return { items: review.instances.map((i) => i.instance), defaultTop: 100, maxTop: 100, context: `identityGovernance/accessReviews/definitions('${definitionId}')/instances` };
      const inst = review.instances.find((i) => i.instance.id === instanceId);
      if (!inst) return graphError(404, 'NotFound', `Access review instance ${instanceId} not found.`);
      return { items: inst.decisions, defaultTop: 100, maxTop: 100, context: 'decisions' };
    }
    if (path === '/deviceManagement/managedDevices') {
      return licence(licences.intune, 400, 'BadRequest', 'Request not applicable to target tenant.') ?? { items: world.devices, defaultTop: 1000, maxTop: 999, context: 'deviceManagement/managedDevices' };
    }
    return graphError(400, 'BadRequest', `Resource not found for the segment '${path.split('/').pop()}'.`);
  }

  /** One Graph GET under /v1.0 (also used for the requests inside a $batch). */
  function graphGet(pathAndQuery: string): SandboxResponse {
    const url = new URL(pathAndQuery, `${base}/v1.0/`);
    const path = url.pathname.replace(/^\/v1\.0/, '');
    if (options.deny?.some((d) => path.startsWith(d))) return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    const result = listing(path, url);
    if ('status' in result) return result;
    const top = Math.min(Number(url.searchParams.get('$top') ?? result.defaultTop) || result.defaultTop, result.maxTop, options.pageSize ?? Infinity);
    const skip = Number(Buffer.from(url.searchParams.get('$skiptoken') ?? '', 'base64url').toString() || '0');
    const select = url.searchParams.get('$select')?.split(',').filter(Boolean);
    const page = result.items.slice(skip, skip + top).map((item) => {
      const record = item as Record<string, unknown>;
      if (!select) {
        // signInActivity is only returned when selected, as in Graph.
        const { signInActivity: _omitted, ...rest } = record;
        return rest;
      }
      return Object.fromEntries(Object.entries(record).filter(([k]) => select.includes(k) || k === 'principal'));
    });
    const body: Record<string, unknown> = { '@odata.context': `${base}/v1.0/$metadata#${result.context}`, value: page };
    if (skip + top < result.items.length) {
      const next = new URL(url);
      next.searchParams.set('$top', String(top));
      next.searchParams.set('$skiptoken', Buffer.from(String(skip + top)).toString('base64url'));
      body['@odata.nextLink'] = `${base}${next.pathname}${next.search}`;
    }
    return jsonResponse(200, body, { 'odata-version': '4.0' });
  }

  function batch(request: SandboxRequest): SandboxResponse {
    let parsed: { requests?: { id: string; method: string; url: string }[] };
    try {
      parsed = JSON.parse(request.body.toString('utf8')) as typeof parsed;
    } catch {
      return graphError(400, 'BadRequest', 'Invalid batch payload format.');
    }
    const requests = parsed.requests ?? [];
    if (requests.length > 20) return graphError(400, 'BadRequest', 'Number of batch operations exceeds the limit of 20.');
    return jsonResponse(200, {
      responses: requests.map((r) => {
        if (throttledItems < (options.throttleBatchItems ?? 0)) {
          throttledItems += 1;
          return { id: r.id, status: 429, headers: { 'Retry-After': '1', 'Content-Type': 'application/json' }, body: { error: { code: 'TooManyRequests', message: 'Too many requests.' } } };
        }
        const answer = r.method === 'GET' ? graphGet(r.url.replace(/^\//, '')) : graphError(405, 'MethodNotAllowed', 'Only GET is supported here.');
        return { id: r.id, status: answer.status, headers: { 'Content-Type': 'application/json' }, body: JSON.parse(String(answer.body)) as unknown };
      }),
    });
  }

  const server = await startSandboxServer(
    {
      name: 'microsoft-graph',
      handle(request) {
        const answer = route(request);
        // Graph's request id, stable per request sequence so reruns produce the same evidence.
        return { ...answer, headers: { ...answer.headers, 'request-id': `00000000-0000-4000-8000-${String(request.seq).padStart(12, '0')}` } };
      },
      serverError: (_request, message) => graphError(503, 'serviceNotAvailable', `The service is temporarily unavailable (${message}).`, { 'retry-after': '1' }),
      refused: (_request, status) =>
        status === 401 ? graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.') : graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'),
      throttled: (_request, seconds) => graphError(429, 'TooManyRequests', 'Too many requests. Please retry later.', { 'retry-after': String(seconds) }),
    },
    { tls: sandboxTls, ...(options.faults ? { faults: options.faults } : {}) },
  );
  base = server.url;
  return { ...server, issuedTokens: () => tokens };

  function route(request: SandboxRequest): SandboxResponse {
        const { pathname } = request.url;
        const tenantRoute = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(pathname);
        if (tenantRoute) {
          if (tenantRoute[2] === 'oauth2/v2.0/token' && request.method === 'POST') return token(request);
          if (request.method === 'GET') return openIdConfiguration(tenantRoute[1]!);
        }
        if (!pathname.startsWith('/v1.0/')) return graphError(404, 'NotFound', `No route for ${pathname}`);
        const auth = request.headers.authorization ?? '';
        if (!auth.startsWith('Bearer ') || !tokens.includes(auth.slice(7))) {
          return graphError(401, 'InvalidAuthenticationToken', auth ? 'Access token validation failure. Invalid audience.' : 'Access token is empty.');
        }
        if (pathname === '/v1.0/$batch' && request.method === 'POST') return batch(request);
        if (request.method !== 'GET') return graphError(405, 'MethodNotAllowed', 'Method not allowed.');
        return graphGet(`${pathname.slice('/v1.0/'.length)}${request.url.search}`);
  }
}
