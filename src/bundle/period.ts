import { UsageError } from '../core/errors.js';

/** An audit period: whole UTC days, both ends included (`2026-01-01` to `2026-12-31`). */
export interface Period {
  from: string;
  to: string;
}

const isoDay = /^\d{4}-\d{2}-\d{2}$/;
const dayMs = 86_400_000;

/** Parses `--from`/`--to` (calendar dates, UTC), rejecting impossible dates and reversed periods. */
export function parsePeriod(from: string | undefined, to: string | undefined): Period {
  for (const [flag, value] of [['--from', from], ['--to', to]] as const) {
    if (value === undefined) throw new UsageError(`${flag} is required (a date like 2026-01-01)`);
    if (!isoDay.test(value) || new Date(`${value}T00:00:00.000Z`).toISOString().slice(0, 10) !== value) {
      throw new UsageError(`${flag} ${value}: expected a calendar date like 2026-01-01`);
    }
  }
  if (to! < from!) throw new UsageError(`--to ${to} is before --from ${from}`);
  return { from: from!, to: to! };
}

/** The first instant of the period. */
export function periodStart(period: Period): Date {
  return new Date(`${period.from}T00:00:00.000Z`);
}

/** The last instant of the period (end of the `to` day). */
export function periodEnd(period: Period): Date {
  return new Date(`${period.to}T23:59:59.999Z`);
}

/** Every day of the period, in order, as `YYYY-MM-DD`. */
export function periodDays(period: Period): string[] {
  const days: string[] = [];
  for (let t = periodStart(period).getTime(); t <= periodEnd(period).getTime(); t += dayMs) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** The UTC day of a timestamp. */
export function dayOf(timestamp: string): string {
  return new Date(timestamp).toISOString().slice(0, 10);
}

/** The first and last instant of one UTC day. */
export function dayBounds(day: string): { since: Date; until: Date } {
  return { since: new Date(`${day}T00:00:00.000Z`), until: new Date(`${day}T23:59:59.999Z`) };
}
