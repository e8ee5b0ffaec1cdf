import type { CoverageReport } from './coverage-model.js';
import {
  checksSummary,
  countedStatuses,
  failingSubjects,
  formatInstant,
  listWithMore,
  oneLine,
  padEnd,
  padStart,
  statusLabel,
  truncate,
  width,
} from './render-common.js';

/** Longest title shown in the per-requirement lines. */
const titleWidth = 44;
/** Longest single subject shown in the failing-subjects column. */
const subjectWidth = 32;

/**
 * The coverage report as plain terminal text (no colours: output is often piped or logged):
 * a summary block, a per-theme table, then one aligned line per requirement. Every string
 * from the report is reduced to one line with control characters removed, so a subject name
 * cannot inject terminal escape sequences or break the alignment.
 */
export function renderCoverageTable(report: CoverageReport): string {
  const { summary } = report;
  const out: string[] = [];

  out.push(`${oneLine(report.framework.title)} coverage`);
  out.push(`As of ${oneLine(formatInstant(report.asOf))}, generated ${oneLine(formatInstant(report.generatedAt))}`);
  out.push(
    report.soaFile === null
      ? 'SoA: none (every control counts as applicable)'
      : `SoA: ${oneLine(report.soaFile)}`,
  );
  out.push('');

  const summaryRows: [string, string][] = [
    ['Applicable', String(summary.applicable)],
    ['Excluded', String(summary.excluded)],
    ...countedStatuses.map((s): [string, string] => [statusLabel[s], String(summary.byStatus[s])]),
  ];
  const labelWidth = Math.max(...summaryRows.map(([l]) => width(l)), width('Current evidence'));
  const numberWidth = Math.max(...summaryRows.map(([, n]) => width(n)));
  for (const [label, n] of summaryRows) out.push(`${padEnd(label, labelWidth)}  ${padStart(n, numberWidth)}`);
  out.push(
    `${padEnd('Current evidence', labelWidth)}  ${summary.currentEvidencePercent.toFixed(1)}% of applicable requirements (passing, failing or manual)`,
  );
  out.push('');

  if (summary.byTheme.length > 0) {
    const headers = ['Theme', 'Applicable', 'Excluded', ...countedStatuses.map((s) => statusLabel[s])];
    const rows = summary.byTheme.map((t) => [
      oneLine(t.title),
      String(t.applicable),
      String(t.excluded),
      ...countedStatuses.map((s) => String(t.byStatus[s])),
    ]);
    out.push(...alignedTable(headers, rows, (i) => i > 0));
    out.push('');
  }

  const headers = ['ID', 'Status', 'Title', 'Checks', 'Failing subjects'];
  const rows = report.controls.map((row) => [
    oneLine(row.id),
    row.status,
    truncate(oneLine(row.title), titleWidth),
    checksSummary(row),
    listWithMore(failingSubjects(row).map((s) => truncate(oneLine(s), subjectWidth))),
  ]);
  if (rows.length === 0) out.push('No requirements.');
  else out.push(...alignedTable(headers, rows, () => false));

  return out.join('\n') + '\n';
}

/** Aligned columns separated by two spaces, with a dashed rule under the header. */
function alignedTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned: (column: number) => boolean,
): string[] {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  const line = (r: readonly string[]) =>
    r
      .map((cell, i) => {
        const w = widths[i] ?? 0;
        if (rightAligned(i)) return padStart(cell, w);
        return i === r.length - 1 ? cell : padEnd(cell, w);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}
