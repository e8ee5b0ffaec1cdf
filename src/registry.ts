import type { ConnectorDefinition } from './core/connector.js';
import { githubConnector } from '../connectors/github/index.js';
import { jiraConnector } from '../connectors/jira/index.js';
import { knowbe4Connector } from '../connectors/knowbe4/index.js';
import { fileConnector } from '../connectors/file/index.js';
import { awsConnector } from '../connectors/aws/index.js';
import { microsoftGraphConnector } from '../connectors/microsoft-graph/index.js';
import { googleWorkspaceConnector } from '../connectors/google-workspace/index.js';

/**
 * Every connector Annexa ships, listed explicitly: adding one is one line here, and nothing is
 * registered by importing a module for its side effects.
 */
export const connectorRegistry: readonly ConnectorDefinition[] = [
  // Each definition is typed with its own settings and client; the registry holds them erased.
  githubConnector as ConnectorDefinition,
  jiraConnector as ConnectorDefinition,
  knowbe4Connector as ConnectorDefinition,
  fileConnector as ConnectorDefinition,
  awsConnector as ConnectorDefinition,
  microsoftGraphConnector as ConnectorDefinition,
  googleWorkspaceConnector as ConnectorDefinition,
];
