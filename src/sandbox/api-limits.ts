/**
 * Each API's documented request limits as data, enforced by the sandbox front door
 * (`http-server.ts`, through {@link SandboxFaults.limiter}) for the benchmark: a request over a
 * limit gets the API's own throttling answer ({@link SandboxApi.throttled}: GitHub's 403 secondary
 * limit, CloudTrail's `ThrottlingException`, Graph's and Google's 429) with the `Retry-After` the
 * window implies. GitHub's hourly primary budget is kept by the GitHub fake itself
 * (`github/server.ts`, `x-ratelimit-*` headers); this module adds what the fakes did not have.
 *
 * Values and where they are documented:
 * - GitHub secondary limits: at most 100 concurrent requests (REST and GraphQL together), 900
 *   points per minute for REST (GET = 1 point, other methods 5), 2,000 points per minute for
 *   GraphQL (a query without mutations = 1 point). docs.github.com, "Rate limits for the REST API",
 *   section "About secondary rate limits".
 * - CloudTrail `LookupEvents`: 2 requests per second per account and region. AWS CloudTrail API
 *   Reference, `LookupEvents` ("The rate of lookup requests is limited to two per second, per
 *   account, per Region").
 * - Microsoft Graph, identity and access: 8,000 resource units per 10 seconds per app and tenant
 *   (large tenant, over 500 users; a request costs at least 1, a `$batch` counts each request
 *   inside it). learn.microsoft.com/graph/throttling-limits.
 * - Google Admin SDK: 2,400 queries per minute per user per project (the default quota).
 *   developers.google.com/admin-sdk/directory/v1/limits.
 * - KnowBe4 Reporting API: 4 requests per second (the figure the README's KnowBe4 section
 *   cites; the daily allowance is not modelled).
 */
import type { SandboxApi, SandboxRequest, SandboxResponse } from './http-server.js';

/** One limit: at most `max` units in any `windowMs` (sliding), or at most `max` in flight. */
export interface ApiLimitRule {
  /** Shown in the throttling answer and the benchmark output. */
  name: string;
  kind: 'window' | 'concurrency';
  max: number;
  /** Window length for `kind: 'window'`. */
  windowMs?: number;
  /** Which requests the rule counts; default all. */
  applies?: (request: SandboxRequest) => boolean;
  /** Requests sharing a key share the budget (per account and region, per user); default one budget. */
  key?: (request: SandboxRequest) => string;
  /** Units a request costs; default 1. */
  cost?: (request: SandboxRequest) => number;
}

/** What the front door asks before serving a request. */
export interface SandboxLimiter {
  /** Admits the request (returns the release to call when its answer is sent) or answers it throttled. */
  admit(request: SandboxRequest, api: SandboxApi): { release: () => void } | { response: SandboxResponse };
  /** Requests refused per rule so far. */
  refused(): Record<string, number>;
}

/** A limiter over `rules`; `now` is injected so tests can step time. */
export function createApiLimiter(rules: readonly ApiLimitRule[], now: () => number = Date.now): SandboxLimiter {
  const windows = new Map<string, { at: number; cost: number }[]>();
  const inFlight = new Map<string, number>();
  const refusals: Record<string, number> = {};
  return {
    admit(request, api) {
      const t = now();
      const applicable = rules.filter((r) => r.applies?.(request) ?? true);
      for (const rule of applicable) {
        const key = `${rule.name}\u0000${rule.key?.(request) ?? ''}`;
        const cost = rule.cost?.(request) ?? 1;
        let waitMs = 0;
        if (rule.kind === 'concurrency') {
          if ((inFlight.get(key) ?? 0) + 1 > rule.max) waitMs = 1000;
        } else {
          const windowMs = rule.windowMs ?? 1000;
          const log = (windows.get(key) ?? []).filter((e) => e.at > t - windowMs);
          windows.set(key, log);
          let used = log.reduce((n, e) => n + e.cost, 0);
          if (used + cost > rule.max) {
            // Wait until enough of the window has expired for this request to fit.
            for (const e of log) {
              used -= e.cost;
              if (used + cost <= rule.max) {
                waitMs = e.at + windowMs - t;
                break;
              }
            }
          }
        }
        if (waitMs > 0) {
          refusals[rule.name] = (refusals[rule.name] ?? 0) + 1;
          const response = api.throttled?.(request, Math.max(1, Math.ceil(waitMs / 1000))) ?? { status: 429, headers: { 'retry-after': String(Math.ceil(waitMs / 1000)) }, body: `${rule.name} exceeded` };
          return { response };
        }
      }
      // Admitted: charge every applicable rule.
      const charged: string[] = [];
      for (const rule of applicable) {
        const key = `${rule.name}\u0000${rule.key?.(request) ?? ''}`;
        if (rule.kind === 'concurrency') {
          inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
          charged.push(key);
        } else {
          windows.get(key)?.push({ at: t, cost: rule.cost?.(request) ?? 1 }) ?? windows.set(key, [{ at: t, cost: rule.cost?.(request) ?? 1 }]);
        }
      }
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          for (const key of charged) inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
        },
      };
    },
    refused: () => ({ ...refusals }),
  };
}

const isGraphql = (r: SandboxRequest) => /^\/(api\/)?graphql$/.test(r.url.pathname);

/** The AWS request's signing scope, read from its `Authorization` header (`.../<region>/<service>/aws4_request`). */
function awsScope(r: SandboxRequest): { keyId: string; region: string; service: string } | undefined {
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(r.headers.authorization ?? ''));
  return match ? { keyId: match[1]!, region: match[2]!, service: match[3]! } : undefined;
}

/** Cost of a Graph request in the identity service's resource units: each request in a `$batch` counts. */
function graphCost(r: SandboxRequest): number {
  if (!r.url.pathname.endsWith('/$batch')) return 1;
  try {
    return Math.max(1, (JSON.parse(r.body.toString('utf8')) as { requests?: unknown[] }).requests?.length ?? 1);
  } catch {
    return 1;
  }
}

/** The documented limits per sandbox API (see the module comment for sources). */
export const documentedLimits = {
  github: [
    { name: 'GitHub secondary: 100 concurrent requests', kind: 'concurrency', max: 100 },
    { name: 'GitHub secondary: 900 REST points per minute', kind: 'window', max: 900, windowMs: 60_000, applies: (r) => !isGraphql(r), cost: (r) => (r.method === 'GET' || r.method === 'HEAD' ? 1 : 5) },
    { name: 'GitHub secondary: 2,000 GraphQL points per minute', kind: 'window', max: 2000, windowMs: 60_000, applies: isGraphql },
  ],
  aws: [
    {
      name: 'CloudTrail LookupEvents: 2 per second per account and region',
      kind: 'window',
      max: 2,
      windowMs: 1000,
      applies: (r) => String(r.headers['x-amz-target'] ?? '').endsWith('.LookupEvents'),
      // The session key names the account (one assumed-role session per account and run).
      key: (r) => `${awsScope(r)?.keyId ?? ''}/${awsScope(r)?.region ?? ''}`,
    },
  ],
  'microsoft-graph': [
    { name: 'Graph identity and access: 8,000 resource units per 10 s per app and tenant', kind: 'window', max: 8000, windowMs: 10_000, applies: (r) => !r.url.pathname.endsWith('/oauth2/v2.0/token'), cost: graphCost },
  ],
  'google-workspace': [{ name: 'Google Admin SDK: 2,400 queries per minute per user', kind: 'window', max: 2400, windowMs: 60_000, applies: (r) => r.url.pathname !== '/token' }],
  knowbe4: [{ name: 'KnowBe4 Reporting API: 4 requests per second', kind: 'window', max: 4, windowMs: 1000 }],
} satisfies Record<string, ApiLimitRule[]>;
