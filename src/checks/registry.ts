import type { CheckDefinition } from './check.js';
import { githubChecks } from './github.js';
import { jiraChecks } from './jira.js';
import { lifecycleChecks } from './lifecycle.js';
import { awsChecks } from './aws.js';
import { entraChecks } from './entra.js';
import { googleChecks } from './google.js';
import { peopleChecks } from './people.js';

/** Every check Annexa ships, listed explicitly (connectors bring theirs here as they land). */
export const checkRegistry: readonly CheckDefinition<unknown>[] = [...githubChecks, ...awsChecks, ...entraChecks, ...googleChecks, ...jiraChecks, ...peopleChecks, ...lifecycleChecks] as CheckDefinition<unknown>[];
