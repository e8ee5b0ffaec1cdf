import { z } from 'zod';
import type { EvidenceRecord, RequestRef } from '../../src/core/connector.js';
import type { GraphRequestError } from './client.js';

/**
 * "Not available": the tenant lacks the licence a feature needs (Entra ID P2 for access reviews
 * and PIM, P1 for the registration report and conditional access, Intune for devices). The
 * collector then records exactly one record with this payload under the subject
 * {@link notAvailableSubject}, instead of no records (which a check would read as "nothing to
 * find") or a failed collection (nothing is broken). Checks turn it into an `error` result that
 * says "not available", never a pass.
 */
export const notAvailablePayload = z.object({
  availability: z.literal('not_available').describe('Marks a record that says the feature is not available in this tenant.'),
  feature: z.string().describe('The feature that could not be read (access reviews, PIM eligible assignments, Intune devices).'),
  licence: z.string().describe('The licence the feature needs (Microsoft Entra ID P2, Microsoft Intune).'),
  reason: z.string().describe("Graph's answer: HTTP status, error code and message."),
});
export type NotAvailable = z.output<typeof notAvailablePayload>;

/** The subject of the one record that says a feature is not available. */
export const notAvailableSubject = '(not available)';

/** Whether a stored payload is the "not available" marker. */
export function isNotAvailable(payload: unknown): payload is NotAvailable {
  return typeof payload === 'object' && payload !== null && (payload as { availability?: unknown }).availability === 'not_available';
}

/** The one record a licence-dependent collector emits when Graph answers with a licence error. */
export function notAvailableRecord(feature: string, licence: string, error: GraphRequestError, at: string): EvidenceRecord<NotAvailable> {
  const request: RequestRef = { method: 'GET', url: error.endpoint, status: error.status, at };
  return {
    subject: notAvailableSubject,
    payload: { availability: 'not_available', feature, licence, reason: `HTTP ${error.status} ${error.graphCode}: ${error.graphMessage}` },
    requests: [request],
  };
}
