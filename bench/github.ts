/**
 * GitHub request economy (`npm run bench`): the real connector against the sandbox at 400 and
 * 2,000 repositories, 50 ms per request, counting every request the sandbox receives.
 * Targets: ≤ 120 requests at 400 repositories, ≤ 500 at 2,000 (README: request formula).
 */
import { join } from 'node:path';
import { parseConfig } from '../src/config/config.js';
import { connectorRegistry } from '../src/registry.js';
import { checkRegistry } from '../src/checks/registry.js';
import { Redactor } from '../src/core/redact.js';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { planCollection } from '../src/pipeline/plan.js';
import { runCollection } from '../src/pipeline/collect.js';
import { openSqliteStore } from '../storage/sqlite-store.js';
import { createGithubWorld, createSyntheticCompany } from '../src/sandbox/index.js';
import { startGithubSandbox } from '../src/sandbox/github/server.js';

/** One measurement against its target (the shape `bench/run.ts` prints). */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target: number;
}

const scenarios = [
  { repositories: 400, maxRequests: 120 },
  { repositories: 2_000, maxRequests: 500 },
];

/** Collects from sandbox organizations of 400 and 2,000 repositories and reports requests and time. */
export async function githubRequestBench(dir: string): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const { repositories, maxRequests } of scenarios) {
    // The sandbox has 60 repositories per unit of scale.
    const world = createGithubWorld(createSyntheticCompany({ now: new Date(), scale: repositories / 60 }));
    const token = 'bench-token';
    const sandbox = await startGithubSandbox(world, { token, faults: { latencyMs: 50 } });
    try {
      const config = parseConfig(
        { store: { path: join(dir, `github-${repositories}.db`) }, connectors: [{ id: 'github-acme', type: 'github', org: world.org.login, token: '${GITHUB_TOKEN}', baseUrl: sandbox.url }] },
        join(dir, 'annexa.yaml'),
        connectorRegistry,
        { env: { GITHUB_TOKEN: token }, readFile: () => '', redactor: new Redactor() },
        checkRegistry,
      );
      const store = openSqliteStore(config.storePath);
      const start = performance.now();
      const result = await runCollection({ plan: planCollection(config), store, fetch: globalThis.fetch, clock: systemClock, logger: silentLogger(), redactor: new Redactor(), command: 'bench' });
      const ms = performance.now() - start;
      await store.close();
      if (result.status !== 'complete') throw new Error(`GitHub collection at ${repositories} repositories was ${result.status}: ${JSON.stringify(result.outcomes.filter((o) => o.status !== 'collected'))}`);
      const org = `${world.members.length} members, ${world.outsideCollaborators.length} outside collaborators, ${world.dependabotAlerts.filter((a) => a.state === 'open').length} open alerts`;
      results.push({ name: `GitHub requests, ${repositories} repositories (${org}; 50 ms each)`, value: sandbox.requestCount(), unit: 'requests', target: maxRequests });
      results.push({ name: `GitHub collection time, ${repositories} repositories, ${result.run.observationCount} records`, value: ms, unit: 'ms', target: repositories * 60 });
      console.log(`  requests by route at ${repositories} repositories: ${JSON.stringify(summarizeRoutes(sandbox.requestsByRoute()))}`);
    } finally {
      await sandbox.close();
    }
  }
  return results;
}

/** Per-route counts with the per-repository rules route folded into one line. */
function summarizeRoutes(byRoute: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, n] of Object.entries(byRoute)) {
    const key = route.replace(/^(GET \/repos\/[^/]+)\/[^/]+\/rules\/branches\/.+$/, '$1/{repo}/rules/branches/{branch}');
    out[key] = (out[key] ?? 0) + n;
  }
  return out;
}
