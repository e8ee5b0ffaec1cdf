import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGithubSandbox, type GithubSandbox } from '../../src/sandbox/github/server.js';
import type { SandboxApiName } from '../../src/demo/sandbox-environment.js';
import { runCli } from '../cli/helpers.js';
import { outcomeLines, sandboxToken, startFaultWorld, type FaultWorld } from './harness.js';

/**
 * A rate budget spent with its reset farther away than the configured maximum wait
 * (`http.maxRateLimitWaitSeconds`) → `rate_limited` naming the endpoint, a partial run (CLI exit
 * 3), and everything the other collectors collected kept and verifiable.
 *
 * GitHub: the sandbox's primary budget (`rateLimit` requests, reset an hour away, 403 with
 * `x-ratelimit-remaining: 0`), through the real CLI. Entra ID, Google, Jira, KnowBe4: each API's
 * own 429 with `Retry-After: 7200`. AWS has no budget to wait for (throttling is retried by the
 * SDK up to `maxAttempts`): test/aws/aws.test.ts "turns throttling past the attempt bound into
 * rate_limited" covers it.
 */

let world: FaultWorld;
let budgeted: GithubSandbox;
beforeAll(async () => {
  world = await startFaultWorld();
  budgeted = await startGithubSandbox(world.env.github.world, { token: sandboxToken, rateLimit: 3 });
}, 30_000);
afterAll(async () => {
  await budgeted?.close();
  await world?.close();
});

describe('GitHub budget spent, reset beyond the maximum wait, through the CLI', () => {
  it('is rate_limited naming the endpoint, exits 3, keeps the other connectors\' evidence, and the store verifies', async () => {
    const connectors = world.env
      .connectorEntries()
      .filter((e) => ['github', 'jira', 'knowbe4', 'file'].includes(String(e.type)))
      .map((e) => (e.type === 'github' ? { ...e, baseUrl: budgeted.url, http: { maxRateLimitWaitSeconds: 60 } } : e));
    const file = join(world.dir, 'budget.yaml');
    writeFileSync(file, stringify({ store: { path: './budget.db' }, connectors }));
    const env = { ANNEXA_SANDBOX_TOKEN: sandboxToken };
    const run = await runCli(['collect', '--json', '--config', file], world.dir, env);
    expect(run.code, run.stderr).toBe(3);
    const summary = JSON.parse(run.stdout) as { status: string; outcomes: { instanceId: string; collectorId: string; status: string; errorCode?: string; errorMessage?: string; recordCount: number }[] };
    expect(summary.status).toBe('partial');
    const github = summary.outcomes.filter((o) => o.instanceId === 'github-acme');
    const limited = github.filter((o) => o.errorCode === 'rate_limited');
    expect(limited.length).toBeGreaterThan(0);
    for (const o of limited) expect(o.errorMessage).toMatch(new RegExp(`rate limit exhausted for ${budgeted.url}/\\S+: resets at .*beyond the maximum wait of 60 s`));
    // Only the budget failed GitHub's collectors: nothing else went wrong.
    expect(github.every((o) => o.status === 'collected' || o.errorCode === 'rate_limited')).toBe(true);
    // Everything else collected, and is stored.
    const others = summary.outcomes.filter((o) => o.instanceId !== 'github-acme');
    expect(others.map((o) => `${o.instanceId}/${o.collectorId} ${o.status}`)).toEqual(others.map((o) => `${o.instanceId}/${o.collectorId} collected`));
    expect(others.reduce((n, o) => n + o.recordCount, 0)).toBeGreaterThan(100);
    const kinds = JSON.parse((await runCli(['evidence', 'ls', '--json', '--config', file], world.dir, env)).stdout) as { kind: string; instanceId?: string }[];
    expect(kinds.map((k) => k.kind)).toEqual(expect.arrayContaining(['jira.user.v1', 'knowbe4.user.v1', 'people.roster.v1']));
    const verify = await runCli(['verify', '--config', file], world.dir, env);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 30_000);
});

describe.each<{ api: SandboxApiName; instance: string }>([
  { api: 'entra', instance: 'entra' },
  { api: 'google', instance: 'google' },
  { api: 'jira', instance: 'jira-acme' },
  { api: 'knowbe4', instance: 'knowbe4' },
])('$api answering 429 with Retry-After: 7200', ({ api, instance }) => {
  it('is rate_limited naming the endpoint, partial, and the file connectors beside it are kept', async () => {
    world.env.faults[api].set({ throttleRate: 1, retryAfterSeconds: 7200, match: (r) => !/token$|openid-configuration$/.test(r.url.pathname) });
    try {
      const config = world.config(`${api}-budget`, { only: (e) => e.id === instance || e.type === 'file', http: { maxRateLimitWaitSeconds: 60 } });
      const { result } = await world.collect(config, `${api}-budget`);
      expect(result.status).toBe('partial');
      const mine = result.outcomes.filter((o) => o.instanceId === instance);
      expect(mine.map((o) => o.errorCode), outcomeLines(result).join('\n')).toEqual(mine.map(() => 'rate_limited'));
      for (const o of mine) expect(o.errorMessage).toMatch(/^(rate limit exhausted for |GET )https?:\/\/127\.0\.0\.1:\d+\/\S+/);
      expect(result.outcomes.filter((o) => o.connectorType === 'file').map((o) => o.status)).toEqual(['collected', 'collected']);
      expect(world.env.faults[api].counts().throttle).toBeGreaterThan(0);
    } finally {
      world.env.faults[api].set({});
    }
  }, 20_000);
});
