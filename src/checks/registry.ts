import type { CheckDefinition } from './check.js';
import { githubChecks } from './github.js';
import { awsChecks } from './aws.js';

/** Every check Annexa ships, listed explicitly (connectors bring theirs here as they land). */
export const checkRegistry: readonly CheckDefinition<unknown>[] = [...githubChecks, ...awsChecks] as CheckDefinition<unknown>[];
