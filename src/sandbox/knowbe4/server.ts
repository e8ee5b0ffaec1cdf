/**
 * The KnowBe4 Reporting API sandbox: routes the calls the `knowbe4` connector makes and encodes
 * them as KnowBe4 does (bare JSON arrays, `page`/`per_page` paging up to 500, snake_case fields,
 * 401 for a bad token, 429 with Retry-After). State lives in {@link KnowBe4World}.
 */
import { jsonResponse, startSandboxServer, type SandboxApi, type SandboxFaults, type SandboxRequest, type SandboxServer } from '../http-server.js';
import type { Kb4Campaign, Kb4User, KnowBe4World } from './data.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function userJson(u: Kb4User) {
  const p = u.person;
  return {
    id: u.id,
    employee_number: p.id,
    first_name: p.firstName,
    last_name: p.lastName,
    job_title: p.title,
    email: p.email,
    phish_prone_percentage: u.phishPronePercentage,
    phone_number: null,
    extension: null,
    mobile_phone_number: null,
    location: p.location,
    division: null,
    manager_name: null,
    manager_email: null,
    provisioning_managed: false,
    provisioning_guid: null,
    groups: [1001],
    current_risk_score: Math.round(u.phishPronePercentage * 2.1 * 10) / 10,
    aliases: [],
    joined_on: iso(u.joinedOnMs),
    last_sign_in: iso(u.lastSignInMs),
    status: u.status,
    organization: 'Acme Robotics',
    department: p.department,
    language: 'English - United States',
    comment: null,
    employee_start_date: iso(u.joinedOnMs),
    archived_at: iso(u.archivedAtMs),
    custom_field_1: null,
  };
}

function campaignJson(c: Kb4Campaign) {
  return {
    campaign_id: c.campaignId,
    name: c.name,
    groups: [{ group_id: 0, name: 'All Users' }],
    status: c.status,
    content: [{ store_purchase_id: 7000 + c.campaignId, content_type: 'Store Purchase', name: c.module, description: c.module, type: 'Training Module', duration: 25, retired: false, retirement_date: null, publish_date: '2024-01-01T00:00:00.000Z', publisher: 'KnowBe4', purchase_date: '2024-01-01T00:00:00.000Z', policy_url: null }],
    duration_type: c.endMs === null ? 'Relative End Date' : 'Specific End Date',
    start_date: iso(c.startMs),
    end_date: iso(c.endMs),
    relative_duration: c.relativeDuration,
    auto_enroll: c.autoEnroll,
    allow_multiple_enrollments: false,
    completion_percentage: null,
  };
}

/** The KnowBe4 router over a world. */
export function knowbe4Api(world: KnowBe4World, options: { token: string }): SandboxApi {
  const page = <T>(req: SandboxRequest, items: readonly T[]) => {
    const n = Math.max(1, Number(req.url.searchParams.get('page') ?? 1));
    const size = Math.min(500, Math.max(1, Number(req.url.searchParams.get('per_page') ?? 100)));
    return items.slice((n - 1) * size, n * size);
  };
  return {
    name: 'knowbe4',
    serverError: () => jsonResponse(500, { message: 'Internal Server Error' }),
    refused: (_req, status) => jsonResponse(status, { message: status === 401 ? 'Invalid Authentication Token' : 'Forbidden: this API key may not read this resource' }),
    throttled: (_req, retryAfterSeconds) => jsonResponse(429, { message: 'API Limit Reached' }, { 'retry-after': String(retryAfterSeconds) }),
    handle(req) {
      if (req.headers.authorization !== `Bearer ${options.token}`) return jsonResponse(401, { message: 'Invalid Authentication Token' });
      if (req.method !== 'GET') return jsonResponse(404, { message: 'Not Found' });
      switch (req.url.pathname) {
        case '/v1/users':
          return jsonResponse(200, page(req, world.users).map(userJson));
        case '/v1/training/campaigns':
          return jsonResponse(200, page(req, world.campaigns).map(campaignJson));
        case '/v1/training/enrollments': {
          const withCampaignId = req.url.searchParams.get('include_campaign_id') === 'true';
          return jsonResponse(
            200,
            page(req, world.enrollments).map((e) => ({
              enrollment_id: e.enrollmentId,
              content_type: 'Training Module',
              module_name: e.campaign.module,
              user: { id: e.user.id, first_name: e.user.person.firstName, last_name: e.user.person.lastName, email: e.user.person.email },
              campaign_name: e.campaign.name,
              ...(withCampaignId ? { campaign_id: e.campaign.campaignId } : {}),
              enrollment_date: iso(e.enrolledMs),
              start_date: iso(e.startedMs),
              completion_date: iso(e.completedMs),
              status: e.status,
              time_spent: e.completedMs === null ? 0 : 1800,
              policy_acknowledged: false,
            })),
          );
        }
        case '/v1/phishing/security_tests':
          return jsonResponse(
            200,
            page(req, world.phishingTests).map((t) => ({
              campaign_id: t.campaignId,
              pst_id: t.pstId,
              status: 'Closed',
              name: t.name,
              groups: [{ group_id: 0, name: 'All Users' }],
              phish_prone_percentage: Math.round(((t.clicked + t.dataEntered) / Math.max(1, t.delivered)) * 1000) / 10,
              started_at: iso(t.startedMs),
              duration: 3,
              categories: [{ category_id: 1, name: 'Banking' }],
              template: { id: 11, name: 'Password reset' },
              landing_page: { id: 2, name: 'Oops' },
              scheduled_count: t.delivered,
              delivered_count: t.delivered,
              opened_count: Math.round(t.delivered * 0.6),
              clicked_count: t.clicked,
              replied_count: 0,
              attachment_open_count: 0,
              macro_enabled_count: 0,
              data_entered_count: t.dataEntered,
              qr_code_scanned_count: 0,
              reported_count: t.reported,
              bounced_count: 0,
            })),
          );
        default:
          return jsonResponse(404, { message: 'Not Found' });
      }
    },
  };
}

/** Starts the KnowBe4 sandbox on 127.0.0.1. */
export function startKnowBe4Sandbox(world: KnowBe4World, options: { token: string; faults?: SandboxFaults }): Promise<SandboxServer> {
  return startSandboxServer(knowbe4Api(world, options), { ...(options.faults ? { faults: options.faults } : {}) });
}
