import { parse as parseCsv } from 'csv-parse/sync';
import type { DateFormat } from './settings.js';

/** One row of a file as a map from column to text, with the line it ends on (1-based, header is line 1). */
export interface Row {
  line: number;
  values: Record<string, string>;
}

/**
 * Rows of a CSV export: a UTF-8 BOM is dropped, quoted fields may hold commas and newlines,
 * empty lines are skipped, and a row with more or fewer fields than the header is an error
 * (csv-parse reports its line).
 */
export function csvRows(text: string): Row[] {
  const records = parseCsv(text, { bom: true, columns: true, skip_empty_lines: true, trim: true, info: true }) as { record: Record<string, string>; info: { lines: number } }[];
  return records.map(({ record, info }) => ({ line: info.lines, values: record }));
}

/** Rows of a JSON export: an array of flat objects (numbering by array index + 1, as `item N`). */
export function jsonRows(text: string): Row[] {
  const value: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
  if (!Array.isArray(value)) throw new Error('expected a JSON array of objects');
  return value.map((item, index) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new Error(`item ${index + 1} is not an object`);
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(item)) values[k] = v === null || v === undefined ? '' : String(v).trim();
    return { line: index + 1, values };
  });
}

const patterns: Record<Exclude<DateFormat, 'iso'>, RegExp> = {
  'dd/mm/yyyy': /^(?<d>\d{1,2})\/(?<m>\d{1,2})\/(?<y>\d{4})$/,
  'mm/dd/yyyy': /^(?<m>\d{1,2})\/(?<d>\d{1,2})\/(?<y>\d{4})$/,
};

/**
 * A date in the declared format as `YYYY-MM-DD`, or an error message. `iso` takes a calendar
 * date or a timestamp (its UTC date). Impossible dates (31/02/2026) are errors, not rolled over.
 */
export function parseDate(text: string, format: DateFormat): { date: string } | { error: string } {
  let y: number, m: number, d: number;
  if (format === 'iso') {
    const match = /^(\d{4})-(\d{2})-(\d{2})(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text);
    if (!match) return { error: `"${text}" is not an ISO date (expected YYYY-MM-DD)` };
    if (match[4]) {
      const ms = Date.parse(text);
      if (Number.isNaN(ms)) return { error: `"${text}" is not a valid ISO timestamp` };
      return { date: new Date(ms).toISOString().slice(0, 10) };
    }
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else {
    const groups = patterns[format].exec(text)?.groups;
    if (!groups) return { error: `"${text}" is not a ${format} date` };
    [y, m, d] = [Number(groups.y), Number(groups.m), Number(groups.d)];
  }
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return { error: `"${text}" is not a valid ${format} date` };
  }
  return { date: date.toISOString().slice(0, 10) };
}

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A plausible email, lower-cased (matching across systems is by email). */
export function parseEmail(text: string): { email: string } | { error: string } {
  return emailPattern.test(text) ? { email: text.toLowerCase() } : { error: `"${text}" is not an email address` };
}
