import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateChecks, type CheckEvaluation } from '../../src/checks/run-checks.js';
import { awsChecks } from '../../src/checks/aws.js';
import { connectorRegistry } from '../../src/registry.js';
import { createSyntheticCompany } from '../../src/sandbox/company.js';
import { awsSeededViolations, createAwsWorld, type AwsWorld } from '../../src/sandbox/aws/data.js';
import type { AwsSandbox } from '../../src/sandbox/aws/server.js';
import { AwsPipeline, FakeClock, NOW, startSmallSandbox, useSandboxCredentials } from './harness.js';

useSandboxCredentials();

const company = createSyntheticCompany({ scale: 1, now: NOW, seed: 42 });

describe('AWS sandbox world', () => {
  it('is a pure function of the company', () => {
    expect(JSON.stringify(createAwsWorld(company))).toBe(JSON.stringify(createAwsWorld(createSyntheticCompany({ scale: 1, now: NOW, seed: 42 }))));
  });

  it('gives IAM users to the same people who are in GitHub', () => {
    const world = createAwsWorld(company);
    const prod = world.accounts.find((a) => a.id === awsSeededViolations.production)!;
    const names = new Set(prod.users.map((u) => u.name));
    for (const person of company.people.filter((p) => p.githubLogin !== null)) expect(names.has(person.username), person.username).toBe(true);
    for (const u of prod.users.filter((x) => x.personId !== null)) {
      const person = company.people.find((p) => p.id === u.personId)!;
      expect(u.name).toBe(person.username);
      expect(u.createdAt).toBeGreaterThan(Date.parse(person.startDate));
    }
  });
});

describe('AWS checks over the whole sandbox (two accounts, seeded violations)', () => {
  let world: AwsWorld;
  let sandbox: AwsSandbox;
  let pipeline: AwsPipeline;
  let evaluations: CheckEvaluation[];
  beforeAll(async () => {
    world = createAwsWorld(company);
    sandbox = await startSmallSandbox({}, world);
    pipeline = new AwsPipeline(sandbox);
    const clock = new FakeClock(NOW, true);
    const result = await pipeline.collect(clock);
    expect(result.status).toBe('complete');
    evaluations = await evaluateChecks({ store: pipeline.store, checks: awsChecks as never, connectors: connectorRegistry, asOf: clock.now() });
  });
  afterAll(async () => {
    await pipeline.cleanup();
    await sandbox.close();
  });

  const notPassing = (checkId: string) =>
    evaluations
      .find((e) => e.checkId === checkId)!
      .results.filter((r) => r.status !== 'pass')
      .map((r) => `${r.status} ${r.subject}`);

  it('finds something to fix or review for every AWS check', () => {
    for (const check of awsChecks) expect(notPassing(check.id).length, check.id).toBeGreaterThan(0);
  });

  it('finds exactly the seeded identity violations', () => {
    const { production: prod, development: dev } = awsSeededViolations;
    expect(notPassing('aws.iam.console_users_have_mfa').length).toBe(awsSeededViolations.consoleUsersWithoutMfa[0] + awsSeededViolations.consoleUsersWithoutMfa[1]);
    expect(notPassing('aws.iam.root_mfa_and_no_access_keys')).toEqual([`fail ${dev}`]);
    expect(notPassing('aws.iam.password_policy_strong')).toEqual([`fail ${prod}`, `fail ${dev}`]);
    expect(notPassing('aws.iam.access_keys_rotated_and_used').length).toBe(awsSeededViolations.failingAccessKeys);
    expect(notPassing('aws.iam.admin_principals_listed_for_review')).toEqual(expect.arrayContaining([`warn ${prod}/role/BreakGlass`, `warn ${prod}/role/OrganizationAccountAccessRole`, `warn ${dev}/role/OrganizationAccountAccessRole`]));
    expect(notPassing('aws.cloudtrail.compliant_multi_region_trail')).toEqual([`fail ${dev}`]);
    expect(notPassing('aws.cloudtrail.trails_multi_region')).toEqual([`fail ${prod}/legacy-eu`]);
    expect(notPassing('aws.backup.restore_tested')).toEqual([`fail ${dev}`]);
  });

  it('finds the seeded backup failures in production us-east-1', () => {
    const failed = notPassing('aws.backup.jobs_succeeded').filter((r) => r.startsWith(`fail ${awsSeededViolations.production}/us-east-1/`));
    const seeded = Object.values(awsSeededViolations.failedBackupJobs).reduce((a, b) => a + b, 0);
    expect(failed.length).toBe(seeded);
    expect(notPassing('aws.backup.resources_under_plan')).toEqual([expect.stringMatching(/file-system\/fs-0a1b2c3d$/), expect.stringMatching(/file-system\/fs-0a1b2c3d$/)]);
  });
});
