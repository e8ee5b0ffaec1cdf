import type { CheckDefinition } from './check.js';
import { githubChecks } from './github.js';
import { peopleChecks } from './people.js';
import { entraChecks } from './entra.js';

/** Every check Annexa ships, listed explicitly (connectors bring theirs here as they land). */
export const checkRegistry: readonly CheckDefinition<unknown>[] = [...githubChecks, ...entraChecks, ...peopleChecks] as CheckDefinition<unknown>[];
