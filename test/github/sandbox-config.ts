import { parseConfig, type AnnexaConfig } from '../../src/config/config.js';
import { connectorRegistry } from '../../src/registry.js';
import { checkRegistry } from '../../src/checks/registry.js';
import { Redactor } from '../../src/core/redact.js';

/**
 * The config of one GitHub connector (org `acme`) against a GitHub sandbox at `baseUrl`, its token
 * read from GITHUB_TOKEN as a user's config would. Not in harness.ts: that module loads nock,
 * which must not sit between a test and the sandbox.
 */
export function githubSandboxConfig(baseUrl: string, storePath: string, token: string): AnnexaConfig {
  return parseConfig(
    { store: { path: storePath }, connectors: [{ id: 'github-acme', type: 'github', org: 'acme', token: '${GITHUB_TOKEN}', baseUrl }] },
    '<test>',
    connectorRegistry,
    { env: { GITHUB_TOKEN: token }, readFile: () => '', redactor: new Redactor() },
    checkRegistry,
  );
}
