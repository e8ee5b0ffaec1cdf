import { stringify } from 'csv-stringify/sync';
import type { EvidenceStore } from '../../storage/evidence-store.js';
import type { ChangeTicket } from '../../connectors/jira/change-tickets.js';
import type { z } from 'zod';
import type { mergedPullRequestPayload } from '../../connectors/github/merged-pull-requests.js';

type MergedPullRequest = z.output<typeof mergedPullRequestPayload>;

/** One approval of a change: who and when. */
export interface ChangeApproval {
  by: string;
  at: string;
}

/** One change an auditor can sample: a deployed Jira ticket or a merged pull request. */
export interface ChangeItem {
  source: 'jira' | 'github';
  /** The connector instance it was collected from. */
  instanceId: string;
  /** `CHG-12` or `owner/name#12`. */
  id: string;
  title: string;
  url: string;
  /** Who made the change: the ticket's assignee, the pull request's author. */
  implementer: string | null;
  /** When it went live: the ticket entered a deployed status, the pull request merged. */
  deployedAt: string;
  emergency: boolean;
  /** Every approval (status change or field for Jira, APPROVED review for GitHub), oldest first. */
  approvals: ChangeApproval[];
  /** The first approval by someone other than the implementer, if any. */
  independentApproval: ChangeApproval | null;
  /** Whether that approval came no later than deployment. */
  approvedBeforeDeployment: boolean;
  /** The stored record this item comes from: its payload digest and collection time. */
  evidence: { kind: string; digest: string; collectedAt: string };
}

/** Where the population's items come from, and whether each source is complete for the period. */
export interface PopulationSource {
  instanceId: string;
  kind: string;
  /** The collection the items come from (null: never collected successfully). */
  collectedAt: string | null;
  /** The newest collection failed: the items are from an earlier one. */
  lastCollectionFailed: boolean;
  items: number;
}

export interface ChangePopulation {
  from: string;
  to: string;
  /** The evidence as it stood at this time. */
  asOf: string;
  size: number;
  sources: PopulationSource[];
  items: ChangeItem[];
}

const jiraKind = 'jira.change_ticket.v1';
const githubKind = 'github.merged_pull_request.v1';

function who(p: ChangeTicket['assignee']): string | null {
  return p ? (p.email ?? p.displayName ?? p.accountId) : null;
}

function fromTicket(t: ChangeTicket): Omit<ChangeItem, 'instanceId' | 'evidence'> {
  const approvals = t.approvals.map((a) => ({ by: who(a.by) ?? 'unknown', at: a.at }));
  const independent = t.approvals.find((a) => a.by === null || t.assignee === null || a.by.accountId !== t.assignee.accountId);
  const independentApproval = independent ? { by: who(independent.by) ?? 'unknown', at: independent.at } : null;
  return {
    source: 'jira',
    id: t.key,
    title: t.summary,
    url: t.url,
    implementer: who(t.assignee),
    deployedAt: t.deployedAt!,
    emergency: t.emergency,
    approvals,
    independentApproval,
    approvedBeforeDeployment: independentApproval !== null && independentApproval.at <= t.deployedAt!,
  };
}

function fromPullRequest(pr: MergedPullRequest): Omit<ChangeItem, 'instanceId' | 'evidence'> {
  const approvals = pr.reviews.filter((r) => r.state === 'APPROVED' && r.submittedAt !== null).map((r) => ({ by: r.reviewer ?? 'deleted account', at: r.submittedAt! }));
  const independentApproval = approvals.find((a) => a.by !== pr.author) ?? null;
  return {
    source: 'github',
    id: `${pr.repository}#${pr.number}`,
    title: pr.title,
    url: pr.url,
    implementer: pr.author,
    deployedAt: pr.mergedAt,
    emergency: false,
    approvals,
    independentApproval,
    approvedBeforeDeployment: independentApproval !== null && approvals.some((a) => a.by !== pr.author && a.at <= pr.mergedAt),
  };
}

/**
 * The change population of a period from stored evidence: every Jira ticket that reached a
 * deployed status and every pull request merged into a default branch between `from` and `to`,
 * each with its approvals and the record it came from. Reads the newest collection of each
 * instance as of `asOf` (default now: changes of March are collected in April); never calls an API.
 */
export async function buildChangePopulation(store: EvidenceStore, from: Date, to: Date, asOf: Date = new Date()): Promise<ChangePopulation> {
  const items: ChangeItem[] = [];
  const sources: PopulationSource[] = [];
  const inPeriod = (at: string | null) => at !== null && at >= from.toISOString() && at <= to.toISOString();
  for (const kind of [jiraKind, githubKind]) {
    for (const snapshot of await store.latest(kind, { asOf })) {
      const collectedAt = snapshot.lastCollected?.finishedAt ?? null;
      let count = 0;
      for (const record of snapshot.records) {
        const evidence = { kind, digest: record.digest, collectedAt: collectedAt ?? record.collectedAt };
        if (kind === jiraKind) {
          const ticket = record.payload as ChangeTicket;
          if (!inPeriod(ticket.deployedAt)) continue;
          items.push({ ...fromTicket(ticket), instanceId: snapshot.instanceId, evidence });
        } else {
          const pr = record.payload as MergedPullRequest;
          if (!inPeriod(pr.mergedAt)) continue;
          items.push({ ...fromPullRequest(pr), instanceId: snapshot.instanceId, evidence });
        }
        count++;
      }
      sources.push({ instanceId: snapshot.instanceId, kind, collectedAt, lastCollectionFailed: snapshot.latestOutcome.status === 'failed', items: count });
    }
  }
  items.sort((a, b) => a.deployedAt.localeCompare(b.deployedAt) || a.id.localeCompare(b.id));
  return { from: from.toISOString(), to: to.toISOString(), asOf: asOf.toISOString(), size: items.length, sources, items };
}

/** The population as CSV, one row per change, for sampling in a spreadsheet. */
export function changePopulationCsv(population: ChangePopulation): string {
  return stringify(
    population.items.map((i) => [
      i.source,
      i.instanceId,
      i.id,
      i.title,
      i.url,
      i.implementer ?? '',
      i.deployedAt,
      i.emergency ? 'yes' : 'no',
      i.independentApproval?.by ?? '',
      i.independentApproval?.at ?? '',
      i.approvedBeforeDeployment ? 'yes' : 'no',
      i.approvals.map((a) => `${a.by} ${a.at}`).join('; '),
      i.evidence.digest,
      i.evidence.collectedAt,
    ]),
    {
      header: true,
      columns: ['source', 'instance', 'id', 'title', 'url', 'implementer', 'deployed_at', 'emergency', 'approved_by', 'approved_at', 'approved_before_deployment', 'all_approvals', 'evidence_digest', 'collected_at'],
    },
  );
}
