import { createSyntheticCompany, type SyntheticCompany } from '../sandbox/company.js';
import { createGithubWorld, type GithubWorld } from '../sandbox/github/data.js';
import { startGithubSandbox } from '../sandbox/github/server.js';
import { createAwsWorld, type AwsWorld } from '../sandbox/aws/data.js';
import { startAwsSandbox, useSandboxAwsCredentials } from '../sandbox/aws/server.js';

/** The credential the sample APIs accept; it is not a secret, but it travels like one. */
export const sandboxToken = 'annexa-sandbox-token';
/** The environment variable the demo config references for it. */
export const sandboxTokenVariable = 'ANNEXA_SANDBOX_TOKEN';

/** Every sample API running on 127.0.0.1, seeded from one synthetic company. */
export interface SandboxEnvironment {
  company: SyntheticCompany;
  github: { url: string; world: GithubWorld; requestCount(): number };
  aws: { url: string; world: AwsWorld; requestCount(): number };
  /** Connector entries for a config file, pointing the real connectors at the sample APIs. */
  connectorEntries(): Record<string, unknown>[];
  close(): Promise<void>;
}

/**
 * Starts the sample APIs for every connector Annexa ships. Each later connector adds its fake
 * here, seeded from the same people, so the demo and end-to-end tests grow with the product.
 */
export async function startSandboxEnvironment(options: { scale: number; now: Date; seed?: number }): Promise<SandboxEnvironment> {
  const company = createSyntheticCompany({ scale: options.scale, now: options.now, seed: options.seed ?? 42 });
  const world = createGithubWorld(company);
  const github = await startGithubSandbox(world, { token: sandboxToken });
  const awsWorld = createAwsWorld(company);
  const aws = await startAwsSandbox(awsWorld);
  // The SDK's default chain then finds the sandbox's fake keys, never the user's own.
  const restoreAwsCredentials = useSandboxAwsCredentials();
  return {
    company,
    github: { url: github.url, world, requestCount: () => github.requestCount() },
    aws: { url: aws.url, world: awsWorld, requestCount: () => aws.requestCount() },
    connectorEntries: () => [
      { id: `github-${world.org.login}`, type: 'github', org: world.org.login, token: `\${${sandboxTokenVariable}}`, baseUrl: github.url },
      {
        id: 'aws-acme',
        type: 'aws',
        regions: [...awsWorld.regions],
        accounts: awsWorld.accounts.map((a) => ({ id: a.id, roleName: awsWorld.roleName })),
        endpoints: { iam: aws.url, sts: aws.url, cloudtrail: aws.url, backup: aws.url },
        credentialReport: { pollSeconds: 1 },
      },
    ],
    close: async () => {
      restoreAwsCredentials();
      await Promise.all([github.close(), aws.close()]);
    },
  };
}
