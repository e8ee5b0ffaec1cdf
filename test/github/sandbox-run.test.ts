import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorRegistry } from '../../src/registry.js';
import { checkRegistry } from '../../src/checks/registry.js';
import { evaluateChecks } from '../../src/checks/run-checks.js';
import { Redactor } from '../../src/core/redact.js';
import { silentLogger } from '../../src/core/logger.js';
import { planCollection } from '../../src/pipeline/plan.js';
import { runCollection, type CollectResult } from '../../src/pipeline/collect.js';
import { openSqliteStore, type SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { createGithubWorld, createSyntheticCompany, type GithubWorld } from '../../src/sandbox/index.js';
import { startGithubSandbox } from '../../src/sandbox/github/server.js';
import type { SandboxFaults } from '../../src/sandbox/http-server.js';
// Not from harness.ts: that module loads nock, which must not sit between us and the sandbox.
import { FakeClock } from './fake-clock.js';
import { githubSandboxConfig } from './sandbox-config.js';

/**
 * The real connector against the GitHub sandbox (the real wire format, served by graphql-js and
 * the REST router): what it collects, what the checks then find, and how it rides out GitHub's
 * secondary rate limits. Time is the injected fake clock: the 60-second throttling window passes
 * without waiting.
 */

const TOKEN = 'sbx-run-token';
const world: GithubWorld = createGithubWorld(createSyntheticCompany({ now: new Date('2026-05-01T12:00:00Z'), scale: 0.5, seed: 7 }));
const dir = mkdtempSync(join(tmpdir(), 'annexa-github-sandbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface SandboxRun {
  result: CollectResult;
  store: SqliteEvidenceStore;
  clock: FakeClock;
  requests: number;
  byRoute: Record<string, number>;
}

async function collect(name: string, faults?: (clock: FakeClock) => SandboxFaults): Promise<SandboxRun> {
  const clock = new FakeClock(new Date(world.now), true);
  const sandbox = await startGithubSandbox(world, { token: TOKEN, ...(faults ? { faults: faults(clock) } : {}) });
  try {
    const config = githubSandboxConfig(sandbox.url, join(dir, `${name}.db`), TOKEN);
    const store = openSqliteStore(config.storePath);
    const result = await runCollection({ plan: planCollection(config), store, fetch: globalThis.fetch, clock, logger: silentLogger(), redactor: new Redactor(), command: name });
    return { result, store, clock, requests: sandbox.requestCount(), byRoute: sandbox.requestsByRoute() };
  } finally {
    await sandbox.close();
  }
}

/** Every stored record per kind, as subject → payload. */
async function evidence(store: SqliteEvidenceStore): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const collector of connectorRegistry.find((c) => c.type === 'github')!.collectors) {
    const [snapshot] = await store.latest(collector.kind);
    out[collector.kind] = Object.fromEntries((snapshot?.records ?? []).map((r) => [r.subject, r.payload]));
  }
  return out;
}

let plain: SandboxRun;
beforeAll(async () => {
  plain = await collect('plain');
});
afterAll(async () => {
  await plain?.store.close();
});

describe('the GitHub connector against the sandbox', () => {
  it('collects every kind, and the checks fail exactly the seeded violations', async () => {
    expect(plain.result.status).toBe('complete');
    const evaluations = await evaluateChecks({ store: plain.store, checks: checkRegistry.filter((c) => c.id.startsWith('github.')), connectors: connectorRegistry, asOf: plain.clock.now() });
    const failing = Object.fromEntries(
      evaluations.map((e) => [e.checkId, e.results.filter((r) => r.status !== 'pass' && r.status !== 'warn').map((r) => `${r.status} ${r.subject}`).sort()]),
    );
    const v = world.violations;
    const fail = (subjects: string[]) => subjects.map((s) => `fail ${s}`).sort();
    expect(failing).toEqual({
      'github.org.requires_2fa': fail(['acme']),
      'github.members.have_2fa': fail(v.membersWithout2fa),
      'github.members.no_insecure_2fa': fail(v.membersWithInsecure2fa),
      'github.default_branch.requires_review': fail(v.unprotectedRepositories.map((r) => `acme/${r}`)),
      'github.pull_requests.approved_before_merge': fail([...v.mergedPullRequestsWithoutApproval, ...v.mergedPullRequestsApprovedAfterMerge].map((p) => `acme/${p.repository}#${p.number}`)),
      'github.dependabot.critical_high_within_sla': fail(v.staleCriticalAlerts.map((a) => `acme/${a.repository}#${a.number}`)),
      'github.dependabot.alerts_enabled': fail(v.repositoriesWithoutVulnerabilityAlerts.map((r) => `acme/${r}`)),
      'github.outside_collaborators.listed_for_review': [],
      'github.outside_collaborators.have_2fa': fail(v.outsideCollaboratorsWithout2fa),
    });
  });

  it('asks for rules per branch only for the cross-check sample, and pages merged pull requests in batches', () => {
    // 30 repositories: one GraphQL page of repositories (shared by three collectors), one of
    // collaborator access, one batch of merged pull requests; 5 rules/branches cross-checks.
    const byRoute: Record<string, number> = {};
    for (const [route, n] of Object.entries(plain.byRoute)) {
      const key = route.replace(/^GET \/repos\/acme\/[^/]+\/rules\/branches\/.+$/, 'GET /repos/acme/{repo}/rules/branches/{branch}');
      byRoute[key] = (byRoute[key] ?? 0) + n;
    }
    expect(byRoute).toEqual({
      'GET /orgs/acme': 1,
      'GET /orgs/acme/dependabot/alerts': 1,
      // admins, members, filter=2fa_disabled, filter=2fa_insecure
      'GET /orgs/acme/members': 4,
      // the listing and filter=2fa_disabled
      'GET /orgs/acme/outside_collaborators': 2,
      'GET /repos/acme/{repo}/rules/branches/{branch}': 5,
      'POST /graphql': 3,
    });
    expect(plain.requests).toBe(16);
  });

  it('rides out secondary rate limits (Retry-After: 1 while the real window is 60 s) and stores identical evidence', async () => {
    const throttled = await collect('throttled', (clock) => ({ throttleWindow: { fromRequest: 4, durationMs: 60_000, now: () => clock.now().getTime() }, retryAfterSeconds: 1 }));
    try {
      expect(throttled.result.outcomes.map((o) => [o.collectorId, o.status])).toEqual(plain.result.outcomes.map((o) => [o.collectorId, 'collected']));
      // The window was waited out (exponential waits, not five one-second retries), with extra requests refused meanwhile.
      expect(throttled.clock.now().getTime() - Date.parse(world.now)).toBeGreaterThanOrEqual(60_000);
      expect(throttled.requests).toBeGreaterThan(plain.requests);
      expect(await evidence(throttled.store)).toEqual(await evidence(plain.store));
    } finally {
      await throttled.store.close();
    }
  });
});

describe('merged_pull_requests when a batch fails', () => {
  it('lets the batches still in flight settle before the collector ends: none of its requests outlives the run', async () => {
    const large = createGithubWorld(createSyntheticCompany({ now: new Date('2026-05-01T12:00:00Z'), scale: 3, seed: 7 }));
    const sandbox = await startGithubSandbox(large, { token: TOKEN });
    // The first batch's answer comes after 0.2 s, cut short (invalid_payload), while the batches
    // sent after it (the listing's later pages) take a second each.
    let batches = 0;
    let inFlight = 0;
    const transport: typeof fetch = async (input, init) => {
      const batch = typeof init?.body === 'string' && init.body.includes('AnnexaMergedPullRequests');
      const first = batch && ++batches === 1;
      inFlight += 1;
      try {
        if (batch) await new Promise((resolve) => setTimeout(resolve, first ? 200 : 1000));
        if (first) return new Response('{"data":{"r0":', { status: 200, headers: { 'content-type': 'application/json' } });
        return await globalThis.fetch(input, init);
      } finally {
        inFlight -= 1;
      }
    };
    try {
      const config = githubSandboxConfig(sandbox.url, join(dir, 'failed-batch.db'), TOKEN);
      const store = openSqliteStore(config.storePath);
      const clock = new FakeClock(new Date(large.now), true);
      const result = await runCollection({ plan: planCollection(config), store, fetch: transport, clock, logger: silentLogger(), redactor: new Redactor(), command: 'failed-batch' });
      await store.close();
      expect(batches).toBeGreaterThanOrEqual(2);
      const merged = result.outcomes.find((o) => o.collectorId === 'merged_pull_requests');
      expect([merged?.status, merged?.errorCode]).toEqual(['failed', 'invalid_payload']);
      expect(result.outcomes.filter((o) => o.status === 'failed').map((o) => o.collectorId)).toEqual(['merged_pull_requests']);
      expect(inFlight).toBe(0);
    } finally {
      await sandbox.close();
    }
  });
});
