import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { BackupClient } from '@aws-sdk/client-backup';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { AdaptiveRetryStrategy } from '@smithy/core/retry';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, HttpRequest, RetryErrorInfo, RetryStrategyV2, RetryToken, StandardRetryToken } from '@smithy/types';
import { z } from 'zod';
import type { Clock } from '../../src/core/clock.js';
import type { ConnectorIO, RequestRef } from '../../src/core/connector.js';
import { CollectError, codeForHttpStatus, collectErrorIn, type ClassifiedError } from '../../src/core/errors.js';
import { toolName } from '../../src/core/version.js';
import { sanitizeUrl } from '../../src/http/sanitize-url.js';
import { parseResponse as parse } from '../../src/http/json-api.js';
import type { AwsSettings } from './settings.js';

const answeredRequest = Symbol('annexa.awsRequest');
const failedOperation = Symbol('annexa.awsOperation');

/** The request an AWS error answered, when {@link AwsApi.send} sent it. */
export function requestOf(error: unknown): RequestRef | undefined {
  return error instanceof Error ? (error as Error & { [answeredRequest]?: RequestRef })[answeredRequest] : undefined;
}

/** IAM and STS answer for the whole partition from one global endpoint, signed for us-east-1. */
const globalRegion = 'us-east-1';

/** An account Annexa collects from: the ambient one, or one reached by assuming a role. */
export interface AccountTarget {
  id: string;
  /** ARN of the role assumed in it; null for the ambient credentials' own account. */
  roleArn: string | null;
}

/** One AWS call's answer and the request it came from (the record's provenance). */
export interface Called<T> {
  output: T;
  request: RequestRef;
}

/** Anything `send` can call: an SDK client and one of its commands. */
interface SdkClient {
  send(command: never, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}
interface SdkCommand {
  middlewareStack: {
    add(middleware: unknown, options: { step: 'build'; name: string }): void;
    add(middleware: unknown, options: { step: 'deserialize'; name: string; priority: 'low' }): void;
  };
}

/** The SDK clients of one account, created on first use and reused for the run. */
export class AccountSession {
  private readonly cloudtrailClients = new Map<string, CloudTrailClient>();
  private readonly backupClients = new Map<string, BackupClient>();
  readonly iam: IAMClient;

  constructor(
    readonly account: string,
    private readonly make: <C>(Client: new (config: object) => C, region: string, endpoint: string | undefined) => C,
    private readonly endpoints: AwsSettings['endpoints'],
  ) {
    this.iam = make(IAMClient, globalRegion, endpoints.iam);
  }

  cloudtrail(region: string): CloudTrailClient {
    let client = this.cloudtrailClients.get(region);
    if (!client) this.cloudtrailClients.set(region, (client = this.make(CloudTrailClient, region, this.endpoints.cloudtrail)));
    return client;
  }

  backup(region: string): BackupClient {
    let client = this.backupClients.get(region);
    if (!client) this.backupClients.set(region, (client = this.make(BackupClient, region, this.endpoints.backup)));
    return client;
  }
}

/**
 * Added to the 1 s between a LookupEvents call and the one two calls later, for what the time a
 * request takes to reach CloudTrail varies between calls (connection reuse, scheduling).
 */
export const lookupMarginMs = 25;
/** One paced LookupEvents call: when it was handed to the SDK, when its answer came back (and a promise of that). */
interface LookupCall {
  startedAt: number;
  answeredAt?: number;
  answer: Promise<void>;
}
/** LookupEvents answers seen before their shortest round trip is trusted as the time a call takes when nothing holds it back. */
const trustedRoundTrips = 8;

/**
 * The AWS side of the connector: the standard credential chain (environment, profile, container
 * or instance role, web identity), one role assumed per configured account, and SDK clients whose
 * HTTP goes through the shared HTTP layer (queue, timeouts, network and 5xx retries). AWS
 * throttling (`Throttling`, `ThrottlingException` in a 400 answer) is retried by the SDK's
 * adaptive retry mode up to `maxAttempts`, then surfaces as `rate_limited`.
 */
export class AwsApi {
  private readonly ambient: AwsCredentialIdentityProvider;
  private readonly sts: STSClient;
  private accountsPromise: Promise<AccountTarget[]> | undefined;
  private readonly sessions = new Map<string, Promise<AccountSession>>();
  /** Per account and region: the last two LookupEvents calls (started, answered). */
  private readonly lookupPacing = new Map<string, { calls: LookupCall[] }>();
  /** LookupEvents round trips of every account and region (one endpoint): how many came back, and the shortest. */
  private readonly lookupRoundTrips = { count: 0, shortest: Infinity };

  constructor(
    readonly settings: AwsSettings,
    private readonly io: ConnectorIO,
    /** Injectable for tests; production uses the SDK's default provider chain. */
    ambient?: AwsCredentialIdentityProvider,
  ) {
    this.ambient = ambient ?? fromNodeProviderChain();
    this.sts = this.makeClient(STSClient, settings.regions[0]!, settings.endpoints.sts, this.ambient);
  }

  get clock(): Clock {
    return this.io.clock;
  }

  /** The accounts to collect: the configured ones, or the ambient credentials' account (GetCallerIdentity). */
  accounts(): Promise<AccountTarget[]> {
    this.accountsPromise ??= (async () => {
      if (this.settings.accounts) {
        return this.settings.accounts.map((a) => ({ id: a.id, roleArn: `arn:aws:iam::${a.id}:role/${a.roleName}` }));
      }
      const { output } = await this.send(this.sts, new GetCallerIdentityCommand({}), 'GetCallerIdentity');
      const identity = parse(z.object({ Account: z.string().regex(/^\d{12}$/) }), output, 'STS GetCallerIdentity');
      return [{ id: identity.Account, roleArn: null }];
    })();
    return this.accountsPromise;
  }

  /**
   * The clients for one account. With a role, AssumeRole runs first (once per run, renewed before
   * the session expires), so an AccessDenied surfaces here and fails only this account.
   */
  session(target: AccountTarget): Promise<AccountSession> {
    let session = this.sessions.get(target.id);
    if (!session) {
      session = (async () => {
        const credentials = target.roleArn ? await this.assumedRoleProvider(target.roleArn) : this.ambient;
        return new AccountSession(target.id, (Client, region, endpoint) => this.makeClient(Client, region, endpoint, credentials), this.settings.endpoints);
      })();
      // A failed AssumeRole is remembered for the run: every collector reports the same failure without asking again.
      this.sessions.set(target.id, session);
    }
    return session;
  }

  /**
   * Sends one command and returns its output with a {@link RequestRef}. The URL is captured as the
   * SDK built it; for the JSON and query protocols (everything POSTed to `/`) the operation is
   * appended as a fragment so the provenance names the call.
   *
   * `base64Member`: an XML answer's element holding a large base64 text (the credential report's
   * `Content`), taken out of the answer's bytes before the SDK parses it and decoded here. The
   * SDK's XML parser builds a text one character at a time: for the 3.4 MB report of 10,000 users
   * that was a chain of 3.4 million strings, about 130 MB of heap at once, which set the peak RSS
   * of a whole collection (bench/HISTORY.md). The member is set on the output as the SDK would set
   * a blob (bytes); an answer without the element is parsed as it is.
   */
  async send<T>(client: SdkClient, command: SdkCommand, operation: string, options: { base64Member?: string } = {}): Promise<Called<T>> {
    let method = 'POST';
    let url = '';
    let lifted: Buffer | undefined;
    const member = options.base64Member;
    if (member) {
      // In the deserialize step, after the deserializer (low priority): it sees the answer first.
      command.middlewareStack.add(
        (next: (args: unknown) => Promise<{ response: { statusCode?: number; body?: unknown } }>) => async (args: unknown) => {
          const result = await next(args);
          const { response } = result;
          if (response.statusCode === 200 && response.body instanceof Uint8Array) {
            const lift = liftElement(Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength), member);
            if (lift) {
              lifted = Buffer.from(lift.text.toString('latin1'), 'base64');
              response.body = lift.rest;
            }
          }
          return result;
        },
        { step: 'deserialize', name: 'annexaLiftBase64Member', priority: 'low' },
      );
    }
    command.middlewareStack.add(
      (next: (args: { request: HttpRequest }) => Promise<unknown>) => (args: { request: HttpRequest }) => {
        method = args.request.method;
        url = requestUrl(args.request);
        return next(args);
      },
      { step: 'build', name: 'annexaRequestRef' },
    );
    const ref = (metadata: { httpStatusCode?: number; requestId?: string } | undefined): RequestRef => {
      const safe = sanitizeUrl(url);
      return {
        method,
        url: new URL(safe).pathname === '/' ? `${safe}#${operation}` : safe,
        status: metadata?.httpStatusCode ?? 0,
        ...(metadata?.requestId ? { requestId: metadata.requestId } : {}),
        at: this.io.clock.now().toISOString(),
      };
    };
    type Metadata = { $metadata?: { httpStatusCode?: number; requestId?: string } };
    let output: T & Metadata;
    try {
      output = (await client.send(command as never, { abortSignal: this.io.signal })) as T & Metadata;
    } catch (error) {
      const request = url ? ref((error as Metadata).$metadata) : undefined;
      // The shared HTTP layer's failure (timeout, reset) names only the URL, `/` for most AWS calls.
      const transport = collectErrorIn(error);
      if (transport) throw new CollectError(transport.code, `${operation}: ${transport.message}`, { cause: error, endpoint: request?.url ?? operation });
      // The SDK could not parse the answer (cut or malformed XML/JSON): an invalid payload, not an AWS error.
      if (error instanceof Error && '$response' in error && !('$fault' in error)) {
        throw new CollectError('invalid_payload', `${operation} returned a body that does not parse: ${error.message.split('\n')[0]}`, { cause: error, endpoint: request?.url ?? operation });
      }
      // An AWS error answer is provenance too (a NoSuchEntity that proves a policy is absent).
      if (request && error instanceof Error) Object.assign(error, { [answeredRequest]: request });
      if (error instanceof Error) Object.assign(error, { [failedOperation]: operation });
      throw error;
    }
    if (member && lifted) (output as Record<string, unknown>)[member] = lifted;
    return { output, request: ref(output.$metadata) };
  }

  /**
   * Waits so that LookupEvents stays within its 2 requests per second per account and region, as
   * CloudTrail counts them: on arrival, so no three calls may arrive within one second. A call
   * starts at least 500 ms after the previous one and at least 1 s (plus {@link lookupMarginMs})
   * after the one before that, measured between the times they were handed to the SDK, which is
   * when they would arrive if nothing held them back. Something can: the shared HTTP queue may
   * hold a request behind other calls of the connector (the benchmark once measured 79 throttled
   * calls of 451 that way). Such a delay shows as a round trip longer than the shortest one seen
   * (over every account and region, once {@link trustedRoundTrips} came back), and is added to
   * the wait. And a request arrived no later than its
   * answer came back, so 1 s after the answer to the call before the previous one is always
   * enough: the wait never exceeds that. Pairs of calls are then 1 s + the margin apart, not 1 s
   * plus a round trip. Call the returned function when the answer (or error) has come back.
   */
  async lookupEventsSlot(account: string, region: string): Promise<() => void> {
    const key = `${account}/${region}`;
    const pacing = this.lookupPacing.get(key) ?? { calls: [] };
    this.lookupPacing.set(key, pacing);
    const roundTrips = this.lookupRoundTrips;
    const last = pacing.calls.at(-1);
    const beforeLast = pacing.calls.length >= 2 ? pacing.calls.at(-2) : undefined;
    let earliest = last ? last.startedAt + 500 : -Infinity;
    // Asked before the call two back was answered (no caller does today; cheap to be safe): that answer comes first.
    if (beforeLast && beforeLast.answeredAt === undefined) await beforeLast.answer;
    if (beforeLast) {
      const answered = beforeLast.answeredAt!;
      // The shortest round trip is trusted once a few calls came back: the first ones of a run often wait in the queue behind every collector's first calls.
      const heldBack = roundTrips.count >= trustedRoundTrips ? answered - beforeLast.startedAt - roundTrips.shortest : Infinity;
      const bySend = beforeLast.startedAt + 1000 + lookupMarginMs + heldBack;
      earliest = Math.max(earliest, Math.min(bySend, answered + 1000));
    }
    const wait = earliest - this.io.clock.now().getTime();
    if (wait > 0) await this.io.clock.sleep(wait, this.io.signal);
    let answer!: () => void;
    const call: LookupCall = { startedAt: this.io.clock.now().getTime(), answer: new Promise<void>((resolve) => (answer = resolve)) };
    pacing.calls = [...pacing.calls.slice(-1), call];
    return () => {
      if (call.answeredAt !== undefined) return;
      call.answeredAt = this.io.clock.now().getTime();
      answer();
      roundTrips.shortest = Math.min(roundTrips.shortest, call.answeredAt - call.startedAt);
      roundTrips.count += 1;
    };
  }

  private async assumedRoleProvider(roleArn: string): Promise<AwsCredentialIdentityProvider> {
    const assume = async (): Promise<AwsCredentialIdentity> => {
      const { output } = await this.send(
        this.sts,
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: toolName,
          DurationSeconds: 3600,
          ...(this.settings.externalId ? { ExternalId: this.settings.externalId.reveal() } : {}),
        }),
        'AssumeRole',
      );
      const { Credentials } = parse(assumeRoleOutput, output, 'STS AssumeRole');
      return {
        accessKeyId: Credentials.AccessKeyId,
        secretAccessKey: Credentials.SecretAccessKey,
        sessionToken: Credentials.SessionToken,
        expiration: Credentials.Expiration,
      };
    };
    let current = await assume();
    let renewing: Promise<AwsCredentialIdentity> | undefined;
    return async () => {
      // Renew five minutes before expiry: a long collection must not fail halfway with ExpiredToken.
      if (current.expiration && current.expiration.getTime() - this.io.clock.now().getTime() < 300_000) {
        renewing ??= assume().finally(() => (renewing = undefined));
        current = await renewing;
      }
      return current;
    };
  }

  private makeClient<C>(Client: new (config: object) => C, region: string, endpoint: string | undefined, credentials: AwsCredentialIdentityProvider): C {
    return new Client({
      region,
      credentials,
      ...(endpoint ? { endpoint } : {}),
      requestHandler: sharedHttpHandler(this.io.fetch),
      maxAttempts: this.settings.maxAttempts,
      retryStrategy: new ThrottlingRetryStrategy(this.settings.maxAttempts),
      logger: { debug: () => undefined, info: () => undefined, warn: (m: unknown) => this.io.logger.warn(String(m)), error: () => undefined },
    });
  }
}

const assumeRoleOutput = z.object({
  Credentials: z.object({ AccessKeyId: z.string(), SecretAccessKey: z.string(), SessionToken: z.string(), Expiration: z.date().optional() }),
});

/**
 * The SDK's adaptive retry (client-side rate limiting that slows down when AWS throttles),
 * restricted to throttling: 5xx answers, network errors and timeouts are already retried by the
 * shared HTTP layer underneath, and retrying them here too would multiply the attempts.
 */
class ThrottlingRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'adaptive';
  private readonly adaptive: AdaptiveRetryStrategy;
  constructor(maxAttempts: number) {
    this.adaptive = new AdaptiveRetryStrategy(maxAttempts);
  }
  acquireInitialRetryToken(scope: string): Promise<RetryToken> {
    return this.adaptive.acquireInitialRetryToken(scope);
  }
  refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    // Rejecting makes the SDK rethrow the original error.
    if (errorInfo.errorType !== 'THROTTLING') return Promise.reject(new Error('not a throttling error'));
    return this.adaptive.refreshRetryTokenForRetry(token as StandardRetryToken, errorInfo);
  }
  recordSuccess(token: RetryToken): void {
    this.adaptive.recordSuccess(token as StandardRetryToken);
  }
}

/**
 * The text of the first `<name>…</name>` of an XML answer, and the answer with that text taken
 * out (`<name></name>`), or undefined when the element is not there. Bytes in, bytes out: the
 * large text never becomes a string of its own until it is decoded.
 */
export function liftElement(xml: Buffer, name: string): { text: Buffer; rest: Buffer } | undefined {
  const open = Buffer.from(`<${name}>`);
  const start = xml.indexOf(open);
  if (start < 0) return undefined;
  const end = xml.indexOf(`</${name}>`, start + open.length);
  if (end < 0) return undefined;
  const from = start + open.length;
  return { text: xml.subarray(from, end), rest: Buffer.concat([xml.subarray(0, from), xml.subarray(end)]) };
}

/** An SDK request handler that sends through the shared HTTP layer's `fetch`. */
function sharedHttpHandler(fetch: typeof globalThis.fetch) {
  return {
    async handle(request: HttpRequest, options?: { abortSignal?: AbortSignal | { aborted: boolean } }) {
      const headers: Record<string, string> = {};
      // fetch sets Host and Content-Length itself (to the same values the signature covers).
      for (const [name, value] of Object.entries(request.headers)) if (!/^(host|content-length)$/i.test(name)) headers[name] = value;
      const signal = options?.abortSignal instanceof AbortSignal ? options.abortSignal : undefined;
      const response = await fetch(requestUrl(request), {
        method: request.method,
        headers,
        ...(request.body !== undefined && request.body !== null ? { body: request.body as NonNullable<RequestInit["body"]> } : {}),
        ...(signal ? { signal } : {}),
      });
      const body = new Uint8Array(await response.arrayBuffer());
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => (responseHeaders[name] = value));
      return { response: { statusCode: response.status, reason: response.statusText, headers: responseHeaders, body } };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };
}

function requestUrl(request: HttpRequest): string {
  const query = Object.entries(request.query ?? {})
    .flatMap(([key, value]) => (value === null || value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((v) => `${escape(key)}=${escape(v)}`)))
    .join('&');
  const port = request.port ? `:${request.port}` : '';
  return `${request.protocol}//${request.hostname}${port}${request.path}${query ? `?${query}` : ''}`;
}

/** RFC 3986 escaping, as SigV4 canonicalises it. */
function escape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const throttlingNames = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown']);
const authNames = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'IncompleteSignature',
  'CredentialsProviderError',
]);
const deniedNames = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'RegionDisabledException', 'OptInRequired']);

/**
 * AWS errors by their `name` (the error code AWS sent), never by message text. Errors that already
 * carry a stable code (the shared HTTP layer's) are left to the generic classification.
 */
export function classifyAwsError(error: unknown): ClassifiedError | undefined {
  if (collectErrorIn(error)) return undefined;
  const sdk = error as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  const name = typeof sdk?.name === 'string' ? sdk.name : '';
  // Named by the call (`GetAccountAuthorizationDetails: AccessDenied: ...`), as every connector names the endpoint.
  const operation = error instanceof Error ? (error as Error & { [failedOperation]?: string })[failedOperation] : undefined;
  const message = `${operation ? `${operation}: ` : ''}${name}: ${typeof sdk?.message === 'string' ? sdk.message : String(error)}`;
  if (throttlingNames.has(name)) return { code: 'rate_limited', message: `AWS kept throttling after the retry bound: ${message}` };
  if (authNames.has(name)) return { code: 'auth_failed', message };
  if (deniedNames.has(name)) return { code: 'permission_denied', message };
  const status = sdk?.$metadata?.httpStatusCode;
  const code = status === undefined ? undefined : codeForHttpStatus(status);
  return code ? { code, message: `HTTP ${status}: ${message}` } : undefined;
}
