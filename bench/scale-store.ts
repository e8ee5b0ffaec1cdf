/**
 * The PostgreSQL store's share of a scale-out unit (`npx tsx bench/scale-store.ts`): 30 units of a
 * shared run, each with 7 collectors of 5–93 records (about a sandbox GitHub organisation), written
 * the way `annexa worker` writes them (begin, a batch and an outcome per collector, end), in one
 * process without HTTP. Prints the CPU per unit of this process and of PostgreSQL's backends for
 * the second run (the first creates the streams, as a new store's first run does). Run it on two
 * commits, alternating, to compare the store's cost; skipped without PostgreSQL.
 */
import pg from 'pg';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { openPostgresStore } from '../storage/postgres-store.js';

const adminUrl = process.env.ANNEXA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
try {
  await admin.connect();
} catch {
  console.log(`skip  scale-store: no PostgreSQL at ${adminUrl}`);
  process.exit(0);
}
const database = `annexa_scale_store_${process.pid}`;
await admin.query(`CREATE DATABASE ${database}`);
const url = new URL(adminUrl);
url.pathname = `/${database}`;
const store = await openPostgresStore(url.toString());
/** CPU seconds (user + system) of a process, from /proc (Linux). */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const collectors = [93, 60, 60, 60, 20, 10, 5];
const units = Array.from({ length: 30 }, (_, i) => `github-${String(i + 1).padStart(2, '0')}`);

async function run(n: number): Promise<void> {
  const { runId } = await store.sharedRuns.create({ command: `scale-store ${n}`, toolVersion: '0.0.0-bench', startedAt: new Date() }, units);
  for (const unit of units) {
    const { writer } = await store.sharedRuns.beginUnit(runId, unit, 'bench', 1);
    for (const [c, size] of collectors.entries()) {
      const kind = `bench.k${c}.v1`;
      const at = new Date();
      await writer.addObservations(
        Array.from({ length: size }, (_, i) => ({
          instanceId: unit,
          collectorId: `c${c}`,
          kind,
          subject: `subject-${i}`,
          collectedAt: at,
          // One record changes between runs, as a day's evidence mostly does not.
          payload: { login: `user-${i}`, name: `User ${i}`, mfa: i % 7 !== 0, seen: i === 0 ? n : 0, repos: Array.from({ length: 5 }, (_, j) => ({ name: `repo-${j}`, private: j % 2 === 0 })) },
          provenance: { tool: 'annexa', connectorType: 'github', requests: [{ method: 'GET', url: `https://api.example/orgs/${unit}/c${c}?page=1`, status: 200, at: at.toISOString() }] },
        })),
      );
      await writer.addOutcome({ instanceId: unit, connectorType: 'github', collectorId: `c${c}`, kind, status: 'collected', recordCount: size, startedAt: at, finishedAt: new Date() });
    }
    await store.sharedRuns.endUnit(runId, unit, 'bench', 1, 'ended', new Date());
  }
}

try {
  await run(1);
  const backends = async () => (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database])).rows.map((r) => r.pid);
  const postgresBefore = new Map((await backends()).map((pid) => [pid, cpuSeconds(pid)]));
  const before = process.cpuUsage();
  const start = performance.now();
  await run(2);
  const ms = performance.now() - start;
  const own = process.cpuUsage(before);
  const postgres = (await backends()).reduce((sum, pid) => sum + cpuSeconds(pid) - (postgresBefore.get(pid) ?? 0), 0);
  const records = collectors.reduce((a, b) => a + b, 0);
  console.log(
    `scale-store: ${units.length} units × ${collectors.length} collectors (${records} records each) in ${Math.round(ms)} ms; CPU per unit: writer ${((own.user + own.system) / 1000 / units.length).toFixed(1)} ms, PostgreSQL ${((postgres * 1000) / units.length).toFixed(1)} ms; load average ${loadavg()[0]!.toFixed(1)}`,
  );
} finally {
  await store.close();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}
