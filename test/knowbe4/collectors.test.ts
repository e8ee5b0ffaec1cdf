import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { FakeClock, NOW, useNock } from '../github/harness.js';
import { silentLogger } from '../../src/core/logger.js';
import { Secret } from '../../src/core/secret.js';
import { classifyError } from '../../src/core/errors.js';
import { createHttpFetch, defaultHttpPolicy } from '../../src/http/http-fetch.js';
import type { CollectorDefinition } from '../../src/core/connector.js';
import { KnowBe4Api } from '../../connectors/knowbe4/client.js';
import { campaignsCollector, enrollmentsCollector, phishingTestsCollector, relativeDurationMs, usersCollector } from '../../connectors/knowbe4/collectors.js';
import type { KnowBe4Settings } from '../../connectors/knowbe4/settings.js';

useNock();

const TOKEN = 'kb4-test-token-not-a-secret-0123456789';
const EU = 'https://eu.api.knowbe4.com';

function harness(settings: Partial<KnowBe4Settings> = {}) {
  const clock = new FakeClock();
  const logger = silentLogger();
  const fetch = createHttpFetch({ policy: { ...defaultHttpPolicy, backoffBaseMs: 1, maxRetries: 2 }, fetch: globalThis.fetch, clock, logger });
  const signal = new AbortController().signal;
  const config: KnowBe4Settings = { region: 'eu', token: new Secret(TOKEN, 'env:KB4'), ...settings };
  return { client: KnowBe4Api.create(config, { fetch, clock, logger, signal }), config, clock, logger, signal };
}

async function collect(collector: CollectorDefinition<KnowBe4Api, KnowBe4Settings, any>, h: ReturnType<typeof harness>) { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out: { subject: string; payload: unknown; requests: readonly { url: string }[] }[] = [];
  for await (const r of collector.collect({ client: h.client, config: h.config, instanceId: 'kb4', clock: h.clock, logger: h.logger, signal: h.signal })) out.push(r);
  return out;
}

const kb4 = (base = EU) => nock(base, { reqheaders: { authorization: `Bearer ${TOKEN}` } });

/** A `/v1/users` item as the Reporting API sends it. */
function user(id: number, email: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    employee_number: `E${id}`,
    first_name: email.split('.')[0],
    last_name: 'Doe',
    job_title: 'Engineer',
    email,
    phish_prone_percentage: 12.5,
    phone_number: null,
    location: 'Berlin',
    division: null,
    manager_name: null,
    manager_email: 'boss@acme.example',
    provisioning_managed: false,
    provisioning_guid: null,
    groups: [3264],
    current_risk_score: 34.2,
    aliases: [],
    joined_on: '2025-01-10T09:00:00.000Z',
    last_sign_in: '2026-11-01T08:12:00.000Z',
    status: 'active',
    organization: 'Acme',
    department: 'Engineering',
    language: 'English - United States',
    comment: null,
    employee_start_date: '2025-01-06T00:00:00.000Z',
    archived_at: null,
    custom_field_1: null,
    ...extra,
  };
}

describe('knowbe4', () => {
  it('uses the regional base URL and pages at 500 until a short page', async () => {
    const full = Array.from({ length: 500 }, (_, i) => user(1000 + i, `user${i}@acme.example`));
    kb4().get('/v1/users').query({ page: '1', per_page: '500' }).reply(200, full);
    kb4().get('/v1/users').query({ page: '2', per_page: '500' }).reply(200, [user(2000, 'Ann.Lee@acme.example', { status: 'archived', archived_at: '2026-10-02T10:00:00.000Z' })]);
    const records = await collect(usersCollector, harness());
    expect(records).toHaveLength(501);
    expect(records[500]).toEqual({
      subject: 'ann.lee@acme.example',
      requests: [{ method: 'GET', url: `${EU}/v1/users?page=2&per_page=500`, status: 200, at: NOW.toISOString() }],
      payload: {
        id: 2000,
        email: 'ann.lee@acme.example',
        name: 'Ann Doe',
        status: 'archived',
        employeeNumber: 'E2000',
        department: 'Engineering',
        managerEmail: 'boss@acme.example',
        joinedOn: '2025-01-10T09:00:00.000Z',
        lastSignIn: '2026-11-01T08:12:00.000Z',
        employeeStartDate: '2025-01-06T00:00:00.000Z',
        archivedAt: '2026-10-02T10:00:00.000Z',
        phishPronePercentage: 12.5,
      },
    });
  });

  it('gives enrollments the due date of their campaign (fixed end, or enrollment plus relative duration), fetching campaigns once', async () => {
    const h = harness({ region: 'us', baseUrl: 'https://kb4.proxy.test/' });
    const base = 'https://kb4.proxy.test';
    kb4(base).get('/v1/training/campaigns').query({ page: '1', per_page: '500' }).once().reply(200, [
      { campaign_id: 7, name: 'Annual 2026', groups: [{ group_id: 0, name: 'All Users' }], status: 'In Progress', content: [{ name: '2026 Security Awareness Training' }], duration_type: 'Specific End Date', start_date: '2026-02-01T00:00:00.000Z', end_date: '2026-03-01T00:00:00.000Z', relative_duration: null, auto_enroll: false, allow_multiple_enrollments: false, completion_percentage: 93 },
      { campaign_id: 8, name: 'New hires', groups: [], status: 'In Progress', content: [{ name: 'Onboarding Security Basics' }], duration_type: 'Relative End Date', start_date: '2024-01-01T00:00:00.000Z', end_date: null, relative_duration: '2 weeks', auto_enroll: true, allow_multiple_enrollments: false, completion_percentage: 71 },
    ]);
    kb4(base).get('/v1/training/enrollments').query({ include_campaign_id: 'true', page: '1', per_page: '500' }).reply(200, [
      { enrollment_id: 1, content_type: 'Training Module', module_name: '2026 Security Awareness Training', user: { id: 11, first_name: 'Jo', last_name: 'Park', email: 'Jo.Park@acme.example' }, campaign_name: 'Annual 2026', campaign_id: 7, enrollment_date: '2026-02-01T08:00:00.000Z', start_date: '2026-02-03T09:00:00.000Z', completion_date: '2026-02-03T09:40:00.000Z', status: 'Passed', time_spent: 2400, policy_acknowledged: false },
      { enrollment_id: 2, content_type: 'Training Module', module_name: 'Onboarding Security Basics', user: { id: 12, first_name: 'Al', last_name: 'Ng', email: 'al.ng@acme.example' }, campaign_name: 'New hires', enrollment_date: '2026-11-02T08:00:00.000Z', start_date: null, completion_date: null, status: 'Past Due', time_spent: 0, policy_acknowledged: false },
    ]);
    const enrollments = await collect(enrollmentsCollector, h);
    const campaigns = await collect(campaignsCollector, h);
    expect(enrollments.map((r) => r.payload)).toEqual([
      { enrollmentId: 1, userId: 11, email: 'jo.park@acme.example', module: '2026 Security Awareness Training', contentType: 'Training Module', campaignId: 7, campaign: 'Annual 2026', enrolledAt: '2026-02-01T08:00:00.000Z', startedAt: '2026-02-03T09:00:00.000Z', completedAt: '2026-02-03T09:40:00.000Z', dueAt: '2026-03-01T00:00:00.000Z', status: 'Passed' },
      { enrollmentId: 2, userId: 12, email: 'al.ng@acme.example', module: 'Onboarding Security Basics', contentType: 'Training Module', campaignId: 8, campaign: 'New hires', enrolledAt: '2026-11-02T08:00:00.000Z', startedAt: null, completedAt: null, dueAt: '2026-11-16T08:00:00.000Z', status: 'Past Due' },
    ]);
    expect(enrollments[0]!.requests.map((r) => r.url)).toEqual([
      `${base}/v1/training/enrollments?include_campaign_id=true&page=1&per_page=500`,
      `${base}/v1/training/campaigns?page=1&per_page=500`,
    ]);
    expect(campaigns.map((r) => r.payload)).toMatchObject([{ campaignId: 7, autoEnroll: false, endDate: '2026-03-01T00:00:00.000Z', modules: ['2026 Security Awareness Training'] }, { campaignId: 8, autoEnroll: true, relativeDuration: '2 weeks' }]);
  });

  it('reads phishing security tests', async () => {
    kb4().get('/v1/phishing/security_tests').query({ page: '1', per_page: '500' }).reply(200, [
      { campaign_id: 242333, pst_id: 1, status: 'Closed', name: 'Corporate Test', groups: [], phish_prone_percentage: 4.2, started_at: '2026-10-10T14:00:00.000Z', duration: 3, categories: [], template: {}, landing_page: {}, scheduled_count: 200, delivered_count: 198, opened_count: 120, clicked_count: 8, replied_count: 0, attachment_open_count: 0, macro_enabled_count: 0, data_entered_count: 2, qr_code_scanned_count: 0, reported_count: 61, bounced_count: 2 },
    ]);
    expect((await collect(phishingTestsCollector, harness())).map((r) => r.payload)).toEqual([
      { pstId: 1, campaignId: 242333, name: 'Corporate Test', status: 'Closed', startedAt: '2026-10-10T14:00:00.000Z', phishPronePercentage: 4.2, delivered: 198, clicked: 8, dataEntered: 2, reported: 61 },
    ]);
  });

  it('keeps to 4 requests a second on its own: no five calls within a second, each a quarter second after the last', async () => {
    const clock = new FakeClock(NOW, true);
    const logger = silentLogger();
    const fetch = createHttpFetch({ policy: defaultHttpPolicy, fetch: globalThis.fetch, clock, logger });
    const config: KnowBe4Settings = { region: 'eu', token: new Secret(TOKEN, 'env:KB4') };
    const h = { client: KnowBe4Api.create(config, { fetch, clock, logger, signal: new AbortController().signal }), config, clock, logger, signal: new AbortController().signal };
    const arrivals: number[] = [];
    for (let page = 1; page <= 6; page++) {
      const items = Array.from({ length: page < 6 ? 500 : 3 }, (_, i) => user(page * 1000 + i, `u${page}.${i}@acme.example`));
      kb4().get('/v1/users').query({ page: String(page), per_page: '500' }).reply(() => {
        arrivals.push(clock.now().getTime());
        return [200, items];
      });
    }
    expect(await collect(usersCollector, h as never)).toHaveLength(2503);
    expect(arrivals).toHaveLength(6);
    for (let i = 1; i < arrivals.length; i++) expect(arrivals[i]! - arrivals[i - 1]!).toBeGreaterThanOrEqual(250);
    for (let i = 4; i < arrivals.length; i++) expect(arrivals[i]! - arrivals[i - 4]!).toBeGreaterThanOrEqual(1000);
  });

  it('counts the second between calls from the answer four back as its headers came, not from when its page was read', async () => {
    const clock = new FakeClock(NOW, true);
    const starts: number[] = [];
    // Headers at once; reading each 500-user body takes 100 ms.
    const fetch = (async (url: string | URL | Request) => {
      const page = Number(new URL(String(url)).searchParams.get('page'));
      starts.push(clock.now().getTime());
      const items = Array.from({ length: page < 6 ? 500 : 3 }, (_, i) => user(page * 1000 + i, `u${page}.${i}@acme.example`));
      const body = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            await clock.sleep(100);
            controller.enqueue(new TextEncoder().encode(JSON.stringify(items)));
            controller.close();
          },
        },
        { highWaterMark: 0 },
      );
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof globalThis.fetch;
    const config: KnowBe4Settings = { region: 'eu', token: new Secret(TOKEN, 'env:KB4') };
    const signal = new AbortController().signal;
    const h = { client: KnowBe4Api.create(config, { fetch, clock, logger: silentLogger(), signal }), config, clock, logger: silentLogger(), signal };
    expect(await collect(usersCollector, h as never)).toHaveLength(2503);
    const at = starts.map((s) => s - starts[0]!);
    // A quarter second apart; the fifth call 1 s after the first call's headers (at 0), not after its body was read (at 100).
    expect(at).toEqual([0, 250, 500, 750, 1000, 1250]);
  });

  it('honours 429 Retry-After', async () => {
    const h = harness();
    kb4().get('/v1/users').query({ page: '1', per_page: '500' }).reply(429, { message: 'API Limit Reached' }, { 'retry-after': '2' });
    kb4().get('/v1/users').query({ page: '1', per_page: '500' }).reply(200, [user(1, 'a.b@acme.example')]);
    expect((await collect(usersCollector, h)).map((r) => r.subject)).toEqual(['a.b@acme.example']);
    expect(h.clock.sleeps).toEqual([2000]);
  });

  it('fails with auth_failed on 401 and never shows the token', async () => {
    kb4().get('/v1/users').query({ page: '1', per_page: '500' }).reply(401, { message: 'Invalid Authentication Token' });
    const error = await collect(usersCollector, harness()).catch((e: unknown) => e);
    const classified = classifyError(error);
    expect(classified).toEqual({ code: 'auth_failed', message: `HTTP 401: GET ${EU}/v1/users?page=1&per_page=500: Invalid Authentication Token` });
    expect(JSON.stringify(classified)).not.toContain(TOKEN);
  });

  it('parses relative durations it knows and nothing else', () => {
    expect(relativeDurationMs('2 weeks')).toBe(14 * 86_400_000);
    expect(relativeDurationMs('30 days')).toBe(30 * 86_400_000);
    expect(relativeDurationMs('1 month')).toBe(30 * 86_400_000);
    expect(relativeDurationMs('until done')).toBeUndefined();
  });
});
