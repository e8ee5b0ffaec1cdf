import type { CheckDefinition } from './check.js';
import { githubChecks } from './github.js';
import { peopleChecks } from './people.js';

/** Every check Annexa ships, listed explicitly (connectors bring theirs here as they land). */
export const checkRegistry: readonly CheckDefinition<unknown>[] = [...githubChecks, ...peopleChecks] as CheckDefinition<unknown>[];
