/**
 * Benchmarks (`npm run bench`): performance targets live here, never in unit tests.
 * Each scenario prints its measurement and target; the process exits 1 when a target is missed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../storage/sqlite-store.js';
import type { ObservationInput } from '../storage/evidence-store.js';
import { parseConfig } from '../src/config/config.js';
import { connectorRegistry } from '../src/registry.js';
import { checkRegistry } from '../src/checks/registry.js';
import { Redactor } from '../src/core/redact.js';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { planCollection } from '../src/pipeline/plan.js';
import { runCollection } from '../src/pipeline/collect.js';
import { assembleCoverage } from '../src/pipeline/coverage-run.js';
import { startSandboxEnvironment, sandboxToken, sandboxTokenVariable } from '../src/demo/sandbox-environment.js';
import { lifecycleScenario } from './lifecycle.js';
import { identityScenario } from './identity.js';
import { bundleScenario } from './bundle.js';
import { githubRequestBench } from './github.js';
import { awsRequestBench } from './aws.js';
import { storeBench } from './store.js';
import { scaleOutBench } from './scale-out.js';

interface Result {
  name: string;
  value: number;
  unit: string;
  /** Absent: a figure reported, not judged. */
  target?: number;
}
const results: Result[] = [];
const dir = mkdtempSync(join(tmpdir(), 'annexa-bench-'));

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

async function storeScenario(): Promise<void> {
  const store = openSqliteStore(join(dir, 'store.db'));
  const rows = 100_000;
  const provenance = { tool: 'bench', connectorType: 'bench', requests: [{ method: 'GET', url: 'https://api.example/x', status: 200, at: new Date().toISOString() }] };
  const batch = (run: number): ObservationInput[] =>
    Array.from({ length: rows }, (_, i) => ({
      instanceId: 'bench',
      collectorId: 'members',
      kind: 'bench.member.v1',
      subject: `user-${i}`,
      payload: { login: `user-${i}`, id: i, role: i % 20 === 0 ? 'admin' : 'member', twoFactorEnabled: i % 97 !== 0 },
      collectedAt: new Date(),
      provenance: run === 0 ? provenance : { ...provenance },
    }));
  for (const run of [0, 1]) {
    const writer = await store.startRun({ command: 'bench', toolVersion: 'bench', startedAt: new Date() });
    const records = batch(run);
    const [, ms] = await timed(async () => {
      for (let i = 0; i < records.length; i += 5000) await writer.addObservations(records.slice(i, i + 5000));
      await writer.finish('complete', new Date());
    });
    results.push({ name: `store ${rows} observations (run ${run + 1}${run ? ', all payloads deduplicated' : ''})`, value: ms, unit: 'ms', target: 6_000 });
  }
  const [report, verifyMs] = await timed(() => store.verify());
  if (!report.ok) throw new Error('bench store does not verify');
  results.push({ name: `verify ${report.blobsChecked} blobs, ${report.runsChecked} runs`, value: verifyMs, unit: 'ms', target: 10_000 });
  await store.close();
}

async function collectionScenario(scale: number): Promise<void> {
  const sandbox = await startSandboxEnvironment({ scale, now: new Date() });
  try {
    const config = parseConfig(
      { store: { path: join(dir, `collect-${scale}.db`) }, connectors: sandbox.connectorEntries().filter((c) => c.type === 'github') },
      join(dir, 'annexa.yaml'),
      connectorRegistry,
      { env: { [sandboxTokenVariable]: sandboxToken, ...sandbox.secrets }, readFile: () => '', redactor: new Redactor() },
      checkRegistry,
    );
    const store = openSqliteStore(config.storePath);
    const [result, ms] = await timed(() =>
      runCollection({ plan: planCollection(config), store, fetch: sandbox.transport, clock: systemClock, logger: silentLogger(), redactor: new Redactor(), command: 'bench' }),
    );
    if (result.status !== 'complete') throw new Error(`collection at scale ${scale} was ${result.status}`);
    const repos = sandbox.github.world.repositories.length;
    results.push({ name: `GitHub collection, ${repos} repositories, ${result.run.observationCount} records`, value: ms, unit: 'ms', target: 30_000 * scale });
    const [, coverageMs] = await timed(() => assembleCoverage({ store, soaPath: null, checkParams: {}, asOf: new Date(), now: new Date() }));
    results.push({ name: 'coverage report over that store', value: coverageMs, unit: 'ms', target: 5_000 });
    await store.close();
  } finally {
    await sandbox.close();
  }
}

// `npm run bench -- store` runs only the store v2 year (ANNEXA_BENCH_DAYS shortens it).
const only = process.argv[2];
try {
  if (only !== 'store') {
    await storeScenario();
    await collectionScenario(1);
    await collectionScenario(5);
    await lifecycleScenario(results, dir);
    results.push(...(await identityScenario(dir, 50)));
    results.push(...(await githubRequestBench(dir)));
    results.push(...(await awsRequestBench(dir)));
    results.push(...(await scaleOutBench(dir)));
    results.push(...(await bundleScenario(dir)));
  }
  results.push(...(await storeBench(dir, { days: Number(process.env.ANNEXA_BENCH_DAYS ?? 365) })));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
let missed = 0;
for (const r of results) {
  const ok = r.target === undefined || r.value <= r.target;
  if (!ok) missed++;
  const value = Math.round(r.value * 100) / 100;
  console.log(`${r.target === undefined ? '    ' : ok ? 'ok  ' : 'MISS'}  ${r.name}: ${value} ${r.unit}${r.target === undefined ? '' : ` (target ≤ ${r.target})`}`);
}
process.exitCode = missed ? 1 : 0;
