/**
 * IAM and STS in the AWS query protocol: form-encoded `Action=...` requests, XML answers
 * (`<ActionResponse><ActionResult>...`) and `<ErrorResponse>` errors, encoded with fast-xml-parser's
 * XMLBuilder. Only the calls the connector makes.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { stringify } from 'csv-stringify/sync';
import { hashString } from '../random.js';
import type { SandboxResponse } from '../http-server.js';
import { awsTime, type AwsAccount, type AwsWorld, type IamUser } from './data.js';

const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false, format: false });

/** An AWS XML answer: `<{action}Response>` with `<{action}Result>` and the request id. */
export function xmlResult(service: 'iam' | 'sts', action: string, result: object | null, requestId: string): SandboxResponse {
  const body = builder.build({
    '?xml': { '@_version': '1.0' },
    [`${action}Response`]: {
      '@_xmlns': service === 'iam' ? IAM_NS : STS_NS,
      ...(result ? { [`${action}Result`]: result } : {}),
      ResponseMetadata: { RequestId: requestId },
    },
  }) as string;
  return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}

/** An AWS query-protocol error. */
export function xmlError(service: 'iam' | 'sts', status: number, code: string, message: string, requestId: string): SandboxResponse {
  const body = builder.build({
    '?xml': { '@_version': '1.0' },
    ErrorResponse: {
      '@_xmlns': service === 'iam' ? IAM_NS : STS_NS,
      Error: { Type: status >= 500 ? 'Receiver' : 'Sender', Code: code, Message: message },
      RequestId: requestId,
    },
  }) as string;
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}

const member = <T>(items: T[]) => ({ member: items });
const encodeDocument = (document: object) => encodeURIComponent(JSON.stringify(document));

/** The credential report CSV with AWS's columns, in AWS's order. */
export function credentialReportCsv(account: AwsAccount): string {
  const date = (ms: number | null, none: string) => (ms === null ? none : awsTime(ms).replace('Z', '+00:00'));
  const key = (user: IamUser, i: number) => {
    const k = user.keys[i];
    if (!k) return ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
    return ['true', date(k.lastRotated, 'N/A'), date(k.lastUsed, 'N/A'), k.lastUsed === null ? 'N/A' : 'us-east-1', k.lastUsedService ?? 'N/A'];
  };
  const rows = [
    [
      '<root_account>',
      `arn:aws:iam::${account.id}:root`,
      date(account.users[0]?.createdAt ?? 0, 'N/A'),
      'not_supported',
      'no_information',
      'not_supported',
      'not_supported',
      String(account.root.mfa),
      ...(account.root.accessKeys > 0 ? ['true', 'N/A', 'N/A', 'N/A', 'N/A'] : ['false', 'N/A', 'N/A', 'N/A', 'N/A']),
      'false', 'N/A', 'N/A', 'N/A', 'N/A',
      'false', 'N/A', 'false', 'N/A',
    ],
    ...account.users.map((u) => [
      u.name,
      u.arn,
      date(u.createdAt, 'N/A'),
      String(u.consoleAccess),
      u.consoleAccess ? date(u.passwordLastUsed, 'no_information') : 'N/A',
      u.consoleAccess ? date(u.passwordLastChanged, 'N/A') : 'N/A',
      'N/A',
      String(u.mfa),
      ...key(u, 0),
      ...key(u, 1),
      'false', 'N/A', 'false', 'N/A',
    ]),
  ];
  return stringify(rows, {
    header: true,
    columns: [
      'user', 'arn', 'user_creation_time', 'password_enabled', 'password_last_used', 'password_last_changed', 'password_next_rotation', 'mfa_active',
      'access_key_1_active', 'access_key_1_last_rotated', 'access_key_1_last_used_date', 'access_key_1_last_used_region', 'access_key_1_last_used_service',
      'access_key_2_active', 'access_key_2_last_rotated', 'access_key_2_last_used_date', 'access_key_2_last_used_region', 'access_key_2_last_used_service',
      'cert_1_active', 'cert_1_last_rotated', 'cert_2_active', 'cert_2_last_rotated',
    ],
  });
}

/** Options that shape IAM answers (fault knobs for tests). */
export interface IamOptions {
  /** GenerateCredentialReport never reaches COMPLETE. */
  credentialReportNeverReady?: boolean;
}

/** Per-account IAM state the fake keeps between calls (report generation). */
export class IamState {
  private readonly generateCalls = new Map<string, number>();
  /** Like IAM: the first call starts the report, a later call finds it complete. */
  generate(account: string, options: IamOptions): 'STARTED' | 'COMPLETE' {
    const calls = (this.generateCalls.get(account) ?? 0) + 1;
    this.generateCalls.set(account, calls);
    return calls >= 2 && !options.credentialReportNeverReady ? 'COMPLETE' : 'STARTED';
  }
  reportReady(account: string, options: IamOptions): boolean {
    return (this.generateCalls.get(account) ?? 0) >= 2 && !options.credentialReportNeverReady;
  }
}

/** Answers one IAM action for an account. */
export function handleIam(world: AwsWorld, account: AwsAccount, params: URLSearchParams, state: IamState, options: IamOptions, requestId: string): SandboxResponse {
  const action = params.get('Action') ?? '';
  switch (action) {
    case 'GenerateCredentialReport': {
      const status = state.generate(account.id, options);
      return xmlResult('iam', action, { State: status, Description: status === 'COMPLETE' ? 'No report exists. Starting a new report generation task' : 'Report generation started' }, requestId);
    }
    case 'GetCredentialReport': {
      if (!state.reportReady(account.id, options)) {
        return xmlError('iam', 410, 'ReportNotPresent', 'Credential report not present. Use GenerateCredentialReport to generate a new report.', requestId);
      }
      const content = Buffer.from(credentialReportCsv(account), 'utf8').toString('base64');
      return xmlResult('iam', action, { Content: content, ReportFormat: 'text/csv', GeneratedTime: awsTime(world.now) }, requestId);
    }
    case 'GetAccountSummary': {
      const summary: Record<string, number> = {
        AccountMFAEnabled: account.root.mfa ? 1 : 0,
        AccountAccessKeysPresent: account.root.accessKeys,
        Users: account.users.length,
        Groups: account.groups.length,
        Roles: account.roles.length,
        Policies: account.policies.length,
        MFADevices: account.users.filter((u) => u.mfa).length + (account.root.mfa ? 1 : 0),
        MFADevicesInUse: account.users.filter((u) => u.mfa).length + (account.root.mfa ? 1 : 0),
      };
      return xmlResult('iam', action, { SummaryMap: { entry: Object.entries(summary).map(([key, value]) => ({ key, value })) } }, requestId);
    }
    case 'GetAccountPasswordPolicy':
      if (!account.passwordPolicy) {
        return xmlError('iam', 404, 'NoSuchEntity', `The Password Policy with domain name ${account.id} cannot be found.`, requestId);
      }
      return xmlResult('iam', action, { PasswordPolicy: account.passwordPolicy }, requestId);
    case 'GetAccountAuthorizationDetails':
      return authorizationDetails(account, params, requestId);
    // Per-user calls the connector does not make; the benchmark's naive baseline does.
    case 'ListUsers': {
      const maxItems = Math.min(Number(params.get('MaxItems') ?? 100) || 100, 1000);
      const offset = params.get('Marker') ? Number(Buffer.from(params.get('Marker')!, 'base64').toString('utf8')) : 0;
      const users = account.users.slice(offset, offset + maxItems).map((u) => ({ Path: '/', UserName: u.name, UserId: u.id, Arn: u.arn, CreateDate: awsTime(u.createdAt) }));
      const truncated = offset + maxItems < account.users.length;
      return xmlResult('iam', action, { Users: member(users), IsTruncated: truncated, ...(truncated ? { Marker: Buffer.from(String(offset + maxItems)).toString('base64') } : {}) }, requestId);
    }
    case 'ListMFADevices':
    case 'ListAccessKeys': {
      const user = account.users.find((u) => u.name === params.get('UserName'));
      if (!user) return xmlError('iam', 404, 'NoSuchEntity', `The user with name ${params.get('UserName')} cannot be found.`, requestId);
      const result =
        action === 'ListMFADevices'
          ? { MFADevices: member(user.mfa ? [{ UserName: user.name, SerialNumber: `arn:aws:iam::${account.id}:mfa/${user.name}`, EnableDate: awsTime(user.createdAt) }] : []) }
          : { AccessKeyMetadata: member(user.keys.map((k, i) => ({ UserName: user.name, AccessKeyId: `AKIA${hashString(`${user.arn}/${i}`).toString(36).toUpperCase()}`, Status: k.active ? 'Active' : 'Inactive', CreateDate: awsTime(k.lastRotated) }))) };
      return xmlResult('iam', action, { ...result, IsTruncated: false }, requestId);
    }
    default:
      return xmlError('iam', 400, 'InvalidAction', `Could not find operation ${action} for version 2010-05-08`, requestId);
  }
}

type Item = { list: 'UserDetailList' | 'GroupDetailList' | 'RoleDetailList' | 'Policies'; value: object };

/** One page of at most MaxItems items across the four lists, continued by an opaque Marker. */
function authorizationDetails(account: AwsAccount, params: URLSearchParams, requestId: string): SandboxResponse {
  const filters = [...params.entries()].filter(([k]) => k.startsWith('Filter.member.')).map(([, v]) => v);
  const wants = (f: string) => filters.length === 0 || filters.includes(f);
  const maxItems = Math.min(Number(params.get('MaxItems') ?? 100) || 100, 1000);
  const offset = params.get('Marker') ? Number(Buffer.from(params.get('Marker')!, 'base64').toString('utf8').replace('offset:', '')) : 0;
  const inline = (list: { name: string; document: object }[]) => member(list.map((p) => ({ PolicyName: p.name, PolicyDocument: encodeDocument(p.document) })));
  const attached = (arns: string[]) => member(arns.map((arn) => ({ PolicyName: arn.split('/').at(-1)!, PolicyArn: arn })));
  const items: Item[] = [];
  if (wants('User')) {
    for (const u of account.users) {
      items.push({
        list: 'UserDetailList',
        value: { Path: '/', UserName: u.name, UserId: u.id, Arn: u.arn, CreateDate: awsTime(u.createdAt), UserPolicyList: inline(u.inlinePolicies), GroupList: member(u.groups), AttachedManagedPolicies: attached(u.attachedPolicies), Tags: member([]) },
      });
    }
  }
  if (wants('Group')) {
    for (const g of account.groups) {
      items.push({
        list: 'GroupDetailList',
        value: { Path: '/', GroupName: g.name, GroupId: `AGPA${hashString(g.name).toString(36).toUpperCase()}`, Arn: `arn:aws:iam::${account.id}:group/${g.name}`, CreateDate: awsTime(account.users[0]?.createdAt ?? 0), GroupPolicyList: inline(g.inlinePolicies), AttachedManagedPolicies: attached(g.attachedPolicies) },
      });
    }
  }
  if (wants('Role')) {
    for (const r of account.roles) {
      items.push({
        list: 'RoleDetailList',
        value: {
          Path: '/',
          RoleName: r.name,
          RoleId: `AROA${hashString(r.arn).toString(36).toUpperCase()}`,
          Arn: r.arn,
          CreateDate: awsTime(r.createdAt),
          AssumeRolePolicyDocument: encodeDocument({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::111122223333:root` }, Action: 'sts:AssumeRole' }] }),
          InstanceProfileList: member([]),
          RolePolicyList: inline(r.inlinePolicies),
          AttachedManagedPolicies: attached(r.attachedPolicies),
          Tags: member([]),
        },
      });
    }
  }
  if (wants('LocalManagedPolicy')) {
    for (const p of account.policies) {
      items.push({
        list: 'Policies',
        value: {
          PolicyName: p.name,
          PolicyId: `ANPA${hashString(p.arn).toString(36).toUpperCase()}`,
          Arn: p.arn,
          Path: '/',
          DefaultVersionId: 'v1',
          AttachmentCount: 1,
          IsAttachable: true,
          CreateDate: awsTime(p.createdAt),
          UpdateDate: awsTime(p.createdAt),
          PolicyVersionList: member([{ Document: encodeDocument(p.document), VersionId: 'v1', IsDefaultVersion: true, CreateDate: awsTime(p.createdAt) }]),
        },
      });
    }
  }
  const page = items.slice(offset, offset + maxItems);
  const truncated = offset + maxItems < items.length;
  const result: Record<string, unknown> = {};
  for (const list of ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'] as const) result[list] = member(page.filter((i) => i.list === list).map((i) => i.value));
  result.IsTruncated = truncated;
  if (truncated) result.Marker = Buffer.from(`offset:${offset + maxItems}`).toString('base64');
  return xmlResult('iam', 'GetAccountAuthorizationDetails', result, requestId);
}
