import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsApi } from '../../connectors/aws/client.js';
import type { AwsSettings } from '../../connectors/aws/settings.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { xmlResult } from '../../src/sandbox/aws/query.js';

/**
 * The SDK's default credential chain makes calls of its own (STS AssumeRoleWithWebIdentity on EKS
 * with IRSA, a profile's role). They must take the connector's transport like every other call:
 * the shared HTTP layer, and with it the egress proxy. The SDK gives the chain's STS client the
 * request handler of the client whose credentials it resolves; this holds it to that. The chain
 * reads the process environment, so this test sets a web identity there (each test file runs in
 * its own process).
 */

const saved = { ...process.env };
const dir = mkdtempSync(join(tmpdir(), 'annexa-web-identity-'));
beforeAll(() => {
  for (const name of Object.keys(process.env)) if (/^AWS_/.test(name)) delete process.env[name];
  writeFileSync(join(dir, 'token'), 'eyJhbGciOiJSUzI1NiJ9.web-identity.signature');
  Object.assign(process.env, {
    AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'token'),
    AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/annexa-irsa',
    AWS_ROLE_SESSION_NAME: 'annexa',
    AWS_REGION: 'eu-west-1',
    AWS_CONFIG_FILE: join(dir, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
});
afterAll(() => {
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

describe('AwsApi with the default credential chain', () => {
  it('sends the web-identity exchange through the injected transport, then signs with what it returned', async () => {
    const seen: { url: string; action: string | null; authorization: string }[] = [];
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const request = new Request(input, init);
      const action = new URLSearchParams(await request.text()).get('Action');
      seen.push({ url: request.url, action, authorization: request.headers.get('authorization') ?? '' });
      const answer =
        action === 'AssumeRoleWithWebIdentity'
          ? xmlResult('sts', action, { Credentials: { AccessKeyId: 'ASIAWEBIDENTITYKEY', SecretAccessKey: 'webIdentitySecretNotReal', SessionToken: 'webIdentityTokenNotReal', Expiration: '2099-01-01T00:00:00Z' }, SubjectFromWebIdentityToken: 'system:serviceaccount:annexa:collector', AssumedRoleUser: { AssumedRoleId: 'AROAEXAMPLE:annexa', Arn: 'arn:aws:sts::111122223333:assumed-role/annexa-irsa/annexa' } }, 'req-1')
          : xmlResult('sts', action ?? 'Unknown', { UserId: 'AROAEXAMPLE:annexa', Account: '111122223333', Arn: 'arn:aws:sts::111122223333:assumed-role/annexa-irsa/annexa' }, 'req-2');
      return new Response(answer.body as string, { status: answer.status, headers: answer.headers });
    };
    const settings = { regions: ['eu-west-1'], endpoints: {}, maxAttempts: 1 } as unknown as AwsSettings;
    const api = new AwsApi(settings, { fetch, clock: systemClock, logger: silentLogger(), signal: new AbortController().signal });
    expect(await api.accounts()).toEqual([{ id: '111122223333', roleArn: null }]);
    expect(seen.map((s) => s.action)).toEqual(['AssumeRoleWithWebIdentity', 'GetCallerIdentity']);
    expect(seen[0]!.url).toMatch(/^https:\/\/sts\.eu-west-1\.amazonaws\.com\/?$/);
    expect(seen[1]!.authorization).toContain('Credential=ASIAWEBIDENTITYKEY/');
  });
});
