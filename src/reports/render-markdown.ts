import type { CheckRow, CoverageReport, RequirementRow } from './coverage-model.js';
import {
  checkStatusLabel,
  checksSummary,
  countedStatuses,
  failingSubjects,
  formatInstant,
  formatSize,
  isFailingCheck,
  manualEvidenceState,
  statusLabel,
  themesOf,
} from './render-common.js';

/**
 * The coverage report as GitHub-flavoured Markdown: a summary, one table of requirements per
 * theme, the failing subjects of every failing check, and the excluded controls with their
 * justification. Text from the report is escaped: it cannot break a table (`|`, newlines),
 * add formatting, links or raw HTML.
 */
export function renderCoverageMarkdown(report: CoverageReport): string {
  const { summary } = report;
  const out: string[] = [];

  out.push(`# ${text(report.framework.title)} coverage`, '');
  out.push(
    `As of **${text(formatInstant(report.asOf))}** · generated ${text(formatInstant(report.generatedAt))} · ` +
      (report.soaFile === null
        ? 'no Statement of Applicability (every control counts as applicable)'
        : `Statement of Applicability: ${code(report.soaFile, false)}`),
    '',
  );

  out.push('## Summary', '');
  out.push(
    `**${summary.currentEvidencePercent.toFixed(1)}%** of applicable requirements have current evidence (passing, failing or manual).`,
    '',
  );
  out.push('| | Requirements |', '| --- | ---: |');
  out.push(`| Applicable | ${summary.applicable} |`);
  out.push(`| Excluded | ${summary.excluded} |`);
  for (const s of countedStatuses) out.push(`| ${statusLabel[s]} | ${summary.byStatus[s]} |`);
  out.push('');

  if (summary.byTheme.length > 0) {
    out.push(
      `| Theme | Applicable | Excluded | ${countedStatuses.map((s) => statusLabel[s]).join(' | ')} |`,
      `| --- | ---: | ---: | ${countedStatuses.map(() => '---:').join(' | ')} |`,
    );
    for (const t of summary.byTheme) {
      out.push(
        `| ${cell(t.title)} | ${t.applicable} | ${t.excluded} | ${countedStatuses.map((s) => t.byStatus[s]).join(' | ')} |`,
      );
    }
    out.push('');
  }

  for (const theme of themesOf(report)) {
    if (theme.rows.length === 0) continue;
    out.push(`## ${text(theme.title)}`, '');
    out.push(
      '| ID | Title | Applicable | Status | Checks | Failing subjects | Newest evidence |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const row of theme.rows) out.push(requirementLine(row));
    out.push('');
  }

  out.push('## Failing subjects', '');
  const failing = checksWith(report, (c) => c.failing.length > 0);
  if (failing.length === 0) {
    out.push('No check reports failing subjects.', '');
  } else {
    for (const { check, requirements } of failing) out.push(...failingCheck(check, requirements), '');
  }

  const warned = checksWith(report, (c) => c.warnings.length > 0);
  if (warned.length > 0) {
    out.push('## Subjects to review', '');
    for (const { check, requirements } of warned) {
      out.push(
        `### ${code(check.id, false)} ${text(check.title)}`,
        '',
        `Backs ${requirements.map((id) => code(id, false)).join(', ')}.`,
        '',
        ...check.warnings.map((w) => `- ${code(w.subject, false)} (warn, ${code(w.instanceId, false)}): ${text(w.message)}`),
        '',
      );
    }
  }

  out.push('## Excluded controls', '');
  const excluded = report.controls.filter((r) => !r.applicable || r.status === 'excluded');
  if (excluded.length === 0) {
    out.push('No control is excluded in the Statement of Applicability.', '');
  } else {
    out.push('| ID | Title | Justification |', '| --- | --- | --- |');
    for (const row of excluded) {
      out.push(`| ${code(row.id)} | ${cell(row.title)} | ${row.justification ? cell(row.justification) : '*none given*'} |`);
    }
    out.push('');
  }

  const manual = report.controls.filter((r) => r.manualEvidence.length > 0);
  if (manual.length > 0) {
    out.push('## Manual evidence', '');
    out.push('| Requirement | File | Size | Effective | Expires | State | Added by | Note |', '| --- | --- | ---: | --- | --- | --- | --- | --- |');
    for (const row of manual) {
      for (const m of row.manualEvidence) {
        out.push(
          `| ${code(row.id)} | ${code(m.fileName)} | ${formatSize(m.size)} | ${cell(formatInstant(m.effective))} | ` +
            `${m.expires === null ? 'never' : cell(formatInstant(m.expires))} | ${manualEvidenceState(m, report.asOf)} | ` +
            `${cell(m.addedBy)} | ${m.note ? cell(m.note) : ''} |`,
        );
      }
    }
    out.push('');
  }

  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

function requirementLine(row: RequirementRow): string {
  const subjects = failingSubjects(row);
  const shown = subjects.slice(0, 5).map((s) => code(s)).join(', ');
  const more = subjects.length > 5 ? ` +${subjects.length - 5}` : '';
  const newest = row.newestEvidence
    ? `${cell(formatInstant(row.newestEvidence.at))} (${cell(row.newestEvidence.source)})`
    : '—';
  const status = row.status === 'passing' || row.status === 'excluded' || row.status === 'manual'
    ? statusLabel[row.status]
    : `**${statusLabel[row.status]}**`;
  return `| ${code(row.id)} | ${cell(row.title)} | ${row.applicable ? 'yes' : 'no'} | ${status} | ${cell(checksSummary(row))} | ${shown}${more} | ${newest} |`;
}

/** Every check matching `keep`, once, with the requirements it backs (a check maps to several). */
function checksWith(report: CoverageReport, keep: (check: CheckRow) => boolean): { check: CheckRow; requirements: string[] }[] {
  const byId = new Map<string, { check: CheckRow; requirements: string[] }>();
  for (const row of report.controls) {
    for (const check of row.checks) {
      if (!keep(check)) continue;
      const entry = byId.get(check.id);
      if (entry) {
        if (!entry.requirements.includes(row.id)) entry.requirements.push(row.id);
      } else {
        byId.set(check.id, { check, requirements: [row.id] });
      }
    }
  }
  return [...byId.values()];
}

function failingCheck(check: CheckRow, requirements: readonly string[]): string[] {
  const counts = Object.entries(check.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${checkStatusLabel[s as keyof typeof checkStatusLabel] ?? s}`)
    .join(', ');
  const lines = [
    `### ${code(check.id, false)} ${text(check.title)}`,
    '',
    `Status ${isFailingCheck(check.status) ? '**' + checkStatusLabel[check.status] + '**' : checkStatusLabel[check.status]}` +
      (counts ? ` (${text(counts)})` : '') +
      (check.evidenceCollectedAt ? `, evidence collected ${text(formatInstant(check.evidenceCollectedAt))}` : '') +
      `. Backs ${requirements.map((id) => code(id, false)).join(', ')}.`,
    '',
  ];
  for (const f of check.failing) {
    lines.push(`- ${code(f.subject, false)} (${checkStatusLabel[f.status]}, ${code(f.instanceId, false)}): ${text(f.message)}`);
  }
  return lines;
}

/**
 * Inline Markdown text: HTML-significant characters become entities (no raw HTML), Markdown
 * punctuation is backslash-escaped (no emphasis, links, code or table breaks), newlines become
 * spaces. Safe in paragraphs, headings, list items and table cells.
 */
function text(value: string): string {
  return value
    .replace(/\r\n?|[\n\u2028\u2029]/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
}

/** A table cell: like {@link text}, but newlines are kept as `<br>` line breaks. */
function cell(value: string): string {
  return value
    .split(/\r\n?|[\n\u2028\u2029]/)
    .map(text)
    .join('<br>');
}

/**
 * An inline code span: the fence is longer than any backtick run inside and newlines become
 * spaces; in a table cell `|` is escaped (GFM splits cells on it even inside code).
 */
function code(value: string, inTable = true): string {
  const oneLine = value.replace(/\r\n?|[\n\u2028\u2029]/g, ' ');
  const flat = inTable ? oneLine.replace(/\|/g, '\\|') : oneLine;
  if (flat === '') return '` `';
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || (flat.startsWith(' ') && flat.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}
