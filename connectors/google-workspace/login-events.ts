import type { admin_reports_v1 } from '@googleapis/admin';
import { z } from 'zod';
import { defineCollector } from '../../src/core/connector.js';
import type { GoogleAdminApi } from './client.js';
import type { GoogleWorkspaceSettings } from './settings.js';
// The window logic AWS CloudTrail events use (carry the previous records, fetch what is newer).
import { incrementalWindow } from '../../src/core/incremental-window.js';

export const googleLoginEventPayload = z.object({
  time: z.string().describe('When the event happened (ISO-8601).'),
  uniqueQualifier: z.string().describe("Google's unique qualifier of the activity (with the time, its identity)."),
  actorEmail: z.string().nullable().describe('Who signed in (or tried to).'),
  eventName: z.string().describe('login_success, login_failure, login_challenge, login_verification, logout, suspicious_login, …'),
  loginType: z.string().nullable().describe('google_password, saml, reauth, …'),
  isSuspicious: z.boolean().nullable().describe('Google flagged the login as suspicious.'),
  isSecondFactor: z.boolean().nullable().describe('A second factor was used (when Google reports it).'),
  ipAddress: z.string().nullable().describe('Source IP address.'),
});

const parameter = z.object({ name: z.string(), value: z.string().optional(), boolValue: z.boolean().optional() });
const activity = z.object({
  id: z.object({ time: z.string(), uniqueQualifier: z.string() }),
  actor: z.object({ email: z.string().optional() }).optional(),
  ipAddress: z.string().optional(),
  events: z.array(z.object({ name: z.string(), parameters: z.array(parameter).optional() })).optional(),
});

const param = (params: z.output<typeof parameter>[] | undefined, name: string) => params?.find((p) => p.name === name);

/**
 * Google delivers login events to the Reports API with a lag (typically minutes, up to hours):
 * the next incremental window starts this much before the previous collection started.
 */
const settleMs = 3 * 3_600_000;

export const googleLoginEventsCollector = defineCollector<GoogleAdminApi, GoogleWorkspaceSettings, typeof googleLoginEventPayload>({
  id: 'login_events',
  kind: 'google.login_event.v1',
  title: 'Login audit events',
  description:
    'Every login audit event (successes, failures, challenges, suspicious logins) over the look-back period from the Reports API, 1000 per request; after the first run only what is newer is fetched and the rest carried forward.',
  subject: 'time / unique qualifier / event',
  ttlHours: 36,
  payload: googleLoginEventPayload,
  async *collect({ client, config, clock, previous }) {
    const now = clock.now();
    const periodStart = new Date(now.getTime() - config.loginEvents.lookbackDays * 86_400_000);
    const window = incrementalWindow<z.output<typeof googleLoginEventPayload>>({
      previous: await previous?.(),
      inScope: () => true,
      periodStart,
      settleMs,
      createdAt: (p) => p.time,
    });
    // Carried events were created before `since`; fetched ones at or after it: never the same event.
    yield* window.carried;
    const list = (params: admin_reports_v1.Params$Resource$Activities$List) => client.reports.activities.list(params);
    const params = { userKey: 'all', applicationName: 'login', startTime: window.since.toISOString(), maxResults: 1000 };
    for await (const page of client.pages(list, params, 'items', activity)) {
      for (const a of page.items) {
        for (const [i, e] of (a.events ?? []).entries()) {
          yield {
            subject: `${a.id.time} / ${a.id.uniqueQualifier} / ${i}`,
            requests: [page.request],
            payload: {
              time: a.id.time,
              uniqueQualifier: a.id.uniqueQualifier,
              actorEmail: a.actor?.email ?? null,
              eventName: e.name,
              loginType: param(e.parameters, 'login_type')?.value ?? null,
              isSuspicious: param(e.parameters, 'is_suspicious')?.boolValue ?? null,
              isSecondFactor: param(e.parameters, 'is_second_factor')?.boolValue ?? null,
              ipAddress: a.ipAddress ?? null,
            },
          };
        }
      }
    }
  },
});
