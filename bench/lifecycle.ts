/**
 * Jira, KnowBe4 and file imports at scale 50 (10,000 people, 3,000 change tickets): request
 * economy, collection time, an incremental Jira run, and the lifecycle checks over the result.
 */
import { join } from 'node:path';
import { openSqliteStore } from '../storage/sqlite-store.js';
import { parseConfig } from '../src/config/config.js';
import { connectorRegistry } from '../src/registry.js';
import { checkRegistry } from '../src/checks/registry.js';
import { lifecycleChecks } from '../src/checks/lifecycle.js';
import { evaluateChecks } from '../src/checks/run-checks.js';
import { Redactor } from '../src/core/redact.js';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { planCollection } from '../src/pipeline/plan.js';
import { runCollection } from '../src/pipeline/collect.js';
import { createSyntheticCompany } from '../src/sandbox/company.js';
import { createJiraWorld } from '../src/sandbox/jira/data.js';
import { startJiraSandbox } from '../src/sandbox/jira/server.js';
import { createKnowBe4World } from '../src/sandbox/knowbe4/data.js';
import { startKnowBe4Sandbox } from '../src/sandbox/knowbe4/server.js';
import { lmsColumns, rosterColumns, writeExports } from '../src/sandbox/exports/files.js';

interface Result {
  name: string;
  value: number;
  unit: string;
  /** Absent: a figure reported, not judged. */
  target?: number;
}

export async function lifecycleScenario(results: Result[], dir: string, scale = 50): Promise<void> {
  const company = createSyntheticCompany({ scale, now: new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z') });
  const jiraWorld = createJiraWorld(company);
  const kb4World = createKnowBe4World(company);
  const jira = await startJiraSandbox(jiraWorld, { token: 'bench' });
  const kb4 = await startKnowBe4Sandbox(kb4World, { token: 'bench' });
  const files = writeExports(company, join(dir, 'exports'));
  try {
    const config = parseConfig(
      {
        store: { path: join(dir, 'lifecycle.db') },
        connectors: [
          { id: 'jira', type: 'jira', site: jira.url, bearerToken: '${T}', jql: 'project = CHG', approval: { status: 'Approved' }, deployedStatuses: ['Deployed'] },
          { id: 'kb4', type: 'knowbe4', region: 'us', token: '${T}', baseUrl: kb4.url },
          { id: 'hr', type: 'file', kind: 'people.roster', path: files.roster, dateFormat: 'dd/mm/yyyy', columns: rosterColumns },
          { id: 'lms', type: 'file', kind: 'training.completion', path: files.lms, dateFormat: 'mm/dd/yyyy', columns: lmsColumns },
        ],
      },
      join(dir, 'annexa.yaml'),
      connectorRegistry,
      { env: { T: 'bench' }, readFile: () => '', redactor: new Redactor() },
      checkRegistry,
    );
    const store = openSqliteStore(config.storePath);
    const collect = () => runCollection({ plan: planCollection(config), store, fetch: globalThis.fetch, clock: systemClock, logger: silentLogger(), redactor: new Redactor(), command: 'bench' });
    const start = performance.now();
    const result = await collect();
    const ms = performance.now() - start;
    if (result.status !== 'complete') throw new Error(`lifecycle collection at scale ${scale} was ${result.status}`);
    const tickets = jiraWorld.issues.length;
    const people = company.people.length;
    results.push({ name: `Jira + KnowBe4 + files, ${people} people, ${tickets} tickets, ${result.run.observationCount} records`, value: ms, unit: 'ms', target: 60_000 });
    // Formulas from the README: ⌈T/100⌉ + long changelogs + ⌈U/1000⌉ + 1.
    results.push({ name: `Jira requests for ${tickets} tickets and ${jiraWorld.accounts.length} users`, value: jira.requestCount(), unit: 'requests', target: Math.ceil(tickets / 100) + 1 + Math.ceil(jiraWorld.accounts.length / 1000) + 1 });
    const kb4Target = [kb4World.users.length, kb4World.campaigns.length, kb4World.enrollments.length, kb4World.phishingTests.length].reduce((n, c) => n + Math.floor(c / 500) + 1, 0);
    results.push({ name: `KnowBe4 requests for ${kb4World.users.length} users, ${kb4World.enrollments.length} enrollments`, value: kb4.requestCount(), unit: 'requests', target: kb4Target });
    const before = jira.requestCount();
    await collect();
    results.push({ name: 'Jira requests of an incremental run (nothing changed)', value: jira.requestCount() - before - Math.ceil(jiraWorld.accounts.length / 1000) - 1, unit: 'requests', target: 1 });
    for (const check of lifecycleChecks) {
      const checkStart = performance.now();
      await evaluateChecks({ store, checks: [check], connectors: connectorRegistry, asOf: new Date(), params: config.checkParams });
      results.push({ name: `${check.id} over ${people} people (store reads included)`, value: performance.now() - checkStart, unit: 'ms', target: 6_000 });
    }
    await store.close();
  } finally {
    await jira.close();
    await kb4.close();
  }
}
