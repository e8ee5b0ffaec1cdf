/**
 * Identity benchmark: a 10,000-person company (sandbox scale 50) in Entra ID and Google
 * Workspace, collected by the real connectors through the real pipeline. Measures requests per
 * API (page sizes at their maximum: 999 for Graph, 500 for Directory users, 1000 for login
 * events), wall time and peak heap (records stream into the store page by page).
 */
import { join } from 'node:path';
import { openSqliteStore } from '../storage/sqlite-store.js';
import { parseConfig } from '../src/config/config.js';
import { connectorRegistry } from '../src/registry.js';
import { checkRegistry } from '../src/checks/registry.js';
import { Redactor } from '../src/core/redact.js';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { planCollection } from '../src/pipeline/plan.js';
import { runCollection } from '../src/pipeline/collect.js';
import { createSyntheticCompany } from '../src/sandbox/company.js';
import { createEntraWorld } from '../src/sandbox/microsoft-graph/data.js';
import { startEntraSandbox } from '../src/sandbox/microsoft-graph/server.js';
import { createGoogleWorld } from '../src/sandbox/google-workspace/data.js';
import { startGoogleSandbox } from '../src/sandbox/google-workspace/server.js';
import { sandboxTrustingFetch } from '../src/sandbox/tls.js';
import { googleScopes } from '../connectors/google-workspace/settings.js';

/** One measurement with its target (lower is better). */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target: number;
}

/** Collects a scale-`scale` company from both identity sandboxes into `dir`. */
export async function identityScenario(dir: string, scale = 50): Promise<BenchResult[]> {
  const company = createSyntheticCompany({ scale, now: new Date() });
  const entraWorld = createEntraWorld(company);
  const googleWorld = createGoogleWorld(company);
  const secret = 'bench-client-secret';
  const admin = `admin@${company.domain}`;
  const entra = await startEntraSandbox(entraWorld, { clientId: 'bench-app', clientSecret: secret });
  const google = await startGoogleSandbox(googleWorld, { adminEmail: admin, grantedScopes: googleScopes });
  try {
    const config = parseConfig(
      {
        store: { path: join(dir, `identity-${scale}.db`) },
        connectors: [
          { id: 'entra', type: 'microsoft-graph', tenantId: entraWorld.tenantId, clientId: 'bench-app', clientSecret: '${SECRET}', authorityHost: entra.url, graphBaseUrl: entra.url },
          { id: 'google', type: 'google-workspace', adminEmail: admin, serviceAccountKey: '${GOOGLE_KEY}', rootUrl: google.url },
        ],
      },
      join(dir, 'annexa.yaml'),
      connectorRegistry,
      { env: { SECRET: secret, GOOGLE_KEY: google.serviceAccountKey }, readFile: () => '', redactor: new Redactor() },
      checkRegistry,
    );
    const store = openSqliteStore(config.storePath);
    global.gc?.();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 20);
    const start = performance.now();
    const result = await runCollection({
      plan: planCollection(config),
      store,
      fetch: sandboxTrustingFetch(),
      clock: systemClock,
      logger: silentLogger(),
      redactor: new Redactor(),
      command: 'bench identity',
    });
    const ms = performance.now() - start;
    clearInterval(sampler);
    await store.close();
    if (result.status !== 'complete') throw new Error(`identity collection at scale ${scale} was ${result.status}`);
    const sum = (routes: Record<string, number>, match: (route: string) => boolean) =>
      Object.entries(routes).reduce((n, [route, count]) => n + (match(route) ? count : 0), 0);
    const googleRoutes = google.requestsByRoute();
    const users = entraWorld.users.length;
    return [
      { name: `Entra ID collection, ${users} users, ${result.outcomes.filter((o) => o.instanceId === 'entra').reduce((n, o) => n + o.recordCount, 0)} records`, value: ms, unit: 'ms (both connectors)', target: 60_000 },
      { name: `Entra ID requests for ${users} users (token, Graph, $batch)`, value: entra.requestCount(), unit: 'requests', target: Math.ceil(users / 500) + Math.ceil(users / 999) * 2 + 20 },
      { name: `Google Directory requests for ${googleWorld.users.length} users (token, users, roles)`, value: sum(googleRoutes, (r) => !r.includes('/reports/')), unit: 'requests', target: Math.ceil(googleWorld.users.length / 500) + 5 },
      { name: `Google Reports requests for ${googleWorld.loginEvents.length} login events (1000 per page)`, value: sum(googleRoutes, (r) => r.includes('/reports/')), unit: 'requests', target: Math.ceil(googleWorld.loginEvents.length / 1000) + 1 },
      { name: 'peak heap growth during the identity collection', value: (peak - baseline) / 1_048_576, unit: 'MB', target: 400 },
    ];
  } finally {
    await Promise.all([entra.close(), google.close()]);
  }
}
