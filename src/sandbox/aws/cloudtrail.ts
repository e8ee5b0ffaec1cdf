/**
 * CloudTrail in its JSON 1.1 protocol: `POST /` with `X-Amz-Target:
 * com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Operation>`, JSON bodies, timestamps as
 * epoch seconds, errors as `{"__type": ..., "message": ...}`. Only the calls the connector makes.
 */
import { jsonResponse, type SandboxResponse } from '../http-server.js';
import type { AwsAccount, AwsWorld, Trail, TrailEvent } from './data.js';

const contentType = { 'content-type': 'application/x-amz-json-1.1' };

export function cloudtrailError(status: number, type: string, message: string, requestId: string): SandboxResponse {
  return jsonResponse(status, { __type: type, message }, { ...contentType, 'x-amzn-requestid': requestId });
}

const seconds = (ms: number) => ms / 1000;

function trailJson(trail: Trail, account: AwsAccount) {
  return {
    Name: trail.name,
    S3BucketName: trail.s3BucketName,
    IncludeGlobalServiceEvents: trail.multiRegion,
    IsMultiRegionTrail: trail.multiRegion,
    HomeRegion: trail.homeRegion,
    TrailARN: trail.arn,
    LogFileValidationEnabled: trail.logFileValidation,
    HasCustomEventSelectors: true,
    HasInsightSelectors: false,
    IsOrganizationTrail: false,
    ...(trail.kmsKeyId ? { KmsKeyId: trail.kmsKeyId } : {}),
    CloudWatchLogsLogGroupArn: `arn:aws:logs:${trail.homeRegion}:${account.id}:log-group:cloudtrail/${trail.name}:*`,
  };
}

/** Answers one CloudTrail operation for an account in a region. */
export function handleCloudtrail(
  world: AwsWorld,
  account: AwsAccount,
  region: string,
  operation: string,
  input: Record<string, unknown>,
  requestId: string,
  /** Matching events per query, so paging through a large history does not filter it again per page. */
  lookups: Map<string, TrailEvent[]> = new Map(),
): SandboxResponse {
  const ok = (value: unknown) => jsonResponse(200, value, { ...contentType, 'x-amzn-requestid': requestId });
  const findTrail = (name: unknown) => account.trails.find((t) => t.arn === name || t.name === name);
  switch (operation) {
    case 'DescribeTrails': {
      const shadows = input.includeShadowTrails !== false;
      const visible = account.trails.filter((t) => t.homeRegion === region || (shadows && t.multiRegion));
      return ok({ trailList: visible.map((t) => trailJson(t, account)) });
    }
    case 'GetTrailStatus': {
      const trail = findTrail(input.Name);
      if (!trail) return cloudtrailError(400, 'TrailNotFoundException', `Unknown trail: ${String(input.Name)} for the user: ${account.id}`, requestId);
      return ok({ IsLogging: trail.logging, ...(trail.logging ? { LatestDeliveryTime: seconds(world.now - 600_000), StartLoggingTime: seconds(world.now - 400 * 86_400_000) } : {}) });
    }
    case 'GetEventSelectors': {
      const trail = findTrail(input.TrailName);
      if (!trail) return cloudtrailError(400, 'TrailNotFoundException', `Unknown trail: ${String(input.TrailName)} for the user: ${account.id}`, requestId);
      return ok({
        TrailARN: trail.arn,
        ...('basic' in trail.selectors
          ? { EventSelectors: trail.selectors.basic.map((s) => ({ ...s, DataResources: [], ExcludeManagementEventSources: [] })) }
          : { AdvancedEventSelectors: trail.selectors.advanced }),
      });
    }
    case 'LookupEvents':
      return lookupEvents(account, region, input, ok, lookups);
    default:
      return cloudtrailError(400, 'UnknownOperationException', `Unknown operation ${operation}`, requestId);
  }
}

function lookupEvents(account: AwsAccount, region: string, input: Record<string, unknown>, ok: (v: unknown) => SandboxResponse, lookups: Map<string, TrailEvent[]>): SandboxResponse {
  const attributes = (input.LookupAttributes as { AttributeKey: string; AttributeValue: string }[] | undefined) ?? [];
  const start = typeof input.StartTime === 'number' ? input.StartTime * 1000 : 0;
  const end = typeof input.EndTime === 'number' ? input.EndTime * 1000 : Number.MAX_SAFE_INTEGER;
  const max = Math.min(Number(input.MaxResults ?? 50) || 50, 50);
  const offset = typeof input.NextToken === 'string' ? Number(Buffer.from(input.NextToken, 'base64').toString('utf8')) : 0;
  const key = JSON.stringify([account.id, region, attributes, start, end]);
  let matching = lookups.get(key);
  if (!matching) {
    matching = account.events.filter((e) => {
      if (e.region !== region || e.time < start || e.time > end) return false;
      return attributes.every((a) => (a.AttributeKey === 'EventSource' ? e.source === a.AttributeValue : a.AttributeKey === 'EventName' ? e.name === a.AttributeValue : true));
    });
    lookups.set(key, matching);
  }
  const page = matching.slice(offset, offset + max);
  return ok({
    Events: page.map((e) => ({
      EventId: e.id,
      EventName: e.name,
      ReadOnly: String(e.readOnly),
      EventTime: seconds(e.time),
      EventSource: e.source,
      Username: e.username,
      Resources: e.resources,
      CloudTrailEvent: JSON.stringify({
        eventVersion: '1.09',
        userIdentity: { type: 'IAMUser', accountId: account.id, userName: e.username },
        eventTime: new Date(e.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        eventSource: e.source,
        eventName: e.name,
        awsRegion: region,
        sourceIPAddress: e.sourceIp,
        readOnly: e.readOnly,
        eventID: e.id,
        eventType: e.signIn ? 'AwsConsoleSignIn' : 'AwsApiCall',
        recipientAccountId: account.id,
        ...(e.signIn ? { responseElements: { ConsoleLogin: e.signIn.result }, additionalEventData: { MFAUsed: e.signIn.mfaUsed ? 'Yes' : 'No', LoginTo: 'https://console.aws.amazon.com/' } } : {}),
      }),
    })),
    ...(offset + max < matching.length ? { NextToken: Buffer.from(String(offset + max)).toString('base64') } : {}),
  });
}
