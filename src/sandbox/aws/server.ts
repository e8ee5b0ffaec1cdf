/**
 * The AWS sandbox: IAM, STS, CloudTrail and AWS Backup on one loopback port, behind the shared
 * sandbox front door. Like AWS, a request is routed by its SigV4 credential scope
 * (`Credential=<key>/<date>/<region>/<service>/aws4_request`), and the access key says which
 * account it acts in: the ambient sandbox key is the caller account; AssumeRole hands out
 * session keys for each account of the world (and AccessDenied for any other account).
 * Signatures are not verified: the fake checks identity, not cryptography.
 */
import { startSandboxServer, type FaultCounts, type SandboxApi, type SandboxFaults, type SandboxRequest, type SandboxResponse } from '../http-server.js';
import { hashString } from '../random.js';
import { awsTime, type AwsAccount, type AwsWorld, type TrailEvent } from './data.js';
import { IamState, handleIam, xmlError, xmlResult, type IamOptions } from './query.js';
import { cloudtrailError, handleCloudtrail } from './cloudtrail.js';
import { backupError, handleBackup } from './backup.js';

/** The sandbox's ambient credentials: fake values that travel like real ones (tests check they never leak). */
export const awsSandboxCredentials = {
  accessKeyId: 'AKIAANNEXASANDBOX001',
  secretAccessKey: 'annexaSandboxSecretKeyNotReal0000000000x',
} as const;

export interface AwsSandboxOptions extends IamOptions {
  host?: string;
  /**
   * `account/region` pairs that are not enabled (opt-in regions): AWS rejects the credentials
   * there with UnrecognizedClientException.
   */
  disabledRegions?: string[];
  faults?: SandboxFaults;
}

export interface AwsSandbox {
  /** One endpoint for every service (`http://127.0.0.1:PORT`). */
  url: string;
  requestCount(): number;
  /** Requests per `service:Operation` (`iam:GetAccountAuthorizationDetails`), for request-economy tests and the bench. */
  requestsByOperation(): Record<string, number>;
  setFaults(faults: SandboxFaults): void;
  faultCounts(): FaultCounts;
  close(): Promise<void>;
}

type Service = 'iam' | 'sts' | 'cloudtrail' | 'backup';

function requestIdOf(seq: number): string {
  const h = hashString(`aws-request-${seq}`).toString(16).padStart(8, '0');
  return `${h}-${(seq % 0xffff).toString(16).padStart(4, '0')}-4a1b-8c2d-${hashString(String(seq)).toString(16).padStart(12, '0')}`;
}

function scopeOf(request: SandboxRequest): { keyId: string; region: string; service: Service } | undefined {
  const match = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(request.headers.authorization ?? ''));
  if (!match) return undefined;
  const service = match[3] as Service;
  return ['iam', 'sts', 'cloudtrail', 'backup'].includes(service) ? { keyId: match[1]!, region: match[2]!, service } : undefined;
}

/** An error in the service's own wire format. */
function serviceError(service: Service, status: number, code: string, message: string, requestId: string): SandboxResponse {
  if (service === 'iam' || service === 'sts') return xmlError(service, status, code, message, requestId);
  if (service === 'cloudtrail') return cloudtrailError(status, code, message, requestId);
  return backupError(status, code, message, requestId);
}

/** Starts the AWS sandbox over `world`. */
export async function startAwsSandbox(world: AwsWorld, options: AwsSandboxOptions = {}): Promise<AwsSandbox> {
  const sessions = new Map<string, AwsAccount>();
  const operations = new Map<string, number>();
  const iamState = new IamState();
  const lookups = new Map<string, TrailEvent[]>();
  const accountOf = (keyId: string) => (keyId === awsSandboxCredentials.accessKeyId ? world.accounts.find((a) => a.id === world.callerAccount) : sessions.get(keyId));

  const api: SandboxApi = {
    name: 'aws',
    handle(request) {
      const requestId = requestIdOf(request.seq);
      const scope = scopeOf(request);
      if (!scope) return xmlError('sts', 403, 'MissingAuthenticationToken', 'Request is missing Authentication Token', requestId);
      const form = new URLSearchParams(request.body.toString('utf8'));
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation =
        scope.service === 'cloudtrail' ? (target.split('.').at(-1) ?? '') : scope.service === 'backup' ? `${request.method} ${request.url.pathname.replace(/\/[0-9a-f-]{16,}(?=\/|$)/g, '/{id}')}` : (form.get('Action') ?? '');
      operations.set(`${scope.service}:${operation}`, (operations.get(`${scope.service}:${operation}`) ?? 0) + 1);
      const account = accountOf(scope.keyId);
      if (!account) return serviceError(scope.service, 403, 'InvalidClientTokenId', 'The security token included in the request is invalid.', requestId);
      if ((scope.service === 'cloudtrail' || scope.service === 'backup') && options.disabledRegions?.includes(`${account.id}/${scope.region}`)) {
        return serviceError(scope.service, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.', requestId);
      }
      switch (scope.service) {
        case 'sts':
          return handleSts(account, form, requestId);
        case 'iam':
          return handleIam(world, account, form, iamState, options, requestId);
        case 'cloudtrail':
          return handleCloudtrail(world, account, scope.region, operation, request.body.length ? (JSON.parse(request.body.toString('utf8')) as Record<string, unknown>) : {}, requestId, lookups);
        case 'backup':
          return handleBackup(account, scope.region, request.url, requestId);
      }
    },
    serverError(request, message) {
      return serviceError(scopeOf(request)?.service ?? 'sts', 500, 'InternalFailure', `Sandbox error: ${message}`, requestIdOf(request.seq));
    },
    refused(request, status) {
      const service = scopeOf(request)?.service ?? 'sts';
      const query = service === 'iam' || service === 'sts';
      // AWS has no 401: unknown or expired credentials are a 403 (query APIs) or 400 (JSON APIs) by error code.
      if (status === 401) return serviceError(service, query ? 403 : 400, query ? 'InvalidClientTokenId' : 'UnrecognizedClientException', 'The security token included in the request is invalid.', requestIdOf(request.seq));
      return serviceError(service, query ? 403 : 400, query ? 'AccessDenied' : 'AccessDeniedException', 'User: arn:aws:sts::111122223333:assumed-role/AnnexaAudit/annexa is not authorized to perform this action', requestIdOf(request.seq));
    },
    throttled(request) {
      const service = scopeOf(request)?.service ?? 'sts';
      const code = service === 'iam' || service === 'sts' ? 'Throttling' : 'ThrottlingException';
      return serviceError(service, 400, code, 'Rate exceeded', requestIdOf(request.seq));
    },
  };

  function handleSts(caller: AwsAccount, form: URLSearchParams, requestId: string): SandboxResponse {
    const action = form.get('Action');
    if (action === 'GetCallerIdentity') {
      return xmlResult('sts', action, { UserId: 'AIDAANNEXASANDBOXUSER', Account: caller.id, Arn: `arn:aws:iam::${caller.id}:user/annexa-collector` }, requestId);
    }
    if (action !== 'AssumeRole') return xmlError('sts', 400, 'InvalidAction', `Could not find operation ${action}`, requestId);
    const roleArn = form.get('RoleArn') ?? '';
    const match = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(roleArn);
    const target = match ? world.accounts.find((a) => a.id === match[1]) : undefined;
    if (!match || !target || match[2] !== world.roleName) {
      return xmlError('sts', 403, 'AccessDenied', `User: arn:aws:iam::${caller.id}:user/annexa-collector is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, requestId);
    }
    const sessionName = form.get('RoleSessionName') ?? 'session';
    const keyId = `ASIA${hashString(`${roleArn}/${sessions.size}`).toString(36).toUpperCase().padStart(8, '0')}SBX${sessions.size}`;
    sessions.set(keyId, target);
    return xmlResult(
      'sts',
      action,
      {
        Credentials: {
          AccessKeyId: keyId,
          SecretAccessKey: `sandboxSessionSecret${hashString(keyId).toString(36)}NotReal`,
          SessionToken: `FwoGZXIvYXdzEBsandboxSessionToken${hashString(`${keyId}/token`).toString(36)}NotReal`,
          Expiration: awsTime(Math.max(Date.now(), world.now) + 12 * 3_600_000),
        },
        AssumedRoleUser: { AssumedRoleId: `AROA${hashString(roleArn).toString(36).toUpperCase()}:${sessionName}`, Arn: `arn:aws:sts::${target.id}:assumed-role/${world.roleName}/${sessionName}` },
      },
      requestId,
    );
  }

  const server = await startSandboxServer(api, { ...(options.host ? { host: options.host } : {}), ...(options.faults ? { faults: options.faults } : {}) });
  return {
    url: server.url,
    requestCount: server.requestCount,
    requestsByOperation: () => Object.fromEntries([...operations].sort(([a], [b]) => a.localeCompare(b))),
    setFaults: server.setFaults,
    faultCounts: server.faultCounts,
    close: server.close,
  };
}

/**
 * Points the AWS SDK's default credential chain at the sandbox's fake keys (environment
 * variables, the chain's first source) and hides any profile or session token of the user, so a
 * demo never sends real credentials anywhere. Returns a function that restores the environment.
 */
export function useSandboxAwsCredentials(env: NodeJS.ProcessEnv = process.env): () => void {
  const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'] as const;
  const saved = Object.fromEntries(names.map((n) => [n, env[n]]));
  for (const n of names) delete env[n];
  env.AWS_ACCESS_KEY_ID = awsSandboxCredentials.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY = awsSandboxCredentials.secretAccessKey;
  return () => {
    for (const n of names) {
      if (saved[n] === undefined) delete env[n];
      else env[n] = saved[n];
    }
  };
}
