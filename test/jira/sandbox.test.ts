import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../github/harness.js';
import { silentLogger } from '../../src/core/logger.js';
import { Redactor } from '../../src/core/redact.js';
import { parseConfig } from '../../src/config/config.js';
import { connectorRegistry } from '../../src/registry.js';
import { planCollection } from '../../src/pipeline/plan.js';
import { runCollection } from '../../src/pipeline/collect.js';
import { openSqliteStore, type SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { createSyntheticCompany } from '../../src/sandbox/company.js';
import { createJiraWorld, jiraSeededViolations } from '../../src/sandbox/jira/data.js';
import { startJiraSandbox } from '../../src/sandbox/jira/server.js';
import { createKnowBe4World } from '../../src/sandbox/knowbe4/data.js';
import { startKnowBe4Sandbox } from '../../src/sandbox/knowbe4/server.js';
import type { SandboxServer } from '../../src/sandbox/http-server.js';

/** The Jira and KnowBe4 sandboxes at scale 2 (120 tickets, two search pages) through the real pipeline. */
const NOW = new Date('2026-11-20T12:00:00Z');
const company = createSyntheticCompany({ now: new Date('2026-11-20T00:00:00Z'), scale: 2 });
const jiraWorld = createJiraWorld(company);
const kb4World = createKnowBe4World(company);
const TOKEN = 'sandbox-token-value';
let clockNow = NOW;
let jira: SandboxServer;
let kb4: SandboxServer;
let store: SqliteEvidenceStore;
const dir = mkdtempSync(join(tmpdir(), 'annexa-jira-sandbox-'));

function config(token = '${T}') {
  return parseConfig(
    {
      store: { path: join(dir, 'evidence.db') },
      http: { maxRetries: 3 },
      connectors: [
        { id: 'jira', type: 'jira', site: jira.url, email: 'annexa@acme.example', apiToken: token, jql: 'project = CHG', approval: { status: 'Approved' }, deployedStatuses: ['Deployed'] },
        { id: 'kb4', type: 'knowbe4', region: 'de', token, baseUrl: kb4.url },
      ],
    },
    '<test>',
    connectorRegistry,
    { env: { T: TOKEN, WRONG: 'not-the-token' }, readFile: () => '', redactor: new Redactor() },
  );
}

async function collect(token?: string) {
  const clock = new FakeClock(clockNow);
  return runCollection({ plan: planCollection(config(token)), store, fetch: globalThis.fetch, clock, logger: silentLogger(), redactor: new Redactor(), command: 'test' });
}

beforeAll(async () => {
  jira = await startJiraSandbox(jiraWorld, { token: TOKEN, now: () => clockNow });
  kb4 = await startKnowBe4Sandbox(kb4World, { token: TOKEN });
  store = openSqliteStore(join(dir, 'evidence.db'));
});
afterAll(async () => {
  await store.close();
  await jira.close();
  await kb4.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('jira and knowbe4 sandboxes through the pipeline', () => {
  it('collect every ticket over two search pages, with throttling answered by Retry-After', async () => {
    expect(jiraWorld.issues).toHaveLength(2 * jiraSeededViolations.ticketsPerScale);
    // Every third request is throttled with Retry-After: 1 (deterministic).
    jira.setFaults({ throttleRate: 1 / 3, retryAfterSeconds: 1, random: (seq) => (seq % 3 === 1 ? 0.1 : 0.9) });
    kb4.setFaults({ throttleRate: 1 / 3, retryAfterSeconds: 1, random: (seq) => (seq % 3 === 1 ? 0.1 : 0.9) });
    const result = await collect();
    jira.setFaults({});
    kb4.setFaults({});
    expect(result.outcomes.map((o) => [o.instanceId, o.collectorId, o.status, o.recordCount])).toEqual([
      ['jira', 'change_tickets', 'collected', 120],
      ['jira', 'users', 'collected', jiraWorld.accounts.length],
      ['kb4', 'users', 'collected', kb4World.users.length],
      ['kb4', 'training_campaigns', 'collected', 3],
      ['kb4', 'training_enrollments', 'collected', kb4World.enrollments.length],
      ['kb4', 'phishing_tests', 'collected', 3],
    ]);
    const routes = jira.requestsByRoute();
    // Two search pages (100 + 20) and the long changelog, each first answered 429 once or not, retried.
    expect(routes['GET /rest/api/{n}/search/jql']).toBeGreaterThanOrEqual(2);
    const [latest] = await store.latest('jira.change_ticket.v1', { instanceId: 'jira' });
    expect(latest!.records).toHaveLength(120);
    const long = latest!.records.find((r) => r.subject === jiraWorld.longChangelog)!.payload as { changelogEntries: number; approvals: unknown[] };
    expect(long.changelogEntries).toBe(jiraSeededViolations.longChangelogHistories);
    expect(long.approvals).toHaveLength(1);
  });

  it('a later run asks only for what changed since and keeps the whole population', async () => {
    const before = jira.requestsByRoute()['GET /rest/api/{n}/search/jql'] ?? 0;
    clockNow = new Date(NOW.getTime() + 3 * 3_600_000);
    const result = await collect();
    expect(result.outcomes.find((o) => o.collectorId === 'change_tickets')).toMatchObject({ status: 'collected', recordCount: 120 });
    // Nothing changed in three hours: one search page, no changelog reads.
    expect((jira.requestsByRoute()['GET /rest/api/{n}/search/jql'] ?? 0) - before).toBe(1);
    const [latest] = await store.latest('jira.change_ticket.v1', { instanceId: 'jira' });
    expect(latest!.records.map((r) => r.subject).sort()).toEqual(jiraWorld.issues.map((i) => i.key).sort());
  });

  it('a wrong token is auth_failed for every collector, and earlier evidence stays', async () => {
    const result = await collect('${WRONG}');
    expect(result.status).toBe('failed');
    expect(new Set(result.outcomes.map((o) => o.errorCode))).toEqual(new Set(['auth_failed']));
    expect(result.outcomes.find((o) => o.instanceId === 'kb4')!.errorMessage).toContain('Invalid Authentication Token');
    const [latest] = await store.latest('jira.change_ticket.v1', { instanceId: 'jira' });
    expect(latest!.latestOutcome.status).toBe('failed');
    expect(latest!.records).toHaveLength(120);
  });
});
