import { defineConnector } from '../../src/core/connector.js';
import { AwsApi, classifyAwsError } from './client.js';
import { awsSettingsSchema, type AwsSettings } from './settings.js';
import { iamUsersCollector } from './iam-users.js';
import { iamAccountCollector } from './iam-account.js';
import { iamPrincipalsCollector } from './iam-principals.js';
import { trailsCollector } from './trails.js';
import { eventsCollector } from './events.js';
import { backupJobsCollector, backupPlansCollector, backupVaultsCollector, protectedResourcesCollector, restoreJobsCollector } from './backup.js';

/**
 * Every IAM action the connector calls, all read-only. `iam:GenerateCredentialReport` only asks IAM
 * to refresh the report it then reads (AWS's SecurityAudit policy grants it too).
 */
export const awsReadOnlyActions = [
  'iam:GenerateCredentialReport',
  'iam:GetCredentialReport',
  'iam:GetAccountAuthorizationDetails',
  'iam:GetAccountSummary',
  'iam:GetAccountPasswordPolicy',
  'cloudtrail:DescribeTrails',
  'cloudtrail:GetTrailStatus',
  'cloudtrail:GetEventSelectors',
  'cloudtrail:LookupEvents',
  'backup:ListBackupPlans',
  'backup:GetBackupPlan',
  'backup:ListBackupSelections',
  'backup:GetBackupSelection',
  'backup:ListBackupVaults',
  'backup:ListProtectedResources',
  'backup:ListBackupJobs',
  'backup:ListRestoreJobs',
] as const;

/** AWS accounts: IAM (credential report, authorization details, root and password policy), CloudTrail and AWS Backup. */
export const awsConnector = defineConnector<AwsSettings, AwsApi>({
  type: 'aws',
  title: 'AWS',
  description: 'IAM users, MFA, access keys, admin principals and password policy; CloudTrail trails and IAM-change and sign-in events; AWS Backup plans, vaults, jobs and restores; across accounts and regions.',
  config: awsSettingsSchema,
  // Retries for AWS throttling belong to the SDK (adaptive mode); the shared layer retries transport errors and 5xx.
  http: { concurrency: 8 },
  permissions: [
    { grant: 'iam:GenerateCredentialReport, iam:GetCredentialReport', reason: 'iam_users: every user\'s console password, MFA and access keys from one report' },
    { grant: 'iam:GetAccountAuthorizationDetails', reason: 'iam_principals: users, groups, roles and customer-managed policies in pages of 1,000' },
    { grant: 'iam:GetAccountSummary, iam:GetAccountPasswordPolicy', reason: 'iam_account: root MFA and root access keys, password policy' },
    { grant: 'cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus, cloudtrail:GetEventSelectors', reason: 'trails' },
    { grant: 'cloudtrail:LookupEvents', reason: 'events: IAM changes and console sign-ins' },
    { grant: 'backup:ListBackupPlans, backup:GetBackupPlan, backup:ListBackupSelections, backup:GetBackupSelection', reason: 'backup_plans' },
    { grant: 'backup:ListBackupVaults', reason: 'backup_vaults (Vault Lock state)' },
    { grant: 'backup:ListProtectedResources', reason: 'protected_resources' },
    { grant: 'backup:ListBackupJobs, backup:ListRestoreJobs', reason: 'backup_jobs, restore_jobs' },
    { grant: 'sts:AssumeRole on arn:aws:iam::<account>:role/<roleName> (caller side; the role trusts the caller)', reason: 'every configured account; sts:GetCallerIdentity (needs no grant) names the ambient account' },
  ],
  createClient: (settings, io) => new AwsApi(settings, io),
  collectors: [
    iamUsersCollector,
    iamAccountCollector,
    iamPrincipalsCollector,
    trailsCollector,
    eventsCollector,
    backupPlansCollector,
    backupVaultsCollector,
    protectedResourcesCollector,
    backupJobsCollector,
    restoreJobsCollector,
  ],
  classifyError: classifyAwsError,
  // Each configured account is its own unit: its assumed role is its own rate budget (AWS
  // throttles per account), so 30 accounts spread over workers without ever splitting one.
  // The ambient account (no `accounts:`) stays one unit.
  units: (settings) => (settings.accounts ?? []).map((account) => ({ key: account.id, label: `account ${account.id}`, config: { ...settings, accounts: [account] } })),
});
