import type { CheckDefinition, CheckStatus } from '../checks/check.js';
import type { Framework } from '../frameworks/framework.js';
import type { StoredOutcome } from '../../storage/evidence-store.js';
import type { CheckRunResults, PeriodReader } from '../bundle/period-reader.js';
import { dayOf, periodDays, type Period } from '../bundle/period.js';
import type { Applicability, ManualEvidenceItem } from './coverage.js';
import type { RequirementStatus } from './coverage-model.js';

/**
 * "Operated throughout the period": per check and per control, a status for every day of an
 * audit period, the collection gaps and every status change with the evidence behind it. Built
 * from recorded check results (each chained and tied to the evidence digests it read) and
 * collector outcomes, so it shows what was judged at the time, not a re-evaluation today.
 */
export const timelineSchemaVersion = 1;

/** A check's status on one day: the worst result of the last check run that day. */
export interface CheckDay {
  date: string;
  /** `not_collected` also when no check run was recorded that day (then `runId` is null). */
  status: CheckStatus;
  runId: string | null;
  /** Results by status in that run. */
  counts: Partial<Record<CheckStatus, number>>;
}

/** Consecutive days on which a kind the check reads had no successful collection. */
export interface CollectionGap {
  kind: string;
  /** `-` when nothing collected the kind at all in the period. */
  instanceId: string;
  from: string;
  to: string;
  days: number;
}

/** A subject whose result changed between two check runs. */
export interface SubjectChange {
  instanceId: string;
  subject: string;
  /** null: the subject was not in the previous run. */
  from: CheckStatus | null;
  /** null: the subject is gone from this run. */
  to: CheckStatus | null;
  message: string | null;
}

/** The check's overall status changed between two consecutive check runs. */
export interface StatusChange {
  at: string;
  runId: string;
  from: CheckStatus;
  to: CheckStatus;
  /** Digests of the stored evidence references the run's results read (kinds, runs, record digests). */
  evidence: string[];
  /** The subjects that changed, at most {@link maxListedSubjects}; `subjectsChanged` counts them all. */
  subjects: SubjectChange[];
  subjectsChanged: number;
}

export interface CheckTimeline {
  checkId: string;
  title: string;
  kinds: string[];
  controls: string[];
  /** Check runs in the period that recorded results for this check. */
  checkRuns: number;
  days: CheckDay[];
  daysByStatus: Partial<Record<CheckStatus, number>>;
  /** Status of the first check run in the period (the baseline the changes start from). */
  initialStatus: CheckStatus | null;
  changes: StatusChange[];
  gaps: CollectionGap[];
}

/** A control's status on one day, in the coverage report's vocabulary. */
export interface ControlDay {
  date: string;
  status: RequirementStatus;
}

export interface ControlTimeline {
  id: string;
  kind: 'control' | 'clause';
  title: string;
  theme: string;
  applicable: boolean;
  justification: string | null;
  checks: string[];
  days: ControlDay[];
  daysByStatus: Partial<Record<RequirementStatus, number>>;
  /** Manual evidence in force at some point of the period. */
  manualEvidence: ManualEvidenceItem[];
  /** False when no check judged collected evidence and no manual evidence was in force: said, never omitted. */
  evidenceInPeriod: boolean;
  /** One sentence for the auditor. */
  summary: string;
}

export interface PeriodTimeline {
  schemaVersion: typeof timelineSchemaVersion;
  period: Period;
  days: number;
  checks: CheckTimeline[];
  controls: ControlTimeline[];
}

/** A subject's unchanged status over consecutive check runs: the compact record of every result. */
export interface SubjectInterval {
  checkId: string;
  instanceId: string;
  subject: string;
  status: CheckStatus;
  /** When the first and last check run of the interval started. */
  from: string;
  to: string;
  evaluations: number;
  message: string;
  /** The evidence the first result of the interval read. */
  evidenceDigest: string;
}

export const maxListedSubjects = 20;
const checkSeverity: CheckStatus[] = ['fail', 'error', 'not_collected', 'stale', 'warn', 'pass'];

/** The worst of some check statuses (`not_collected` for none). */
export function worstCheckStatus(statuses: Iterable<CheckStatus>): CheckStatus {
  const seen = new Set(statuses);
  return checkSeverity.find((s) => seen.has(s)) ?? 'not_collected';
}

interface CheckState {
  timeline: CheckTimeline;
  lastStatus: CheckStatus | null;
  subjects: Map<string, { status: CheckStatus; message: string }>;
  open: Map<string, SubjectInterval>;
  dayIndex: Map<string, number>;
}

/**
 * Builds a {@link PeriodTimeline} from check runs fed day by day (memory: one check run and the
 * open subject intervals, never the whole period). Closed subject intervals go to `onInterval`.
 */
export class PeriodTimelineBuilder {
  private readonly days: string[];
  private readonly states = new Map<string, CheckState>();
  private readonly collectedDays = new Map<string, Set<string>>();
  private manual: ManualEvidenceItem[] = [];

  constructor(
    private readonly options: {
      period: Period;
      framework: Framework;
      checks: readonly CheckDefinition<unknown>[];
      applicability: ReadonlyMap<string, Applicability> | null;
      onInterval?: (interval: SubjectInterval) => void | Promise<void>;
    },
  ) {
    this.days = periodDays(options.period);
    for (const check of options.checks) {
      const timeline: CheckTimeline = {
        checkId: check.id,
        title: check.title,
        kinds: [...check.kinds],
        controls: options.framework.mappings.filter((m) => m.check === check.id).map((m) => m.control),
        checkRuns: 0,
        days: this.days.map((date) => ({ date, status: 'not_collected', runId: null, counts: {} })),
        daysByStatus: {},
        initialStatus: null,
        changes: [],
        gaps: [],
      };
      this.states.set(check.id, { timeline, lastStatus: null, subjects: new Map(), open: new Map(), dayIndex: new Map(this.days.map((d, i) => [d, i])) });
    }
  }

  /** Feeds the check runs of one day, in run order. */
  async addCheckRuns(day: string, runs: readonly CheckRunResults[]): Promise<void> {
    for (const run of runs) {
      const byCheck = new Map<string, CheckRunResults['results']>();
      for (const r of run.results) {
        const list = byCheck.get(r.checkId);
        if (list) list.push(r);
        else byCheck.set(r.checkId, [r]);
      }
      for (const [checkId, results] of byCheck) {
        const state = this.states.get(checkId);
        if (state) await this.addRun(state, day, run, results);
      }
    }
  }

  private async addRun(state: CheckState, day: string, run: CheckRunResults, results: CheckRunResults['results']): Promise<void> {
    const t = state.timeline;
    t.checkRuns++;
    const counts: Partial<Record<CheckStatus, number>> = {};
    const current = new Map<string, { status: CheckStatus; message: string }>();
    const changed: SubjectChange[] = [];
    for (const r of results) {
      const status = r.status as CheckStatus;
      counts[status] = (counts[status] ?? 0) + 1;
      const key = `${r.instanceId}\u0000${r.subject}`;
      current.set(key, { status, message: r.message });
      const before = state.subjects.get(key);
      if (state.lastStatus !== null && before?.status !== status) {
        changed.push({ instanceId: r.instanceId, subject: r.subject, from: before?.status ?? null, to: status, message: r.message });
      }
      const open = state.open.get(key);
      if (open && open.status === status) {
        open.to = run.recordedAt;
        open.evaluations++;
      } else {
        if (open) await this.options.onInterval?.(open);
        state.open.set(key, {
          checkId: t.checkId,
          instanceId: r.instanceId,
          subject: r.subject,
          status,
          from: run.recordedAt,
          to: run.recordedAt,
          evaluations: 1,
          message: r.message,
          evidenceDigest: r.evidenceDigest,
        });
      }
    }
    for (const [key, before] of state.subjects) {
      if (current.has(key)) continue;
      const [instanceId = '', subject = ''] = key.split('\u0000');
      changed.push({ instanceId, subject, from: before.status, to: null, message: null });
      const open = state.open.get(key);
      if (open) await this.options.onInterval?.(open);
      state.open.delete(key);
    }
    const status = worstCheckStatus(Object.keys(counts) as CheckStatus[]);
    if (state.lastStatus === null) t.initialStatus = status;
    else if (status !== state.lastStatus) {
      t.changes.push({
        at: run.recordedAt,
        runId: run.runId,
        from: state.lastStatus,
        to: status,
        evidence: [...new Set(results.map((r) => r.evidenceDigest))],
        subjects: changed.slice(0, maxListedSubjects),
        subjectsChanged: changed.length,
      });
    }
    state.lastStatus = status;
    state.subjects = current;
    // The last check run of the day decides the day.
    const index = state.dayIndex.get(day);
    if (index !== undefined) t.days[index] = { date: day, status, runId: run.runId, counts };
  }

  /** Feeds the successful collections of the period (for collection gaps). */
  addCollections(outcomes: readonly StoredOutcome[]): void {
    for (const o of outcomes) {
      const key = `${o.kind}\u0000${o.instanceId}`;
      const days = this.collectedDays.get(key) ?? new Set<string>();
      days.add(dayOf(o.finishedAt));
      this.collectedDays.set(key, days);
    }
  }

  /** Manual evidence added by the end of the period. */
  setManualEvidence(items: readonly ManualEvidenceItem[]): void {
    const { from, to } = this.options.period;
    this.manual = items.filter((m) => m.effective <= to && (m.expires === null || m.expires > from));
  }

  /** Closes the open subject intervals and returns the timeline. */
  async finish(): Promise<PeriodTimeline> {
    const checks: CheckTimeline[] = [];
    for (const state of this.states.values()) {
      for (const open of state.open.values()) await this.options.onInterval?.(open);
      state.open.clear();
      const t = state.timeline;
      for (const d of t.days) t.daysByStatus[d.status] = (t.daysByStatus[d.status] ?? 0) + 1;
      t.gaps = this.gapsOf(t.kinds);
      checks.push(t);
    }
    return {
      schemaVersion: timelineSchemaVersion,
      period: this.options.period,
      days: this.days.length,
      checks,
      controls: this.controls(checks),
    };
  }

  private gapsOf(kinds: readonly string[]): CollectionGap[] {
    const gaps: CollectionGap[] = [];
    for (const kind of kinds) {
      const instances = [...this.collectedDays.keys()].filter((k) => k.startsWith(`${kind}\u0000`)).map((k) => k.split('\u0000')[1]!).sort();
      for (const instanceId of instances.length ? instances : ['-']) {
        const collected = this.collectedDays.get(`${kind}\u0000${instanceId}`) ?? new Set<string>();
        let start: number | null = null;
        this.days.forEach((day, i) => {
          const missing = !collected.has(day);
          if (missing && start === null) start = i;
          const last = i === this.days.length - 1;
          if (start !== null && (!missing || last)) {
            const end = missing ? i : i - 1;
            gaps.push({ kind, instanceId, from: this.days[start]!, to: this.days[end]!, days: end - start + 1 });
            start = null;
          }
        });
      }
    }
    return gaps;
  }

  private controls(checks: readonly CheckTimeline[]): ControlTimeline[] {
    const { period, framework, applicability } = this.options;
    return framework.catalog.requirements.map((requirement): ControlTimeline => {
      const decision =
        requirement.kind === 'clause' ? undefined : (applicability?.get(requirement.id) ?? undefined);
      const applicable = decision?.applicable ?? true;
      const mapped = checks.filter((c) => c.controls.includes(requirement.id));
      const manual = this.manual.filter((m) => m.requirements.includes(requirement.id));
      const days = this.days.map((date, i): ControlDay => {
        if (!applicable) return { date, status: 'excluded' };
        const statuses = new Set(mapped.map((c) => c.days[i]!.status));
        if (statuses.has('fail') || statuses.has('error')) return { date, status: 'failing' };
        if (statuses.has('stale')) return { date, status: 'stale' };
        if (statuses.has('pass') || statuses.has('warn')) return { date, status: 'passing' };
        if (manual.some((m) => m.effective <= date && (m.expires === null || m.expires > date))) return { date, status: 'manual' };
        return { date, status: 'missing' };
      });
      const daysByStatus: ControlTimeline['daysByStatus'] = {};
      for (const d of days) daysByStatus[d.status] = (daysByStatus[d.status] ?? 0) + 1;
      const judged = mapped.some((c) => c.days.some((d) => d.status !== 'not_collected'));
      const evidenceInPeriod = judged || manual.length > 0;
      const span = `${period.from} to ${period.to}`;
      const summary = !applicable
        ? `Excluded in the Statement of Applicability: ${decision?.justification || 'no justification recorded'}.`
        : !evidenceInPeriod
          ? `No evidence for ${requirement.id} from ${span}: ${mapped.length ? `none of its ${mapped.length} mapped check(s) judged collected evidence` : 'no check is mapped to it'} and no manual evidence was in force.`
          : `${Object.entries(daysByStatus).map(([s, n]) => `${n} day(s) ${s}`).join(', ')} over ${days.length} day(s) from ${span}.`;
      return {
        id: requirement.id,
        kind: requirement.kind,
        title: requirement.title,
        theme: requirement.theme,
        applicable,
        justification: decision?.justification ?? null,
        checks: mapped.map((c) => c.checkId),
        days,
        daysByStatus,
        manualEvidence: manual,
        evidenceInPeriod,
        summary,
      };
    });
  }
}

/**
 * Reads a period's timeline through a {@link PeriodReader}, day by day. `onInterval` receives
 * every subject's result intervals as they close (the bundle streams them to CSV).
 */
export async function readPeriodTimeline(options: {
  reader: PeriodReader;
  period: Period;
  framework: Framework;
  checks: readonly CheckDefinition<unknown>[];
  applicability: ReadonlyMap<string, Applicability> | null;
  onInterval?: (interval: SubjectInterval) => void | Promise<void>;
}): Promise<PeriodTimeline> {
  const builder = new PeriodTimelineBuilder(options);
  for (const day of periodDays(options.period)) await builder.addCheckRuns(day, await options.reader.checkRunsOn(day));
  builder.addCollections(await options.reader.collections(options.period));
  builder.setManualEvidence(await options.reader.manualEvidence(options.period));
  return builder.finish();
}
