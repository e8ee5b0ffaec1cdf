/**
 * Benchmarks (`npm run bench`): performance targets live here, never in unit tests. Prints one
 * Markdown table (every figure next to its target, pass or miss) with the arithmetic behind the
 * derived figures, writes `bench/results/<date>.json`, and exits 1 when a target is missed.
 * `npm run bench -- --only collection,baseline` reruns parts (see `parts` below; README in bench/).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
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
import { storeBench, storeReadsBench } from './store.js';
import { scaleOutBench } from './scale-out.js';
import { collectionBench, type BenchFigure } from './collection.js';
import { baselineBench, type CollectionSummary } from './baseline.js';
import { packageRoot } from '../src/core/version.js';

interface Result {
  name: string;
  value: number;
  unit: string;
  /** Absent: a figure reported, not judged. */
  target?: number;
}
const results: Result[] = [];
const dir = mkdtempSync(join(tmpdir(), 'annexa-bench-'));
/** The stores the `store` part keeps at its checkpoints, timed by `store-reads` (kept between runs, not committed). */
const storeCheckpoints = join(packageRoot, 'bench/.store-checkpoints');

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

/** The parts `--only` can pick, in the order they run. */
const parts = ['collection', 'baseline', 'connectors', 'store', 'store-reads', 'bundle', 'scale-out'] as const;
type Part = (typeof parts)[number];

/** `npm run bench`, `npm run bench -- --only collection,baseline`, or the old `npm run bench -- store`. */
function selectedParts(argv: string[]): Set<Part> {
  const i = argv.indexOf('--only');
  const raw = i >= 0 ? (argv[i + 1] ?? '') : argv.find((a) => !a.startsWith('-')) ?? parts.join(',');
  const picked = raw.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = picked.filter((p) => !(parts as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`unknown bench part(s) ${unknown.join(', ')}; choose from ${parts.join(', ')}`);
  return new Set(picked as Part[]);
}

const only = selectedParts(process.argv.slice(2));
/** The commit measured, read before anything runs (later commits during a long run are not in it). */
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: packageRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
const startedAt = new Date().toISOString();
const figures: BenchFigure[] = [];
const partSeconds: Record<string, number> = {};
const load = { before: loadavg().map((x) => Math.round(x * 100) / 100), during: [] as number[][] };
const sampleLoad = () => load.during.push(loadavg().map((x) => Math.round(x * 100) / 100));
// Also sampled when each part ends: a part that keeps the event loop busy (the store year) holds the timer off.
const loadSampler = setInterval(sampleLoad, 30_000);
loadSampler.unref();
const adopt = (group: string, rs: readonly Result[]) => figures.push(...rs.map((r) => ({ group, ...r })));
const day = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
let summary: CollectionSummary | undefined;
try {
  for (const part of parts) {
    if (!only.has(part)) continue;
    const began = performance.now();
    console.error(`bench: ${part}…`);
    try {
      if (part === 'collection') {
        const collection = await collectionBench(dir, 50);
        figures.push(...collection.figures);
        summary = collection.summary;
      } else if (part === 'baseline') {
        figures.push(...(await baselineBench(dir, summary, { scale: 50, day })));
      } else if (part === 'connectors') {
        await storeScenario();
        await collectionScenario(1);
        await collectionScenario(5);
        await lifecycleScenario(results, dir);
        results.push(...(await identityScenario(dir, 50)));
        results.push(...(await githubRequestBench(dir)));
        results.push(...(await awsRequestBench(dir)));
        adopt('connectors', results.splice(0));
      } else if (part === 'store') {
        adopt('store', await storeBench(dir, { days: Number(process.env.ANNEXA_BENCH_DAYS ?? 365), checkpointsDir: storeCheckpoints }));
      } else if (part === 'store-reads') {
        adopt('store-reads', await storeReadsBench(storeCheckpoints));
      } else if (part === 'bundle') {
        adopt('bundle', await bundleScenario(dir));
      } else if (part === 'scale-out') {
        adopt('scale-out', await scaleOutBench(dir));
      }
    } catch (error) {
      // One part failing must not lose the others' figures: it becomes a missed figure of its own.
      console.error(error);
      figures.push({ group: part, name: `${part} did not finish: ${error instanceof Error ? error.message.slice(0, 300) : String(error)}`, value: 1, unit: '', target: 0 });
    }
    partSeconds[part] = Math.round((performance.now() - began) / 1000);
    sampleLoad();
  }
} finally {
  clearInterval(loadSampler);
  rmSync(dir, { recursive: true, force: true });
}

const passes = (f: BenchFigure) => f.target === undefined || (f.direction === 'min' ? f.value >= f.target : f.value <= f.target);
const missed = figures.filter((f) => !passes(f));
const round = (x: number) => (Math.abs(x) >= 100 ? Math.round(x).toString() : (Math.round(x * 100) / 100).toString());
const lines = [
  '| part | figure | value | target | |',
  '|---|---|---:|---:|---|',
  ...figures.map((f) => `| ${f.group} | ${f.name.replaceAll('|', '\\|')} | ${round(f.value)} ${f.unit} | ${f.target === undefined ? '' : `${f.direction === 'min' ? '≥' : '≤'} ${round(f.target)} ${f.unit}`} | ${f.target === undefined ? '' : passes(f) ? 'pass' : '**miss**'} |`),
];
const notes = figures.filter((f) => f.note).map((f) => `- ${f.note}`);
console.log(lines.join('\n'));
if (notes.length) console.log(`\nArithmetic:\n${notes.join('\n')}`);
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${platform()} ${release()}` };
console.log(`\nMachine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}. Load average (1, 5, 15 min) before: ${load.before.join(', ')}; highest 1-min during: ${Math.max(0, ...load.during.map((l) => l[0]!))}. Parts (s): ${JSON.stringify(partSeconds)}. ${missed.length} of ${figures.filter((f) => f.target !== undefined).length} targets missed.`);
mkdirSync(join(packageRoot, 'bench/results'), { recursive: true });
const resultsFile = join(packageRoot, 'bench/results', `${new Date().toISOString().slice(0, 10)}${only.size < parts.length ? `-${[...only].join('-')}` : ''}.json`);
writeFileSync(resultsFile, `${JSON.stringify({ date: startedAt, finishedAt: new Date().toISOString(), commit, parts: [...only], partSeconds, machine, load, figures, table: lines.join('\n') }, null, 2)}\n`);
console.log(`Results written to ${resultsFile}`);
process.exitCode = missed.length ? 1 : 0;
