/**
 * Scale-out benchmark (`npm run bench`, or `npx tsx bench/scale-out.ts`): the GitHub sandbox
 * behind 50 ms of latency, 30 connector instances (30 units), collected by one `annexa worker`
 * process and then by three, on PostgreSQL (store and queue). Wall time is from enqueueing the
 * run to its seal, with the workers already waiting; requests are counted by the sandbox. Target:
 * three workers at least 2.5 times faster than one. Skipped (one line) when no PostgreSQL runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startScaleOutSandbox, type ScaleOutSandbox } from '../src/sandbox/scale-out.js';
import { scheduleRun, queueSchema } from '../src/scale/queue.js';
import { planCollection } from '../src/pipeline/plan.js';
import { loadConfigFile } from '../src/config/config.js';
import { connectorRegistry } from '../src/registry.js';
import { checkRegistry } from '../src/checks/registry.js';
import { Redactor } from '../src/core/redact.js';
import { openPostgresStore } from '../storage/postgres-store.js';
import { readFileSync } from 'node:fs';

export interface ScaleOutResult {
  name: string;
  value: number;
  unit: string;
  target: number;
}

const adminUrl = process.env.ANNEXA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs the scenario with 1 and with 3 workers; returns the measurements (empty when PostgreSQL is unreachable). */
export async function scaleOutBench(dir: string, options: { instances?: number; latencyMs?: number } = {}): Promise<ScaleOutResult[]> {
  const instances = options.instances ?? 30;
  const latencyMs = options.latencyMs ?? 50;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch {
    console.log(`skip  scale-out: no PostgreSQL at ${adminUrl}`);
    return [];
  }
  const database = `annexa_bench_${process.pid}`;
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  let sandbox: ScaleOutSandbox | undefined;
  try {
    sandbox = await startScaleOutSandbox({ dir, databaseUrl: url.toString(), instances, latencyMs });
    const one = await measure(sandbox, url.toString(), 1);
    const three = await measure(sandbox, url.toString(), 3);
    console.log(
      `      scale-out, ${instances} instances, ${latencyMs} ms latency:  1 worker ${(one.ms / 1000).toFixed(1)} s, ${one.requests} requests, ${Math.round(one.unitMs)} ms per unit` +
        `  |  3 workers ${(three.ms / 1000).toFixed(1)} s, ${three.requests} requests, ${Math.round(three.unitMs)} ms per unit  |  ${(one.ms / three.ms).toFixed(2)}× faster`,
    );
    return [
      { name: `scale-out: ${instances} instances with 1 worker (${one.requests} requests)`, value: one.ms, unit: 'ms', target: 120_000 },
      { name: `scale-out: ${instances} instances with 3 workers (${three.requests} requests)`, value: three.ms, unit: 'ms', target: one.ms / 2.5 },
      { name: 'scale-out: requests with 3 workers beyond those with 1 (none: the same work)', value: Math.abs(three.requests - one.requests), unit: 'requests', target: 0 },
    ];
  } finally {
    await sandbox?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

/** Starts `workers` worker processes, waits until each beats, then times one run from enqueue to seal. */
async function measure(sandbox: ScaleOutSandbox, url: string, workers: number): Promise<{ ms: number; requests: number; unitMs: number }> {
  const names = Array.from({ length: workers }, (_, i) => `bench-${workers}-${i + 1}`);
  const children = names.map((name) => sandbox.worker(name, ['--concurrency', '1']));
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const store = await openPostgresStore(url);
  try {
    for (;;) {
      const ready = await db.query(`SELECT COUNT(*)::int AS n FROM ${queueSchema}.worker_heartbeats WHERE name = ANY($1)`, [names]).catch(() => ({ rows: [{ n: 0 }] }));
      if (ready.rows[0]!.n >= workers) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const config = loadConfigFile(sandbox.configFile, connectorRegistry, { env: sandbox.env, readFile: (p) => readFileSync(p, 'utf8'), redactor: new Redactor(), skipSecrets: true }, checkRegistry);
    const requestsBefore = sandbox.requestCount();
    const start = performance.now();
    const startedAt = Date.now();
    const { runId } = await scheduleRun({ store, url, plan: planCollection(config), command: `bench ${workers} worker(s)`, now: new Date() });
    for (;;) {
      const run = await store.run(runId);
      if (run && run.status !== 'running') {
        if (run.status !== 'complete') throw new Error(`scale-out run with ${workers} worker(s) was ${run.status}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const ms = performance.now() - start;
    const jobs = await store.sharedRuns.jobs(runId);
    const unitMs = jobs.map((j) => Date.parse(j.endedAt!) - Date.parse(j.startedAt));
    const perWorker = names.map((name) => jobs.filter((j) => j.worker === name).length);
    const firstStart = Math.min(...jobs.map((j) => Date.parse(j.startedAt)));
    const lastEnd = Math.max(...jobs.map((j) => Date.parse(j.endedAt!)));
    console.log(`      ${workers} worker(s): units per worker ${perWorker.join('/')}, first unit started ${Math.round(firstStart - startedAt)} ms after enqueue, last ended ${Math.round(lastEnd - startedAt)} ms after`);
    return { ms, requests: sandbox.requestCount() - requestsBefore, unitMs: unitMs.reduce((a, b) => a + b, 0) / unitMs.length };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((done) => (child.exitCode !== null ? done(null) : child.once('exit', done)))));
    await store.close();
    await db.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), 'annexa-scale-out-'));
  try {
    let missed = 0;
    // `npx tsx bench/scale-out.ts [instances] [latencyMs]`
    const [instances, latencyMs] = process.argv.slice(2).map(Number);
    for (const r of await scaleOutBench(dir, { ...(instances ? { instances } : {}), ...(latencyMs ? { latencyMs } : {}) })) {
      const ok = r.value <= r.target;
      if (!ok) missed++;
      console.log(`${ok ? 'ok  ' : 'MISS'}  ${r.name}: ${Math.round(r.value)} ${r.unit} (target ≤ ${Math.round(r.target)})`);
    }
    process.exitCode = missed ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
