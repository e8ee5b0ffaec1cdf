import { afterEach, describe, expect, it } from 'vitest';
import { evaluateChecks } from '../../src/checks/run-checks.js';
import { formatCollectResult } from '../../src/cli/commands/collect.js';
import { checkRegistry } from '../../src/checks/registry.js';
import { connectorRegistry } from '../../src/registry.js';
import { awsSandboxCredentials, type AwsSandbox } from '../../src/sandbox/aws/server.js';
import { createApiLimiter, documentedLimits } from '../../src/sandbox/api-limits.js';
import { systemClock } from '../../src/core/clock.js';
import type { AwsWorld } from '../../src/sandbox/aws/data.js';
import { AwsPipeline, DENIED, DEV, FakeClock, NOW, PROD, payloads, smallWorld, startSmallSandbox, useSandboxCredentials, user } from './harness.js';

useSandboxCredentials();

let sandbox: AwsSandbox | undefined;
let pipeline: AwsPipeline | undefined;
afterEach(async () => {
  await pipeline?.cleanup();
  await sandbox?.close();
  pipeline = undefined;
  sandbox = undefined;
});

async function start(settings: Record<string, unknown> = {}, options: Parameters<typeof startSmallSandbox>[0] = {}, world?: AwsWorld) {
  sandbox = await startSmallSandbox(options, world);
  pipeline = new AwsPipeline(sandbox, settings);
  return { sandbox, pipeline };
}

const outcomesOf = (result: Awaited<ReturnType<AwsPipeline['collect']>>) =>
  Object.fromEntries(result.outcomes.map((o) => [o.collectorId, { status: o.status, records: o.recordCount, ...(o.errorCode ? { code: o.errorCode } : {}) }]));

describe('AWS connector against the sandbox (real SDK clients, real wire formats on 127.0.0.1)', () => {
  it('collects every kind from two accounts with exact records and the minimum of requests', async () => {
    const { sandbox, pipeline } = await start();
    const result = await pipeline.collect(new FakeClock(NOW, true));
    expect(result.status).toBe('complete');
    expect(outcomesOf(result)).toEqual({
      iam_users: { status: 'collected', records: 3 },
      iam_account: { status: 'collected', records: 2 },
      iam_principals: { status: 'collected', records: 4 },
      trails: { status: 'collected', records: 2 },
      events: { status: 'collected', records: 2 },
      backup_plans: { status: 'collected', records: 1 },
      backup_vaults: { status: 'collected', records: 2 },
      protected_resources: { status: 'collected', records: 2 },
      backup_jobs: { status: 'collected', records: 2 },
      restore_jobs: { status: 'collected', records: 1 },
    });
    // Per account: credential report 2 polls + 1 read, one authorization-details page; per account and region one listing each.
    expect(sandbox.requestsByOperation()).toEqual({
      'backup:GET /backup-jobs': 4,
      'backup:GET /backup-vaults': 4,
      'backup:GET /backup/plans': 4,
      'backup:GET /backup/plans/plan-1': 1,
      'backup:GET /backup/plans/plan-1/selections': 1,
      'backup:GET /backup/plans/plan-1/selections/sel-1': 1,
      'backup:GET /resources': 4,
      'backup:GET /restore-jobs': 4,
      'cloudtrail:DescribeTrails': 4,
      'cloudtrail:GetEventSelectors': 2,
      'cloudtrail:GetTrailStatus': 2,
      'cloudtrail:LookupEvents': 8,
      'iam:GenerateCredentialReport': 4,
      'iam:GetAccountAuthorizationDetails': 2,
      'iam:GetAccountPasswordPolicy': 2,
      'iam:GetAccountSummary': 2,
      'iam:GetCredentialReport': 2,
      'sts:AssumeRole': 2,
    });

    expect(await payloads(pipeline.store, 'aws.iam_user.v1')).toEqual({
      [`${PROD}/ana.admin`]: {
        account: PROD,
        userName: 'ana.admin',
        arn: `arn:aws:iam::${PROD}:user/ana.admin`,
        createdAt: '2024-01-10T09:00:00.000Z',
        consoleAccess: true,
        passwordLastUsed: '2026-11-23T12:00:00.000Z',
        passwordLastChanged: '2026-10-01T08:00:00.000Z',
        mfaActive: true,
        accessKeys: [{ slot: 1, active: true, lastRotated: '2026-11-01T00:00:00.000Z', lastUsed: '2026-11-24T10:00:00.000Z', lastUsedService: 's3' }],
        lastActivity: '2026-11-24T10:00:00.000Z',
      },
      [`${PROD}/bob.nomfa`]: {
        account: PROD,
        userName: 'bob.nomfa',
        arn: `arn:aws:iam::${PROD}:user/bob.nomfa`,
        createdAt: '2024-01-10T09:00:00.000Z',
        consoleAccess: true,
        passwordLastUsed: '2026-07-01T10:00:00.000Z',
        passwordLastChanged: '2026-10-01T08:00:00.000Z',
        mfaActive: false,
        accessKeys: [{ slot: 1, active: true, lastRotated: '2026-05-01T00:00:00.000Z', lastUsed: null, lastUsedService: null }],
        lastActivity: '2026-07-01T10:00:00.000Z',
      },
      [`${DEV}/dev.one`]: {
        account: DEV,
        userName: 'dev.one',
        arn: `arn:aws:iam::${DEV}:user/dev.one`,
        createdAt: '2024-01-10T09:00:00.000Z',
        consoleAccess: true,
        passwordLastUsed: '2026-11-23T12:00:00.000Z',
        passwordLastChanged: '2026-10-01T08:00:00.000Z',
        mfaActive: true,
        accessKeys: [],
        lastActivity: '2026-11-23T12:00:00.000Z',
      },
    });

    const principals = await payloads(pipeline.store, 'aws.iam_principal.v1');
    expect(Object.keys(principals).sort()).toEqual([`${PROD}/role/deploy`, `${PROD}/user/ana.admin`, `${PROD}/user/bob.nomfa`, `${DEV}/user/dev.one`]);
    expect(principals[`${PROD}/user/ana.admin`]).toEqual({
      account: PROD,
      type: 'user',
      name: 'ana.admin',
      arn: `arn:aws:iam::${PROD}:user/ana.admin`,
      createdAt: '2024-01-10T09:00:00.000Z',
      groups: ['Admins'],
      policies: [{ name: 'AdministratorAccess', arn: 'arn:aws:iam::aws:policy/AdministratorAccess', attachment: 'group', group: 'Admins', allowsAllActionsOnAllResources: null }],
    });
    expect(principals[`${PROD}/role/deploy`]).toMatchObject({
      type: 'role',
      policies: [{ name: 'Everything', arn: `arn:aws:iam::${PROD}:policy/Everything`, attachment: 'direct', group: null, allowsAllActionsOnAllResources: true }],
    });

    const trails = await payloads(pipeline.store, 'aws.cloudtrail_account.v1');
    expect(trails[DEV]).toEqual({ account: DEV, regionsQueried: ['us-east-1', 'eu-west-1'], trails: [] });
    expect(trails[PROD]).toEqual({
      account: PROD,
      regionsQueried: ['us-east-1', 'eu-west-1'],
      trails: [
        {
          name: 'eu-only',
          arn: `arn:aws:cloudtrail:eu-west-1:${PROD}:trail/eu-only`,
          homeRegion: 'eu-west-1',
          multiRegion: false,
          organizationTrail: false,
          logging: true,
          latestDeliveryTime: '2026-11-25T11:50:00.000Z',
          logFileValidation: false,
          kmsKeyId: null,
          s3BucketName: 'logs-eu',
          managementEventsRead: false,
          managementEventsWrite: true,
          selectorType: 'basic',
        },
        {
          name: 'main',
          arn: `arn:aws:cloudtrail:us-east-1:${PROD}:trail/main`,
          homeRegion: 'us-east-1',
          multiRegion: true,
          organizationTrail: false,
          logging: true,
          latestDeliveryTime: '2026-11-25T11:50:00.000Z',
          logFileValidation: true,
          kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k1',
          s3BucketName: 'logs',
          managementEventsRead: true,
          managementEventsWrite: true,
          selectorType: 'basic',
        },
      ],
    });

    // IAM reads (ListUsers) are left out of the change population.
    expect(await payloads(pipeline.store, 'aws.cloudtrail_event.v1')).toEqual({
      [`${PROD}/us-east-1/ev-iam-1`]: {
        account: PROD,
        region: 'us-east-1',
        population: 'iam_change',
        eventId: 'ev-iam-1',
        eventName: 'AttachGroupPolicy',
        eventTime: '2026-11-19T08:00:00.000Z',
        username: 'ana.admin',
        sourceIpAddress: '203.0.113.8',
        resources: [{ type: 'AWS::IAM::Group', name: 'Admins' }],
        signInResult: null,
        mfaUsed: null,
        errorCode: null,
      },
      [`${PROD}/us-east-1/ev-login-1`]: {
        account: PROD,
        region: 'us-east-1',
        population: 'console_sign_in',
        eventId: 'ev-login-1',
        eventName: 'ConsoleLogin',
        eventTime: '2026-11-20T08:00:00.000Z',
        username: 'bob.nomfa',
        sourceIpAddress: '203.0.113.7',
        resources: [],
        signInResult: 'Success',
        mfaUsed: false,
        errorCode: null,
      },
    });

    expect((await payloads(pipeline.store, 'aws.backup_job.v1'))[`${PROD}/us-east-1/job-failed`]).toEqual({
      account: PROD,
      region: 'us-east-1',
      jobId: 'job-failed',
      state: 'FAILED',
      resourceArn: `arn:aws:rds:us-east-1:${PROD}:db:orders`,
      resourceType: 'RDS',
      vault: 'vault-a',
      planId: 'plan-1',
      createdAt: '2026-11-24T05:00:00.000Z',
      completedAt: '2026-11-24T05:10:00.000Z',
      statusMessage: 'Role lacks permissions.',
    });
    expect((await payloads(pipeline.store, 'aws.backup_plan.v1'))[`${PROD}/us-east-1/plan-1`]).toEqual({
      account: PROD,
      region: 'us-east-1',
      planId: 'plan-1',
      name: 'daily',
      arn: `arn:aws:backup:us-east-1:${PROD}:backup-plan:plan-1`,
      versionId: 'v1',
      rules: [{ name: 'daily', targetVault: 'vault-a', schedule: 'cron(0 5 ? * * *)', startWindowMinutes: 60, completionWindowMinutes: 180, deleteAfterDays: 35, moveToColdStorageAfterDays: null }],
      selections: [{ name: 'dbs', resources: [`arn:aws:rds:us-east-1:${PROD}:db:*`], notResources: [], byTags: false }],
    });
  });

  it('records a missing password policy as absent, with the NoSuchEntity answer as its provenance', async () => {
    const { pipeline } = await start();
    await pipeline.collect(new FakeClock(NOW, true), ['aws-test:iam_account']);
    const snapshot = (await pipeline.store.latest('aws.iam_account.v1'))[0]!;
    const dev = snapshot.records.find((r) => r.subject === DEV)!;
    expect(dev.payload).toEqual({
      account: DEV,
      rootMfaEnabled: false,
      rootAccessKeysPresent: true,
      users: 1,
      groups: 0,
      roles: 0,
      mfaDevices: 1,
      passwordPolicy: null,
      passwordPolicyState: 'absent',
    });
    // Provenance is kept once per collection; requestsOf gives this record's requests.
    const provenance = { requests: await pipeline.store.requestsOf(dev) };
    expect(provenance.requests.map((r) => [r.url.replace(/:\d+\//, ':PORT/'), r.status])).toEqual([
      ['http://127.0.0.1:PORT/#GetAccountSummary', 200],
      ['http://127.0.0.1:PORT/#GetAccountPasswordPolicy', 404],
    ]);
    expect(provenance.requests.every((r) => /^[0-9a-f-]{36}$/.test(r.requestId ?? ''))).toBe(true);
  });

  it('pages GetAccountAuthorizationDetails by Marker: 2,300 users cost three pages and one credential report', async () => {
    const world = smallWorld();
    const prod = world.accounts[0]!;
    for (let i = 0; i < 2298; i++) prod.users.push(user(`user${String(i).padStart(4, '0')}`, { arn: `arn:aws:iam::${PROD}:user/user${i}` }));
    const { sandbox, pipeline } = await start({ accounts: [{ id: PROD, roleName: 'AnnexaReadOnly' }] }, {}, world);
    const result = await pipeline.collect(new FakeClock(NOW, true), ['aws-test:iam_principals', 'aws-test:iam_users']);
    expect(outcomesOf(result)).toEqual({ iam_users: { status: 'collected', records: 2300 }, iam_principals: { status: 'collected', records: 2301 } });
    expect(sandbox.requestsByOperation()).toEqual({
      'iam:GenerateCredentialReport': 2,
      'iam:GetAccountAuthorizationDetails': 3,
      'iam:GetCredentialReport': 1,
      'sts:AssumeRole': 1,
    });
  });

  it('keeps LookupEvents to 2 requests per second per account and region', async () => {
    const world = smallWorld();
    const prod = world.accounts[0]!;
    for (let i = 0; i < 120; i++) {
      prod.events.push({ id: `login-${i}`, region: 'us-east-1', name: 'ConsoleLogin', source: 'signin.amazonaws.com', time: NOW.getTime() - (i + 1) * 3_600_000, readOnly: false, username: 'ana.admin', sourceIp: '203.0.113.1', resources: [], signIn: { result: 'Success', mfaUsed: true } });
    }
    const clock = new FakeClock(NOW, true);
    // CloudTrail's limit, counted on arrival in the fake clock's time: the answers take no fake time, so only the pacing spaces the calls.
    const limiter = createApiLimiter(documentedLimits.aws, () => clock.now().getTime());
    const { sandbox, pipeline } = await start({}, { faults: { limiter } }, world);
    const result = await pipeline.collect(clock, ['aws-test:events']);
    expect(outcomesOf(result)).toEqual({ events: { status: 'collected', records: 122 } });
    // Production us-east-1: 1 IAM page + 3 sign-in pages (50 a page); the other three scopes 2 pages each.
    expect(sandbox.requestsByOperation()['cloudtrail:LookupEvents']).toBe(10);
    expect(limiter.refused()).toEqual({});
    // The scopes run side by side on one clock: production us-east-1's four calls need 1.5 s of waiting, all of it paced in half seconds.
    expect(clock.sleeps.length).toBeGreaterThan(0);
    expect(clock.sleeps.every((ms) => ms > 0 && ms <= 500)).toBe(true);
    expect(clock.now().getTime() - NOW.getTime()).toBeGreaterThanOrEqual(1500);
  });

  it('stays within 2 LookupEvents per second as CloudTrail counts them (on arrival), while other calls hold the shared queue', async () => {
    const world = smallWorld();
    for (const account of world.accounts) {
      for (let i = 0; i < 150; i++) {
        account.events.push({ id: `login-${account.id}-${i}`, region: 'us-east-1', name: 'ConsoleLogin', source: 'signin.amazonaws.com', time: NOW.getTime() - (i + 1) * 3_600_000, readOnly: false, username: 'ana.admin', sourceIp: '203.0.113.1', resources: [], signIn: { result: 'Success', mfaUsed: true } });
      }
    }
    const limiter = createApiLimiter(documentedLimits.aws);
    const { sandbox, pipeline } = await start({}, { faults: { latencyMs: 30, limiter } }, world);
    const result = await pipeline.collect(systemClock);
    expect(result.status).toBe('complete');
    expect(limiter.refused()).toEqual({});
    // us-east-1: production 1 IAM page + 4 sign-in pages (151 sign-ins, 50 a page), development 1 + 3; eu-west-1 one page each per account.
    expect(sandbox.requestsByOperation()['cloudtrail:LookupEvents']).toBe(13);
  });

  it('waits out AWS throttling (Throttling in an ErrorResponse) and then collects', async () => {
    const { sandbox, pipeline } = await start();
    // The first two requests are throttled, then everything answers.
    sandbox.setFaults({ throttleRate: 0.5, random: (seq) => (seq <= 2 ? 0 : 0.9) });
    const result = await pipeline.collect(new FakeClock(NOW, true), ['aws-test:iam_account']);
    expect(outcomesOf(result)).toEqual({ iam_account: { status: 'collected', records: 2 } });
    expect(sandbox.requestCount()).toBe(2 + 2 + 2 * 2); // 2 throttled + 2 AssumeRole + 2 accounts × 2 calls
  });

  it('turns throttling past the attempt bound into rate_limited', async () => {
    const { sandbox, pipeline } = await start({ maxAttempts: 2 });
    sandbox.setFaults({ throttleRate: 1, random: () => 0 });
    const result = await pipeline.collect(new FakeClock(NOW, true), ['aws-test:iam_account']);
    expect(outcomesOf(result)).toEqual({ iam_account: { status: 'failed', records: 0, code: 'rate_limited' } });
    expect(result.outcomes[0]!.errorMessage).toMatch(/^AWS kept throttling after the retry bound: AssumeRole: Throttling: Rate exceeded$/);
    // AssumeRole per account, each tried maxAttempts times.
    expect(sandbox.requestCount()).toBe(4);
  });

  it('fails only the account whose role cannot be assumed; the others are collected, the run is partial and checks name the gap', async () => {
    const accounts = [PROD, DENIED, DEV].map((id) => ({ id, roleName: 'AnnexaReadOnly' }));
    const { sandbox, pipeline } = await start({ accounts });
    const result = await pipeline.collect(new FakeClock(NOW, true), ['aws-test:iam_account', 'aws-test:backup_vaults']);
    expect(result.status).toBe('partial');
    const denied = `account ${DENIED}: permission_denied: AssumeRole: AccessDenied: User: arn:aws:iam::${PROD}:user/annexa-collector is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${DENIED}:role/AnnexaReadOnly`;
    expect(result.outcomes.map(({ durationMs: _, ...o }) => o)).toEqual([
      {
        instanceId: 'aws-test',
        connectorType: 'aws',
        collectorId: 'iam_account',
        kind: 'aws.iam_account.v1',
        status: 'collected',
        recordCount: 2,
        errorCode: 'permission_denied',
        errorMessage: `partially collected: ${denied}`,
        scopeFailures: [{ scope: `account ${DENIED}`, code: 'permission_denied', message: denied.slice(`account ${DENIED}: permission_denied: `.length) }],
      },
      {
        instanceId: 'aws-test',
        connectorType: 'aws',
        collectorId: 'backup_vaults',
        kind: 'aws.backup_vault.v1',
        status: 'collected',
        recordCount: 2,
        errorCode: 'permission_denied',
        errorMessage: `partially collected: ${denied}`,
        scopeFailures: [{ scope: `account ${DENIED}`, code: 'permission_denied', message: denied.slice(`account ${DENIED}: permission_denied: `.length) }],
      },
    ]);
    const printed = formatCollectResult(result, 'evidence.db');
    expect(printed).toMatch(/aws-test\s+iam_account\s+aws\.iam_account\.v1\s+2\s+PARTIAL permission_denied/);
    expect(printed).toContain(`Failures:\n  aws-test/iam_account: permission_denied: partially collected: ${denied}\n`);
    expect(printed).toContain(': partial,');
    // One AssumeRole per account for the whole run, the failed one included.
    expect(sandbox.requestsByOperation()['sts:AssumeRole']).toBe(3);
    expect(Object.keys(await payloads(pipeline.store, 'aws.iam_account.v1')).sort()).toEqual([PROD, DEV]);

    const evaluations = await evaluateChecks({ store: pipeline.store, checks: checkRegistry.filter((c) => c.id === 'aws.iam.root_mfa_and_no_access_keys'), connectors: connectorRegistry, asOf: NOW });
    expect(evaluations[0]!.results).toEqual([
      { subject: PROD, status: 'pass', message: 'root has MFA and no access keys' },
      { subject: DEV, status: 'fail', message: 'root has no MFA; root has access keys' },
      { subject: 'aws-test', status: 'not_collected', message: `aws.iam_account.v1: partially collected: ${denied}` },
    ]);
  });

  it('fails only the region that is not enabled; the account\'s other region and the other account are collected', async () => {
    const { pipeline } = await start({}, { disabledRegions: [`${DEV}/eu-west-1`] });
    const result = await pipeline.collect(new FakeClock(NOW, true), ['aws-test:trails', 'aws-test:backup_vaults']);
    expect(result.status).toBe('partial');
    // Named by the call that failed.
    const failure = (operation: string) => ({ scope: `account ${DEV} region eu-west-1`, code: 'auth_failed', message: `${operation}: UnrecognizedClientException: The security token included in the request is invalid.` });
    expect(result.outcomes.map((o) => [o.collectorId, o.status, o.recordCount, o.scopeFailures])).toEqual([
      ['trails', 'collected', 2, [failure('DescribeTrails')]],
      ['backup_vaults', 'collected', 2, [failure('ListBackupVaults')]],
    ]);
    expect((await payloads(pipeline.store, 'aws.cloudtrail_account.v1'))[DEV]).toEqual({ account: DEV, regionsQueried: ['us-east-1'], trails: [] });
  });

  it('ends a credential report that is never ready as a timeout, after a bounded number of polls', async () => {
    const { sandbox, pipeline } = await start({}, { credentialReportNeverReady: true });
    const clock = new FakeClock(NOW, true);
    const result = await pipeline.collect(clock, ['aws-test:iam_users']);
    expect(outcomesOf(result)).toEqual({ iam_users: { status: 'failed', records: 0, code: 'timeout' } });
    expect(result.outcomes[0]!.errorMessage).toBe(`IAM credential report of account ${PROD} was not ready after 3 s (state STARTED)`);
    // maxWaitSeconds 3, pollSeconds 1: four polls per account, never a GetCredentialReport.
    expect(sandbox.requestsByOperation()).toEqual({ 'iam:GenerateCredentialReport': 8, 'sts:AssumeRole': 2 });
    expect(clock.sleeps).toEqual([1000, 1000, 1000, 1000, 1000, 1000]);
  });

  it('collects backup jobs incrementally: a later run asks only for jobs since the previous one and carries the rest', async () => {
    const world = smallWorld();
    const { sandbox, pipeline } = await start({ accounts: [{ id: PROD, roleName: 'AnnexaReadOnly' }], regions: ['us-east-1'] }, {}, world);
    const clock = new FakeClock(NOW, true);
    await pipeline.collect(clock, ['aws-test:backup_jobs']);
    // A day later AWS Backup has run one more job.
    const dayLater = new FakeClock(new Date(NOW.getTime() + 86_400_000), true);
    world.accounts[0]!.backup['us-east-1']!.jobs.unshift({ id: 'job-next', state: 'COMPLETED', resourceArn: `arn:aws:rds:us-east-1:${PROD}:db:orders`, resourceType: 'RDS', vault: 'vault-a', planId: 'plan-1', createdAt: NOW.getTime() + 17 * 3_600_000, completedAt: NOW.getTime() + 18 * 3_600_000, statusMessage: null });
    const second = await pipeline.collect(dayLater, ['aws-test:backup_jobs']);
    expect(outcomesOf(second)).toEqual({ backup_jobs: { status: 'collected', records: 3 } });
    const snapshot = (await pipeline.store.latest('aws.backup_job.v1'))[0]!;
    const urlOf = async (subject: string) => {
      const record = snapshot.records.find((r) => r.subject === subject)!;
      return (await pipeline.store.requestsOf(record))[0]!.url;
    };
    // The second request started one hour (the settling margin) before the first run.
    expect(await urlOf(`${PROD}/us-east-1/job-next`)).toContain(`createdAfter=${encodeURIComponent('2026-11-25T11:00:00Z')}`);
    // Carried records keep the request they were first collected by (the whole 35-day period).
    expect(await urlOf(`${PROD}/us-east-1/job-failed`)).toContain(`createdAfter=${encodeURIComponent('2026-10-21T12:00:00Z')}`);
    expect(sandbox.requestsByOperation()['backup:GET /backup-jobs']).toBe(2);
  });

  it('collects CloudTrail events incrementally: new events are fetched, earlier ones carried with their first provenance', async () => {
    const world = smallWorld();
    const { pipeline } = await start({ accounts: [{ id: PROD, roleName: 'AnnexaReadOnly' }], regions: ['us-east-1'] }, {}, world);
    const clock = new FakeClock(NOW, true);
    await pipeline.collect(clock, ['aws-test:events']);
    const dayLater = new FakeClock(new Date(NOW.getTime() + 86_400_000), true);
    world.accounts[0]!.events.unshift({ id: 'ev-login-2', region: 'us-east-1', name: 'ConsoleLogin', source: 'signin.amazonaws.com', time: NOW.getTime() + 20 * 3_600_000, readOnly: false, username: 'ana.admin', sourceIp: '203.0.113.9', resources: [], signIn: { result: 'Success', mfaUsed: true } });
    const second = await pipeline.collect(dayLater, ['aws-test:events']);
    expect(outcomesOf(second)).toEqual({ events: { status: 'collected', records: 3 } });
    const snapshot = (await pipeline.store.latest('aws.cloudtrail_event.v1'))[0]!;
    const firstSeen = async (subject: string) => {
      const record = snapshot.records.find((r) => r.subject === subject)!;
      return (await pipeline.store.requestsOf(record))[0]!.at.slice(0, 10);
    };
    expect(await firstSeen(`${PROD}/us-east-1/ev-login-1`)).toBe('2026-11-25');
    expect(await firstSeen(`${PROD}/us-east-1/ev-login-2`)).toBe('2026-11-26');
  });

  it('keeps the sandbox keys and the assumed-role session credentials out of the store and the logs', async () => {
    const { pipeline } = await start();
    await pipeline.collect(new FakeClock(NOW, true));
    await pipeline.store.close();
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const secrets = [awsSandboxCredentials.secretAccessKey, awsSandboxCredentials.accessKeyId, 'sandboxSessionSecret', 'sandboxSessionToken', 'FwoGZXIvYXdz'];
    expect(pipeline.logs.length).toBeGreaterThan(10);
    const logText = pipeline.logs.join('');
    for (const secret of secrets) expect(logText.includes(secret), `${secret} in logs`).toBe(false);
    for (const name of readdirSync(pipeline.dir)) {
      const bytes = readFileSync(join(pipeline.dir, name));
      for (const secret of secrets) expect(bytes.includes(secret), `${secret} in ${name}`).toBe(false);
    }
    // Reopen so cleanup can close it again.
    const { openSqliteStore } = await import('../../storage/sqlite-store.js');
    Object.assign(pipeline, { store: openSqliteStore(pipeline.config.storePath) });
  });
});
