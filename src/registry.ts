import type { ConnectorDefinition } from './core/connector.js';
import { githubConnector } from '../connectors/github/index.js';
import { awsConnector } from '../connectors/aws/index.js';

/**
 * Every connector Annexa ships, listed explicitly: adding one is one line here, and nothing is
 * registered by importing a module for its side effects.
 */
export const connectorRegistry: readonly ConnectorDefinition[] = [
  // Each definition is typed with its own settings and client; the registry holds them erased.
  githubConnector as ConnectorDefinition,
  awsConnector as ConnectorDefinition,
];
