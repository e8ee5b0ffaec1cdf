import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSyntheticCompany, type SyntheticCompany } from '../sandbox/company.js';
import { createGithubWorld, type GithubWorld } from '../sandbox/github/data.js';
import { startGithubSandbox } from '../sandbox/github/server.js';
import { createAwsWorld, type AwsWorld } from '../sandbox/aws/data.js';
import { startAwsSandbox, useSandboxAwsCredentials } from '../sandbox/aws/server.js';
import { createEntraWorld, type EntraWorld } from '../sandbox/microsoft-graph/data.js';
import { startEntraSandbox } from '../sandbox/microsoft-graph/server.js';
import { sandboxTrustingFetch } from '../sandbox/tls.js';
import { createGoogleWorld, type GoogleWorld } from '../sandbox/google-workspace/data.js';
import { startGoogleSandbox } from '../sandbox/google-workspace/server.js';
import { googleScopes } from '../../connectors/google-workspace/settings.js';
import { createJiraWorld, type JiraWorld } from '../sandbox/jira/data.js';
import { startJiraSandbox } from '../sandbox/jira/server.js';
import { createKnowBe4World, type KnowBe4World } from '../sandbox/knowbe4/data.js';
import { startKnowBe4Sandbox } from '../sandbox/knowbe4/server.js';
import { lmsColumns, rosterColumns, writeExports } from '../sandbox/exports/files.js';
import type { FaultCounts, SandboxFaults } from '../sandbox/http-server.js';

/** The sample APIs by name, as fault knobs address them. */
export const sandboxApiNames = ['github', 'aws', 'entra', 'google', 'jira', 'knowbe4'] as const;
export type SandboxApiName = (typeof sandboxApiNames)[number];

/** The credential the sample APIs accept; it is not a secret, but it travels like one. */
export const sandboxToken = 'annexa-sandbox-token';
/** The environment variable the demo config references for it. */
export const sandboxTokenVariable = 'ANNEXA_SANDBOX_TOKEN';

/** The environment variable the demo config references for the sample service-account key. */
export const sandboxGoogleKeyVariable = 'ANNEXA_SANDBOX_GOOGLE_KEY';

/** The sample Entra ID app registration's client id. */
export const sandboxEntraClientId = '11111111-2222-4333-8444-555555555555';

/** Every sample API running on 127.0.0.1, seeded from one synthetic company. */
export interface SandboxEnvironment {
  company: SyntheticCompany;
  github: { url: string; world: GithubWorld; requestCount(): number; requestsByRoute(): Record<string, number> };
  /** `requestsByRoute` of AWS: per `service:Operation`. */
  aws: { url: string; world: AwsWorld; requestCount(): number; requestsByRoute(): Record<string, number> };
  entra: { url: string; world: EntraWorld; requestCount(): number; requestsByRoute(): Record<string, number> };
  google: { url: string; world: GoogleWorld; requestCount(): number; requestsByRoute(): Record<string, number> };
  jira: { url: string; world: JiraWorld; requestCount(): number; requestsByRoute(): Record<string, number> };
  knowbe4: { url: string; world: KnowBe4World; requestCount(): number; requestsByRoute(): Record<string, number> };
  /** The HR roster and LMS export files written for the `type: file` connectors. */
  exports: { roster: string; lms: string };
  /** The transport the connectors use: trusts the sandbox's loopback HTTPS certificate, nothing else changes. */
  transport: typeof fetch;
  /** Secrets the demo config references, by environment variable name. */
  secrets: Record<string, string>;
  /**
   * `people.aliases` for the demo config, as the company's IT keeps them: GitHub logins show no
   * email, so the table links them (leavers' logins included: that is how a leaver's lingering
   * seat is found), except two current accounts left unlinked to show how unmatched accounts
   * appear; and the Jira automation app is linked to its owner.
   */
  peopleAliases(): Record<string, string>;
  /** Connector entries for a config file, pointing the real connectors at the sample APIs. */
  connectorEntries(): Record<string, unknown>[];
  /** Requests every sample API received. */
  requestCount(): number;
  /** Each API's fault knobs (see `SandboxFaults`) and the faults it injected so far. */
  faults: Record<SandboxApiName, { set(faults: SandboxFaults): void; counts(): FaultCounts }>;
  close(): Promise<void>;
}

/**
 * Starts the sample APIs for every connector Annexa ships. Each later connector adds its fake
 * here, seeded from the same people, so the demo and end-to-end tests grow with the product.
 * Export files go to `exportsDir` (default: a temporary folder removed on close).
 */
export async function startSandboxEnvironment(options: {
  scale: number;
  now: Date;
  seed?: number;
  exportsDir?: string;
  /** What the APIs take as their current time (Jira's relative JQL dates); default the wall clock. */
  clock?: () => Date;
  /** Fault knobs per API from the first request on (tests; the demo runs clean). */
  faults?: Partial<Record<SandboxApiName, SandboxFaults>>;
  /** GitHub's hourly budget per resource; default 5000. */
  githubRateLimit?: number;
}): Promise<SandboxEnvironment> {
  const company = createSyntheticCompany({ scale: options.scale, now: options.now, seed: options.seed ?? 42 });
  const faultsOf = (api: SandboxApiName) => (options.faults?.[api] ? { faults: options.faults[api] } : {});
  const world = createGithubWorld(company);
  const github = await startGithubSandbox(world, { token: sandboxToken, ...faultsOf('github'), ...(options.githubRateLimit ? { rateLimit: options.githubRateLimit } : {}) });
  const awsWorld = createAwsWorld(company);
  const aws = await startAwsSandbox(awsWorld, faultsOf('aws'));
  // The SDK's default chain then finds the sandbox's fake keys, never the user's own.
  const restoreAwsCredentials = useSandboxAwsCredentials();
  const entraWorld = createEntraWorld(company);
  const entra = await startEntraSandbox(entraWorld, { clientId: sandboxEntraClientId, clientSecret: sandboxToken, ...faultsOf('entra') });
  const googleWorld = createGoogleWorld(company);
  const googleAdmin = `admin@${company.domain}`;
  const google = await startGoogleSandbox(googleWorld, { adminEmail: googleAdmin, grantedScopes: googleScopes, ...faultsOf('google') });
  const jiraWorld = createJiraWorld(company);
  const jira = await startJiraSandbox(jiraWorld, { token: sandboxToken, ...faultsOf('jira'), ...(options.clock ? { now: options.clock } : {}) });
  const knowbe4World = createKnowBe4World(company);
  const knowbe4 = await startKnowBe4Sandbox(knowbe4World, { token: sandboxToken, ...faultsOf('knowbe4') });
  const tempDir = options.exportsDir ? undefined : mkdtempSync(join(tmpdir(), 'annexa-exports-'));
  const exports = writeExports(company, options.exportsDir ?? tempDir!);
  const token = `\${${sandboxTokenVariable}}`;
  return {
    company,
    github: { url: github.url, world, requestCount: () => github.requestCount(), requestsByRoute: () => github.requestsByRoute() },
    aws: { url: aws.url, world: awsWorld, requestCount: () => aws.requestCount(), requestsByRoute: () => aws.requestsByOperation() },
    entra: { url: entra.url, world: entraWorld, requestCount: () => entra.requestCount(), requestsByRoute: () => entra.requestsByRoute() },
    google: { url: google.url, world: googleWorld, requestCount: () => google.requestCount(), requestsByRoute: () => google.requestsByRoute() },
    jira: { url: jira.url, world: jiraWorld, requestCount: () => jira.requestCount(), requestsByRoute: () => jira.requestsByRoute() },
    knowbe4: { url: knowbe4.url, world: knowbe4World, requestCount: () => knowbe4.requestCount(), requestsByRoute: () => knowbe4.requestsByRoute() },
    exports,
    transport: sandboxTrustingFetch(),
    secrets: { [sandboxTokenVariable]: sandboxToken, [sandboxGoogleKeyVariable]: google.serviceAccountKey },
    peopleAliases: () => ({
      ...Object.fromEntries(
        company.people
          .filter((p) => p.githubLogin !== null && p.status === 'active')
          .slice(2)
          .map((p) => [`github:${p.githubLogin}`, p.email]),
      ),
      ...Object.fromEntries(company.people.filter((p) => p.githubLogin !== null && p.status === 'leaver').map((p) => [`github:${p.githubLogin}`, p.email])),
      [`jira:${jiraWorld.automation.accountId}`]: jiraWorld.automation.ownerEmail,
    }),
    connectorEntries: () => [
      { id: `github-${world.org.login}`, type: 'github', org: world.org.login, token, baseUrl: github.url },
      {
        id: 'aws-acme',
        type: 'aws',
        regions: [...awsWorld.regions],
        accounts: awsWorld.accounts.map((a) => ({ id: a.id, roleName: awsWorld.roleName })),
        endpoints: { iam: aws.url, sts: aws.url, cloudtrail: aws.url, backup: aws.url },
        credentialReport: { pollSeconds: 1 },
      },
      // Entra ID: MSAL's token request goes to the sandbox's sign-in host, Graph calls to its Graph host.
      { id: 'entra', type: 'microsoft-graph', tenantId: entraWorld.tenantId, clientId: sandboxEntraClientId, clientSecret: token, authorityHost: entra.url, graphBaseUrl: entra.url },
      // Google Workspace: the service-account key names the sandbox as its token_uri.
      { id: 'google', type: 'google-workspace', customerId: 'my_customer', adminEmail: googleAdmin, serviceAccountKey: `\${${sandboxGoogleKeyVariable}}`, rootUrl: google.url },
      { id: 'jira-acme', type: 'jira', site: jira.url, email: `annexa@${company.domain}`, apiToken: token, jql: `project = ${jiraWorld.project}`, approval: { status: 'Approved' }, deployedStatuses: ['Deployed'] },
      { id: 'knowbe4', type: 'knowbe4', region: 'us', token, baseUrl: knowbe4.url },
      { id: 'hr-roster', type: 'file', kind: 'people.roster', path: exports.roster, dateFormat: 'dd/mm/yyyy', columns: rosterColumns },
      { id: 'partner-lms', type: 'file', kind: 'training.completion', path: exports.lms, dateFormat: 'mm/dd/yyyy', columns: lmsColumns },
    ],
    faults: Object.fromEntries(
      ([['github', github], ['aws', aws], ['entra', entra], ['google', google], ['jira', jira], ['knowbe4', knowbe4]] as const).map(([name, server]) => [
        name,
        { set: (faults: SandboxFaults) => server.setFaults(faults), counts: () => server.faultCounts() },
      ]),
    ) as SandboxEnvironment['faults'],
    requestCount: () => github.requestCount() + aws.requestCount() + entra.requestCount() + google.requestCount() + jira.requestCount() + knowbe4.requestCount(),
    close: async () => {
      restoreAwsCredentials();
      await Promise.all([github.close(), aws.close(), entra.close(), google.close(), jira.close(), knowbe4.close()]);
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
