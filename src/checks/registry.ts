import type { CheckDefinition } from './check.js';
import { githubChecks } from './github.js';
import { jiraChecks } from './jira.js';
import { peopleChecks } from './people.js';
import { lifecycleChecks } from './lifecycle.js';
import { entraChecks } from './entra.js';
import { googleChecks } from './google.js';

/** Every check Annexa ships, listed explicitly (connectors bring theirs here as they land). */
export const checkRegistry: readonly CheckDefinition<unknown>[] = [...githubChecks, ...entraChecks, ...googleChecks, ...jiraChecks, ...peopleChecks, ...lifecycleChecks] as CheckDefinition<unknown>[];
