import { csvLine, utf8Bom } from './csv.js';

/** A payload as stored: a JSON object (collectors validated its shape with zod when it was collected). */
type Payload = Record<string, unknown>;
type Cell = string | number | boolean | null;

/** One column of a population CSV: a payload field by name, or a value derived from the payload. */
export interface PopulationColumn {
  header: string;
  /** The payload field to copy (dates are stored as ISO-8601 UTC already). */
  field?: string;
  /** A value derived from the payload, when it is not one field. */
  value?: (payload: Payload) => Cell;
  /** What the column means, for the bundle README's data dictionary. */
  description: string;
}

/**
 * A population an auditor samples from: every record of one evidence kind seen in the period
 * (for event populations, only events whose date falls in the period), one CSV row per subject
 * with its newest version. Connectors add their populations as rows of {@link populationTable}.
 */
export interface PopulationDefinition {
  /** Command-line and file name: `merged-prs` → `populations/merged-prs.csv`. */
  name: string;
  kind: string;
  title: string;
  /** For event populations: the payload field holding the event time that must fall in the period. */
  eventDateField?: string;
  /** When a kind holds several populations (CloudTrail events): which records belong to this one. */
  where?: { field: string; equals: string };
  columns: readonly PopulationColumn[];
}

const reviewsOf = (p: Payload) => (Array.isArray(p.reviews) ? (p.reviews as { reviewer?: string | null; state?: string; submittedAt?: string | null }[]) : []);

/**
 * Every population Annexa can export, one row per evidence kind. A connector that lands adds its
 * row here (joiners and leavers, IAM changes, change tickets, backup jobs, access-review decisions…).
 */
export const populationTable: readonly PopulationDefinition[] = [
  {
    name: 'merged-prs',
    kind: 'github.merged_pull_request.v1',
    title: 'Pull requests merged into default branches (GitHub)',
    eventDateField: 'mergedAt',
    columns: [
      { header: 'repository', field: 'repository', description: 'owner/name' },
      { header: 'number', field: 'number', description: 'pull request number' },
      { header: 'title', field: 'title', description: 'title at collection time' },
      { header: 'author', field: 'author', description: 'author login' },
      { header: 'merged_by', field: 'mergedBy', description: 'who merged it' },
      { header: 'created_at', field: 'createdAt', description: 'opened (UTC)' },
      { header: 'merged_at', field: 'mergedAt', description: 'merged (UTC)' },
      { header: 'base_branch', field: 'baseBranch', description: 'default branch merged into' },
      { header: 'merge_commit', field: 'mergeCommit', description: 'merge commit SHA' },
      {
        header: 'approvals',
        value: (p) => reviewsOf(p).filter((r) => r.state === 'APPROVED').map((r) => `${r.reviewer ?? '?'}@${r.submittedAt ?? '?'}`).join('; '),
        description: 'approving reviews as reviewer@time',
      },
      { header: 'url', field: 'url', description: 'web URL' },
    ],
  },
  {
    name: 'dependabot-alerts',
    kind: 'github.dependabot_alert.v1',
    title: 'Open Dependabot alerts seen in the period (GitHub)',
    columns: [
      { header: 'repository', field: 'repository', description: 'owner/name' },
      { header: 'number', field: 'number', description: 'alert number' },
      { header: 'severity', field: 'severity', description: 'advisory severity' },
      { header: 'state', field: 'state', description: 'alert state when last seen' },
      { header: 'ghsa_id', field: 'ghsaId', description: 'GitHub Security Advisory id' },
      { header: 'cve_id', field: 'cveId', description: 'CVE id' },
      { header: 'package', field: 'package', description: 'vulnerable package' },
      { header: 'ecosystem', field: 'ecosystem', description: 'package ecosystem' },
      { header: 'created_at', field: 'createdAt', description: 'alert opened (UTC)' },
      { header: 'url', field: 'url', description: 'web URL' },
    ],
  },
  {
    name: 'members',
    kind: 'github.member.v1',
    title: 'Organization members seen in the period (GitHub)',
    columns: [
      { header: 'login', field: 'login', description: 'GitHub login' },
      { header: 'user_id', field: 'id', description: 'GitHub user id' },
      { header: 'role', field: 'role', description: 'admin (owner) or member' },
      { header: 'two_factor_enabled', field: 'twoFactorEnabled', description: 'true, false, or empty when not visible to the token' },
    ],
  },
  {
    name: 'outside-collaborators',
    kind: 'github.outside_collaborator.v1',
    title: 'Outside collaborators seen in the period (GitHub)',
    columns: [
      { header: 'login', field: 'login', description: 'GitHub login' },
      { header: 'user_id', field: 'id', description: 'GitHub user id' },
      {
        header: 'repositories',
        value: (p) =>
          (Array.isArray(p.repositories) ? (p.repositories as { repository: string; permission: string }[]) : []).map((r) => `${r.repository}:${r.permission}`).join('; '),
        description: 'repository:permission for each repository they can access',
      },
    ],
  },
  {
    name: 'backup-jobs',
    kind: 'aws.backup_job.v1',
    title: 'AWS Backup jobs created in the period (AWS)',
    eventDateField: 'createdAt',
    columns: [
      { header: 'account', field: 'account', description: 'AWS account id' },
      { header: 'region', field: 'region', description: 'region' },
      { header: 'job_id', field: 'jobId', description: 'backup job id' },
      { header: 'state', field: 'state', description: 'COMPLETED, FAILED, ABORTED, EXPIRED, PARTIAL… when last seen' },
      { header: 'resource_arn', field: 'resourceArn', description: 'resource backed up' },
      { header: 'resource_type', field: 'resourceType', description: 'resource type' },
      { header: 'vault', field: 'vault', description: 'target vault' },
      { header: 'plan_id', field: 'planId', description: 'backup plan; empty for on-demand jobs' },
      { header: 'created_at', field: 'createdAt', description: 'job created (UTC)' },
      { header: 'completed_at', field: 'completedAt', description: 'job ended (UTC)' },
      { header: 'status_message', field: 'statusMessage', description: 'why it failed or was aborted' },
    ],
  },
  {
    name: 'restore-jobs',
    kind: 'aws.backup_restore_job.v1',
    title: 'AWS Backup restore jobs (restore tests) started in the period (AWS)',
    eventDateField: 'createdAt',
    columns: [
      { header: 'account', field: 'account', description: 'AWS account id' },
      { header: 'region', field: 'region', description: 'region' },
      { header: 'job_id', field: 'jobId', description: 'restore job id' },
      { header: 'status', field: 'status', description: 'COMPLETED, FAILED, ABORTED… when last seen' },
      { header: 'recovery_point_arn', field: 'recoveryPointArn', description: 'recovery point restored from' },
      { header: 'resource_type', field: 'resourceType', description: 'resource type restored' },
      { header: 'created_resource_arn', field: 'createdResourceArn', description: 'resource the restore created' },
      { header: 'created_at', field: 'createdAt', description: 'restore started (UTC)' },
      { header: 'completed_at', field: 'completedAt', description: 'restore ended (UTC)' },
      { header: 'status_message', field: 'statusMessage', description: 'why it failed' },
    ],
  },
  {
    name: 'iam-changes',
    kind: 'aws.cloudtrail_event.v1',
    title: 'IAM changes recorded by CloudTrail in the period (AWS)',
    eventDateField: 'eventTime',
    where: { field: 'population', equals: 'iam_change' },
    columns: [
      { header: 'account', field: 'account', description: 'AWS account id' },
      { header: 'region', field: 'region', description: 'region whose event history it comes from' },
      { header: 'event_id', field: 'eventId', description: 'CloudTrail event id' },
      { header: 'event_name', field: 'eventName', description: 'IAM API call (CreateAccessKey, AttachUserPolicy…)' },
      { header: 'event_time', field: 'eventTime', description: 'when it happened (UTC)' },
      { header: 'username', field: 'username', description: 'who did it, as CloudTrail names them' },
      { header: 'source_ip', field: 'sourceIpAddress', description: 'where the call came from' },
      {
        header: 'resources',
        value: (p) => (Array.isArray(p.resources) ? (p.resources as { type: string | null; name: string | null }[]) : []).map((r) => `${r.type ?? '?'}:${r.name ?? '?'}`).join('; '),
        description: 'type:name of each resource the event names',
      },
      { header: 'error_code', field: 'errorCode', description: "the call's error code when it failed" },
    ],
  },
];

/** The population definition by name, or undefined. */
export function populationByName(name: string): PopulationDefinition | undefined {
  return populationTable.find((p) => p.name === name);
}

/** A population member: the newest version of one subject seen in the period. */
export interface PopulationItem {
  instanceId: string;
  subject: string;
  digest: string;
  payload: unknown;
  firstSeen: string;
  lastSeen: string;
}

/** The stable id an item is sampled by: `<connector instance>:<subject>`. */
export function populationId(item: { instanceId: string; subject: string }): string {
  return `${item.instanceId}:${item.subject}`;
}

/** Whether a subject's version belongs in the population of the period (event date inside it, for event populations). */
export function inPopulation(definition: PopulationDefinition, payload: unknown, start: Date, end: Date): boolean {
  if (definition.where && (payload as Payload)[definition.where.field] !== definition.where.equals) return false;
  if (!definition.eventDateField) return true;
  const raw = (payload as Payload)[definition.eventDateField];
  if (typeof raw !== 'string') return false;
  const time = Date.parse(raw);
  return time >= start.getTime() && time <= end.getTime();
}

/** The CSV header of a population. */
export function populationHeader(definition: PopulationDefinition): string[] {
  return ['id', 'connector_instance', 'subject', ...definition.columns.map((c) => c.header), 'first_seen', 'last_seen', 'record_sha256'];
}

/**
 * The population as CSV (UTF-8 BOM, one header row, ISO dates), rows sorted by id so the same
 * population always gives the same bytes — and so the same digest, which samples refer to.
 */
export function populationCsv(definition: PopulationDefinition, items: readonly PopulationItem[]): string {
  const rows = [...items].sort((a, b) => compareIds(populationId(a), populationId(b)));
  let out = utf8Bom + csvLine(populationHeader(definition));
  for (const item of rows) {
    const payload = (item.payload ?? {}) as Payload;
    const cells = definition.columns.map((c) => (c.value ? c.value(payload) : cell(payload[c.field ?? ''])));
    out += csvLine([populationId(item), item.instanceId, item.subject, ...cells, item.firstSeen, item.lastSeen, item.digest]);
  }
  return out;
}

/** Code-unit order (what `sort` does in Python and JavaScript alike), never locale order. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}
