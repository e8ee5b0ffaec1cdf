import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import { isLicenceError, type GraphApi, type Page } from './client.js';
import { notAvailablePayload, notAvailableRecord } from './availability.js';
import type { MicrosoftGraphSettings } from './settings.js';

export const accessReviewPayload = z.union([
  z.object({
    definitionId: z.string().describe('Access review (schedule definition) id.'),
    definitionName: z.string().describe('Access review name.'),
    instanceId: z.string().describe('Id of this occurrence of the review.'),
    status: z.string().describe('Instance status: NotStarted, InProgress, Completed, AutoReviewed, Applied, …'),
    startDateTime: z.string().describe('When this occurrence opened.'),
    endDateTime: z.string().describe('When it was due to close (the deadline).'),
    defaultDecisionEnabled: z.boolean().describe('Whether undecided items get a default decision at the end.'),
    defaultDecision: z.string().describe('The default decision (None, Approve, Deny, Recommendation).'),
    autoApplyDecisionsEnabled: z.boolean().describe('Whether decisions are applied automatically at the end.'),
    reviewers: z.array(z.string()).describe('Reviewer queries (`/users/{id}`, `./manager`).'),
    decisions: z
      .array(
        z.object({
          principalId: z.string().describe('Object id of the reviewed user.'),
          principalName: z.string().describe('UPN (or name) of the reviewed user.'),
          resource: z.string().nullable().describe('What access was reviewed (group, role or app name).'),
          decision: z.string().describe('Approve, Deny, DontKnow or NotReviewed (undecided).'),
          reviewedBy: z.string().nullable().describe('UPN (or name) of the reviewer who decided; null when nobody did.'),
          reviewedDateTime: z.string().nullable().describe('When the reviewer decided.'),
          applyResult: z.string().nullable().describe('New (not applied), AppliedSuccessfully, AppliedWithUnknownFailure, …'),
          appliedDateTime: z.string().nullable().describe('When the decision was applied.'),
          appliedBy: z.string().nullable().describe('Who applied it (the service itself for auto-applied decisions).'),
          justification: z.string().nullable().describe("The reviewer's justification."),
        }),
      )
      .describe('Every decision item of this occurrence.'),
  }),
  notAvailablePayload,
]);
type AccessReview = Exclude<z.output<typeof accessReviewPayload>, { availability: 'not_available' }>;

const definition = z.object({
  id: z.string(),
  displayName: z.string(),
  reviewers: z.array(z.object({ query: z.string() })).nullable().optional(),
  settings: z
    .object({
      defaultDecisionEnabled: z.boolean().nullable().optional(),
      defaultDecision: z.string().nullable().optional(),
      autoApplyDecisionsEnabled: z.boolean().nullable().optional(),
    })
    .nullable()
    .optional(),
});
const instance = z.object({ id: z.string(), startDateTime: z.string(), endDateTime: z.string(), status: z.string() });
const identity = z.object({ id: z.string().nullable().optional(), displayName: z.string().nullable().optional(), userPrincipalName: z.string().nullable().optional() }).nullable().optional();
const decision = z.object({
  id: z.string(),
  decision: z.string(),
  applyResult: z.string().nullable().optional(),
  appliedDateTime: z.string().nullable().optional(),
  reviewedDateTime: z.string().nullable().optional(),
  justification: z.string().nullable().optional(),
  reviewedBy: identity,
  appliedBy: identity,
  principal: z.object({ id: z.string(), displayName: z.string().nullable().optional(), userPrincipalName: z.string().nullable().optional() }),
  resource: z.object({ displayName: z.string().nullable().optional() }).nullable().optional(),
});

const nameOf = (who: z.output<typeof identity>) => (who ? who.userPrincipalName || who.displayName || who.id || null : null);
const pageOf = <S extends z.ZodType>(item: S) => z.object({ value: z.array(item), '@odata.nextLink': z.string().optional() });

/**
 * Lists one child collection for many parents with JSON batching (20 parents per request), then
 * follows any `@odata.nextLink` of a long listing on its own.
 */
async function childrenInBatches<S extends z.ZodType>(client: GraphApi, paths: readonly string[], item: S): Promise<Page<z.output<S>>[][]> {
  const answers = await client.batch(paths, pageOf(item));
  const out: Page<z.output<S>>[][] = [];
  for (const answer of answers) {
    if ('error' in answer) throw answer.error;
    const pages: Page<z.output<S>>[] = [{ items: answer.data.value, request: answer.request }];
    if (answer.data['@odata.nextLink']) {
      for await (const page of client.pages(answer.data['@odata.nextLink'], item)) pages.push(page);
    }
    out.push(pages);
  }
  return out;
}

export const accessReviewsCollector = defineCollector<GraphApi, MicrosoftGraphSettings, typeof accessReviewPayload>({
  id: 'access_reviews',
  kind: 'entra.access_review.v1',
  title: 'Access reviews with their instances and decisions',
  description: 'Every access review definition, each occurrence (instance) with its deadline and status, and every decision: who decided what, what was left undecided or auto-applied.',
  subject: 'review name / instance id',
  ttlHours: 36,
  payload: accessReviewPayload,
  async *collect({ client, clock }) {
    const definitions: { item: z.output<typeof definition>; request: RequestRef }[] = [];
    try {
      for await (const page of client.pages('/identityGovernance/accessReviews/definitions?$top=100', definition)) {
        for (const item of page.items) definitions.push({ item, request: page.request });
      }
    } catch (error) {
      if (!isLicenceError(error)) throw error;
      yield notAvailableRecord('access reviews', 'Microsoft Entra ID P2 (or ID Governance)', error, clock.now().toISOString());
      return;
    }
    const base = '/identityGovernance/accessReviews/definitions';
    const instancePages = await childrenInBatches(client, definitions.map((d) => `${base}/${d.item.id}/instances?$top=100`), instance);
    const instances = definitions.flatMap((d, i) => instancePages[i]!.flatMap((page) => page.items.map((inst) => ({ definition: d, instance: inst, request: page.request }))));
    const decisionPages = await childrenInBatches(
      client,
      instances.map((x) => `${base}/${x.definition.item.id}/instances/${x.instance.id}/decisions?$top=100`),
      decision,
    );
    for (const [i, x] of instances.entries()) {
      const pages = decisionPages[i]!;
      const d = x.definition.item;
      const payload: AccessReview = {
        definitionId: d.id,
        definitionName: d.displayName,
        instanceId: x.instance.id,
        status: x.instance.status,
        startDateTime: x.instance.startDateTime,
        endDateTime: x.instance.endDateTime,
        defaultDecisionEnabled: d.settings?.defaultDecisionEnabled ?? false,
        defaultDecision: d.settings?.defaultDecision ?? 'None',
        autoApplyDecisionsEnabled: d.settings?.autoApplyDecisionsEnabled ?? false,
        reviewers: (d.reviewers ?? []).map((r) => r.query),
        decisions: pages.flatMap((p) =>
          p.items.map((item) => ({
            principalId: item.principal.id,
            principalName: item.principal.userPrincipalName || item.principal.displayName || item.principal.id,
            resource: item.resource?.displayName ?? null,
            decision: item.decision,
            reviewedBy: nameOf(item.reviewedBy),
            reviewedDateTime: item.reviewedDateTime ?? null,
            applyResult: item.applyResult ?? null,
            appliedDateTime: item.appliedDateTime ?? null,
            appliedBy: nameOf(item.appliedBy),
            justification: item.justification || null,
          })),
        ),
      };
      yield {
        subject: `${d.displayName} / ${x.instance.id}`,
        requests: [x.definition.request, x.request, ...pages.map((p) => p.request)],
        payload,
      };
    }
  },
});
