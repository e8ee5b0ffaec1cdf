import { z } from 'zod';

/** Date formats a file may use. Always stated in config: `03/04/2026` is never guessed. */
export const dateFormats = ['iso', 'dd/mm/yyyy', 'mm/dd/yyyy'] as const;
export type DateFormat = (typeof dateFormats)[number];

const common = {
  path: z.string().min(1).describe('A file or a glob (exports/roster-*.csv); absolute, or relative to the working directory.'),
  format: z.enum(['csv', 'json']).optional().describe('csv or json; by default from the file extension.'),
  dateFormat: z.enum(dateFormats).describe('How dates are written: iso (2026-03-31), dd/mm/yyyy or mm/dd/yyyy. Required: never guessed.'),
};

const column = (what: string) => z.string().min(1).describe(`Column (CSV header or JSON key) holding ${what}.`);

/** Config keys of a `type: file` connector instance: one import of one kind. */
export const fileSettingsSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('people.roster').describe('An HRIS export of people: who works here, since and until when.'),
    ...common,
    columns: z
      .strictObject({
        email: column('the work email (required)'),
        name: column('the full name').optional(),
        employeeId: column('the HR id').optional(),
        startDate: column('the first working day').optional(),
        endDate: column('the last working day (empty while employed)').optional(),
        department: column('the department').optional(),
        manager: column('the manager\'s email').optional(),
      })
      .describe('Which column holds each field.'),
  }),
  z.strictObject({
    kind: z.literal('training.completion').describe('An LMS export of completed trainings.'),
    ...common,
    columns: z
      .strictObject({
        email: column('the learner\'s email (required)'),
        course: column('the course or module name (required)'),
        completedAt: column('the completion date (required)'),
        name: column('the learner\'s name').optional(),
      })
      .describe('Which column holds each field.'),
  }),
]);

/** Validated settings (no secrets). */
export type FileSettings = z.output<typeof fileSettingsSchema>;
