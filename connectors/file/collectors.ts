import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { z } from 'zod';
import { defineCollector, type EvidenceRecord, type RequestRef } from '../../src/core/connector.js';
import type { Clock } from '../../src/core/clock.js';
import { CollectError } from '../../src/core/errors.js';
import { csvRows, jsonRows, parseDate, parseEmail, type Row } from './parse.js';
import type { FileSettings } from './settings.js';

/** Where a record came from in the file (the auditor's pointer back to the export). */
const sourceSchema = z
  .object({ file: z.string().describe('Absolute path of the export.'), line: z.number().describe('Line the row ends on (CSV, header = 1) or item number (JSON).') })
  .describe('The file and line the record came from.');

export const rosterPayload = z.object({
  email: z.string().describe('Work email, lower-cased: the key people are matched on across systems.'),
  name: z.string().nullable().describe('Full name.'),
  employeeId: z.string().nullable().describe('HR id.'),
  startDate: z.string().nullable().describe('First working day (YYYY-MM-DD).'),
  endDate: z.string().nullable().describe('Last working day (YYYY-MM-DD); null while employed.'),
  department: z.string().nullable().describe('Department.'),
  managerEmail: z.string().nullable().describe('Manager\'s email, lower-cased.'),
  source: sourceSchema,
});

export type RosterEntry = z.output<typeof rosterPayload>;

export const trainingCompletionPayload = z.object({
  email: z.string().describe('Learner email, lower-cased.'),
  name: z.string().nullable().describe('Learner name.'),
  course: z.string().describe('Course or module completed.'),
  completedAt: z.string().describe('Completion date (YYYY-MM-DD).'),
  source: sourceSchema,
});

export type TrainingCompletion = z.output<typeof trainingCompletionPayload>;

type Mapped<P> = { subject: string; payload: P } | { error: string };

/** How many bad rows one failure message lists (the count is always given). */
const listedErrors = 10;

/**
 * Reads every file of the import, maps each row, and yields the records only when every row of
 * every file is good: a file with one bad row must not half-load (the collector fails with each
 * bad row's file, line and reason; the previous good import stays the latest evidence). Rows are
 * therefore held in memory: exports are people and completions, thousands of rows, not millions.
 */
async function* importRows<P>(
  config: FileSettings,
  clock: Clock,
  mapRow: (row: Row, file: string) => Mapped<P>,
): AsyncGenerator<EvidenceRecord<P>> {
  const files = isDynamicPattern(config.path) ? globSync(config.path, { absolute: true, onlyFiles: true }).sort() : [resolve(config.path)];
  if (files.length === 0) throw new CollectError('not_found', `${config.kind} import: no file matches ${config.path}`);
  const records: EvidenceRecord<P>[] = [];
  const errors: string[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CollectError(code === 'ENOENT' ? 'not_found' : code === 'EACCES' ? 'permission_denied' : 'unexpected', `${config.kind} import: cannot read ${file} (${code ?? String(error)})`);
    }
    const request: RequestRef = {
      method: 'READ',
      url: pathToFileURL(file).href,
      status: 200,
      // The file's digest: the import can be matched to the exact export it read.
      requestId: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      at: clock.now().toISOString(),
    };
    const format = config.format ?? (extname(file).toLowerCase() === '.json' ? 'json' : 'csv');
    let rows: Row[];
    try {
      rows = format === 'json' ? jsonRows(bytes.toString('utf8')) : csvRows(bytes.toString('utf8'));
    } catch (error) {
      errors.push(`${file}: ${(error as Error).message}`);
      continue;
    }
    for (const row of rows) {
      const where = `${file}:${row.line}`;
      const mapped = mapRow(row, file);
      if ('error' in mapped) {
        errors.push(`${where}: ${mapped.error}`);
        continue;
      }
      const first = seen.get(mapped.subject);
      if (first) {
        errors.push(`${where}: duplicate ${mapped.subject} (first on ${first})`);
        continue;
      }
      seen.set(mapped.subject, where);
      records.push({ subject: mapped.subject, payload: mapped.payload, requests: [request] });
    }
  }
  if (errors.length > 0) {
    const more = errors.length > listedErrors ? `; and ${errors.length - listedErrors} more` : '';
    throw new CollectError(
      'invalid_payload',
      `${config.kind} import rejected, nothing loaded: ${errors.length} bad row(s): ${errors.slice(0, listedErrors).join('; ')}${more}`,
    );
  }
  yield* records;
}

/** Reads optional and required cells of a row by the configured column names. */
function cells(row: Row, problems: string[]) {
  const get = (column: string | undefined): string | null => {
    if (column === undefined) return null;
    if (!(column in row.values)) {
      problems.push(`no column "${column}"`);
      return null;
    }
    return row.values[column] === '' ? null : row.values[column]!;
  };
  const required = (column: string, what: string): string | null => {
    const value = get(column);
    if (value === null && column in row.values) problems.push(`${what} is empty`);
    return value;
  };
  return { get, required };
}

function date(value: string | null, format: FileSettings['dateFormat'], what: string, problems: string[]): string | null {
  if (value === null) return null;
  const parsed = parseDate(value, format);
  if ('error' in parsed) {
    problems.push(`${what}: ${parsed.error}`);
    return null;
  }
  return parsed.date;
}

function email(value: string | null, what: string, problems: string[]): string | null {
  if (value === null) return null;
  const parsed = parseEmail(value);
  if ('error' in parsed) {
    problems.push(`${what}: ${parsed.error}`);
    return null;
  }
  return parsed.email;
}

export const rosterCollector = defineCollector<undefined, FileSettings, typeof rosterPayload>({
  id: 'roster',
  kind: 'people.roster.v1',
  title: 'People roster (HRIS export)',
  description: 'Everyone on the HR roster with start and end dates, department and manager: who should have accounts, and who left when.',
  subject: 'work email',
  ttlHours: 36,
  payload: rosterPayload,
  appliesTo: (config) => config.kind === 'people.roster',
  collect({ config, clock }) {
    if (config.kind !== 'people.roster') throw new CollectError('config', 'the roster collector runs only for kind people.roster');
    const c = config.columns;
    return importRows<RosterEntry>(config, clock, (row, file) => {
      const problems: string[] = [];
      const { get, required } = cells(row, problems);
      const mail = email(required(c.email, 'email'), 'email', problems);
      const startDate = date(get(c.startDate), config.dateFormat, 'start date', problems);
      const endDate = date(get(c.endDate), config.dateFormat, 'end date', problems);
      const manager = email(get(c.manager), 'manager', problems);
      if (startDate && endDate && endDate < startDate) problems.push(`end date ${endDate} is before start date ${startDate}`);
      if (problems.length > 0 || mail === null) return { error: problems.join(', ') || 'email is empty' };
      return {
        subject: mail,
        payload: { email: mail, name: get(c.name), employeeId: get(c.employeeId), startDate, endDate, department: get(c.department), managerEmail: manager, source: { file, line: row.line } },
      };
    });
  },
});

export const trainingCompletionsCollector = defineCollector<undefined, FileSettings, typeof trainingCompletionPayload>({
  id: 'training_completions',
  kind: 'training.completion.v1',
  title: 'Training completions (LMS export)',
  description: 'Each completed course per learner with its completion date, from an LMS export.',
  subject: 'email|course|date',
  ttlHours: 36,
  payload: trainingCompletionPayload,
  appliesTo: (config) => config.kind === 'training.completion',
  collect({ config, clock }) {
    if (config.kind !== 'training.completion') throw new CollectError('config', 'the training collector runs only for kind training.completion');
    const c = config.columns;
    return importRows<TrainingCompletion>(config, clock, (row, file) => {
      const problems: string[] = [];
      const { get, required } = cells(row, problems);
      const mail = email(required(c.email, 'email'), 'email', problems);
      const course = required(c.course, 'course');
      const completedAt = date(required(c.completedAt, 'completion date'), config.dateFormat, 'completion date', problems);
      if (problems.length > 0 || mail === null || course === null || completedAt === null) return { error: problems.join(', ') };
      return {
        subject: `${mail}|${course}|${completedAt}`,
        payload: { email: mail, name: get(c.name), course, completedAt, source: { file, line: row.line } },
      };
    });
  },
});
