import { z } from 'zod';

/** `GET /v1/users` items. */
export const kb4User = z.object({
  id: z.number(),
  employee_number: z.string().nullable().optional(),
  first_name: z.string().nullable().optional(),
  last_name: z.string().nullable().optional(),
  email: z.string(),
  status: z.string(),
  department: z.string().nullable().optional(),
  manager_email: z.string().nullable().optional(),
  joined_on: z.string().nullable().optional(),
  last_sign_in: z.string().nullable().optional(),
  employee_start_date: z.string().nullable().optional(),
  archived_at: z.string().nullable().optional(),
  phish_prone_percentage: z.number().nullable().optional(),
  groups: z.array(z.number()).default([]),
});

/** `GET /v1/training/campaigns` items. */
export const kb4Campaign = z.object({
  campaign_id: z.number(),
  name: z.string(),
  status: z.string(),
  start_date: z.string().nullable().optional(),
  end_date: z.string().nullable().optional(),
  relative_duration: z.string().nullable().optional(),
  auto_enroll: z.boolean().optional(),
  completion_percentage: z.number().nullable().optional(),
  content: z.array(z.object({ name: z.string().optional() }).passthrough()).default([]),
});

export type Kb4Campaign = z.output<typeof kb4Campaign>;

/** `GET /v1/training/enrollments` items. */
export const kb4Enrollment = z.object({
  enrollment_id: z.number(),
  content_type: z.string().nullable().optional(),
  module_name: z.string(),
  user: z.object({ id: z.number(), first_name: z.string().nullable().optional(), last_name: z.string().nullable().optional(), email: z.string() }),
  campaign_name: z.string().nullable().optional(),
  campaign_id: z.number().nullable().optional(),
  enrollment_date: z.string().nullable().optional(),
  start_date: z.string().nullable().optional(),
  completion_date: z.string().nullable().optional(),
  status: z.string(),
  time_spent: z.number().nullable().optional(),
  policy_acknowledged: z.boolean().nullable().optional(),
});

/** `GET /v1/phishing/security_tests` items. */
export const kb4SecurityTest = z.object({
  campaign_id: z.number(),
  pst_id: z.number(),
  status: z.string(),
  name: z.string(),
  started_at: z.string().nullable().optional(),
  duration: z.number().nullable().optional(),
  phish_prone_percentage: z.number().nullable().optional(),
  scheduled_count: z.number().default(0),
  delivered_count: z.number().default(0),
  opened_count: z.number().default(0),
  clicked_count: z.number().default(0),
  replied_count: z.number().default(0),
  attachment_open_count: z.number().default(0),
  data_entered_count: z.number().default(0),
  reported_count: z.number().default(0),
});
