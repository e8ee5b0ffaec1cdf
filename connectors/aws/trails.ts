import { DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import { parse, type AwsApi } from './client.js';
import { eachAccount, iso } from './scopes.js';
import type { AwsSettings } from './settings.js';

const trailPayload = z.object({
  name: z.string().describe('Trail name.'),
  arn: z.string().describe('Trail ARN.'),
  homeRegion: z.string().describe('Region the trail was created in.'),
  multiRegion: z.boolean().describe('IsMultiRegionTrail: records events of every region.'),
  organizationTrail: z.boolean().describe('IsOrganizationTrail.'),
  logging: z.boolean().describe('GetTrailStatus IsLogging: the trail is recording now.'),
  latestDeliveryTime: z.string().nullable().describe('Last successful delivery of log files to S3 (UTC).'),
  logFileValidation: z.boolean().describe('LogFileValidationEnabled: digest files make tampering detectable.'),
  kmsKeyId: z.string().nullable().describe('KMS key encrypting the log files; null for S3-managed encryption only.'),
  s3BucketName: z.string().nullable().describe('S3 bucket the logs are delivered to.'),
  managementEventsRead: z.boolean().describe('Read management events are captured (basic or advanced event selectors).'),
  managementEventsWrite: z.boolean().describe('Write management events are captured.'),
  selectorType: z.enum(['basic', 'advanced']).describe('Whether the trail uses EventSelectors or AdvancedEventSelectors.'),
});

export const cloudtrailAccountPayload = z.object({
  account: z.string().describe('AWS account id.'),
  regionsQueried: z.array(z.string()).describe('Regions whose trails were listed (a region that failed is missing here and named in the outcome).'),
  trails: z.array(trailPayload).describe('Every trail visible from those regions (multi-region trails once), with status and event selectors.'),
});

const describeTrails = z.object({
  trailList: z
    .array(
      z.object({
        Name: z.string(),
        TrailARN: z.string(),
        HomeRegion: z.string(),
        IsMultiRegionTrail: z.boolean().optional(),
        IsOrganizationTrail: z.boolean().optional(),
        LogFileValidationEnabled: z.boolean().optional(),
        KmsKeyId: z.string().optional(),
        S3BucketName: z.string().optional(),
      }),
    )
    .default([]),
});
const trailStatus = z.object({ IsLogging: z.boolean().optional(), LatestDeliveryTime: z.date().optional() });
const fieldSelector = z.object({ Field: z.string(), Equals: z.array(z.string()).optional(), NotEquals: z.array(z.string()).optional() });
const eventSelectors = z.object({
  EventSelectors: z.array(z.object({ ReadWriteType: z.string().optional(), IncludeManagementEvents: z.boolean().optional() })).optional(),
  AdvancedEventSelectors: z.array(z.object({ FieldSelectors: z.array(fieldSelector) })).optional(),
});

/**
 * Which management events the selectors capture. Basic selectors: IncludeManagementEvents with
 * ReadWriteType All/ReadOnly/WriteOnly. Advanced selectors: a selector with `eventCategory =
 * Management`, narrowed by `readOnly = true|false` when present.
 */
export function managementCoverage(selectors: z.output<typeof eventSelectors>): { read: boolean; write: boolean; type: 'basic' | 'advanced' } {
  if (selectors.AdvancedEventSelectors?.length) {
    let read = false;
    let write = false;
    for (const s of selectors.AdvancedEventSelectors) {
      const category = s.FieldSelectors.find((f) => f.Field === 'eventCategory');
      if (!category?.Equals?.includes('Management')) continue;
      const readOnly = s.FieldSelectors.find((f) => f.Field === 'readOnly');
      const values = readOnly?.Equals ?? (readOnly?.NotEquals ? ['true', 'false'].filter((v) => !readOnly.NotEquals!.includes(v)) : ['true', 'false']);
      read ||= values.includes('true');
      write ||= values.includes('false');
    }
    return { read, write, type: 'advanced' };
  }
  let read = false;
  let write = false;
  for (const s of selectors.EventSelectors ?? []) {
    if (s.IncludeManagementEvents === false) continue;
    const type = s.ReadWriteType ?? 'All';
    read ||= type === 'All' || type === 'ReadOnly';
    write ||= type === 'All' || type === 'WriteOnly';
  }
  return { read, write, type: 'basic' };
}

export const trailsCollector = defineCollector<AwsApi, AwsSettings, typeof cloudtrailAccountPayload>({
  id: 'trails',
  kind: 'aws.cloudtrail_account.v1',
  title: 'CloudTrail trails per account: multi-region, logging, validation, encryption and management events',
  description:
    'One record per account listing every trail (DescribeTrails in each region, multi-region trails once) with GetTrailStatus and the event selectors; an account without any trail is a record with no trails.',
  subject: 'account id',
  ttlHours: 36,
  payload: cloudtrailAccountPayload,
  collect: (ctx) =>
    eachAccount(ctx, async function* (session) {
      const requests: RequestRef[] = [];
      const found = new Map<string, z.output<typeof describeTrails>['trailList'][number]>();
      const regionsQueried: string[] = [];
      let firstError: unknown;
      for (const region of ctx.config.regions) {
        try {
          const { output, request } = await ctx.client.send<unknown>(session.cloudtrail(region), new DescribeTrailsCommand({ includeShadowTrails: true }), 'DescribeTrails');
          requests.push(request);
          for (const t of parse(describeTrails, output, 'CloudTrail DescribeTrails').trailList) found.set(t.TrailARN, t);
          regionsQueried.push(region);
        } catch (error) {
          if (ctx.signal.aborted || !ctx.scopeFailed) throw error;
          firstError ??= error;
          ctx.scopeFailed(`account ${session.account} region ${region}`, error);
        }
      }
      if (regionsQueried.length === 0) throw firstError;
      const trails: z.output<typeof trailPayload>[] = [];
      for (const t of [...found.values()].sort((a, b) => a.TrailARN.localeCompare(b.TrailARN))) {
        // Status and selectors are asked in the trail's home region, where it lives.
        const client = session.cloudtrail(t.HomeRegion);
        const status = await ctx.client.send<unknown>(client, new GetTrailStatusCommand({ Name: t.TrailARN }), 'GetTrailStatus');
        const selectors = await ctx.client.send<unknown>(client, new GetEventSelectorsCommand({ TrailName: t.TrailARN }), 'GetEventSelectors');
        requests.push(status.request, selectors.request);
        const s = parse(trailStatus, status.output, 'CloudTrail GetTrailStatus');
        const coverage = managementCoverage(parse(eventSelectors, selectors.output, 'CloudTrail GetEventSelectors'));
        trails.push({
          name: t.Name,
          arn: t.TrailARN,
          homeRegion: t.HomeRegion,
          multiRegion: t.IsMultiRegionTrail ?? false,
          organizationTrail: t.IsOrganizationTrail ?? false,
          logging: s.IsLogging ?? false,
          latestDeliveryTime: iso(s.LatestDeliveryTime),
          logFileValidation: t.LogFileValidationEnabled ?? false,
          kmsKeyId: t.KmsKeyId ?? null,
          s3BucketName: t.S3BucketName ?? null,
          managementEventsRead: coverage.read,
          managementEventsWrite: coverage.write,
          selectorType: coverage.type,
        });
      }
      yield { subject: session.account, requests, payload: { account: session.account, regionsQueried, trails } };
    }),
});
