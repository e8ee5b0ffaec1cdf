import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxRequest } from '../../src/sandbox/http-server.js';
import type { SandboxApiName } from '../../src/demo/sandbox-environment.js';
import type { CollectResult } from '../../src/pipeline/collect.js';
import type { SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { outcomeLines, startFaultWorld, type FaultWorld } from './harness.js';

/**
 * Faults that do not go away, aimed at one endpoint of each API (`match`), from its n-th request
 * on (so a later page, when the endpoint pages, and every retry): a connection reset after half
 * the body, a body truncated against its Content-Length, a well-framed but malformed JSON or XML
 * body, an endpoint slower than the configured timeout; then 401 and 403 in each API's own error
 * format. Each must end as the right outcome code with a message naming the endpoint (or AWS
 * operation), and the collector's records must not be stored as a complete collection: a failed
 * collector stores no collection at all, and an AWS collector that lost one account or region is
 * stored marked partial (scope failures).
 */

interface Target {
  api: SandboxApiName;
  /** Connector instance in the sandbox config. */
  instance: string;
  /** What the failure message must name. */
  names: string;
  match: (r: SandboxRequest) => boolean;
  /** Fault from the n-th matching request on (1 = all). */
  from: number;
}

const path = (p: string) => (r: SandboxRequest) => r.url.pathname === p;
const awsAction = (action: string) => (r: SandboxRequest) => new URLSearchParams(r.body.toString('utf8')).get('Action') === action;
const awsTarget = (target: string) => (r: SandboxRequest) => String(r.headers['x-amz-target'] ?? '').endsWith(`.${target}`);

const targets: Target[] = [
  { api: 'github', instance: 'github-acme', names: '/orgs/acme/members', match: path('/orgs/acme/members'), from: 2 },
  { api: 'github', instance: 'github-acme', names: '/graphql', match: path('/graphql'), from: 1 },
  { api: 'aws', instance: 'aws-acme', names: 'GetAccountAuthorizationDetails', match: awsAction('GetAccountAuthorizationDetails'), from: 1 },
  { api: 'aws', instance: 'aws-acme', names: 'LookupEvents', match: awsTarget('LookupEvents'), from: 2 },
  { api: 'aws', instance: 'aws-acme', names: 'ListBackupJobs', match: path('/backup-jobs'), from: 1 },
  { api: 'entra', instance: 'entra', names: '/v1.0/users', match: path('/v1.0/users'), from: 1 },
  { api: 'google', instance: 'google', names: '/admin/directory/v1/users', match: path('/admin/directory/v1/users'), from: 1 },
  { api: 'jira', instance: 'jira-acme', names: '/rest/api/3/users/search', match: path('/rest/api/3/users/search'), from: 1 },
  { api: 'knowbe4', instance: 'knowbe4', names: '/v1/training/enrollments', match: path('/v1/training/enrollments'), from: 1 },
];

const transportFaults = [
  { fault: 'reset', knobs: { resetRate: 1 }, code: 'network' },
  { fault: 'truncated body', knobs: { truncateRate: 1 }, code: 'network' },
  { fault: 'malformed body', knobs: { malformedRate: 1 }, code: 'invalid_payload' },
  { fault: 'slow endpoint', knobs: { latencyMs: 1000 }, code: 'timeout' },
] as const;

let world: FaultWorld;
beforeAll(async () => {
  world = await startFaultWorld();
}, 30_000);
afterAll(async () => world?.close());

/** Runs one connector with `knobs` on `target`; returns the run and what it stored per collector. */
async function faultedRun(target: Target, knobs: object, name: string): Promise<{ result: CollectResult; store: SqliteEvidenceStore; stored: Set<string> }> {
  let seen = 0;
  world.env.faults[target.api].set({ ...knobs, match: (r) => target.match(r) && ++seen >= target.from });
  try {
    const config = world.config(name, {
      only: (e) => e.id === target.instance,
      // A short timeout only where the endpoint is made slow: elsewhere a loaded machine must not time out.
      http: { maxRetries: 1, ...('latencyMs' in knobs ? { timeoutSeconds: 0.3 } : {}) },
      // One AWS account and region: the failure is the same in each, and each costs its timeouts.
      patch: (e) => (e.type === 'aws' ? { ...e, regions: (e.regions as string[]).slice(0, 1), accounts: (e.accounts as unknown[]).slice(0, 1) } : e),
    });
    const { result, store } = await world.collect(config, name);
    expect(seen, 'the fault was reached').toBeGreaterThanOrEqual(target.from);
    const stored = new Set((await store.collections()).filter((c) => c.runId === result.run.id).map((c) => c.collectorId));
    return { result, store, stored };
  } finally {
    world.env.faults[target.api].set({});
  }
}

/** The failed or partial outcomes, and that none of them is stored as a complete collection. */
function expectFailureNamed(result: CollectResult, stored: Set<string>, code: string, names: string): void {
  const hit = result.outcomes.filter((o) => o.errorCode !== undefined);
  expect(hit.length, outcomeLines(result).join('\n')).toBeGreaterThan(0);
  expect(result.status).not.toBe('complete');
  expect(
    hit.some((o) => o.errorCode === code && o.errorMessage?.includes(names)),
    `expected a ${code} naming ${names}:\n${hit.map((o) => `${o.collectorId} ${o.errorCode} ${o.errorMessage}`).join('\n')}`,
  ).toBe(true);
  for (const o of hit) {
    if (o.status === 'failed') expect(stored.has(o.collectorId), `${o.collectorId} failed but is stored`).toBe(false);
    else expect(o.scopeFailures?.length, `${o.collectorId} has an error but is not marked partial`).toBeGreaterThan(0);
  }
}

describe.each(transportFaults)('$fault', ({ fault, knobs, code }) => {
  it.each(targets)(`on $api $names → ${code} naming it, nothing stored as complete`, async (target) => {
    const { result, stored } = await faultedRun(target, knobs, `${target.api}-${fault.replace(' ', '-')}-${target.names.replace(/\W/g, '')}`);
    expectFailureNamed(result, stored, code, target.names);
  }, 20_000);
});

describe.each([
  { status: 401, code: 'auth_failed' },
  { status: 403, code: 'permission_denied' },
] as const)('HTTP $status in the API\'s own format', ({ status, code }) => {
  it.each(targets.filter((t, i) => targets.findIndex((u) => u.api === t.api) === i))(`on $api $names → ${code}`, async (target) => {
    const { result, stored } = await faultedRun(target, { refuse: status }, `${target.api}-${status}`);
    expectFailureNamed(result, stored, code, target.names);
  }, 20_000);
});

describe.each([
  { fault: 'reset', knobs: { resetRate: 1 }, code: 'network' },
  { fault: '5xx', knobs: { errorRate: 1 }, code: 'server_error' },
  { fault: '429 beyond the maximum wait', knobs: { throttleRate: 1, retryAfterSeconds: 7200 }, code: 'rate_limited' },
] as const)('Entra ID sign-in host: $fault', ({ knobs, code }) => {
  it(`→ ${code} naming the sign-in endpoint (MSAL alone would say endpoints_resolution_error)`, async () => {
    const target: Target = { api: 'entra', instance: 'entra', names: 'token request failed: GET https://', match: (r) => /openid-configuration$|\/token$/.test(r.url.pathname), from: 1 };
    const { result, stored } = await faultedRun(target, knobs, `entra-signin-${code}`);
    expectFailureNamed(result, stored, code, target.names);
    expect(result.outcomes.every((o) => o.errorCode === code && o.errorMessage?.includes('/.well-known/openid-configuration'))).toBe(true);
  }, 20_000);
});
