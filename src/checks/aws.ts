import { z } from 'zod';
import { defineCheck, payloadsOf, type CheckResult } from './check.js';
import type { iamUserPayload } from '../../connectors/aws/iam-users.js';
import type { iamAccountPayload } from '../../connectors/aws/iam-account.js';
import type { iamPrincipalPayload } from '../../connectors/aws/iam-principals.js';
import type { cloudtrailAccountPayload } from '../../connectors/aws/trails.js';
import type { cloudtrailEventPayload } from '../../connectors/aws/events.js';
import type { backupJobPayload, backupPlanPayload, backupVaultPayload, protectedResourcePayload, restoreJobPayload } from '../../connectors/aws/backup.js';

type IamUser = z.output<typeof iamUserPayload>;
type IamAccount = z.output<typeof iamAccountPayload>;
type IamPrincipal = z.output<typeof iamPrincipalPayload>;
type CloudtrailAccount = z.output<typeof cloudtrailAccountPayload>;
type Trail = CloudtrailAccount['trails'][number];
type TrailEvent = z.output<typeof cloudtrailEventPayload>;
type BackupJob = z.output<typeof backupJobPayload>;
type BackupPlan = z.output<typeof backupPlanPayload>;
type BackupVault = z.output<typeof backupVaultPayload>;
type ProtectedResource = z.output<typeof protectedResourcePayload>;
type RestoreJob = z.output<typeof restoreJobPayload>;

const dayMs = 86_400_000;
const K = {
  user: 'aws.iam_user.v1',
  account: 'aws.iam_account.v1',
  principal: 'aws.iam_principal.v1',
  trails: 'aws.cloudtrail_account.v1',
  event: 'aws.cloudtrail_event.v1',
  plan: 'aws.backup_plan.v1',
  vault: 'aws.backup_vault.v1',
  resource: 'aws.backup_protected_resource.v1',
  job: 'aws.backup_job.v1',
  restore: 'aws.backup_restore_job.v1',
} as const;

const daysSince = (asOf: Date, iso: string) => Math.floor((asOf.getTime() - Date.parse(iso)) / dayMs);
/** A check with nothing to judge passes once for the instance, saying so (never silently). */
const orPass = (results: CheckResult[], instanceId: string, message: string): CheckResult[] => (results.length > 0 ? results : [{ subject: instanceId, status: 'pass', message }]);

export const consoleUsersHaveMfa = defineCheck({
  id: 'aws.iam.console_users_have_mfa',
  title: 'IAM users with console access have MFA',
  description: 'Every IAM user with a console password has an MFA device (credential report mfa_active).',
  kinds: [K.user],
  evaluate: ({ evidence, instanceId }) =>
    orPass(
      payloadsOf<IamUser>(evidence[K.user])
        .filter(({ payload }) => payload.consoleAccess)
        .map(({ subject, payload }) =>
          payload.mfaActive ? { subject, status: 'pass', message: 'console access with MFA' } : { subject, status: 'fail', message: 'console password without MFA' },
        ),
      instanceId,
      'no IAM user has console access',
    ),
});

export const rootMfaNoKeys = defineCheck({
  id: 'aws.iam.root_mfa_and_no_access_keys',
  title: 'The root user has MFA and no access keys',
  description: 'Per account (GetAccountSummary): AccountMFAEnabled is 1 and AccountAccessKeysPresent is 0.',
  kinds: [K.account],
  evaluate: ({ evidence }) =>
    payloadsOf<IamAccount>(evidence[K.account]).map(({ subject, payload }): CheckResult => {
      const problems = [...(payload.rootMfaEnabled ? [] : ['root has no MFA']), ...(payload.rootAccessKeysPresent ? ['root has access keys'] : [])];
      return problems.length === 0 ? { subject, status: 'pass', message: 'root has MFA and no access keys' } : { subject, status: 'fail', message: problems.join('; ') };
    }),
});

const keyParams = z
  .strictObject({
    maxAgeDays: z.number().int().min(1).default(90).describe('Days since an active key was created or rotated.'),
    maxUnusedDays: z.number().int().min(1).default(90).describe('Days an active key may go unused (or, never used, since it was created).'),
  })
  .default({ maxAgeDays: 90, maxUnusedDays: 90 });

export const accessKeysRotatedAndUsed = defineCheck({
  id: 'aws.iam.access_keys_rotated_and_used',
  title: 'Active access keys are rotated and in use',
  description: 'Every active IAM access key is younger than maxAgeDays (default 90) and was used within maxUnusedDays (default 90).',
  kinds: [K.user],
  params: keyParams,
  evaluate: ({ evidence, asOf, params, instanceId }) =>
    orPass(
      payloadsOf<IamUser>(evidence[K.user]).flatMap(({ subject, payload }) =>
        payload.accessKeys
          .filter((k) => k.active)
          .map((k): CheckResult => {
            const keySubject = `${subject}#access_key_${k.slot}`;
            const age = k.lastRotated ? daysSince(asOf, k.lastRotated) : null;
            const idle = k.lastUsed ? daysSince(asOf, k.lastUsed) : age;
            const problems = [
              ...(age !== null && age > params.maxAgeDays ? [`not rotated for ${age} days (limit ${params.maxAgeDays})`] : []),
              ...(idle !== null && idle > params.maxUnusedDays ? [k.lastUsed ? `unused for ${idle} days (limit ${params.maxUnusedDays})` : `never used in ${idle} days`] : []),
            ];
            return problems.length ? { subject: keySubject, status: 'fail', message: problems.join('; ') } : { subject: keySubject, status: 'pass', message: `${age ?? '?'} days old, last used ${k.lastUsed ?? 'never'}` };
          }),
      ),
      instanceId,
      'no active access keys',
    ),
});

const administratorAccess = 'arn:aws:iam::aws:policy/AdministratorAccess';

export const adminPrincipalsListed = defineCheck({
  id: 'aws.iam.admin_principals_listed_for_review',
  title: 'Principals with administrative privilege are listed for review',
  description: 'Every user and role granted AdministratorAccess or a policy allowing "*" on "*", directly, through a group or inline (warn = review it).',
  kinds: [K.principal],
  evaluate: ({ evidence, instanceId }) =>
    orPass(
      payloadsOf<IamPrincipal>(evidence[K.principal]).flatMap(({ subject, payload }): CheckResult[] => {
        const grants = payload.policies.filter((p) => p.arn === administratorAccess || p.allowsAllActionsOnAllResources === true);
        if (grants.length === 0) return [];
        const via = grants.map((g) => `${g.name} (${g.attachment}${g.group ? ` via ${g.group}` : ''})`).join(', ');
        return [{ subject, status: 'warn', message: `administrative ${payload.type} to review: ${via}` }];
      }),
      instanceId,
      'no user or role has administrative privilege',
    ),
});

const passwordParams = z
  .strictObject({
    minimumLength: z.number().int().min(6).max(128).default(14).describe('Minimum password length.'),
    requireAllCharacterClasses: z.boolean().default(true).describe('Upper case, lower case, numbers and symbols all required.'),
    reusePrevention: z.number().int().min(0).max(24).default(24).describe('Previous passwords that may not be reused.'),
  })
  .default({ minimumLength: 14, requireAllCharacterClasses: true, reusePrevention: 24 });

export const passwordPolicyStrong = defineCheck({
  id: 'aws.iam.password_policy_strong',
  title: 'The IAM password policy is strong',
  description: 'Each account has a password policy with the minimum length, character classes and reuse prevention set in the check parameters; an absent policy fails.',
  kinds: [K.account],
  params: passwordParams,
  evaluate: ({ evidence, params }) =>
    payloadsOf<IamAccount>(evidence[K.account]).map(({ subject, payload }): CheckResult => {
      const p = payload.passwordPolicy;
      if (!p) return { subject, status: 'fail', message: 'no password policy: IAM defaults apply' };
      const classes = [p.requireUppercase && 'upper', p.requireLowercase && 'lower', p.requireNumbers && 'numbers', p.requireSymbols && 'symbols'].filter(Boolean);
      const problems = [
        ...((p.minimumLength ?? 0) < params.minimumLength ? [`minimum length ${p.minimumLength ?? 'unset'} (< ${params.minimumLength})`] : []),
        ...(params.requireAllCharacterClasses && classes.length < 4 ? [`requires only ${classes.join(', ') || 'no character classes'}`] : []),
        ...((p.reusePrevention ?? 0) < params.reusePrevention ? [`reuse prevention ${p.reusePrevention ?? 'off'} (< ${params.reusePrevention})`] : []),
      ];
      return problems.length ? { subject, status: 'fail', message: problems.join('; ') } : { subject, status: 'pass', message: `length ≥ ${p.minimumLength}, all character classes, reuse prevention ${p.reusePrevention}` };
    }),
});

const inactiveParams = z.strictObject({ inactiveDays: z.number().int().min(1).default(90).describe('Days without a console sign-in or access-key use.') }).default({ inactiveDays: 90 });

export const noInactiveUsers = defineCheck({
  id: 'aws.iam.no_inactive_users',
  title: 'No IAM user is inactive beyond the limit',
  description: 'Every IAM user signed in or used an access key within inactiveDays (default 90); a user never used counts from its creation.',
  kinds: [K.user],
  params: inactiveParams,
  evaluate: ({ evidence, asOf, params }) =>
    payloadsOf<IamUser>(evidence[K.user]).map(({ subject, payload }): CheckResult => {
      const since = payload.lastActivity ?? payload.createdAt;
      const days = daysSince(asOf, since);
      if (days <= params.inactiveDays) return { subject, status: 'pass', message: `last active ${payload.lastActivity ?? `never (created ${payload.createdAt})`}` };
      return { subject, status: 'fail', message: payload.lastActivity ? `inactive for ${days} days (limit ${params.inactiveDays})` : `never used in the ${days} days since creation` };
    }),
});

const trailsOf = (evidence: Parameters<typeof payloadsOf>[0]) =>
  payloadsOf<CloudtrailAccount>(evidence).flatMap(({ payload }) => payload.trails.map((trail) => ({ account: payload.account, trail, subject: `${payload.account}/${trail.name}` })));

/** Why a trail does not give complete, trustworthy management-event coverage (empty when it does). */
export function trailGaps(trail: Trail): string[] {
  return [
    ...(trail.multiRegion ? [] : ['single-region']),
    ...(trail.logging ? [] : ['not logging']),
    ...(trail.logFileValidation ? [] : ['no log file validation']),
    ...(trail.managementEventsRead && trail.managementEventsWrite ? [] : [`management events: ${trail.managementEventsWrite ? 'write' : trail.managementEventsRead ? 'read' : 'none'} only`]),
  ];
}

export const compliantMultiRegionTrail = defineCheck({
  id: 'aws.cloudtrail.compliant_multi_region_trail',
  title: 'Each account has a multi-region trail that logs, validates and captures all management events',
  description: 'At least one trail per account is multi-region, logging (GetTrailStatus), has log file validation and captures read and write management events (a WriteOnly selector is not full coverage).',
  kinds: [K.trails],
  evaluate: ({ evidence }) =>
    payloadsOf<CloudtrailAccount>(evidence[K.trails]).map(({ subject, payload }): CheckResult => {
      const good = payload.trails.find((t) => trailGaps(t).length === 0);
      if (good) return { subject, status: 'pass', message: `compliant trail ${good.name}` };
      if (payload.trails.length === 0) return { subject, status: 'fail', message: `no trail in ${payload.regionsQueried.join(', ')}` };
      return { subject, status: 'fail', message: `no compliant trail: ${payload.trails.map((t) => `${t.name} (${trailGaps(t).join(', ')})`).join('; ')}` };
    }),
});

export const trailsMultiRegion = defineCheck({
  id: 'aws.cloudtrail.trails_multi_region',
  title: 'Trails are multi-region',
  description: 'Each trail records every region; a single-region trail is flagged (events elsewhere go unrecorded by it).',
  kinds: [K.trails],
  evaluate: ({ evidence, instanceId }) =>
    orPass(
      trailsOf(evidence[K.trails]).map(({ subject, trail }): CheckResult =>
        trail.multiRegion ? { subject, status: 'pass', message: 'multi-region' } : { subject, status: 'fail', message: `single-region trail in ${trail.homeRegion}` },
      ),
      instanceId,
      'no trails',
    ),
});

export const trailsValidateLogFiles = defineCheck({
  id: 'aws.cloudtrail.trails_validate_log_files',
  title: 'Trails have log file validation',
  description: 'Each trail writes digest files so that changed or deleted log files can be detected.',
  kinds: [K.trails],
  evaluate: ({ evidence, instanceId }) =>
    orPass(
      trailsOf(evidence[K.trails]).map(({ subject, trail }): CheckResult =>
        trail.logFileValidation ? { subject, status: 'pass', message: 'log file validation on' } : { subject, status: 'fail', message: 'log file validation off' },
      ),
      instanceId,
      'no trails',
    ),
});

export const trailsEncryptedWithKms = defineCheck({
  id: 'aws.cloudtrail.trails_encrypted_with_kms',
  title: 'Trails encrypt their logs with a KMS key',
  description: 'Each trail delivers to S3 encrypted with a customer KMS key (SSE-KMS), not only S3-managed keys.',
  kinds: [K.trails],
  evaluate: ({ evidence, instanceId }) =>
    orPass(
      trailsOf(evidence[K.trails]).map(({ subject, trail }): CheckResult =>
        trail.kmsKeyId ? { subject, status: 'pass', message: `KMS key ${trail.kmsKeyId}, bucket ${trail.s3BucketName ?? '?'}` } : { subject, status: 'fail', message: `no KMS key (bucket ${trail.s3BucketName ?? '?'})` },
      ),
      instanceId,
      'no trails',
    ),
});

export const consoleSignInsUseMfa = defineCheck({
  id: 'aws.cloudtrail.console_sign_ins_use_mfa',
  title: 'Successful console sign-ins used MFA',
  description: 'Every successful ConsoleLogin in the collected period used MFA (CloudTrail additionalEventData.MFAUsed).',
  kinds: [K.event],
  evaluate: ({ evidence, instanceId }) =>
    orPass(
      payloadsOf<TrailEvent>(evidence[K.event])
        .filter(({ payload }) => payload.population === 'console_sign_in' && payload.signInResult === 'Success' && payload.mfaUsed === false)
        .map(({ subject, payload }): CheckResult => ({ subject, status: 'fail', message: `${payload.username ?? 'unknown'} signed in at ${payload.eventTime} without MFA` })),
      instanceId,
      'every successful console sign-in in the period used MFA',
    ),
});

export const iamChangesListed = defineCheck({
  id: 'aws.cloudtrail.iam_changes_listed_for_review',
  title: 'IAM changes in the period are listed for review',
  description: 'The population of IAM write calls (users, keys, policies, groups, roles) per account, to sample against approved access requests (warn = review it).',
  kinds: [K.event],
  evaluate: ({ evidence, instanceId }) =>
    orPass(
      payloadsOf<TrailEvent>(evidence[K.event])
        .filter(({ payload }) => payload.population === 'iam_change')
        .map(({ subject, payload }): CheckResult => ({
          subject,
          status: 'warn',
          message: `${payload.eventName} by ${payload.username ?? 'unknown'} at ${payload.eventTime}${payload.resources.length ? ` on ${payload.resources.map((r) => r.name).join(', ')}` : ''}`,
        })),
      instanceId,
      'no IAM changes in the period',
    ),
});

const periodParams = z.strictObject({ periodDays: z.number().int().min(1).default(35).describe('Days back to judge backup jobs.') }).default({ periodDays: 35 });
const unsuccessful = new Set(['FAILED', 'EXPIRED', 'ABORTED', 'PARTIAL']);

export const backupJobsSucceeded = defineCheck({
  id: 'aws.backup.jobs_succeeded',
  title: 'Backup jobs in the period succeeded',
  description: 'No backup job created in the last periodDays (default 35) ended FAILED, EXPIRED, ABORTED or PARTIAL; each one that did is listed, and each account and region gets a summary.',
  kinds: [K.job],
  params: periodParams,
  evaluate: ({ evidence, asOf, params, instanceId }) => {
    const since = asOf.getTime() - params.periodDays * dayMs;
    const jobs = payloadsOf<BackupJob>(evidence[K.job]).filter(({ payload }) => Date.parse(payload.createdAt) >= since);
    const failures = jobs
      .filter(({ payload }) => unsuccessful.has(payload.state))
      .map(({ subject, payload }): CheckResult => ({ subject, status: 'fail', message: `${payload.state} backup of ${payload.resourceArn ?? 'unknown resource'} created ${payload.createdAt}${payload.statusMessage ? `: ${payload.statusMessage}` : ''}` }));
    const byScope = new Map<string, BackupJob[]>();
    for (const { payload } of jobs) byScope.set(`${payload.account}/${payload.region}`, [...(byScope.get(`${payload.account}/${payload.region}`) ?? []), payload]);
    const summaries = [...byScope].sort(([a], [b]) => a.localeCompare(b)).map(([scope, list]): CheckResult => {
      const completed = list.filter((j) => j.state === 'COMPLETED').length;
      const bad = list.filter((j) => unsuccessful.has(j.state)).length;
      const open = list.length - completed - bad;
      return { subject: scope, status: bad ? 'fail' : 'pass', message: `${completed} completed, ${bad} unsuccessful, ${open} in progress in the last ${params.periodDays} days` };
    });
    return orPass([...failures, ...summaries], instanceId, `no backup jobs in the last ${params.periodDays} days`);
  },
});

export const vaultsLocked = defineCheck({
  id: 'aws.backup.vaults_locked',
  title: 'Backup vaults are locked',
  description: 'Each backup vault has Vault Lock, so recovery points cannot be deleted before their retention ends (ransomware and insider protection).',
  kinds: [K.vault],
  evaluate: ({ evidence, instanceId }) =>
    orPass(
      payloadsOf<BackupVault>(evidence[K.vault]).map(({ subject, payload }): CheckResult =>
        payload.locked
          ? { subject, status: 'pass', message: `locked (${payload.lockDate ? `compliance mode since ${payload.lockDate}` : 'governance mode'}), retention ${payload.minRetentionDays ?? '?'}–${payload.maxRetentionDays ?? '?'} days` }
          : { subject, status: 'fail', message: `not locked (${payload.recoveryPoints ?? 0} recovery points)` },
      ),
      instanceId,
      'no backup vaults',
    ),
});

/** Whether an ARN matches an AWS Backup selection pattern (`*` matches any run of characters). */
export function arnMatches(pattern: string, arn: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(arn);
}

export const resourcesUnderPlan = defineCheck({
  id: 'aws.backup.resources_under_plan',
  title: 'Protected resources are selected by a backup plan',
  description:
    'Each resource AWS Backup holds recovery points of is selected by a plan in its account and region (by ARN or pattern, not excluded); one backed up only on demand is under no plan. Tag-based selections cannot be matched (tags are not collected): warn.',
  kinds: [K.resource, K.plan],
  evaluate: ({ evidence, instanceId }) => {
    const plans = payloadsOf<BackupPlan>(evidence[K.plan]).map((p) => p.payload);
    return orPass(
      payloadsOf<ProtectedResource>(evidence[K.resource]).map(({ subject, payload }): CheckResult => {
        const local = plans.filter((p) => p.account === payload.account && p.region === payload.region);
        const plan = local.find((p) => p.selections.some((s) => s.resources.some((r) => arnMatches(r, payload.resourceArn)) && !s.notResources.some((r) => arnMatches(r, payload.resourceArn))));
        if (plan) return { subject, status: 'pass', message: `selected by plan ${plan.name}` };
        if (local.some((p) => p.selections.some((s) => s.byTags))) return { subject, status: 'warn', message: 'not selected by ARN; a tag-based selection may cover it (check the resource tags)' };
        return { subject, status: 'fail', message: `under no backup plan (last backup ${payload.lastBackupTime ?? 'unknown'})` };
      }),
      instanceId,
      'no protected resources',
    );
  },
});

const restoreParams = z.strictObject({ withinDays: z.number().int().min(1).default(180).describe('Days within which a restore must have completed.') }).default({ withinDays: 180 });

export const restoreTested = defineCheck({
  id: 'aws.backup.restore_tested',
  title: 'Restores are tested',
  description: 'Each account (from aws.iam_account.v1) completed at least one AWS Backup restore job in the last withinDays (default 180; keep it within the collector\'s restoreLookbackDays).',
  kinds: [K.restore, K.account],
  params: restoreParams,
  evaluate: ({ evidence, asOf, params }) => {
    const since = asOf.getTime() - params.withinDays * dayMs;
    const restores = payloadsOf<RestoreJob>(evidence[K.restore]).map((r) => r.payload);
    return payloadsOf<IamAccount>(evidence[K.account]).map(({ payload }): CheckResult => {
      const mine = restores.filter((r) => r.account === payload.account && Date.parse(r.createdAt) >= since);
      const done = mine.filter((r) => r.status === 'COMPLETED').sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
      if (done) return { subject: payload.account, status: 'pass', message: `restore ${done.jobId} completed ${done.completedAt ?? done.createdAt} (${done.resourceType ?? 'resource'}, ${done.region})` };
      const other = mine.map((r) => `${r.jobId} ${r.status}`).join(', ');
      return { subject: payload.account, status: 'fail', message: `no completed restore in the last ${params.withinDays} days${other ? ` (only ${other})` : ''}` };
    });
  },
});

/** The AWS checks, in report order. */
export const awsChecks = [
  consoleUsersHaveMfa,
  rootMfaNoKeys,
  accessKeysRotatedAndUsed,
  adminPrincipalsListed,
  passwordPolicyStrong,
  noInactiveUsers,
  compliantMultiRegionTrail,
  trailsMultiRegion,
  trailsValidateLogFiles,
  trailsEncryptedWithKms,
  consoleSignInsUseMfa,
  iamChangesListed,
  backupJobsSucceeded,
  vaultsLocked,
  resourcesUnderPlan,
  restoreTested,
];
