/**
 * AWS Backup in its REST JSON protocol: `GET` paths (`/backup/plans`, `/backup-jobs`, ...), query
 * parameters (`maxResults`, `nextToken`, `createdAfter`), timestamps as epoch seconds, errors with
 * `x-amzn-errortype`. Only the calls the connector makes.
 */
import { jsonResponse, type SandboxResponse } from '../http-server.js';
import type { AwsAccount, RegionalBackup } from './data.js';

export function backupError(status: number, type: string, message: string, requestId: string): SandboxResponse {
  return jsonResponse(status, { Code: type, Message: message }, { 'x-amzn-errortype': type, 'x-amzn-requestid': requestId });
}

const seconds = (ms: number | null) => (ms === null ? undefined : ms / 1000);

/** A page of `items` by `maxResults`/`nextToken` (an opaque offset). */
function paged<T>(items: T[], url: URL, key: string, render: (item: T) => unknown, requestId: string): SandboxResponse {
  const max = Math.min(Number(url.searchParams.get('maxResults') ?? 1000) || 1000, 1000);
  const token = url.searchParams.get('nextToken');
  const offset = token ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
  const next = offset + max < items.length ? Buffer.from(String(offset + max)).toString('base64') : undefined;
  return jsonResponse(200, { [key]: items.slice(offset, offset + max).map(render), ...(next ? { NextToken: next } : {}) }, { 'x-amzn-requestid': requestId });
}

/** Answers one AWS Backup call for an account in a region. */
export function handleBackup(account: AwsAccount, region: string, url: URL, requestId: string): SandboxResponse {
  const data: RegionalBackup = account.backup[region] ?? { plans: [], vaults: [], resources: [], jobs: [], restores: [] };
  const arn = (kind: string, id: string) => `arn:aws:backup:${region}:${account.id}:${kind}:${id}`;
  const ok = (value: unknown) => jsonResponse(200, value, { 'x-amzn-requestid': requestId });
  const path = url.pathname.replace(/\/$/, '');
  const createdAfter = url.searchParams.get('createdAfter');
  const after = createdAfter ? Date.parse(createdAfter) : 0;
  let m: RegExpExecArray | null;
  if (path === '/backup/plans') {
    return paged(data.plans, url, 'BackupPlansList', (p) => ({ BackupPlanArn: arn('backup-plan', p.id), BackupPlanId: p.id, BackupPlanName: p.name, VersionId: 'v1', CreationDate: seconds(account.users[0]?.createdAt ?? 0) }), requestId);
  }
  if ((m = /^\/backup\/plans\/([^/]+)$/.exec(path))) {
    const plan = data.plans.find((p) => p.id === m![1]);
    if (!plan) return backupError(404, 'ResourceNotFoundException', `Failed reading Backup plan with provided version`, requestId);
    return ok({
      BackupPlanArn: arn('backup-plan', plan.id),
      BackupPlanId: plan.id,
      VersionId: 'v1',
      BackupPlan: {
        BackupPlanName: plan.name,
        Rules: plan.rules.map((r, i) => ({
          RuleName: r.name,
          RuleId: `${plan.id}-rule-${i + 1}`,
          TargetBackupVaultName: r.vault,
          ScheduleExpression: r.schedule,
          StartWindowMinutes: 60,
          CompletionWindowMinutes: 180,
          Lifecycle: { ...(r.deleteAfterDays !== null ? { DeleteAfterDays: r.deleteAfterDays } : {}), ...(r.coldAfterDays !== null ? { MoveToColdStorageAfterDays: r.coldAfterDays } : {}) },
        })),
      },
    });
  }
  if ((m = /^\/backup\/plans\/([^/]+)\/selections$/.exec(path))) {
    const plan = data.plans.find((p) => p.id === m![1]);
    return paged(plan?.selections ?? [], url, 'BackupSelectionsList', (s) => ({ SelectionId: s.id, SelectionName: s.name, BackupPlanId: plan!.id, IamRoleArn: `arn:aws:iam::${account.id}:role/service-role/AWSBackupDefaultServiceRole` }), requestId);
  }
  if ((m = /^\/backup\/plans\/([^/]+)\/selections\/([^/]+)$/.exec(path))) {
    const selection = data.plans.find((p) => p.id === m![1])?.selections.find((s) => s.id === m![2]);
    if (!selection) return backupError(404, 'ResourceNotFoundException', 'Selection not found', requestId);
    return ok({
      SelectionId: selection.id,
      BackupPlanId: m[1],
      BackupSelection: { SelectionName: selection.name, IamRoleArn: `arn:aws:iam::${account.id}:role/service-role/AWSBackupDefaultServiceRole`, Resources: selection.resources, NotResources: selection.notResources, ListOfTags: [] },
    });
  }
  if (path === '/backup-vaults') {
    return paged(data.vaults, url, 'BackupVaultList', (v) => ({
      BackupVaultName: v.name,
      BackupVaultArn: arn('backup-vault', v.name),
      VaultType: 'BACKUP_VAULT',
      EncryptionKeyArn: `arn:aws:kms:${region}:${account.id}:key/backup-${v.name}`,
      NumberOfRecoveryPoints: v.recoveryPoints,
      Locked: v.locked,
      ...(v.minRetentionDays !== null && v.locked ? { MinRetentionDays: v.minRetentionDays, MaxRetentionDays: v.maxRetentionDays } : {}),
      ...(v.lockDate !== null ? { LockDate: seconds(v.lockDate) } : {}),
    }), requestId);
  }
  if (path === '/resources') {
    return paged(data.resources, url, 'Results', (r) => ({ ResourceArn: r.arn, ResourceType: r.type, ResourceName: r.name, LastBackupTime: seconds(r.lastBackup) }), requestId);
  }
  if (path === '/backup-jobs') {
    return paged(data.jobs.filter((j) => j.createdAt >= after), url, 'BackupJobs', (j) => ({
      AccountId: account.id,
      BackupJobId: j.id,
      BackupVaultName: j.vault,
      BackupVaultArn: arn('backup-vault', j.vault),
      ResourceArn: j.resourceArn,
      ResourceType: j.resourceType,
      CreationDate: seconds(j.createdAt),
      ...(j.completedAt !== null ? { CompletionDate: seconds(j.completedAt) } : {}),
      State: j.state,
      ...(j.statusMessage ? { StatusMessage: j.statusMessage } : {}),
      PercentDone: j.state === 'RUNNING' ? '42.0' : '100.0',
      ...(j.planId ? { CreatedBy: { BackupPlanId: j.planId, BackupPlanArn: arn('backup-plan', j.planId), BackupPlanVersion: 'v1' } } : {}),
    }), requestId);
  }
  if (path === '/restore-jobs') {
    return paged(data.restores.filter((j) => j.createdAt >= after), url, 'RestoreJobs', (j) => ({
      AccountId: account.id,
      RestoreJobId: j.id,
      RecoveryPointArn: j.recoveryPointArn,
      ResourceType: j.resourceType,
      CreationDate: seconds(j.createdAt),
      CompletionDate: seconds(j.completedAt),
      Status: j.status,
      ...(j.createdResourceArn ? { CreatedResourceArn: j.createdResourceArn } : {}),
      ...(j.statusMessage ? { StatusMessage: j.statusMessage } : {}),
    }), requestId);
  }
  return backupError(404, 'UnknownOperationException', `No route for GET ${path}`, requestId);
}
