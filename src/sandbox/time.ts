/**
 * Time helpers shared by the sandbox generators and servers.
 *
 * GitHub renders timestamps as ISO-8601 UTC without milliseconds
 * (`2026-05-01T12:00:00Z`); HR-style data uses plain calendar dates.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** `2026-05-01T12:00:00Z` (milliseconds dropped, not rounded). */
export function isoSeconds(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `2026-05-01` (UTC calendar date). */
export function isoDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Parses an ISO timestamp or date produced by the helpers above. */
export function parseIso(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO date: ${text}`);
  return ms;
}
