import { describe, expect, it } from 'vitest';
import { inPopulation, populationByName, populationCsv } from '../../src/bundle/populations.js';

const start = new Date('2026-03-01T00:00:00Z');
const end = new Date('2026-03-31T23:59:59.999Z');

const event = (population: 'iam_change' | 'console_sign_in', eventTime: string) => ({
  account: '111122223333',
  region: 'eu-west-1',
  population,
  eventId: `ev-${eventTime}`,
  eventName: population === 'iam_change' ? 'CreateAccessKey' : 'ConsoleLogin',
  eventTime,
  username: 'alice',
  sourceIpAddress: '203.0.113.7',
  resources: population === 'iam_change' ? [{ type: 'AWS::IAM::AccessKey', name: 'AKIA…' }] : [],
  signInResult: population === 'iam_change' ? null : 'Success',
  mfaUsed: population === 'iam_change' ? null : true,
  errorCode: null,
});

describe('AWS populations', () => {
  it('iam-changes holds only IAM write calls whose time falls in the period', () => {
    const iam = populationByName('iam-changes')!;
    expect(iam.kind).toBe('aws.cloudtrail_event.v1');
    expect(inPopulation(iam, event('iam_change', '2026-03-10T09:00:00Z'), start, end)).toBe(true);
    expect(inPopulation(iam, event('console_sign_in', '2026-03-10T09:00:00Z'), start, end)).toBe(false);
    expect(inPopulation(iam, event('iam_change', '2026-02-28T23:59:59Z'), start, end)).toBe(false);
    const csv = populationCsv(iam, [
      { instanceId: 'aws-prod', subject: '111122223333/eu-west-1/ev-1', digest: 'd1', payload: event('iam_change', '2026-03-10T09:00:00Z'), firstSeen: '2026-03-10T10:00:00Z', lastSeen: '2026-03-11T10:00:00Z' },
    ]);
    expect(csv).toBe(
      '\uFEFFid,connector_instance,subject,account,region,event_id,event_name,event_time,username,source_ip,resources,error_code,first_seen,last_seen,record_sha256\r\n' +
        'aws-prod:111122223333/eu-west-1/ev-1,aws-prod,111122223333/eu-west-1/ev-1,111122223333,eu-west-1,ev-2026-03-10T09:00:00Z,CreateAccessKey,2026-03-10T09:00:00Z,alice,203.0.113.7,AWS::IAM::AccessKey:AKIA…,,2026-03-10T10:00:00Z,2026-03-11T10:00:00Z,d1\r\n',
    );
  });

  it('backup-jobs and restore-jobs are the jobs created in the period, one column per payload field', () => {
    const backups = populationByName('backup-jobs')!;
    const restores = populationByName('restore-jobs')!;
    expect([backups.kind, restores.kind]).toEqual(['aws.backup_job.v1', 'aws.backup_restore_job.v1']);
    const job = {
      account: '111122223333', region: 'eu-west-1', jobId: 'job-1', state: 'FAILED', resourceArn: 'arn:aws:rds:eu-west-1:111122223333:db:orders',
      resourceType: 'RDS', vault: 'Default', planId: null, createdAt: '2026-03-05T01:00:00Z', completedAt: '2026-03-05T01:20:00Z', statusMessage: 'Access denied',
    };
    expect(inPopulation(backups, job, start, end)).toBe(true);
    expect(inPopulation(backups, { ...job, createdAt: '2026-04-01T00:00:00Z' }, start, end)).toBe(false);
    const line = populationCsv(backups, [{ instanceId: 'aws-prod', subject: 's', digest: 'd', payload: job, firstSeen: 'f', lastSeen: 'l' }]).split('\r\n')[1];
    expect(line).toBe('aws-prod:s,aws-prod,s,111122223333,eu-west-1,job-1,FAILED,arn:aws:rds:eu-west-1:111122223333:db:orders,RDS,Default,,2026-03-05T01:00:00Z,2026-03-05T01:20:00Z,Access denied,f,l,d');
    expect(restores.columns.map((c) => c.field)).toEqual(['account', 'region', 'jobId', 'status', 'recoveryPointArn', 'resourceType', 'createdResourceArn', 'createdAt', 'completedAt', 'statusMessage']);
  });
});
