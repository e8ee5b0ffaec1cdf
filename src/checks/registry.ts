import type { CheckDefinition } from './check.js';
import { githubChecks } from './github.js';
import { jiraChecks } from './jira.js';
import { peopleChecks } from './people.js';
import { lifecycleChecks } from './lifecycle.js';

/** Every check Annexa ships, listed explicitly (connectors bring theirs here as they land). */
export const checkRegistry: readonly CheckDefinition<unknown>[] = [...githubChecks, ...jiraChecks, ...peopleChecks, ...lifecycleChecks] as CheckDefinition<unknown>[];
