import { z } from 'zod';
import { defineCollector } from '../../src/core/connector.js';
import type { KnowBe4Api } from './client.js';
import type { KnowBe4Settings } from './settings.js';
import { kb4Enrollment, kb4SecurityTest, kb4User, type Kb4Campaign } from './api-schemas.js';

/** KnowBe4 timestamps as ISO-8601 UTC (null stays null). */
function utc(value: string | null | undefined): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export const knowbe4UserPayload = z.object({
  id: z.number().describe('KnowBe4 user id.'),
  email: z.string().describe('Email (how the user is matched to the roster).'),
  name: z.string().nullable().describe('First and last name.'),
  status: z.string().describe('active or archived.'),
  employeeNumber: z.string().nullable().describe('Employee number, when provisioned.'),
  department: z.string().nullable().describe('Department.'),
  managerEmail: z.string().nullable().describe('Manager email.'),
  joinedOn: z.string().nullable().describe('When the user was added to KnowBe4 (UTC).'),
  lastSignIn: z.string().nullable().describe('Last sign-in to the training console (UTC).'),
  employeeStartDate: z.string().nullable().describe('Start date as provisioned to KnowBe4 (UTC).'),
  archivedAt: z.string().nullable().describe('When the user was archived (UTC).'),
  phishPronePercentage: z.number().nullable().describe('Phish-prone percentage.'),
});

export const usersCollector = defineCollector<KnowBe4Api, KnowBe4Settings, typeof knowbe4UserPayload>({
  id: 'users',
  kind: 'knowbe4.user.v1',
  title: 'KnowBe4 users',
  description: 'Every user, active and archived, with start date and last sign-in: the training population.',
  subject: 'user email',
  ttlHours: 36,
  payload: knowbe4UserPayload,
  async *collect({ client }) {
    for await (const page of client.list('/v1/users', kb4User)) {
      for (const u of page.data) {
        const name = [u.first_name, u.last_name].filter(Boolean).join(' ');
        yield {
          subject: u.email.toLowerCase(),
          requests: [page.request],
          payload: {
            id: u.id,
            email: u.email.toLowerCase(),
            name: name || null,
            status: u.status,
            employeeNumber: u.employee_number ?? null,
            department: u.department ?? null,
            managerEmail: u.manager_email ?? null,
            joinedOn: utc(u.joined_on),
            lastSignIn: utc(u.last_sign_in),
            employeeStartDate: utc(u.employee_start_date),
            archivedAt: utc(u.archived_at),
            phishPronePercentage: u.phish_prone_percentage ?? null,
          },
        };
      }
    }
  },
});

export const knowbe4CampaignPayload = z.object({
  campaignId: z.number().describe('Training campaign id.'),
  name: z.string().describe('Campaign name.'),
  status: z.string().describe('Campaign status (In Progress, Completed, Closed...).'),
  startDate: z.string().nullable().describe('Start (UTC).'),
  endDate: z.string().nullable().describe('Fixed end date (UTC), the due date of its enrollments.'),
  relativeDuration: z.string().nullable().describe('Relative duration ("2 weeks") for auto-enrolled users, when the campaign has no fixed end.'),
  autoEnroll: z.boolean().describe('Whether new users are enrolled automatically (how joiners get their training).'),
  completionPercentage: z.number().nullable().describe('Completion percentage reported by KnowBe4.'),
  modules: z.array(z.string()).describe('Content names.'),
});

export const campaignsCollector = defineCollector<KnowBe4Api, KnowBe4Settings, typeof knowbe4CampaignPayload>({
  id: 'training_campaigns',
  kind: 'knowbe4.training_campaign.v1',
  title: 'KnowBe4 training campaigns',
  description: 'Security awareness training campaigns with their dates, auto-enrolment and completion rate.',
  subject: 'campaign id',
  ttlHours: 36,
  payload: knowbe4CampaignPayload,
  async *collect({ client }) {
    const { campaigns, requests } = await client.campaigns();
    for (const c of campaigns) {
      yield {
        subject: String(c.campaign_id),
        requests,
        payload: {
          campaignId: c.campaign_id,
          name: c.name,
          status: c.status,
          startDate: utc(c.start_date),
          endDate: utc(c.end_date),
          relativeDuration: c.relative_duration ?? null,
          autoEnroll: c.auto_enroll ?? false,
          completionPercentage: c.completion_percentage ?? null,
          modules: c.content.map((m) => m.name).filter((n): n is string => typeof n === 'string'),
        },
      };
    }
  },
});

export const knowbe4EnrollmentPayload = z.object({
  enrollmentId: z.number().describe('Enrollment id.'),
  userId: z.number().describe('KnowBe4 user id.'),
  email: z.string().describe('The enrolled user\'s email.'),
  module: z.string().describe('Training module name.'),
  contentType: z.string().nullable().describe('Training Module, Uploaded Policy, ...'),
  campaignId: z.number().nullable().describe('Campaign id, when KnowBe4 returns it.'),
  campaign: z.string().nullable().describe('Campaign name.'),
  enrolledAt: z.string().nullable().describe('Enrollment date (UTC).'),
  startedAt: z.string().nullable().describe('When the user started (UTC).'),
  completedAt: z.string().nullable().describe('Completion date (UTC); null when not completed.'),
  dueAt: z.string().nullable().describe('Due date: the campaign\'s end date, or enrollment plus its relative duration; null when the campaign sets neither.'),
  status: z.string().describe('Passed, Completed, In Progress, Not Started or Past Due.'),
});

/** `2 weeks`, `30 days`, `1 month` → milliseconds (a month counts 30 days); undefined for anything else. */
export function relativeDurationMs(text: string | null): number | undefined {
  const m = /^(\d+)\s*(day|week|month)s?$/i.exec(text?.trim() ?? '');
  if (!m) return undefined;
  const days = { day: 1, week: 7, month: 30 }[m[2]!.toLowerCase() as 'day' | 'week' | 'month'];
  return Number(m[1]) * days * 86_400_000;
}

function dueDate(enrolledAt: string | null, campaign: Kb4Campaign | undefined): string | null {
  if (!campaign) return null;
  const end = utc(campaign.end_date);
  if (end) return end;
  const relative = relativeDurationMs(campaign.relative_duration ?? null);
  return relative !== undefined && enrolledAt ? new Date(Date.parse(enrolledAt) + relative).toISOString() : null;
}

export const enrollmentsCollector = defineCollector<KnowBe4Api, KnowBe4Settings, typeof knowbe4EnrollmentPayload>({
  id: 'training_enrollments',
  kind: 'knowbe4.training_enrollment.v1',
  title: 'KnowBe4 training enrollments',
  description: 'Every training enrollment with status and enrollment, completion and due dates: who completed security awareness training and when.',
  subject: 'enrollment id',
  ttlHours: 36,
  payload: knowbe4EnrollmentPayload,
  async *collect({ client }) {
    const { campaigns, requests: campaignRequests } = await client.campaigns();
    const byId = new Map(campaigns.map((c) => [c.campaign_id, c]));
    const byName = new Map(campaigns.map((c) => [c.name, c]));
    for await (const page of client.list('/v1/training/enrollments', kb4Enrollment, { include_campaign_id: 'true' })) {
      for (const e of page.data) {
        const campaign = (e.campaign_id != null ? byId.get(e.campaign_id) : undefined) ?? (e.campaign_name ? byName.get(e.campaign_name) : undefined);
        const enrolledAt = utc(e.enrollment_date);
        yield {
          subject: String(e.enrollment_id),
          requests: [page.request, ...campaignRequests],
          payload: {
            enrollmentId: e.enrollment_id,
            userId: e.user.id,
            email: e.user.email.toLowerCase(),
            module: e.module_name,
            contentType: e.content_type ?? null,
            campaignId: e.campaign_id ?? campaign?.campaign_id ?? null,
            campaign: e.campaign_name ?? null,
            enrolledAt,
            startedAt: utc(e.start_date),
            completedAt: utc(e.completion_date),
            dueAt: dueDate(enrolledAt, campaign),
            status: e.status,
          },
        };
      }
    }
  },
});

export const knowbe4PhishingTestPayload = z.object({
  pstId: z.number().describe('Phishing security test id.'),
  campaignId: z.number().describe('Phishing campaign id.'),
  name: z.string().describe('Test name.'),
  status: z.string().describe('Test status.'),
  startedAt: z.string().nullable().describe('When it started (UTC).'),
  phishPronePercentage: z.number().nullable().describe('Share of recipients who failed (clicked, replied, opened attachments, entered data).'),
  delivered: z.number().describe('Emails delivered.'),
  clicked: z.number().describe('Recipients who clicked.'),
  dataEntered: z.number().describe('Recipients who entered data.'),
  reported: z.number().describe('Recipients who reported the email.'),
});

export const phishingTestsCollector = defineCollector<KnowBe4Api, KnowBe4Settings, typeof knowbe4PhishingTestPayload>({
  id: 'phishing_tests',
  kind: 'knowbe4.phishing_test.v1',
  title: 'KnowBe4 phishing security tests',
  description: 'Each simulated phishing test with delivery, click, data-entry and report counts: evidence the awareness programme is exercised.',
  subject: 'phishing security test id',
  ttlHours: 36,
  payload: knowbe4PhishingTestPayload,
  async *collect({ client }) {
    for await (const page of client.list('/v1/phishing/security_tests', kb4SecurityTest)) {
      for (const t of page.data) {
        yield {
          subject: String(t.pst_id),
          requests: [page.request],
          payload: {
            pstId: t.pst_id,
            campaignId: t.campaign_id,
            name: t.name,
            status: t.status,
            startedAt: utc(t.started_at),
            phishPronePercentage: t.phish_prone_percentage ?? null,
            delivered: t.delivered_count,
            clicked: t.clicked_count,
            dataEntered: t.data_entered_count,
            reported: t.reported_count,
          },
        };
      }
    }
  },
});
