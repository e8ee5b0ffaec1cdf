/**
 * The HR roster and LMS export files of the sandbox, from the same synthetic company as every fake
 * API: an HRIS roster (UK day-first dates, Excel-style BOM and CRLF) with every employee and
 * contractor, leavers with their end dates; and the partner LMS export where contractors complete
 * their awareness course on joining and every year after (US month-first dates). Encoded with
 * csv-stringify.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { SeededRandom } from '../random.js';
import { DAY_MS, parseIso } from '../time.js';
import type { SyntheticCompany } from '../company.js';

/** Column headers of the roster export, as a `type: file` connector maps them. */
export const rosterColumns = {
  employeeId: 'Employee ID',
  name: 'Full Name',
  email: 'Work Email',
  startDate: 'Start Date',
  endDate: 'End Date',
  department: 'Department',
  manager: 'Manager Email',
} as const;

/** Column headers of the LMS export. */
export const lmsColumns = { email: 'Learner Email', name: 'Learner Name', course: 'Course Title', completedAt: 'Completion Date' } as const;

/** The LMS course contractors complete. */
export const contractorCourse = 'Security Awareness for Partners';

/** `yyyy-mm-dd` → `dd/mm/yyyy`. */
const dayFirst = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
/** `yyyy-mm-dd` → `mm/dd/yyyy`. */
const monthFirst = (iso: string) => `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`;

/** The two export files' contents. */
export function createExports(company: SyntheticCompany): { roster: string; lms: string } {
  const byId = new Map(company.people.map((p) => [p.id, p]));
  const roster =
    '\uFEFF' +
    stringify(
      company.people.map((p) => [p.id, p.displayName, p.email, dayFirst(p.startDate), p.endDate ? dayFirst(p.endDate) : '', p.department, p.managerId ? (byId.get(p.managerId)?.email ?? '') : '']),
      { header: true, columns: Object.values(rosterColumns), record_delimiter: '\r\n' },
    );
  const rng = new SeededRandom(company.seed).fork('lms');
  const nowMs = parseIso(company.now);
  // Each contractor completes the course within days of starting, and again every year.
  const lms = stringify(
    company.people
      .filter((p) => p.employmentType === 'contractor')
      .flatMap((p) => {
        const rows: string[][] = [];
        for (let start = parseIso(`${p.startDate}T00:00:00Z`); start < nowMs - DAY_MS; start += 365 * DAY_MS) {
          const done = Math.min(start + rng.int(1, 9) * DAY_MS, nowMs - DAY_MS);
          rows.push([p.email, p.displayName, contractorCourse, monthFirst(new Date(done).toISOString().slice(0, 10))]);
        }
        return rows;
      }),
    { header: true, columns: Object.values(lmsColumns) },
  );
  return { roster, lms };
}

/** Writes `roster.csv` and `lms-completions.csv` into `dir` and returns their paths. */
export function writeExports(company: SyntheticCompany, dir: string): { roster: string; lms: string } {
  mkdirSync(dir, { recursive: true });
  const files = createExports(company);
  const paths = { roster: join(dir, 'roster.csv'), lms: join(dir, 'lms-completions.csv') };
  writeFileSync(paths.roster, files.roster);
  writeFileSync(paths.lms, files.lms);
  return paths;
}
