import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCredentialReportCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsApi, liftElement } from '../../connectors/aws/client.js';
import type { AwsSettings } from '../../connectors/aws/settings.js';
import { silentLogger } from '../../src/core/logger.js';
import { systemClock } from '../../src/core/clock.js';

/**
 * The credential report's base64 `Content` is taken out of IAM's XML answer before the SDK parses
 * it (the SDK's parser builds a text one character at a time). The bytes must be exactly those
 * the SDK itself would have decoded, and every other member must still come from the SDK.
 */

describe('liftElement', () => {
  it('returns the first element text and the answer without it; undefined when the element is missing or unclosed', () => {
    const xml = Buffer.from('<R><Result><Content>QUJD</Content><ReportFormat>text/csv</ReportFormat></Result><Content>x</Content></R>');
    const lifted = liftElement(xml, 'Content')!;
    expect(lifted.text.toString()).toBe('QUJD');
    expect(lifted.rest.toString()).toBe('<R><Result><Content></Content><ReportFormat>text/csv</ReportFormat></Result><Content>x</Content></R>');
    expect(liftElement(xml, 'Missing')).toBeUndefined();
    expect(liftElement(Buffer.from('<R><Content>QUJD</R>'), 'Content')).toBeUndefined();
  });
});

// A report with names outside ASCII and lines long enough to make the answer a few megabytes.
const report = Buffer.from(
  ['user,arn,user_creation_time,password_enabled,mfa_active']
    .concat(Array.from({ length: 20_000 }, (_, i) => `usér-${i},arn:aws:iam::111122223333:user/usér-${i},2025-01-01T00:00:00+00:00,${i % 2 === 0},${i % 3 === 0}`))
    .join('\n'),
);
const answer = `<GetCredentialReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetCredentialReportResult>
    <Content>${report.toString('base64')}</Content>
    <ReportFormat>text/csv</ReportFormat>
    <GeneratedTime>2026-01-05T00:00:00Z</GeneratedTime>
  </GetCredentialReportResult>
  <ResponseMetadata><RequestId>5e1b5f6a-0000-4000-8000-000000000001</RequestId></ResponseMetadata>
</GetCredentialReportResponse>`;

let server: Server;
let endpoint: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': '5e1b5f6a-0000-4000-8000-000000000001' }).end(answer));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

describe('AwsApi.send with a base64 member', () => {
  it('gives the bytes the SDK would decode, with the other members parsed by the SDK', async () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
    const settings = { regions: ['us-east-1'], endpoints: { sts: endpoint }, maxAttempts: 1 } as unknown as AwsSettings;
    const api = new AwsApi(settings, { fetch, clock: systemClock, logger: silentLogger(), signal: new AbortController().signal }, async () => credentials);
    const iam = new IAMClient({ region: 'us-east-1', endpoint, credentials });
    type Report = { Content: Uint8Array; ReportFormat: string; GeneratedTime: Date };
    const bySdk = await api.send<Report>(iam, new GetCredentialReportCommand({}), 'GetCredentialReport');
    const lifted = await api.send<Report>(iam, new GetCredentialReportCommand({}), 'GetCredentialReport', { base64Member: 'Content' });
    expect(Buffer.from(bySdk.output.Content).equals(report)).toBe(true);
    expect(Buffer.from(lifted.output.Content).equals(report)).toBe(true);
    expect(lifted.output.ReportFormat).toBe('text/csv');
    expect(lifted.output.GeneratedTime).toEqual(new Date('2026-01-05T00:00:00Z'));
    expect(lifted.request).toMatchObject({ method: 'POST', status: 200, url: `${endpoint}/#GetCredentialReport` });
  });
});
