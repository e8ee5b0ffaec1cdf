import { defineConnector } from '../../src/core/connector.js';
import { fileSettingsSchema, type FileSettings } from './settings.js';
import { rosterCollector, trainingCompletionsCollector } from './collectors.js';

/**
 * File imports: an HRIS roster or an LMS training export (CSV or JSON), typed as source-agnostic
 * kinds (`people.roster.v1`, `training.completion.v1`) so checks do not care where they came from.
 */
export const fileConnector = defineConnector<FileSettings, undefined>({
  type: 'file',
  title: 'File import',
  description: 'People roster (HRIS export) or training completions (LMS export) from CSV or JSON files.',
  config: fileSettingsSchema,
  http: {},
  permissions: [{ grant: 'Read access to the export file(s) for the user running Annexa', reason: 'roster, training_completions' }],
  createClient: () => undefined,
  collectors: [rosterCollector, trainingCompletionsCollector],
});
