/**
 * AWS request economy at scale: the sandbox's two accounts at scale 50 (over 6,000 IAM users in
 * production) collected by the real connector, requests counted per operation and compared with
 * the README formula computed from the same world. LookupEvents pacing (2 requests per second per
 * account and region) is simulated by a clock that records the waits instead of sleeping, so the
 * bench measures Annexa, not the pacing; the waits are reported.
 */
import { join } from 'node:path';
import { parseConfig } from '../src/config/config.js';
import { connectorRegistry } from '../src/registry.js';
import { checkRegistry } from '../src/checks/registry.js';
import { Redactor } from '../src/core/redact.js';
import type { Clock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { planCollection } from '../src/pipeline/plan.js';
import { runCollection } from '../src/pipeline/collect.js';
import { openSqliteStore } from '../storage/sqlite-store.js';
import { createSyntheticCompany } from '../src/sandbox/company.js';
import { createAwsWorld, type AwsAccount, type AwsWorld } from '../src/sandbox/aws/data.js';
import { startAwsSandbox, useSandboxAwsCredentials } from '../src/sandbox/aws/server.js';
import type { BenchResult } from './github.js';


const eventsLookbackDays = 30;
const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));

/** The README's request formula, evaluated on a world. */
export function expectedAwsRequests(world: AwsWorld, regions: readonly string[]): { iam: number; total: number } {
  let iam = 0;
  let total = 0;
  const since = world.now - eventsLookbackDays * 86_400_000;
  for (const account of world.accounts) {
    const items = account.users.length + account.groups.length + account.roles.length + account.policies.length;
    // AssumeRole; GenerateCredentialReport twice (STARTED, then COMPLETE) and GetCredentialReport; authorization details; summary; password policy.
    const accountIam = 1 + 2 + 1 + pages(items, 1000) + 1 + 1;
    iam += accountIam;
    total += accountIam + trailRequests(account, regions);
    for (const region of regions) {
      const inRegion = account.events.filter((e) => e.region === region && e.time >= since);
      total += pages(inRegion.filter((e) => e.source === 'iam.amazonaws.com').length, 50) + pages(inRegion.filter((e) => e.name === 'ConsoleLogin').length, 50);
      const b = account.backup[region];
      const plans = b?.plans ?? [];
      total += pages(plans.length, 1000) + plans.reduce((n, p) => n + 1 + pages(p.selections.length, 1000) + p.selections.length, 0);
      total += pages(b?.vaults.length ?? 0, 1000) + pages(b?.resources.length ?? 0, 1000);
      total += pages((b?.jobs ?? []).filter((j) => j.createdAt >= world.now - 35 * 86_400_000).length, 1000);
      total += pages((b?.restores ?? []).filter((j) => j.createdAt >= world.now - 180 * 86_400_000).length, 1000);
    }
  }
  return { iam, total };
}

function trailRequests(account: AwsAccount, regions: readonly string[]): number {
  return regions.length + account.trails.length * 2;
}

/** A clock at the world's time whose sleeps return at once and are added up. */
class NoWaitClock implements Clock {
  waitedMs = 0;
  constructor(private current: number) {}
  now(): Date {
    return new Date(this.current);
  }
  sleep(ms: number): Promise<void> {
    this.waitedMs += ms;
    this.current += ms;
    return Promise.resolve();
  }
}

/** Collects both sandbox accounts at the given scale (50 in `npm run bench`) and reports requests and time. */
export async function awsRequestBench(dir: string, scale = 50): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const push = (r: BenchResult) => results.push(r);
  const now = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
  const world = createAwsWorld(createSyntheticCompany({ scale, now }));
  const sandbox = await startAwsSandbox(world);
  const restore = useSandboxAwsCredentials();
  try {
    const config = parseConfig(
      {
        store: { path: join(dir, `aws-${scale}.db`) },
        connectors: [
          {
            id: 'aws-bench',
            type: 'aws',
            regions: [...world.regions],
            accounts: world.accounts.map((a) => ({ id: a.id, roleName: world.roleName })),
            endpoints: { iam: sandbox.url, sts: sandbox.url, cloudtrail: sandbox.url, backup: sandbox.url },
          },
        ],
      },
      join(dir, 'annexa.yaml'),
      connectorRegistry,
      { env: {}, readFile: () => '', redactor: new Redactor() },
      checkRegistry,
    );
    const store = openSqliteStore(config.storePath);
    const clock = new NoWaitClock(now.getTime());
    const start = performance.now();
    const result = await runCollection({ plan: planCollection(config), store, fetch: globalThis.fetch, clock, logger: silentLogger(), redactor: new Redactor(), command: 'bench aws' });
    const ms = performance.now() - start;
    await store.close();
    if (result.status !== 'complete') throw new Error(`AWS collection at scale ${scale} was ${result.status}`);
    const ops = sandbox.requestsByOperation();
    const users = world.accounts.map((a) => a.users.length);
    const iamMeasured = Object.entries(ops)
      .filter(([op]) => op.startsWith('iam:') || op.startsWith('sts:'))
      .reduce((n, [, c]) => n + c, 0);
    const expected = expectedAwsRequests(world, world.regions);
    push({ name: `AWS IAM+STS requests for ${users.join(' + ')} IAM users (formula ${expected.iam})`, value: iamMeasured, unit: 'requests', target: expected.iam });
    push({ name: `AWS requests, all collectors, 2 accounts × ${world.regions.length} regions (formula ${expected.total})`, value: sandbox.requestCount(), unit: 'requests', target: expected.total });
    push({ name: `AWS collection at scale ${scale}, ${result.run.observationCount} records (LookupEvents pacing simulated: ${Math.round(clock.waitedMs / 1000)} s of waits)`, value: ms, unit: 'ms', target: 45_000 });
  } finally {
    restore();
    await sandbox.close();
  }
  return results;
}
