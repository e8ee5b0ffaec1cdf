import type { CheckStatus } from '../checks/check.js';
import type { CoverageReport, RequirementRow, RequirementStatus, StatusCounts } from './coverage-model.js';

/**
 * Helpers shared by the coverage renderers (table, Markdown, HTML). Pure: no I/O, no clock;
 * every relative time is measured against the report's as-of date, so output is reproducible.
 */

/** The counted statuses in the order every renderer shows them. */
export const countedStatuses = ['passing', 'failing', 'stale', 'manual', 'missing'] as const satisfies readonly (keyof StatusCounts)[];

/** Every requirement status, in display order (excluded last). */
export const displayStatuses: readonly RequirementStatus[] = [...countedStatuses, 'excluded'];

export const statusLabel: Record<RequirementStatus, string> = {
  passing: 'Passing',
  failing: 'Failing',
  stale: 'Stale',
  manual: 'Manual',
  missing: 'Missing',
  excluded: 'Excluded',
};

/** What each status means, in one line (legend, tooltips). */
export const statusMeaning: Record<RequirementStatus, string> = {
  passing: 'Every mapped check passes on current evidence',
  failing: 'A mapped check fails or cannot be judged',
  stale: 'Evidence is older than its TTL, or manual evidence expired',
  manual: 'Current manual evidence only, no automated evidence',
  missing: 'No automated or manual evidence',
  excluded: 'Excluded in the Statement of Applicability',
};

export const checkStatusLabel: Record<CheckStatus, string> = {
  pass: 'pass',
  fail: 'fail',
  warn: 'warn',
  stale: 'stale',
  not_collected: 'not collected',
  error: 'error',
};

/** A check counts as failing when it fails or cannot be judged. */
export function isFailingCheck(status: CheckStatus): boolean {
  return status === 'fail' || status === 'error';
}

/**
 * One short phrase about a requirement's checks: `2/3 checks failing`, `1/2 checks stale`,
 * `3/3 checks passing, 1 with warnings`, or `no checks`.
 */
export function checksSummary(row: RequirementRow): string {
  const total = row.checks.length;
  if (total === 0) return 'no checks';
  const failing = row.checks.filter((c) => isFailingCheck(c.status)).length;
  const stale = row.checks.filter((c) => c.status === 'stale').length;
  const notCollected = row.checks.filter((c) => c.status === 'not_collected').length;
  const warned = row.checks.filter((c) => c.status === 'warn').length;
  const noun = total === 1 ? 'check' : 'checks';
  const parts: string[] = [];
  if (failing > 0) parts.push(`${failing}/${total} ${noun} failing`);
  if (stale > 0) parts.push(parts.length === 0 ? `${stale}/${total} ${noun} stale` : `${stale} stale`);
  if (notCollected > 0) {
    parts.push(parts.length === 0 ? `${notCollected}/${total} ${noun} not collected` : `${notCollected} not collected`);
  }
  if (parts.length === 0) {
    parts.push(`${total}/${total} ${noun} passing`);
    if (warned > 0) parts.push(`${warned} with warnings`);
  }
  return parts.join(', ');
}

/** The distinct failing subjects of a requirement, in check order. */
export function failingSubjects(row: RequirementRow): string[] {
  const seen = new Set<string>();
  for (const check of row.checks) {
    for (const f of check.failing) seen.add(f.subject);
  }
  return [...seen];
}

/** `alice, bob +1`: the first `max` items, then how many more. */
export function listWithMore(items: readonly string[], max = 2): string {
  if (items.length === 0) return '';
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} +${items.length - max}` : shown;
}

/**
 * Makes text safe for one line of a terminal: control characters (including ESC, which could
 * smuggle terminal escape sequences in a subject name) become spaces, runs of whitespace one space.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Truncates to `max` characters (code points), ending in `…` when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 1) return chars.slice(0, max).join('');
  return chars.slice(0, max - 1).join('').trimEnd() + '…';
}

/** Display width in code points (what padding needs; the renderers emit no wide characters themselves). */
export function width(text: string): number {
  return [...text].length;
}

export function padEnd(text: string, size: number): string {
  const w = width(text);
  return w >= size ? text : text + ' '.repeat(size - w);
}

export function padStart(text: string, size: number): string {
  const w = width(text);
  return w >= size ? text : ' '.repeat(size - w) + text;
}

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;

/** `2025-06-30 14:05 UTC` for an instant, a bare date unchanged; unparseable input as is. */
export function formatInstant(value: string): string {
  if (dateOnly.test(value)) return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return value;
  const iso = new Date(ms).toISOString();
  const time = iso.slice(11, 16);
  return `${iso.slice(0, 10)} ${time} UTC`;
}

/** `2025-06-30` (the date of an instant, UTC); unparseable input as is. */
export function formatDate(value: string): string {
  if (dateOnly.test(value)) return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString().slice(0, 10);
}

/** How long before the as-of date an instant is: `3 days before as-of`, `5 hours before as-of`, `after as-of`. */
export function ageBefore(value: string, asOf: string): string | null {
  const at = Date.parse(value);
  const ref = Date.parse(asOf);
  if (Number.isNaN(at) || Number.isNaN(ref)) return null;
  const diff = ref - at;
  if (diff < 0) return 'after as-of';
  const hours = Math.floor(diff / 3_600_000);
  if (hours < 1) return 'at as-of';
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'} before as-of`;
  const days = Math.floor(hours / 24);
  return `${days} days before as-of`;
}

/** The themes to render, in summary order, with any theme only the rows mention appended. */
export function themesOf(report: CoverageReport): { theme: string; title: string; rows: RequirementRow[] }[] {
  const themes = report.summary.byTheme.map((t) => ({ theme: t.theme, title: t.title, rows: [] as RequirementRow[] }));
  const byId = new Map(themes.map((t) => [t.theme, t]));
  for (const row of report.controls) {
    let group = byId.get(row.theme);
    if (!group) {
      group = { theme: row.theme, title: row.theme, rows: [] };
      byId.set(row.theme, group);
      themes.push(group);
    }
    group.rows.push(row);
  }
  return themes;
}

/** `Annex A control` / `Clause requirement`. */
export function kindLabel(row: RequirementRow): string {
  return row.kind === 'control' ? 'Annex A control' : 'Clause requirement';
}

/** `1.2 KiB`, `512 B`. */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return String(bytes);
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Why a manual evidence file is not current, or `current`. */
export function manualEvidenceState(
  m: { current: boolean; effective: string; expires: string | null },
  asOf: string,
): 'current' | 'expired' | 'not yet effective' | 'not current' {
  if (m.current) return 'current';
  const ref = Date.parse(asOf);
  if (m.expires !== null && !Number.isNaN(ref) && Date.parse(m.expires) <= ref) return 'expired';
  if (!Number.isNaN(ref) && Date.parse(m.effective) > ref) return 'not yet effective';
  return 'not current';
}
