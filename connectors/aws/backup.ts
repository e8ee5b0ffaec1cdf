import {
  GetBackupPlanCommand,
  GetBackupSelectionCommand,
  ListBackupJobsCommand,
  ListBackupPlansCommand,
  ListBackupSelectionsCommand,
  ListBackupVaultsCommand,
  ListProtectedResourcesCommand,
  ListRestoreJobsCommand,
} from '@aws-sdk/client-backup';
import { z } from 'zod';
import { defineCollector, type EvidenceRecord, type RequestRef } from '../../src/core/connector.js';
import { parse, type AccountSession, type AwsApi, type Called } from './client.js';
import { eachRegion, incrementalWindow, iso, type AwsContext } from './scopes.js';
import type { AwsSettings } from './settings.js';

const where = {
  account: z.string().describe('AWS account id.'),
  region: z.string().describe('Region.'),
};

/** Follows `NextToken` through a Backup listing, one validated page at a time. */
async function* pages<S extends z.ZodType<{ NextToken?: string | undefined }>>(
  send: (token: string | undefined) => Promise<Called<unknown>>,
  schema: S,
  call: string,
): AsyncGenerator<{ page: z.output<S>; request: RequestRef }> {
  let token: string | undefined;
  do {
    const { output, request } = await send(token);
    const page = parse(schema, output, call);
    yield { page, request };
    token = page.NextToken;
  } while (token);
}

// Plans --------------------------------------------------------------------------------------

export const backupPlanPayload = z.object({
  ...where,
  planId: z.string().describe('Backup plan id.'),
  name: z.string().describe('Plan name.'),
  arn: z.string().describe('Plan ARN.'),
  versionId: z.string().nullable().describe('Plan version.'),
  rules: z
    .array(
      z.object({
        name: z.string().describe('Rule name.'),
        targetVault: z.string().describe('Vault the recovery points go to.'),
        schedule: z.string().nullable().describe('Schedule expression (cron or rate).'),
        startWindowMinutes: z.number().nullable().describe('Minutes a job may wait to start.'),
        completionWindowMinutes: z.number().nullable().describe('Minutes a job may run.'),
        deleteAfterDays: z.number().nullable().describe('Retention: recovery points are deleted after this many days; null keeps them indefinitely.'),
        moveToColdStorageAfterDays: z.number().nullable().describe('Days before recovery points move to cold storage.'),
      }),
    )
    .describe('Backup rules: schedule and retention.'),
  selections: z
    .array(
      z.object({
        name: z.string().describe('Selection name.'),
        resources: z.array(z.string()).describe('Resource ARNs or ARN patterns (with *) the plan backs up.'),
        notResources: z.array(z.string()).describe('ARNs or patterns excluded.'),
        byTags: z.boolean().describe('Whether the selection also picks resources by tag (tags are not collected).'),
      }),
    )
    .describe('Resource assignments of the plan.'),
});

const listPlans = z.object({
  BackupPlansList: z.array(z.object({ BackupPlanId: z.string() })).default([]),
  NextToken: z.string().optional(),
});
const getPlan = z.object({
  BackupPlanId: z.string(),
  BackupPlanArn: z.string(),
  VersionId: z.string().optional(),
  BackupPlan: z.object({
    BackupPlanName: z.string(),
    Rules: z
      .array(
        z.object({
          RuleName: z.string(),
          TargetBackupVaultName: z.string(),
          ScheduleExpression: z.string().optional(),
          StartWindowMinutes: z.number().optional(),
          CompletionWindowMinutes: z.number().optional(),
          Lifecycle: z.object({ DeleteAfterDays: z.number().optional(), MoveToColdStorageAfterDays: z.number().optional() }).optional(),
        }),
      )
      .default([]),
  }),
});
const listSelections = z.object({
  BackupSelectionsList: z.array(z.object({ SelectionId: z.string() })).default([]),
  NextToken: z.string().optional(),
});
const getSelection = z.object({
  BackupSelection: z.object({
    SelectionName: z.string(),
    Resources: z.array(z.string()).default([]),
    NotResources: z.array(z.string()).default([]),
    ListOfTags: z.array(z.unknown()).default([]),
    Conditions: z.record(z.string(), z.array(z.unknown()).optional()).optional(),
  }),
});

async function* plansIn(ctx: AwsContext, session: AccountSession, region: string): AsyncGenerator<EvidenceRecord<z.output<typeof backupPlanPayload>>> {
  const client = session.backup(region);
  const send = ctx.client.send.bind(ctx.client);
  for await (const { page, request: listRequest } of pages(
    (token) => send(client, new ListBackupPlansCommand({ MaxResults: 1000, ...(token ? { NextToken: token } : {}) }), 'ListBackupPlans'),
    listPlans,
    'Backup ListBackupPlans',
  )) {
    for (const { BackupPlanId } of page.BackupPlansList) {
      const got = await send<unknown>(client, new GetBackupPlanCommand({ BackupPlanId }), 'GetBackupPlan');
      const plan = parse(getPlan, got.output, 'Backup GetBackupPlan');
      const requests = [listRequest, got.request];
      const selections: z.output<typeof backupPlanPayload>['selections'] = [];
      for await (const { page: selectionPage, request } of pages(
        (token) => send(client, new ListBackupSelectionsCommand({ BackupPlanId, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }), 'ListBackupSelections'),
        listSelections,
        'Backup ListBackupSelections',
      )) {
        requests.push(request);
        for (const { SelectionId } of selectionPage.BackupSelectionsList) {
          const sel = await send<unknown>(client, new GetBackupSelectionCommand({ BackupPlanId, SelectionId }), 'GetBackupSelection');
          requests.push(sel.request);
          const s = parse(getSelection, sel.output, 'Backup GetBackupSelection').BackupSelection;
          const conditions = Object.values(s.Conditions ?? {}).some((list) => (list?.length ?? 0) > 0);
          selections.push({ name: s.SelectionName, resources: s.Resources, notResources: s.NotResources, byTags: s.ListOfTags.length > 0 || conditions });
        }
      }
      yield {
        subject: `${session.account}/${region}/${plan.BackupPlanId}`,
        requests,
        payload: {
          account: session.account,
          region,
          planId: plan.BackupPlanId,
          name: plan.BackupPlan.BackupPlanName,
          arn: plan.BackupPlanArn,
          versionId: plan.VersionId ?? null,
          rules: plan.BackupPlan.Rules.map((r) => ({
            name: r.RuleName,
            targetVault: r.TargetBackupVaultName,
            schedule: r.ScheduleExpression ?? null,
            startWindowMinutes: r.StartWindowMinutes ?? null,
            completionWindowMinutes: r.CompletionWindowMinutes ?? null,
            deleteAfterDays: r.Lifecycle?.DeleteAfterDays ?? null,
            moveToColdStorageAfterDays: r.Lifecycle?.MoveToColdStorageAfterDays ?? null,
          })),
          selections,
        },
      };
    }
  }
}

export const backupPlansCollector = defineCollector<AwsApi, AwsSettings, typeof backupPlanPayload>({
  id: 'backup_plans',
  kind: 'aws.backup_plan.v1',
  title: 'AWS Backup plans with rules and resource selections',
  description: 'Every backup plan per account and region: rules (schedule, target vault, retention) and the resources each plan selects.',
  subject: 'account/region/plan id',
  ttlHours: 36,
  payload: backupPlanPayload,
  collect: (ctx) => eachRegion(ctx, (session, region) => plansIn(ctx, session, region)),
});

// Vaults -------------------------------------------------------------------------------------

export const backupVaultPayload = z.object({
  ...where,
  name: z.string().describe('Vault name.'),
  arn: z.string().describe('Vault ARN.'),
  locked: z.boolean().describe('Vault Lock is on: recovery points cannot be deleted before their retention ends.'),
  lockDate: z.string().nullable().describe('When the lock becomes immutable (compliance mode); null in governance mode or unlocked.'),
  minRetentionDays: z.number().nullable().describe('Vault Lock minimum retention.'),
  maxRetentionDays: z.number().nullable().describe('Vault Lock maximum retention.'),
  encryptionKeyArn: z.string().nullable().describe('KMS key encrypting the recovery points.'),
  recoveryPoints: z.number().nullable().describe('Recovery points stored.'),
});

const listVaults = z.object({
  BackupVaultList: z
    .array(
      z.object({
        BackupVaultName: z.string(),
        BackupVaultArn: z.string(),
        Locked: z.boolean().optional(),
        LockDate: z.date().optional(),
        MinRetentionDays: z.number().optional(),
        MaxRetentionDays: z.number().optional(),
        EncryptionKeyArn: z.string().optional(),
        NumberOfRecoveryPoints: z.number().optional(),
      }),
    )
    .default([]),
  NextToken: z.string().optional(),
});

export const backupVaultsCollector = defineCollector<AwsApi, AwsSettings, typeof backupVaultPayload>({
  id: 'backup_vaults',
  kind: 'aws.backup_vault.v1',
  title: 'AWS Backup vaults and their Vault Lock state',
  description: 'Every backup vault per account and region with Vault Lock state and retention bounds.',
  subject: 'account/region/vault name',
  ttlHours: 36,
  payload: backupVaultPayload,
  collect: (ctx) =>
    eachRegion(ctx, async function* (session, region) {
      for await (const { page, request } of pages(
        (token) => ctx.client.send(session.backup(region), new ListBackupVaultsCommand({ MaxResults: 1000, ...(token ? { NextToken: token } : {}) }), 'ListBackupVaults'),
        listVaults,
        'Backup ListBackupVaults',
      )) {
        for (const v of page.BackupVaultList) {
          yield {
            subject: `${session.account}/${region}/${v.BackupVaultName}`,
            requests: [request],
            payload: {
              account: session.account,
              region,
              name: v.BackupVaultName,
              arn: v.BackupVaultArn,
              locked: v.Locked ?? false,
              lockDate: iso(v.LockDate),
              minRetentionDays: v.MinRetentionDays ?? null,
              maxRetentionDays: v.MaxRetentionDays ?? null,
              encryptionKeyArn: v.EncryptionKeyArn ?? null,
              recoveryPoints: v.NumberOfRecoveryPoints ?? null,
            },
          };
        }
      }
    }),
});

// Protected resources ------------------------------------------------------------------------

export const protectedResourcePayload = z.object({
  ...where,
  resourceArn: z.string().describe('Resource ARN.'),
  resourceType: z.string().nullable().describe('Resource type (RDS, EBS, DynamoDB, EFS, ...).'),
  resourceName: z.string().nullable().describe('Resource name.'),
  lastBackupTime: z.string().nullable().describe('Most recent recovery point (UTC).'),
});

const listResources = z.object({
  Results: z
    .array(z.object({ ResourceArn: z.string(), ResourceType: z.string().optional(), ResourceName: z.string().optional(), LastBackupTime: z.date().optional() }))
    .default([]),
  NextToken: z.string().optional(),
});

export const protectedResourcesCollector = defineCollector<AwsApi, AwsSettings, typeof protectedResourcePayload>({
  id: 'protected_resources',
  kind: 'aws.backup_protected_resource.v1',
  title: 'Resources AWS Backup has recovery points of',
  description: 'Every protected resource per account and region with its last backup time.',
  subject: 'account/region/resource ARN',
  ttlHours: 36,
  payload: protectedResourcePayload,
  collect: (ctx) =>
    eachRegion(ctx, async function* (session, region) {
      for await (const { page, request } of pages(
        (token) => ctx.client.send(session.backup(region), new ListProtectedResourcesCommand({ MaxResults: 1000, ...(token ? { NextToken: token } : {}) }), 'ListProtectedResources'),
        listResources,
        'Backup ListProtectedResources',
      )) {
        for (const r of page.Results) {
          yield {
            subject: `${session.account}/${region}/${r.ResourceArn}`,
            requests: [request],
            payload: {
              account: session.account,
              region,
              resourceArn: r.ResourceArn,
              resourceType: r.ResourceType ?? null,
              resourceName: r.ResourceName ?? null,
              lastBackupTime: iso(r.LastBackupTime),
            },
          };
        }
      }
    }),
});

// Backup and restore jobs (incremental populations) ------------------------------------------

/** A job still running when it was last collected is fetched again until it ends. */
const settleMs = 60 * 60_000;

export const backupJobPayload = z.object({
  ...where,
  jobId: z.string().describe('Backup job id.'),
  state: z.string().describe('CREATED, PENDING, RUNNING, ABORTING, ABORTED, COMPLETED, FAILED, EXPIRED or PARTIAL.'),
  resourceArn: z.string().nullable().describe('Resource backed up.'),
  resourceType: z.string().nullable().describe('Resource type.'),
  vault: z.string().nullable().describe('Target vault.'),
  planId: z.string().nullable().describe('Backup plan that started it; null for on-demand jobs.'),
  createdAt: z.string().describe('When the job was created (UTC).'),
  completedAt: z.string().nullable().describe('When it ended (UTC).'),
  statusMessage: z.string().nullable().describe('Why it failed or was aborted, as AWS Backup says.'),
});
type BackupJob = z.output<typeof backupJobPayload>;

const listJobs = z.object({
  BackupJobs: z
    .array(
      z.object({
        BackupJobId: z.string(),
        State: z.string(),
        ResourceArn: z.string().optional(),
        ResourceType: z.string().optional(),
        BackupVaultName: z.string().optional(),
        CreationDate: z.date(),
        CompletionDate: z.date().optional(),
        StatusMessage: z.string().optional(),
        CreatedBy: z.object({ BackupPlanId: z.string().optional() }).optional(),
      }),
    )
    .default([]),
  NextToken: z.string().optional(),
});

const terminalBackup = new Set(['COMPLETED', 'FAILED', 'EXPIRED', 'ABORTED', 'PARTIAL']);

export const backupJobsCollector = defineCollector<AwsApi, AwsSettings, typeof backupJobPayload>({
  id: 'backup_jobs',
  kind: 'aws.backup_job.v1',
  title: 'AWS Backup jobs in the period with their state (the backup log)',
  description:
    'Every backup job created in the look-back period per account and region with its final state; after the first run only jobs created since the previous collection (ByCreatedAfter) are fetched and the rest carried forward.',
  subject: 'account/region/job id',
  ttlHours: 36,
  payload: backupJobPayload,
  async *collect(ctx) {
    const previous = await ctx.previous?.();
    const periodStart = new Date(ctx.clock.now().getTime() - ctx.config.backup.lookbackDays * 86_400_000);
    yield* eachRegion(ctx, async function* (session, region) {
      const window = incrementalWindow<BackupJob>({
        previous,
        inScope: (p) => p.account === session.account && p.region === region,
        periodStart,
        settleMs,
        createdAt: (p) => p.createdAt,
        isOpen: (p) => !terminalBackup.has(p.state),
      });
      const fetched = new Set<string>();
      for await (const { page, request } of pages(
        (token) =>
          ctx.client.send(session.backup(region), new ListBackupJobsCommand({ ByCreatedAfter: window.since, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }), 'ListBackupJobs'),
        listJobs,
        'Backup ListBackupJobs',
      )) {
        for (const j of page.BackupJobs) {
          fetched.add(j.BackupJobId);
          yield {
            subject: `${session.account}/${region}/${j.BackupJobId}`,
            requests: [request],
            payload: {
              account: session.account,
              region,
              jobId: j.BackupJobId,
              state: j.State,
              resourceArn: j.ResourceArn ?? null,
              resourceType: j.ResourceType ?? null,
              vault: j.BackupVaultName ?? null,
              planId: j.CreatedBy?.BackupPlanId ?? null,
              createdAt: j.CreationDate.toISOString(),
              completedAt: iso(j.CompletionDate),
              statusMessage: j.StatusMessage ?? null,
            },
          };
        }
      }
      for (const r of window.carried) if (!fetched.has(r.payload.jobId)) yield r;
    });
  },
});

export const restoreJobPayload = z.object({
  ...where,
  jobId: z.string().describe('Restore job id.'),
  status: z.string().describe('PENDING, RUNNING, COMPLETED, ABORTED or FAILED.'),
  recoveryPointArn: z.string().nullable().describe('Recovery point restored from.'),
  resourceType: z.string().nullable().describe('Resource type restored.'),
  createdResourceArn: z.string().nullable().describe('The resource the restore created.'),
  createdAt: z.string().describe('When the restore started (UTC).'),
  completedAt: z.string().nullable().describe('When it ended (UTC).'),
  statusMessage: z.string().nullable().describe('Why it failed, as AWS Backup says.'),
});
type RestoreJob = z.output<typeof restoreJobPayload>;

const listRestores = z.object({
  RestoreJobs: z
    .array(
      z.object({
        RestoreJobId: z.string(),
        Status: z.string(),
        RecoveryPointArn: z.string().optional(),
        ResourceType: z.string().optional(),
        CreatedResourceArn: z.string().optional(),
        CreationDate: z.date(),
        CompletionDate: z.date().optional(),
        StatusMessage: z.string().optional(),
      }),
    )
    .default([]),
  NextToken: z.string().optional(),
});

const terminalRestore = new Set(['COMPLETED', 'ABORTED', 'FAILED']);

export const restoreJobsCollector = defineCollector<AwsApi, AwsSettings, typeof restoreJobPayload>({
  id: 'restore_jobs',
  kind: 'aws.backup_restore_job.v1',
  title: 'AWS Backup restore jobs in the period (restore tests)',
  description: 'Every restore job created in the look-back period per account and region, incrementally like backup jobs: the evidence that restores are tested.',
  subject: 'account/region/job id',
  ttlHours: 36,
  payload: restoreJobPayload,
  async *collect(ctx) {
    const previous = await ctx.previous?.();
    const periodStart = new Date(ctx.clock.now().getTime() - ctx.config.backup.restoreLookbackDays * 86_400_000);
    yield* eachRegion(ctx, async function* (session, region) {
      const window = incrementalWindow<RestoreJob>({
        previous,
        inScope: (p) => p.account === session.account && p.region === region,
        periodStart,
        settleMs,
        createdAt: (p) => p.createdAt,
        isOpen: (p) => !terminalRestore.has(p.status),
      });
      const fetched = new Set<string>();
      for await (const { page, request } of pages(
        (token) =>
          ctx.client.send(session.backup(region), new ListRestoreJobsCommand({ ByCreatedAfter: window.since, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }), 'ListRestoreJobs'),
        listRestores,
        'Backup ListRestoreJobs',
      )) {
        for (const j of page.RestoreJobs) {
          fetched.add(j.RestoreJobId);
          yield {
            subject: `${session.account}/${region}/${j.RestoreJobId}`,
            requests: [request],
            payload: {
              account: session.account,
              region,
              jobId: j.RestoreJobId,
              status: j.Status,
              recoveryPointArn: j.RecoveryPointArn ?? null,
              resourceType: j.ResourceType ?? null,
              createdResourceArn: j.CreatedResourceArn ?? null,
              createdAt: j.CreationDate.toISOString(),
              completedAt: iso(j.CompletionDate),
              statusMessage: j.StatusMessage ?? null,
            },
          };
        }
      }
      for (const r of window.carried) if (!fetched.has(r.payload.jobId)) yield r;
    });
  },
});
