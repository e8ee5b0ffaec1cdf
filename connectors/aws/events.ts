import { LookupEventsCommand, type LookupAttribute } from '@aws-sdk/client-cloudtrail';
import { z } from 'zod';
import { defineCollector, type EvidenceRecord } from '../../src/core/connector.js';
import { type AccountSession, type AwsApi } from './client.js';
import { parseResponse as parse } from '../../src/http/json-api.js';
import { eachRegionConcurrently, type AwsContext } from './scopes.js';
import { readAhead } from '../../src/core/concurrency.js';
import { incrementalWindow } from '../../src/core/incremental-window.js';
import { CollectError } from '../../src/core/errors.js';
import type { AwsSettings } from './settings.js';

export const cloudtrailEventPayload = z.object({
  account: z.string().describe('AWS account id.'),
  region: z.string().describe('Region whose event history it comes from.'),
  population: z.enum(['iam_change', 'console_sign_in']).describe('`iam_change`: a write call to IAM (users, keys, policies, groups, roles); `console_sign_in`: a ConsoleLogin.'),
  eventId: z.string().describe('CloudTrail event id.'),
  eventName: z.string().describe('API call or event (CreateAccessKey, AttachUserPolicy, ConsoleLogin).'),
  eventTime: z.string().describe('When it happened (UTC).'),
  username: z.string().nullable().describe('Who did it, as CloudTrail names them.'),
  sourceIpAddress: z.string().nullable().describe('Where the call came from.'),
  resources: z.array(z.object({ type: z.string().nullable().describe('Resource type.'), name: z.string().nullable().describe('Resource name.') })).describe('Resources the event names.'),
  signInResult: z.string().nullable().describe('ConsoleLogin result (Success or Failure); null for IAM changes.'),
  mfaUsed: z.boolean().nullable().describe('ConsoleLogin: whether MFA was used; null when CloudTrail does not say.'),
  errorCode: z.string().nullable().describe('The call\'s error code when it failed.'),
});
type EventPayload = z.output<typeof cloudtrailEventPayload>;

const populations: { population: EventPayload['population']; attribute: LookupAttribute; keep: (readOnly: string | undefined) => boolean }[] = [
  // IAM reads are noise for an access-change population: only calls that change something.
  { population: 'iam_change', attribute: { AttributeKey: 'EventSource', AttributeValue: 'iam.amazonaws.com' }, keep: (readOnly) => readOnly === 'false' },
  { population: 'console_sign_in', attribute: { AttributeKey: 'EventName', AttributeValue: 'ConsoleLogin' }, keep: () => true },
];

const lookupPage = z.object({
  Events: z
    .array(
      z.object({
        EventId: z.string(),
        EventName: z.string(),
        EventTime: z.date(),
        ReadOnly: z.string().optional(),
        Username: z.string().optional(),
        Resources: z.array(z.object({ ResourceType: z.string().optional(), ResourceName: z.string().optional() })).default([]),
        CloudTrailEvent: z.string().optional(),
      }),
    )
    .default([]),
  NextToken: z.string().optional(),
});

const eventDetail = z
  .object({
    sourceIPAddress: z.string().optional(),
    errorCode: z.string().optional(),
    responseElements: z.object({ ConsoleLogin: z.string().optional() }).nullable().optional(),
    additionalEventData: z.object({ MFAUsed: z.string().optional() }).nullable().optional(),
  })
  .loose();

/** CloudTrail may deliver an event up to about 15 minutes late: the next window starts that much earlier. */
const settleMs = 15 * 60_000;

async function* lookup(ctx: AwsContext, session: AccountSession, region: string, previous: Awaited<ReturnType<NonNullable<AwsContext['previous']>>>): AsyncGenerator<EvidenceRecord<EventPayload>> {
  const now = ctx.clock.now();
  const periodStart = new Date(now.getTime() - ctx.config.events.lookbackDays * 86_400_000);
  for (const { population, attribute, keep } of populations) {
    const window = incrementalWindow<EventPayload>({
      previous,
      inScope: (p) => p.account === session.account && p.region === region && p.population === population,
      periodStart,
      settleMs,
      createdAt: (p) => p.eventTime,
    });
    const fetchedIds = new Set<string>();
    // One page ahead: the next LookupEvents waits only for its pacing slot, never for this page's records to be stored.
    for await (const records of readAhead(pages(ctx, session, region, population, attribute, keep, window.since, now))) {
      for (const r of records) {
        if (fetchedIds.has(r.payload.eventId)) continue;
        fetchedIds.add(r.payload.eventId);
        yield r;
      }
    }
    for (const r of window.carried) if (!fetchedIds.has(r.payload.eventId)) yield r;
  }
}

/** The pages of one population's LookupEvents chain in one account and region, as records. */
async function* pages(
  ctx: AwsContext,
  session: AccountSession,
  region: string,
  population: EventPayload['population'],
  attribute: LookupAttribute,
  keep: (readOnly: string | undefined) => boolean,
  since: Date,
  now: Date,
): AsyncGenerator<EvidenceRecord<EventPayload>[]> {
  let token: string | undefined;
  do {
    const answered = await ctx.client.lookupEventsSlot(session.account, region);
    const { output, request } = await ctx.client
      .send<unknown>(session.cloudtrail(region), new LookupEventsCommand({ LookupAttributes: [attribute], StartTime: since, EndTime: now, MaxResults: 50, ...(token ? { NextToken: token } : {}) }), 'LookupEvents')
      .finally(answered);
    const page = parse(lookupPage, output, 'CloudTrail LookupEvents');
    const records: EvidenceRecord<EventPayload>[] = [];
    for (const e of page.Events) {
      if (!keep(e.ReadOnly)) continue;
      const d = e.CloudTrailEvent ? parse(eventDetail, eventJson(e.CloudTrailEvent, e.EventId), 'CloudTrail LookupEvents CloudTrailEvent') : {};
      const mfa = d.additionalEventData?.MFAUsed;
      records.push({
        subject: `${session.account}/${region}/${e.EventId}`,
        requests: [request],
        payload: {
          account: session.account,
          region,
          population,
          eventId: e.EventId,
          eventName: e.EventName,
          eventTime: e.EventTime.toISOString(),
          username: e.Username ?? null,
          sourceIpAddress: d.sourceIPAddress ?? null,
          resources: e.Resources.map((r) => ({ type: r.ResourceType ?? null, name: r.ResourceName ?? null })),
          signInResult: population === 'console_sign_in' ? (d.responseElements?.ConsoleLogin ?? null) : null,
          mfaUsed: population === 'console_sign_in' && mfa !== undefined ? mfa === 'Yes' : null,
          errorCode: d.errorCode ?? null,
        },
      });
    }
    token = page.NextToken;
    yield records;
  } while (token);
}

/** An event's `CloudTrailEvent` JSON; one that does not parse is a malformed answer, never an event without details. */
function eventJson(text: string, eventId: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CollectError('invalid_payload', `CloudTrail LookupEvents returned event ${eventId} whose CloudTrailEvent is not JSON`, { endpoint: 'CloudTrail LookupEvents' });
  }
}

export const eventsCollector = defineCollector<AwsApi, AwsSettings, typeof cloudtrailEventPayload>({
  id: 'events',
  kind: 'aws.cloudtrail_event.v1',
  title: 'IAM changes and console sign-ins from CloudTrail event history',
  description:
    'The populations an auditor samples for access changes: IAM write calls and console sign-ins in the look-back period, per account and region, from LookupEvents (2 requests per second per account and region), incrementally after the first run.',
  subject: 'account/region/event id',
  ttlHours: 36,
  payload: cloudtrailEventPayload,
  async *collect(ctx) {
    const previous = await ctx.previous?.();
    yield* eachRegionConcurrently(ctx, (session, region) => lookup(ctx, session, region, previous));
  },
});
