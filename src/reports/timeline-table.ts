import { table } from '../cli/table.js';
import type { PeriodTimeline } from './timeline.js';
import { countsText } from './timeline-html.js';

/**
 * The period timeline for a terminal: one row per applicable requirement with checks (days by
 * status, changes, gap days), then the requirements with no evidence in the period, then every
 * status change. Plain text, no colours.
 */
export function renderTimelineTable(timeline: PeriodTimeline): string {
  const { period } = timeline;
  const lines: string[] = [`Annex A timeline ${period.from} to ${period.to} (${timeline.days} days)`, ''];
  const checkRows = timeline.checks.map((c) => [
    c.checkId,
    countsText(c.days),
    String(c.checkRuns),
    String(c.changes.length),
    c.gaps.length ? `${c.gaps.reduce((n, g) => n + g.days, 0)} days in ${c.gaps.length} gap(s)` : 'none',
  ]);
  lines.push(table(['check', 'days', 'runs', 'changes', 'collection gaps'], checkRows));
  const judged = timeline.controls.filter((c) => c.applicable && c.evidenceInPeriod);
  lines.push(table(['requirement', 'days', 'checks'], judged.map((c) => [c.id, countsText(c.days), c.checks.join(', ') || '-'])));
  const none = timeline.controls.filter((c) => c.applicable && !c.evidenceInPeriod);
  lines.push(`No evidence in the period (${none.length}): ${none.map((c) => c.id).join(', ') || 'none'}`, '');
  const changes = timeline.checks.flatMap((c) => c.changes.map((ch) => ({ check: c.checkId, ...ch })));
  if (changes.length) {
    lines.push(
      table(
        ['when', 'check', 'change', 'subjects', 'evidence'],
        changes
          .sort((a, b) => a.at.localeCompare(b.at))
          .map((ch) => [ch.at, ch.check, `${ch.from} -> ${ch.to}`, String(ch.subjectsChanged), ch.evidence.map((d) => d.slice(0, 12)).join(' ')]),
      ),
    );
  } else {
    lines.push('No status change in the period.', '');
  }
  return lines.join('\n');
}
