/**
 * Test harness for the AWS connector: a small hand-built world served by the real AWS sandbox on
 * 127.0.0.1 (IAM/STS XML, CloudTrail JSON 1.1, Backup REST JSON), and the real pipeline over a
 * temporary SQLite store with a config parsed like a user's. The SDK finds the sandbox's fake keys
 * through its default credential chain (environment), as in the demo.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import { parseConfig, type AnnexaConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/core/logger.js';
import { Redactor } from '../../src/core/redact.js';
import { connectorRegistry } from '../../src/registry.js';
import { checkRegistry } from '../../src/checks/registry.js';
import { runCollection, type CollectResult } from '../../src/pipeline/collect.js';
import { planCollection } from '../../src/pipeline/plan.js';
import { openSqliteStore, type SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { ADMINISTRATOR_ACCESS_ARN, type AwsAccount, type AwsWorld, type IamUser } from '../../src/sandbox/aws/data.js';
import { startAwsSandbox, useSandboxAwsCredentials, type AwsSandbox, type AwsSandboxOptions } from '../../src/sandbox/aws/server.js';
import { FakeClock, NOW } from '../github/fake-clock.js';
import type { Clock } from '../../src/core/clock.js';

export { FakeClock, NOW };
const DAY = 86_400_000;
export const PROD = '111122223333';
export const DEV = '444455556666';
/** Not in the world: AssumeRole answers AccessDenied. */
export const DENIED = '777788889999';

/** Points the SDK's default chain at the sandbox keys for the file's tests. */
export function useSandboxCredentials(): void {
  let restore: (() => void) | undefined;
  beforeAll(() => {
    restore = useSandboxAwsCredentials();
  });
  afterAll(() => restore?.());
}

export function user(name: string, overrides: Partial<IamUser> = {}): IamUser {
  return {
    name,
    id: `AIDA${name.toUpperCase().replace(/[^A-Z]/g, '')}0000`,
    arn: `arn:aws:iam::${PROD}:user/${name}`,
    createdAt: Date.parse('2024-01-10T09:00:00Z'),
    personId: null,
    consoleAccess: true,
    passwordLastUsed: NOW.getTime() - 2 * DAY,
    passwordLastChanged: Date.parse('2026-10-01T08:00:00Z'),
    mfa: true,
    keys: [],
    groups: [],
    attachedPolicies: [],
    inlinePolicies: [],
    ...overrides,
  };
}

function account(id: string, overrides: Partial<AwsAccount> = {}): AwsAccount {
  return {
    id,
    alias: id,
    root: { mfa: true, accessKeys: 0 },
    passwordPolicy: null,
    users: [],
    groups: [],
    roles: [],
    policies: [],
    trails: [],
    events: [],
    backup: {},
    ...overrides,
  };
}

/**
 * Two accounts with one of each thing the checks look at. Production: a compliant user, a console
 * user without MFA and an old unused key, an admin through a group; a compliant trail and a
 * single-region one; a failed and a completed backup job; a completed restore. Development: no
 * password policy, root without MFA and with keys, no trail, nothing restored.
 */
export function smallWorld(): AwsWorld {
  const t = (iso: string) => Date.parse(iso);
  const prod = account(PROD, {
    passwordPolicy: {
      MinimumPasswordLength: 16,
      RequireSymbols: true,
      RequireNumbers: true,
      RequireUppercaseCharacters: true,
      RequireLowercaseCharacters: true,
      AllowUsersToChangePassword: true,
      ExpirePasswords: false,
      PasswordReusePrevention: 24,
      HardExpiry: false,
    },
    users: [
      user('ana.admin', { groups: ['Admins'], keys: [{ active: true, lastRotated: t('2026-11-01T00:00:00Z'), lastUsed: t('2026-11-24T10:00:00Z'), lastUsedService: 's3' }] }),
      user('bob.nomfa', {
        mfa: false,
        passwordLastUsed: t('2026-07-01T10:00:00Z'),
        keys: [{ active: true, lastRotated: t('2026-05-01T00:00:00Z'), lastUsed: null, lastUsedService: null }],
      }),
    ],
    groups: [{ name: 'Admins', attachedPolicies: [ADMINISTRATOR_ACCESS_ARN], inlinePolicies: [] }],
    roles: [{ name: 'deploy', arn: `arn:aws:iam::${PROD}:role/deploy`, createdAt: t('2025-01-01T00:00:00Z'), attachedPolicies: [`arn:aws:iam::${PROD}:policy/Everything`], inlinePolicies: [] }],
    policies: [
      { name: 'Everything', arn: `arn:aws:iam::${PROD}:policy/Everything`, createdAt: t('2025-01-01T00:00:00Z'), document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*:*', Resource: '*' }] } },
    ],
    trails: [
      { name: 'main', arn: `arn:aws:cloudtrail:us-east-1:${PROD}:trail/main`, homeRegion: 'us-east-1', multiRegion: true, logging: true, logFileValidation: true, kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k1', s3BucketName: 'logs', selectors: { basic: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] } },
      { name: 'eu-only', arn: `arn:aws:cloudtrail:eu-west-1:${PROD}:trail/eu-only`, homeRegion: 'eu-west-1', multiRegion: false, logging: true, logFileValidation: false, kmsKeyId: null, s3BucketName: 'logs-eu', selectors: { basic: [{ ReadWriteType: 'WriteOnly', IncludeManagementEvents: true }] } },
    ],
    events: [
      { id: 'ev-login-1', region: 'us-east-1', name: 'ConsoleLogin', source: 'signin.amazonaws.com', time: t('2026-11-20T08:00:00Z'), readOnly: false, username: 'bob.nomfa', sourceIp: '203.0.113.7', resources: [], signIn: { result: 'Success', mfaUsed: false } },
      { id: 'ev-iam-1', region: 'us-east-1', name: 'AttachGroupPolicy', source: 'iam.amazonaws.com', time: t('2026-11-19T08:00:00Z'), readOnly: false, username: 'ana.admin', sourceIp: '203.0.113.8', resources: [{ ResourceType: 'AWS::IAM::Group', ResourceName: 'Admins' }] },
      { id: 'ev-iam-read', region: 'us-east-1', name: 'ListUsers', source: 'iam.amazonaws.com', time: t('2026-11-18T08:00:00Z'), readOnly: true, username: 'ana.admin', sourceIp: '203.0.113.8', resources: [] },
    ],
    backup: {
      'us-east-1': {
        plans: [{ id: 'plan-1', name: 'daily', rules: [{ name: 'daily', vault: 'vault-a', schedule: 'cron(0 5 ? * * *)', deleteAfterDays: 35, coldAfterDays: null }], selections: [{ id: 'sel-1', name: 'dbs', resources: [`arn:aws:rds:us-east-1:${PROD}:db:*`], notResources: [] }] }],
        vaults: [
          { name: 'vault-a', locked: true, lockDate: null, minRetentionDays: 7, maxRetentionDays: 365, recoveryPoints: 2 },
          { name: 'Default', locked: false, lockDate: null, minRetentionDays: null, maxRetentionDays: null, recoveryPoints: 0 },
        ],
        resources: [
          { arn: `arn:aws:rds:us-east-1:${PROD}:db:orders`, type: 'RDS', name: 'orders', lastBackup: t('2026-11-25T05:30:00Z') },
          { arn: `arn:aws:elasticfilesystem:us-east-1:${PROD}:file-system/fs-1`, type: 'EFS', name: 'fs-1', lastBackup: t('2026-09-01T05:30:00Z') },
        ],
        jobs: [
          { id: 'job-ok', state: 'COMPLETED', resourceArn: `arn:aws:rds:us-east-1:${PROD}:db:orders`, resourceType: 'RDS', vault: 'vault-a', planId: 'plan-1', createdAt: t('2026-11-25T05:00:00Z'), completedAt: t('2026-11-25T05:30:00Z'), statusMessage: null },
          { id: 'job-failed', state: 'FAILED', resourceArn: `arn:aws:rds:us-east-1:${PROD}:db:orders`, resourceType: 'RDS', vault: 'vault-a', planId: 'plan-1', createdAt: t('2026-11-24T05:00:00Z'), completedAt: t('2026-11-24T05:10:00Z'), statusMessage: 'Role lacks permissions.' },
        ],
        restores: [{ id: 'restore-1', status: 'COMPLETED', recoveryPointArn: 'arn:aws:rds:us-east-1:111122223333:snapshot:rp1', resourceType: 'RDS', createdResourceArn: 'arn:aws:rds:us-east-1:111122223333:db:orders-restore', createdAt: t('2026-11-01T10:00:00Z'), completedAt: t('2026-11-01T10:40:00Z'), statusMessage: null }],
      },
    },
  });
  const dev = account(DEV, { root: { mfa: false, accessKeys: 1 }, users: [user('dev.one', { arn: `arn:aws:iam::${DEV}:user/dev.one` })] });
  return { callerAccount: PROD, roleName: 'AnnexaReadOnly', regions: ['us-east-1', 'eu-west-1'], accounts: [prod, dev], now: NOW.getTime() };
}

export interface AwsRun {
  result: CollectResult;
  logs: string[];
  store: SqliteEvidenceStore;
  config: AnnexaConfig;
  dir: string;
}

/** A temp store and a parsed config whose one `aws` instance points every service at the sandbox. */
export function awsConfig(dir: string, sandbox: AwsSandbox, settings: Record<string, unknown> = {}, redactor = new Redactor()): AnnexaConfig {
  return parseConfig(
    {
      store: { path: join(dir, 'evidence.db') },
      log: { level: 'silent' },
      http: { maxRetries: 1 },
      connectors: [
        {
          id: 'aws-test',
          type: 'aws',
          regions: ['us-east-1', 'eu-west-1'],
          accounts: [
            { id: PROD, roleName: 'AnnexaReadOnly' },
            { id: DEV, roleName: 'AnnexaReadOnly' },
          ],
          endpoints: { iam: sandbox.url, sts: sandbox.url, cloudtrail: sandbox.url, backup: sandbox.url },
          credentialReport: { maxWaitSeconds: 3, pollSeconds: 1 },
          ...settings,
        },
      ],
    },
    '<test>',
    connectorRegistry,
    { env: {}, readFile: () => '', redactor },
    checkRegistry,
  );
}

/** Runs the real pipeline (one or more times over the same store, as later runs). */
export class AwsPipeline {
  readonly dir = mkdtempSync(join(tmpdir(), 'annexa-aws-'));
  readonly redactor = new Redactor();
  readonly logs: string[] = [];
  readonly config: AnnexaConfig;
  readonly store: SqliteEvidenceStore;

  constructor(
    readonly sandbox: AwsSandbox,
    settings: Record<string, unknown> = {},
  ) {
    this.config = awsConfig(this.dir, sandbox, settings, this.redactor);
    this.store = openSqliteStore(this.config.storePath);
  }

  async collect(clock: Clock, only: string[] = []): Promise<CollectResult> {
    const destination = new Writable({
      write: (chunk, _encoding, done) => {
        this.logs.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'debug', redactor: this.redactor, destination });
    return runCollection({ plan: planCollection(this.config, only), store: this.store, fetch: globalThis.fetch, clock, logger, redactor: this.redactor, command: 'collect (test)' });
  }

  async cleanup(): Promise<void> {
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startSmallSandbox(options: AwsSandboxOptions = {}, world: AwsWorld = smallWorld()): Promise<AwsSandbox> {
  return startAwsSandbox(world, options);
}

/** Stored payloads of a kind, by subject. */
export async function payloads(store: SqliteEvidenceStore, kind: string): Promise<Record<string, unknown>> {
  const snapshot = (await store.latest(kind, { instanceId: 'aws-test' }))[0];
  return Object.fromEntries((snapshot?.records ?? []).map((r) => [r.subject, r.payload]));
}
