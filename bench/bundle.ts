/**
 * Bundle benchmark: a year of daily evidence for an organization of ~10,000 people, written
 * straight into a store with an injected clock (members collected and checked every day, a few
 * 2FA changes, joiners and leavers, ~20 merged pull requests a day), then `annexa bundle` for a
 * month and for the whole year in a child process, reporting seconds, bundle size and peak RSS.
 * Flat memory: the year may not need much more memory than the month.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteStore } from '../storage/sqlite-store.js';
import type { CheckResultInput, ObservationInput } from '../storage/evidence-store.js';
import { packageRoot } from '../src/core/version.js';
import { cliChildArgs, cliMainScript } from './cli-child.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target: number;
}

const people = Number(process.env.ANNEXA_BENCH_BUNDLE_PEOPLE ?? 10_000);
const days = Number(process.env.ANNEXA_BENCH_BUNDLE_DAYS ?? 365);
const start = Date.parse('2025-01-01T02:00:00.000Z');
const dayMs = 86_400_000;

/** Writes the year into `dbPath` (about 7 million rows) and returns how long it took. */
export async function writeYear(dbPath: string): Promise<number> {
  const began = performance.now();
  const store = openSqliteStore(dbPath);
  const provenance = { tool: 'annexa/bench', connectorType: 'github', requests: [{ method: 'GET', url: 'https://api.github.com/orgs/acme/members?per_page=100', status: 200, at: '2025-01-01T02:00:00.000Z' }] };
  for (let d = 0; d < days; d++) {
    const at = new Date(start + d * dayMs);
    const observedAt = new Date(at.getTime() - 5_000);
    const writer = await store.startRun({ command: `bench collect day ${d}`, toolVersion: 'bench', startedAt: new Date(at.getTime() - 10_000) });
    // Three joiners a day; the oldest three leave. 2FA of ~10 people flips each day.
    const first = d * 3;
    const members: ObservationInput[] = [];
    for (let i = first; i < first + people; i++) {
      const twoFactorEnabled = (i * 7 + Math.floor(d / 30)) % 997 !== 0 && !(i % 1000 === d % 1000);
      members.push({
        instanceId: 'github-acme',
        collectorId: 'members',
        kind: 'github.member.v1',
        subject: `user-${i}`,
        payload: { login: `user-${i}`, id: i, role: i % 50 === 0 ? 'admin' : 'member', twoFactorEnabled, twoFactorVisibility: 'visible', twoFactorNotVisibleReason: null },
        collectedAt: observedAt,
        provenance,
      });
    }
    for (let i = 0; i < members.length; i += 5000) await writer.addObservations(members.slice(i, i + 5000));
    const prs: ObservationInput[] = Array.from({ length: 20 }, (_, k) => {
      const number = d * 20 + k + 1;
      const mergedAt = new Date(at.getTime() - (k + 1) * 600_000).toISOString();
      return {
        instanceId: 'github-acme',
        collectorId: 'merged_pull_requests',
        kind: 'github.merged_pull_request.v1',
        subject: `acme/api#${number}`,
        payload: {
          repository: 'acme/api', number, title: `Change ${number}`, url: `https://github.com/acme/api/pull/${number}`, author: `user-${number % people}`,
          mergedBy: `user-${number % people}`, createdAt: mergedAt, mergedAt, baseBranch: 'main', mergeCommit: `c${number}`,
          reviews: number % 13 === 0 ? [] : [{ reviewer: `user-${(number + 1) % people}`, state: 'APPROVED', submittedAt: mergedAt }], reviewsTruncated: false,
        },
        collectedAt: observedAt,
        provenance,
      };
    });
    await writer.addObservations(prs);
    for (const [collectorId, kind, count] of [['members', 'github.member.v1', members.length], ['merged_pull_requests', 'github.merged_pull_request.v1', prs.length]] as const) {
      await writer.addOutcome({ instanceId: 'github-acme', connectorType: 'github', collectorId, kind, status: 'collected', recordCount: count, startedAt: new Date(at.getTime() - 10_000), finishedAt: at });
    }
    await writer.finish('complete', at);

    const checkAt = new Date(at.getTime() + 300_000);
    const checks = await store.startRun({ command: `bench check day ${d}`, toolVersion: 'bench', startedAt: checkAt });
    const evidence = { kind: 'github.member.v1', instanceId: 'github-acme', runId: writer.runId, collectedAt: at.toISOString(), day: d };
    const results: CheckResultInput[] = members.map((m) => {
      const ok = (m.payload as { twoFactorEnabled: boolean }).twoFactorEnabled;
      return { checkId: 'github.members.have_2fa', instanceId: 'github-acme', subject: m.subject, status: ok ? 'pass' : 'fail', message: ok ? 'member has 2FA enabled' : 'member has 2FA disabled', asOf: checkAt, evidence };
    });
    const prEvidence = { kind: 'github.merged_pull_request.v1', day: d };
    for (const pr of prs) {
      const reviewed = (pr.payload as { reviews: unknown[] }).reviews.length > 0;
      results.push({ checkId: 'github.pull_requests.approved_before_merge', instanceId: 'github-acme', subject: pr.subject, status: reviewed ? 'pass' : 'fail', message: reviewed ? 'approved before merge' : 'merged without any approving review', asOf: checkAt, evidence: prEvidence });
    }
    for (let i = 0; i < results.length; i += 5000) await checks.addCheckResults(results.slice(i, i + 5000));
    await checks.finish('complete', new Date(checkAt.getTime() + 1000));
  }
  await store.close();
  return performance.now() - began;
}

/** Runs `annexa bundle` in a child process; returns seconds, bytes and the child's peak RSS. */
function exportBundle(dbPath: string, dir: string, to: string, keyFile: string): { seconds: number; bytes: number; rssMb: number } {
  const out = join(dir, `bundle-${to}.zip`);
  const args = ['bundle', '--store', dbPath, '--from', '2025-01-01', '--to', to, '--out', out, '--key', keyFile, '--sample', 'merged-prs:auto', '--seed', 'bench', '--json'];
  const script = cliMainScript(args);
  const began = performance.now();
  const child = spawnSync(process.execPath, cliChildArgs(['--input-type=module', '-e', script]), { cwd: packageRoot, encoding: 'utf8', env: { ...process.env, ANNEXA_LOG_LEVEL: 'silent' } });
  const seconds = (performance.now() - began) / 1000;
  if (child.status !== 0) throw new Error(`bundle export failed (${child.status}): ${child.stderr}`);
  const rssKb = Number(/MAXRSS (\d+)/.exec(child.stderr)?.[1] ?? NaN);
  return { seconds, bytes: statSync(out).size, rssMb: rssKb / 1024 };
}

/** The bundle scenario for `npm run bench`. */
export async function bundleScenario(dir: string): Promise<BenchResult[]> {
  const dbPath = join(dir, 'bundle-year.db');
  const writeMs = await writeYear(dbPath);
  const keyFile = join(dir, 'bench-signing.key');
  writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const month = exportBundle(dbPath, dir, '2025-01-31', keyFile);
  const year = exportBundle(dbPath, dir, '2025-12-31', keyFile);
  return [
    { name: `write a year of daily evidence for ${people} people (${days * (people + 20) * 2} rows)`, value: writeMs / 1000, unit: 's', target: 900 },
    { name: 'bundle a month: seconds', value: month.seconds, unit: 's', target: 120 },
    { name: `bundle a month: peak RSS (size ${(month.bytes / 1e6).toFixed(1)} MB)`, value: month.rssMb, unit: 'MB', target: 400 },
    { name: 'bundle a year: seconds', value: year.seconds, unit: 's', target: 600 },
    { name: 'bundle a year: size', value: year.bytes / 1e6, unit: 'MB', target: 500 },
    // Flat memory: a year may take at most 1.5 times the month's peak.
    { name: 'bundle a year: peak RSS', value: year.rssMb, unit: 'MB', target: Math.max(400, month.rssMb * 1.5) },
  ];
}

const invokedDirectly = process.argv[1] !== undefined && /bench[\\/]bundle\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'annexa-bench-bundle-'));
  try {
    for (const r of await bundleScenario(dir)) console.log(`${r.value <= r.target ? 'ok  ' : 'MISS'}  ${r.name}: ${r.value.toFixed(1)} ${r.unit} (target ≤ ${r.target.toFixed(0)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
