/**
 * CSV for auditors' spreadsheets: UTF-8 with a byte-order mark (Excel then reads accents
 * correctly), one header row, CRLF line ends and RFC 4180 quoting.
 */
export const utf8Bom = '\uFEFF';

/** One CSV field, quoted when it holds a comma, quote or line break. Null and undefined are empty. */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line (with its CRLF). */
export function csvLine(fields: readonly (string | number | boolean | null | undefined)[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

/** A whole CSV document: BOM, header, rows. */
export function csvDocument(header: readonly string[], rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  return utf8Bom + csvLine(header) + rows.map(csvLine).join('');
}
