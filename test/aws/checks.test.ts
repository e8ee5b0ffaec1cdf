import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateChecks, type CheckEvaluation } from '../../src/checks/run-checks.js';
import { awsChecks, arnMatches } from '../../src/checks/aws.js';
import { connectorRegistry } from '../../src/registry.js';
import { managementCoverage } from '../../connectors/aws/trails.js';
import { allowsAllActionsOnAllResources } from '../../connectors/aws/iam-principals.js';
import type { AwsSandbox } from '../../src/sandbox/aws/server.js';
import { AwsPipeline, FakeClock, NOW, startSmallSandbox, useSandboxCredentials } from './harness.js';

useSandboxCredentials();

describe('AWS checks over evidence collected from the small world', () => {
  let sandbox: AwsSandbox;
  let pipeline: AwsPipeline;
  let evaluations: CheckEvaluation[];
  beforeAll(async () => {
    sandbox = await startSmallSandbox();
    pipeline = new AwsPipeline(sandbox);
    const clock = new FakeClock(NOW, true);
    await pipeline.collect(clock);
    evaluations = await evaluateChecks({ store: pipeline.store, checks: awsChecks as never, connectors: connectorRegistry, asOf: clock.now() });
  });
  afterAll(async () => {
    await pipeline.cleanup();
    await sandbox.close();
  });

  it('gives exactly these results', () => {
    const results = Object.fromEntries(evaluations.map((e) => [e.checkId, e.results.map((r) => `${r.status} ${r.subject}: ${r.message}`)]));
    expect(results).toEqual({
      'aws.iam.console_users_have_mfa': [
        'pass 111122223333/ana.admin: console access with MFA',
        'fail 111122223333/bob.nomfa: console password without MFA',
        'pass 444455556666/dev.one: console access with MFA',
      ],
      'aws.iam.root_mfa_and_no_access_keys': [
        'pass 111122223333: root has MFA and no access keys',
        'fail 444455556666: root has no MFA; root has access keys',
      ],
      'aws.iam.access_keys_rotated_and_used': [
        'pass 111122223333/ana.admin#access_key_1: 24 days old, last used 2026-11-24T10:00:00.000Z',
        'fail 111122223333/bob.nomfa#access_key_1: not rotated for 208 days (limit 90); never used in 208 days',
      ],
      'aws.iam.admin_principals_listed_for_review': [
        'warn 111122223333/role/deploy: administrative role to review: Everything (direct)',
        'warn 111122223333/user/ana.admin: administrative user to review: AdministratorAccess (group via Admins)',
      ],
      'aws.iam.password_policy_strong': [
        'pass 111122223333: length \u2265 16, all character classes, reuse prevention 24',
        'fail 444455556666: no password policy: IAM defaults apply',
      ],
      'aws.iam.no_inactive_users': [
        'pass 111122223333/ana.admin: last active 2026-11-24T10:00:00.000Z',
        'fail 111122223333/bob.nomfa: inactive for 147 days (limit 90)',
        'pass 444455556666/dev.one: last active 2026-11-23T12:00:00.000Z',
      ],
      'aws.cloudtrail.compliant_multi_region_trail': [
        'pass 111122223333: compliant trail main',
        'fail 444455556666: no trail in us-east-1, eu-west-1',
      ],
      'aws.cloudtrail.trails_multi_region': [
        'fail 111122223333/eu-only: single-region trail in eu-west-1',
        'pass 111122223333/main: multi-region',
      ],
      'aws.cloudtrail.trails_validate_log_files': [
        'fail 111122223333/eu-only: log file validation off',
        'pass 111122223333/main: log file validation on',
      ],
      'aws.cloudtrail.trails_encrypted_with_kms': [
        'fail 111122223333/eu-only: no KMS key (bucket logs-eu)',
        'pass 111122223333/main: KMS key arn:aws:kms:us-east-1:111122223333:key/k1, bucket logs',
      ],
      'aws.cloudtrail.console_sign_ins_use_mfa': [
        'fail 111122223333/us-east-1/ev-login-1: bob.nomfa signed in at 2026-11-20T08:00:00.000Z without MFA',
      ],
      'aws.cloudtrail.iam_changes_listed_for_review': [
        'warn 111122223333/us-east-1/ev-iam-1: AttachGroupPolicy by ana.admin at 2026-11-19T08:00:00.000Z on Admins',
      ],
      'aws.backup.jobs_succeeded': [
        'fail 111122223333/us-east-1/job-failed: FAILED backup of arn:aws:rds:us-east-1:111122223333:db:orders created 2026-11-24T05:00:00.000Z: Role lacks permissions.',
        'fail 111122223333/us-east-1: 1 completed, 1 unsuccessful, 0 in progress in the last 35 days',
      ],
      'aws.backup.vaults_locked': [
        'fail 111122223333/us-east-1/Default: not locked (0 recovery points)',
        'pass 111122223333/us-east-1/vault-a: locked (governance mode), retention 7\u2013365 days',
      ],
      'aws.backup.resources_under_plan': [
        'fail 111122223333/us-east-1/arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1: under no backup plan (last backup 2026-09-01T05:30:00.000Z)',
        'pass 111122223333/us-east-1/arn:aws:rds:us-east-1:111122223333:db:orders: selected by plan daily',
      ],
      'aws.backup.restore_tested': [
        'pass 111122223333: restore restore-1 completed 2026-11-01T10:40:00.000Z (RDS, us-east-1)',
        'fail 444455556666: no completed restore in the last 180 days',
      ],
    });
  });
});

describe('facts the AWS collectors and checks derive', () => {
  it('reads management-event coverage from basic and advanced selectors', () => {
    expect(managementCoverage({ EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] })).toEqual({ read: true, write: true, type: 'basic' });
    expect(managementCoverage({ EventSelectors: [{ ReadWriteType: 'WriteOnly', IncludeManagementEvents: true }] })).toEqual({ read: false, write: true, type: 'basic' });
    expect(managementCoverage({ EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: false }] })).toEqual({ read: false, write: false, type: 'basic' });
    const advanced = (fields: { Field: string; Equals?: string[]; NotEquals?: string[] }[]) => managementCoverage({ AdvancedEventSelectors: [{ FieldSelectors: fields }] });
    expect(advanced([{ Field: 'eventCategory', Equals: ['Management'] }])).toEqual({ read: true, write: true, type: 'advanced' });
    expect(advanced([{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'readOnly', Equals: ['false'] }])).toEqual({ read: false, write: true, type: 'advanced' });
    expect(advanced([{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'readOnly', NotEquals: ['false'] }])).toEqual({ read: true, write: false, type: 'advanced' });
    expect(advanced([{ Field: 'eventCategory', Equals: ['Data'] }])).toEqual({ read: false, write: false, type: 'advanced' });
  });

  it('finds documents that allow every action on every resource (URL-encoded, as IAM returns them)', () => {
    const doc = (statement: unknown) => encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: statement }));
    expect(allowsAllActionsOnAllResources(doc({ Effect: 'Allow', Action: '*', Resource: '*' }))).toBe(true);
    expect(allowsAllActionsOnAllResources(doc([{ Effect: 'Allow', Action: ['s3:*'], Resource: '*' }, { Effect: 'Allow', Action: ['*:*'], Resource: ['*'] }]))).toBe(true);
    expect(allowsAllActionsOnAllResources(doc({ Effect: 'Deny', Action: '*', Resource: '*' }))).toBe(false);
    expect(allowsAllActionsOnAllResources(doc({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::bucket/*' }))).toBe(false);
    // An unreadable document is a malformed answer, never "not admin".
    expect(() => allowsAllActionsOnAllResources('%7Bnot json')).toThrow(expect.objectContaining({ code: 'invalid_payload', message: expect.stringContaining('GetAccountAuthorizationDetails') }));
  });

  it('matches resource ARNs against backup selection patterns', () => {
    expect(arnMatches('arn:aws:rds:us-east-1:111122223333:db:*', 'arn:aws:rds:us-east-1:111122223333:db:orders')).toBe(true);
    expect(arnMatches('arn:aws:rds:*:*:db:*', 'arn:aws:rds:eu-west-1:111122223333:db:x')).toBe(true);
    expect(arnMatches('arn:aws:rds:us-east-1:111122223333:db:orders', 'arn:aws:rds:us-east-1:111122223333:db:orders-2')).toBe(false);
    expect(arnMatches('arn:aws:dynamodb:us-east-1:111122223333:table/*', 'arn:aws:rds:us-east-1:111122223333:db:orders')).toBe(false);
  });
});
