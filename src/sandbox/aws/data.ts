/**
 * The AWS side of the synthetic company: two accounts (production and development) whose IAM
 * users are the same people who are in GitHub, with CloudTrail trails and events and AWS Backup
 * plans, vaults, resources and jobs. A pure function of the company, with a fixed, documented set
 * of seeded violations ({@link awsSeededViolations}) so every AWS check has something to find.
 */
import type { Person, SyntheticCompany } from '../company.js';
import { SeededRandom, hashString } from '../random.js';
import { DAY_MS, HOUR_MS, isoSeconds, parseIso } from '../time.js';

export const AWS_REGIONS = ['us-east-1', 'eu-west-1'] as const;
/** The role Annexa assumes in every account. */
export const AWS_ROLE_NAME = 'AnnexaReadOnly';
export const ADMINISTRATOR_ACCESS_ARN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY_ACCESS_ARN = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

export interface IamAccessKey {
  active: boolean;
  lastRotated: number;
  lastUsed: number | null;
  lastUsedService: string | null;
}

export interface IamUser {
  name: string;
  id: string;
  arn: string;
  createdAt: number;
  /** The HR id of the person, or null for a service user. */
  personId: string | null;
  consoleAccess: boolean;
  passwordLastUsed: number | null;
  passwordLastChanged: number | null;
  mfa: boolean;
  keys: IamAccessKey[];
  groups: string[];
  attachedPolicies: string[];
  inlinePolicies: { name: string; document: object }[];
}

export interface IamGroup {
  name: string;
  attachedPolicies: string[];
  inlinePolicies: { name: string; document: object }[];
}

export interface IamRole {
  name: string;
  arn: string;
  createdAt: number;
  attachedPolicies: string[];
  inlinePolicies: { name: string; document: object }[];
}

/** A customer-managed policy (AWS managed ones are referenced by ARN only). */
export interface ManagedPolicy {
  name: string;
  arn: string;
  document: object;
  createdAt: number;
}

export interface PasswordPolicy {
  MinimumPasswordLength: number;
  RequireSymbols: boolean;
  RequireNumbers: boolean;
  RequireUppercaseCharacters: boolean;
  RequireLowercaseCharacters: boolean;
  AllowUsersToChangePassword: boolean;
  ExpirePasswords: boolean;
  MaxPasswordAge?: number;
  PasswordReusePrevention?: number;
  HardExpiry: boolean;
}

export interface Trail {
  name: string;
  arn: string;
  homeRegion: string;
  multiRegion: boolean;
  logging: boolean;
  logFileValidation: boolean;
  kmsKeyId: string | null;
  s3BucketName: string;
  /** Basic selectors (ReadWriteType) or advanced selectors (field selectors). */
  selectors: { basic: { ReadWriteType: string; IncludeManagementEvents: boolean }[] } | { advanced: { Name: string; FieldSelectors: { Field: string; Equals: string[] }[] }[] };
}

export interface TrailEvent {
  id: string;
  region: string;
  name: string;
  source: string;
  time: number;
  readOnly: boolean;
  username: string;
  sourceIp: string;
  resources: { ResourceType: string; ResourceName: string }[];
  /** ConsoleLogin only. */
  signIn?: { result: 'Success' | 'Failure'; mfaUsed: boolean };
}

export interface BackupPlan {
  id: string;
  name: string;
  rules: { name: string; vault: string; schedule: string; deleteAfterDays: number | null; coldAfterDays: number | null }[];
  selections: { id: string; name: string; resources: string[]; notResources: string[] }[];
}

export interface BackupVault {
  name: string;
  locked: boolean;
  lockDate: number | null;
  minRetentionDays: number | null;
  maxRetentionDays: number | null;
  recoveryPoints: number;
}

export interface ProtectedResource {
  arn: string;
  type: string;
  name: string;
  lastBackup: number;
}

export type BackupJobState = 'COMPLETED' | 'FAILED' | 'EXPIRED' | 'ABORTED' | 'PARTIAL' | 'RUNNING';

export interface BackupJob {
  id: string;
  state: BackupJobState;
  resourceArn: string;
  resourceType: string;
  vault: string;
  planId: string | null;
  createdAt: number;
  completedAt: number | null;
  statusMessage: string | null;
}

export interface RestoreJob {
  id: string;
  status: 'COMPLETED' | 'FAILED';
  recoveryPointArn: string;
  resourceType: string;
  createdResourceArn: string | null;
  createdAt: number;
  completedAt: number;
  statusMessage: string | null;
}

export interface RegionalBackup {
  plans: BackupPlan[];
  vaults: BackupVault[];
  resources: ProtectedResource[];
  jobs: BackupJob[];
  restores: RestoreJob[];
}

export interface AwsAccount {
  id: string;
  alias: string;
  root: { mfa: boolean; accessKeys: number };
  passwordPolicy: PasswordPolicy | null;
  users: IamUser[];
  groups: IamGroup[];
  roles: IamRole[];
  policies: ManagedPolicy[];
  trails: Trail[];
  events: TrailEvent[];
  backup: Record<string, RegionalBackup>;
}

export interface AwsWorld {
  /** The account of the ambient (sandbox) credentials; it assumes roles into every account. */
  callerAccount: string;
  roleName: string;
  regions: readonly string[];
  accounts: AwsAccount[];
  now: number;
}

/** What the sandbox seeds, so tests and the demo can state what the checks must find. */
export const awsSeededViolations = {
  production: '111122223333',
  development: '444455556666',
  /** Console users without MFA: production, development. */
  consoleUsersWithoutMfa: [3, 2],
  /**
   * Active access keys failing rotation or use (production): two older than 90 days (one of
   * them a service user's), one old and unused for 120 days, one never used since it was
   * created 95 days ago.
   */
  failingAccessKeys: 4,
  /** Active people whose users have not been used for 120+ days (production), besides leavers' users. */
  dormantUsers: 2,
  /** Backup jobs in the last 35 days that did not complete, production us-east-1. */
  failedBackupJobs: { FAILED: 2, EXPIRED: 1, ABORTED: 1, PARTIAL: 1 },
} as const;

const policyDocument = (statements: object[]) => ({ Version: '2012-10-17', Statement: statements });
const allowAll = policyDocument([{ Effect: 'Allow', Action: '*', Resource: '*' }]);

function userId(seed: string): string {
  return `AIDA${hashString(seed).toString(36).toUpperCase().padStart(8, '0')}${hashString(`${seed}#2`).toString(36).toUpperCase().padStart(8, '0')}`.slice(0, 21);
}

/** IAM users for people: dates follow their start and end dates. */
function personUser(account: string, person: Person, rng: SeededRandom, now: number): IamUser {
  const created = Math.max(parseIso(person.startDate) + DAY_MS, now - 6 * 365 * DAY_MS);
  const end = person.endDate ? parseIso(person.endDate) : now;
  const wantsKey = rng.chance(0.4);
  // Everyone with a user works in AWS somehow: a user with neither a password nor a key would be dormant by construction.
  const consoleAccess = !wantsKey || rng.chance(0.6);
  const recent = () => end - rng.int(0, 20) * DAY_MS - rng.int(0, 23) * HOUR_MS;
  const keys: IamAccessKey[] = [];
  if (wantsKey) {
    const rotated = Math.max(created, now - rng.int(5, 80) * DAY_MS);
    keys.push({ active: true, lastRotated: rotated, lastUsed: Math.max(rotated, recent()), lastUsedService: rng.pick(['s3', 'ec2', 'sts', 'ecr']) });
  }
  return {
    name: person.username,
    id: userId(`${account}/${person.username}`),
    arn: `arn:aws:iam::${account}:user/${person.username}`,
    createdAt: created,
    personId: person.id,
    consoleAccess,
    passwordLastUsed: consoleAccess ? Math.max(created, recent()) : null,
    passwordLastChanged: consoleAccess ? Math.max(created, now - rng.int(10, 80) * DAY_MS) : null,
    mfa: consoleAccess,
    keys,
    groups: [person.department === 'Engineering' ? 'Developers' : 'ReadOnly'],
    attachedPolicies: [],
    inlinePolicies: [],
  };
}

function serviceUser(account: string, name: string, now: number, keyAgeDays: number): IamUser {
  return {
    name,
    id: userId(`${account}/${name}`),
    arn: `arn:aws:iam::${account}:user/${name}`,
    createdAt: now - 700 * DAY_MS,
    personId: null,
    consoleAccess: false,
    passwordLastUsed: null,
    passwordLastChanged: null,
    mfa: false,
    keys: [{ active: true, lastRotated: now - keyAgeDays * DAY_MS, lastUsed: now - 2 * HOUR_MS, lastUsedService: 'ecr' }],
    groups: ['Deployers'],
    attachedPolicies: [],
    inlinePolicies: [],
  };
}

/**
 * Extra console sign-ins per console user in 30 days, at most: none up to scale 4 (the small
 * worlds of tests and the demo keep their events), then growing with the company, since a larger
 * company runs more of its operations through the console (on-call, support). On average
 * scale / 9 more each: at scale 50 about 50,000 events in the 30-day look-back, the issue's figure.
 */
const extraSignInsAtMost = (scale: number) => Math.floor((2 * scale) / 9);

function events(account: AwsAccount, rng: SeededRandom, now: number, scale: number): TrailEvent[] {
  const out: TrailEvent[] = [];
  const from = now - 30 * DAY_MS;
  const ip = () => `203.0.113.${rng.int(1, 254)}`;
  const extraAtMost = extraSignInsAtMost(scale);
  const add = (e: Omit<TrailEvent, 'id' | 'region'>, region = 'us-east-1') =>
    out.push({ ...e, region, id: `${hashString(`${account.id}/${e.name}/${e.time}/${out.length}`).toString(16).padStart(8, '0')}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}` });
  for (const user of account.users) {
    if (user.createdAt >= from) {
      add({ name: 'CreateUser', source: 'iam.amazonaws.com', time: user.createdAt, readOnly: false, username: 'admin.tooling', sourceIp: ip(), resources: [{ ResourceType: 'AWS::IAM::User', ResourceName: user.name }] });
    }
    for (const key of user.keys) {
      if (key.lastRotated >= from) {
        add({ name: 'CreateAccessKey', source: 'iam.amazonaws.com', time: key.lastRotated, readOnly: false, username: user.name, sourceIp: ip(), resources: [{ ResourceType: 'AWS::IAM::AccessKey', ResourceName: user.name }] });
      }
    }
    if (user.passwordLastUsed !== null && user.passwordLastUsed >= from) {
      // The last sign-in matches the credential report; a few earlier ones fill the period.
      const times = [user.passwordLastUsed, ...Array.from({ length: rng.int(0, 2) }, () => rng.int(from, user.passwordLastUsed!))];
      for (const time of times) {
        add({ name: 'ConsoleLogin', source: 'signin.amazonaws.com', time, readOnly: false, username: user.name, sourceIp: ip(), resources: [], signIn: { result: 'Success', mfaUsed: user.mfa } });
      }
      if (extraAtMost > 0) {
        // A person signs in through one regional endpoint: half of them through eu-west-1 (CloudTrail records it there).
        const region = hashString(user.name) % 2 === 0 ? 'us-east-1' : 'eu-west-1';
        for (let i = rng.int(0, extraAtMost); i > 0; i--) {
          add({ name: 'ConsoleLogin', source: 'signin.amazonaws.com', time: rng.int(from, user.passwordLastUsed), readOnly: false, username: user.name, sourceIp: ip(), resources: [], signIn: { result: 'Success', mfaUsed: user.mfa } }, region);
        }
      }
    }
    // IAM reads are recorded too; the collector keeps only changes.
    if (rng.chance(0.05)) add({ name: 'ListUsers', source: 'iam.amazonaws.com', time: rng.int(from, now), readOnly: true, username: user.name, sourceIp: ip(), resources: [] });
  }
  return out.sort((a, b) => b.time - a.time || a.id.localeCompare(b.id));
}

/**
 * Days of backup-job history: 40 (the collector's 35-day default and a margin) up to scale 5, so
 * the small worlds of tests and the demo stay small, then longer with the company, reaching the
 * issue's year at scale 50. The collector still asks only for its look-back; the rest is history
 * the API filters out.
 */
export const backupHistoryDays = (scale: number) => Math.min(365, Math.max(40, Math.round(scale * 7.3)));

function regionalBackup(account: string, region: string, rng: SeededRandom, now: number, scale: number, historyDays: number, seeded: boolean): RegionalBackup {
  const daily = region === 'us-east-1';
  const planId = `${hashString(`${account}/${region}/plan`).toString(16).padStart(8, '0')}-0000-4000-8000-${hashString(region).toString(16).padStart(12, '0')}`;
  const vault = daily ? 'prod-vault' : 'eu-vault';
  const resources: ProtectedResource[] = [];
  const count = Math.max(2, Math.round((daily ? 8 : 3) * scale));
  for (let i = 1; i <= count; i++) {
    const rds = i % 2 === 1;
    const name = rds ? `db-${region}-${i}` : `table-${region}-${i}`;
    resources.push({
      arn: rds ? `arn:aws:rds:${region}:${account}:db:${name}` : `arn:aws:dynamodb:${region}:${account}:table/${name}`,
      type: rds ? 'RDS' : 'DynamoDB',
      name,
      lastBackup: now - 5 * HOUR_MS,
    });
  }
  // Backed up once on demand, under no plan.
  if (daily) resources.push({ arn: `arn:aws:elasticfilesystem:${region}:${account}:file-system/fs-0a1b2c3d`, type: 'EFS', name: 'fs-shared-home', lastBackup: now - 60 * DAY_MS });
  const jobs: BackupJob[] = [];
  const everyDays = daily ? 1 : 7;
  for (const r of resources.filter((x) => x.type !== 'EFS')) {
    for (let d = historyDays - ((historyDays - 40) % everyDays); d >= 1; d -= everyDays) {
      const created = now - d * DAY_MS + 5 * HOUR_MS;
      if (created > now) continue;
      jobs.push({
        id: `${hashString(`${r.arn}/${d}`).toString(16).padStart(8, '0')}-${rng.hex(4)}-4${rng.hex(3)}-8${rng.hex(3)}-${rng.hex(12)}`,
        state: 'COMPLETED',
        resourceArn: r.arn,
        resourceType: r.type,
        vault,
        planId,
        createdAt: created,
        completedAt: created + rng.int(10, 50) * 60_000,
        statusMessage: null,
      });
    }
  }
  if (seeded && daily) {
    // The seeded failures sit inside the default 35-day period, newest jobs first.
    const recent = jobs.filter((j) => j.createdAt > now - 30 * DAY_MS).sort((a, b) => a.id.localeCompare(b.id));
    const states: [Exclude<BackupJobState, 'COMPLETED' | 'RUNNING'>, string][] = [
      ['FAILED', 'Insufficient privileges to perform the backup: the IAM role lost rds:CreateDBSnapshot.'],
      ['FAILED', 'The backup window ended before the job started.'],
      ['EXPIRED', 'The backup job did not start within the start window.'],
      ['ABORTED', 'Aborted by an administrator.'],
      ['PARTIAL', 'Some items of the table could not be backed up.'],
    ];
    states.forEach(([state, message], i) => {
      const job = recent[i]!;
      job.state = state;
      job.statusMessage = message;
      if (state === 'EXPIRED') job.completedAt = null;
    });
    const running = resources[0]!;
    jobs.push({ id: `running-${hashString(running.arn).toString(16)}`, state: 'RUNNING', resourceArn: running.arn, resourceType: running.type, vault, planId, createdAt: now - HOUR_MS, completedAt: null, statusMessage: null });
  }
  return {
    plans: [
      {
        id: planId,
        name: daily ? 'daily-35-days' : 'weekly-eu',
        rules: [{ name: daily ? 'daily' : 'weekly', vault, schedule: daily ? 'cron(0 5 ? * * *)' : 'cron(0 5 ? * SUN *)', deleteAfterDays: daily ? 35 : 90, coldAfterDays: null }],
        selections: [
          { id: `${planId.slice(0, 8)}-sel1`, name: 'databases', resources: [`arn:aws:rds:${region}:${account}:db:*`, `arn:aws:dynamodb:${region}:${account}:table/*`], notResources: [] },
        ],
      },
    ],
    vaults: [
      { name: vault, locked: !seeded || !daily, lockDate: null, minRetentionDays: 7, maxRetentionDays: 365, recoveryPoints: jobs.filter((j) => j.state === 'COMPLETED').length },
      // The Default vault is created by AWS and rarely locked.
      { name: 'Default', locked: false, lockDate: null, minRetentionDays: null, maxRetentionDays: null, recoveryPoints: 0 },
    ].filter((v) => daily || v.name !== 'Default'),
    resources,
    jobs: jobs.sort((a, b) => b.createdAt - a.createdAt),
    restores: [],
  };
}

/** Builds the AWS world of a company (deterministic). */
export function createAwsWorld(company: SyntheticCompany): AwsWorld {
  const now = parseIso(company.now);
  const rng = new SeededRandom(company.seed).fork('aws');
  const prodId = awsSeededViolations.production;
  const devId = awsSeededViolations.development;

  // Production: everyone with a GitHub login (the same people as in GitHub) and Support, plus service users.
  const prodRng = rng.fork('prod-users');
  const prodPeople = company.people.filter((p) => p.githubLogin !== null || (p.department === 'Support' && p.status === 'active'));
  const prodUsers = prodPeople.map((p) => personUser(prodId, p, prodRng, now));
  prodUsers.push(serviceUser(prodId, 'ci-deployer', now, 30), serviceUser(prodId, 'legacy-backup-agent', now, 400));
  const prodByPerson = (u: IamUser) => u.personId !== null && company.people.find((p) => p.id === u.personId)?.status === 'active';
  const activeConsole = prodUsers.filter((u) => prodByPerson(u) && u.consoleAccess);
  const pick = prodRng.fork('violations');
  const [noMfa, admins, dormant] = [pick.sample(activeConsole, 3), pick.sample(activeConsole, 4), pick.sample(activeConsole, 2)];
  for (const u of noMfa) u.mfa = false;
  for (const u of dormant) {
    if (noMfa.includes(u)) continue;
    u.passwordLastUsed = now - (120 + pick.int(0, 100)) * DAY_MS;
    u.keys = [];
  }
  // Old keys: a service user's (400 days) and a person's; an old key unused for 120 days; a key never used in 95 days.
  const keyed = prodUsers.filter((u) => prodByPerson(u) && !dormant.includes(u) && u.keys.length === 1);
  keyed[0]!.keys[0]!.lastRotated = now - 200 * DAY_MS;
  keyed[1]!.keys[0]! = { active: true, lastRotated: now - 150 * DAY_MS, lastUsed: now - 120 * DAY_MS, lastUsedService: 's3' };
  keyed[2]!.keys.push({ active: true, lastRotated: now - 95 * DAY_MS, lastUsed: null, lastUsedService: null });
  for (const u of admins.slice(0, 3)) u.groups.push('Admins');
  admins[3]!.inlinePolicies.push({ name: 'break-glass-everything', document: allowAll });

  const prod: AwsAccount = {
    id: prodId,
    alias: 'acme-prod',
    root: { mfa: true, accessKeys: 0 },
    passwordPolicy: {
      MinimumPasswordLength: 8,
      RequireSymbols: false,
      RequireNumbers: true,
      RequireUppercaseCharacters: true,
      RequireLowercaseCharacters: true,
      AllowUsersToChangePassword: true,
      ExpirePasswords: false,
      HardExpiry: false,
    },
    users: prodUsers,
    groups: [
      { name: 'Admins', attachedPolicies: [ADMINISTRATOR_ACCESS_ARN], inlinePolicies: [] },
      { name: 'Developers', attachedPolicies: [`arn:aws:iam::${prodId}:policy/DeveloperAccess`], inlinePolicies: [] },
      { name: 'ReadOnly', attachedPolicies: [READ_ONLY_ACCESS_ARN], inlinePolicies: [] },
      { name: 'Deployers', attachedPolicies: [], inlinePolicies: [{ name: 'push-images', document: policyDocument([{ Effect: 'Allow', Action: ['ecr:PutImage', 'ecr:UploadLayerPart'], Resource: '*' }]) }] },
    ],
    roles: [
      { name: 'OrganizationAccountAccessRole', arn: `arn:aws:iam::${prodId}:role/OrganizationAccountAccessRole`, createdAt: now - 900 * DAY_MS, attachedPolicies: [ADMINISTRATOR_ACCESS_ARN], inlinePolicies: [] },
      { name: 'BreakGlass', arn: `arn:aws:iam::${prodId}:role/BreakGlass`, createdAt: now - 400 * DAY_MS, attachedPolicies: [`arn:aws:iam::${prodId}:policy/FullAccess`], inlinePolicies: [] },
      { name: AWS_ROLE_NAME, arn: `arn:aws:iam::${prodId}:role/${AWS_ROLE_NAME}`, createdAt: now - 100 * DAY_MS, attachedPolicies: ['arn:aws:iam::aws:policy/SecurityAudit'], inlinePolicies: [] },
    ],
    policies: [
      { name: 'DeveloperAccess', arn: `arn:aws:iam::${prodId}:policy/DeveloperAccess`, createdAt: now - 800 * DAY_MS, document: policyDocument([{ Effect: 'Allow', Action: ['ec2:Describe*', 'logs:Get*', 's3:GetObject'], Resource: '*' }]) },
      { name: 'FullAccess', arn: `arn:aws:iam::${prodId}:policy/FullAccess`, createdAt: now - 400 * DAY_MS, document: policyDocument([{ Effect: 'Allow', Action: '*:*', Resource: '*' }]) },
    ],
    trails: [
      {
        name: 'org-trail',
        arn: `arn:aws:cloudtrail:us-east-1:${prodId}:trail/org-trail`,
        homeRegion: 'us-east-1',
        multiRegion: true,
        logging: true,
        logFileValidation: true,
        kmsKeyId: `arn:aws:kms:us-east-1:${prodId}:key/0d3c1f2e-aaaa-4bbb-8ccc-1234567890ab`,
        s3BucketName: 'acme-cloudtrail-prod',
        selectors: { basic: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] },
      },
      {
        name: 'legacy-eu',
        arn: `arn:aws:cloudtrail:eu-west-1:${prodId}:trail/legacy-eu`,
        homeRegion: 'eu-west-1',
        multiRegion: false,
        logging: true,
        logFileValidation: false,
        kmsKeyId: null,
        s3BucketName: 'acme-cloudtrail-legacy-eu',
        selectors: { basic: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] },
      },
    ],
    events: [],
    backup: {},
  };

  // Development: a third of the active engineers, no password policy, root without MFA and with keys.
  const devRng = rng.fork('dev-users');
  const devPeople = company.people.filter((p) => p.status === 'active' && p.department === 'Engineering' && p.githubLogin !== null && devRng.chance(0.33));
  const devUsers = devPeople.map((p) => personUser(devId, p, devRng, now));
  for (const u of devRng.sample(devUsers.filter((x) => x.consoleAccess), 2)) u.mfa = false;
  const dev: AwsAccount = {
    id: devId,
    alias: 'acme-dev',
    root: { mfa: false, accessKeys: 1 },
    passwordPolicy: null,
    users: devUsers,
    groups: [
      { name: 'Developers', attachedPolicies: ['arn:aws:iam::aws:policy/PowerUserAccess'], inlinePolicies: [] },
      { name: 'ReadOnly', attachedPolicies: [READ_ONLY_ACCESS_ARN], inlinePolicies: [] },
    ],
    roles: [
      { name: 'OrganizationAccountAccessRole', arn: `arn:aws:iam::${devId}:role/OrganizationAccountAccessRole`, createdAt: now - 900 * DAY_MS, attachedPolicies: [ADMINISTRATOR_ACCESS_ARN], inlinePolicies: [] },
      { name: AWS_ROLE_NAME, arn: `arn:aws:iam::${devId}:role/${AWS_ROLE_NAME}`, createdAt: now - 100 * DAY_MS, attachedPolicies: ['arn:aws:iam::aws:policy/SecurityAudit'], inlinePolicies: [] },
    ],
    policies: [],
    trails: [
      {
        name: 'dev-trail',
        arn: `arn:aws:cloudtrail:us-east-1:${devId}:trail/dev-trail`,
        homeRegion: 'us-east-1',
        multiRegion: true,
        logging: true,
        logFileValidation: true,
        kmsKeyId: null,
        s3BucketName: 'acme-cloudtrail-dev',
        // Only write events: not full management-event coverage.
        selectors: {
          advanced: [
            {
              Name: 'Management writes only',
              FieldSelectors: [
                { Field: 'eventCategory', Equals: ['Management'] },
                { Field: 'readOnly', Equals: ['false'] },
              ],
            },
          ],
        },
      },
    ],
    events: [],
    backup: {},
  };
  for (const account of [prod, dev]) {
    account.events = events(account, rng.fork(`events/${account.id}`), now, company.scale);
    const scale = account === prod ? company.scale : Math.max(0.25, company.scale / 4);
    for (const region of AWS_REGIONS) account.backup[region] = regionalBackup(account.id, region, rng.fork(`backup/${account.id}/${region}`), now, scale, backupHistoryDays(company.scale), true);
  }
  // Restore tests: production restored 20 days ago; development only tried, 40 days ago, and failed.
  const prodBackup = prod.backup['us-east-1']!;
  const restored = prodBackup.resources[0]!;
  prodBackup.restores.push({
    id: 'restore-prod-0001',
    status: 'COMPLETED',
    recoveryPointArn: `arn:aws:rds:us-east-1:${prodId}:snapshot:awsbackup:job-restore-test`,
    resourceType: restored.type,
    createdResourceArn: `${restored.arn}-restore-test`,
    createdAt: now - 20 * DAY_MS,
    completedAt: now - 20 * DAY_MS + 40 * 60_000,
    statusMessage: null,
  });
  dev.backup['us-east-1']!.restores.push({
    id: 'restore-dev-0001',
    status: 'FAILED',
    recoveryPointArn: `arn:aws:rds:us-east-1:${devId}:snapshot:awsbackup:job-dev`,
    resourceType: 'RDS',
    createdResourceArn: null,
    createdAt: now - 33 * DAY_MS,
    completedAt: now - 33 * DAY_MS + 10 * 60_000,
    statusMessage: 'The DB subnet group does not exist.',
  });
  return { callerAccount: prodId, roleName: AWS_ROLE_NAME, regions: AWS_REGIONS, accounts: [prod, dev], now };
}

/** `2026-05-01T12:00:00Z`, the way AWS renders XML timestamps. */
export const awsTime = isoSeconds;
