import { Readable } from 'node:stream';
import { GenerateCredentialReportCommand, GetCredentialReportCommand } from '@aws-sdk/client-iam';
import { parse as parseCsv } from 'csv-parse';
import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import { CollectError } from '../../src/core/errors.js';
import { type AccountSession, type AwsApi } from './client.js';
import { parseResponse as parse } from '../../src/http/json-api.js';
import { eachAccount } from './scopes.js';
import type { AwsSettings } from './settings.js';

const accessKey = z.object({
  slot: z.union([z.literal(1), z.literal(2)]).describe('Which of the two access-key slots (access_key_1 or access_key_2).'),
  active: z.boolean().describe('Whether the key is active.'),
  lastRotated: z.string().nullable().describe('When the key was created or last rotated (UTC).'),
  lastUsed: z.string().nullable().describe('When the key was last used (UTC); null if never used.'),
  lastUsedService: z.string().nullable().describe('Service the key was last used with.'),
});

export const iamUserPayload = z.object({
  account: z.string().describe('AWS account id.'),
  userName: z.string().describe('IAM user name.'),
  arn: z.string().describe('IAM user ARN.'),
  createdAt: z.string().describe('When the user was created (UTC).'),
  consoleAccess: z.boolean().describe('Whether the user has a console password (password_enabled).'),
  passwordLastUsed: z.string().nullable().describe('Last console sign-in (UTC); null if never or no console access.'),
  passwordLastChanged: z.string().nullable().describe('When the password was last changed (UTC).'),
  mfaActive: z.boolean().describe('Whether an MFA device is enabled for the user (mfa_active).'),
  accessKeys: z.array(accessKey).describe('Access keys the user has or had (a slot never used for a key is omitted).'),
  lastActivity: z.string().nullable().describe('Latest console sign-in or access-key use (UTC); null if the user never signed in or used a key.'),
});

/** The credential report's columns Annexa reads, by AWS's names. */
const reportRow = z.object({
  user: z.string(),
  arn: z.string(),
  user_creation_time: z.string(),
  password_enabled: z.string(),
  password_last_used: z.string(),
  password_last_changed: z.string(),
  mfa_active: z.string(),
  access_key_1_active: z.string(),
  access_key_1_last_rotated: z.string(),
  access_key_1_last_used_date: z.string(),
  access_key_1_last_used_service: z.string(),
  access_key_2_active: z.string(),
  access_key_2_last_rotated: z.string(),
  access_key_2_last_used_date: z.string(),
  access_key_2_last_used_service: z.string(),
});
type ReportRow = z.output<typeof reportRow>;

/** `N/A`, `no_information` and `not_supported` mean "no date". */
function date(value: string): string | null {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function key(row: ReportRow, slot: 1 | 2): z.output<typeof accessKey> | undefined {
  const active = row[`access_key_${slot}_active`] === 'true';
  const lastRotated = date(row[`access_key_${slot}_last_rotated`]);
  if (!active && lastRotated === null) return undefined;
  const service = row[`access_key_${slot}_last_used_service`];
  return { slot, active, lastRotated, lastUsed: date(row[`access_key_${slot}_last_used_date`]), lastUsedService: service === 'N/A' ? null : service };
}

/**
 * Generates the credential report and waits for it, polling at most `maxWaitSeconds`: a report
 * that never becomes ready is a `timeout`, not a hang.
 */
async function generateReport(client: AwsApi, session: AccountSession, settings: AwsSettings): Promise<RequestRef> {
  const { maxWaitSeconds, pollSeconds } = settings.credentialReport;
  const polls = pollSeconds > 0 ? Math.floor(maxWaitSeconds / pollSeconds) : 0;
  for (let poll = 0; ; poll++) {
    const { output, request } = await client.send<{ State?: string }>(session.iam, new GenerateCredentialReportCommand({}), 'GenerateCredentialReport');
    if (output.State === 'COMPLETE') return request;
    if (poll >= polls) {
      throw new CollectError('timeout', `IAM credential report of account ${session.account} was not ready after ${maxWaitSeconds} s (state ${output.State ?? 'unknown'})`, {
        endpoint: request.url,
      });
    }
    await client.clock.sleep(pollSeconds * 1000);
  }
}

/** The report's rows, parsed as the CSV streams out of the decoded bytes (one row in memory at a time). */
async function* reportRows(content: Uint8Array, endpoint: string): AsyncGenerator<ReportRow> {
  const rows = Readable.from([content]).pipe(parseCsv({ columns: true, skip_empty_lines: true }));
  for await (const raw of rows as AsyncIterable<unknown>) {
    const row = reportRow.safeParse(raw);
    if (!row.success) {
      const issue = row.error.issues[0];
      throw new CollectError('invalid_payload', `${endpoint}: credential report row lacks column ${issue?.path.join('.')}`, { endpoint });
    }
    yield row.data;
  }
}

export const iamUsersCollector = defineCollector<AwsApi, AwsSettings, typeof iamUserPayload>({
  id: 'iam_users',
  kind: 'aws.iam_user.v1',
  title: 'IAM users: console access, MFA, access keys and last activity',
  description:
    'Every IAM user of every account from the IAM credential report (one report per account, not one call per user): console password, MFA, both access keys with age and last use.',
  subject: 'account/user name',
  ttlHours: 36,
  payload: iamUserPayload,
  collect: (ctx) =>
    eachAccount(ctx, async function* (session) {
      const generated = await generateReport(ctx.client, session, ctx.config);
      const { output, request } = await ctx.client.send<unknown>(session.iam, new GetCredentialReportCommand({}), 'GetCredentialReport', { base64Member: 'Content' });
      const report = parse(z.object({ Content: z.instanceof(Uint8Array), ReportFormat: z.literal('text/csv') }), output, 'IAM GetCredentialReport');
      const requests = [generated, request];
      for await (const row of reportRows(report.Content, request.url)) {
        if (row.user === '<root_account>') continue; // The root user is evidence of aws.iam_account.v1 (GetAccountSummary).
        const accessKeys = [key(row, 1), key(row, 2)].filter((k) => k !== undefined);
        const passwordLastUsed = date(row.password_last_used);
        const uses = [passwordLastUsed, ...accessKeys.map((k) => k.lastUsed)].filter((d): d is string => d !== null).sort();
        yield {
          subject: `${session.account}/${row.user}`,
          requests,
          payload: {
            account: session.account,
            userName: row.user,
            arn: row.arn,
            createdAt: date(row.user_creation_time) ?? row.user_creation_time,
            consoleAccess: row.password_enabled === 'true',
            passwordLastUsed,
            passwordLastChanged: date(row.password_last_changed),
            mfaActive: row.mfa_active === 'true',
            accessKeys,
            lastActivity: uses.at(-1) ?? null,
          },
        };
      }
    }),
});
