import { z } from 'zod';
import { secretRef } from '../../src/config/secret-ref.js';
import type { Secret } from '../../src/core/secret.js';

const region = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'expected an AWS region code such as us-east-1' })
  .describe('AWS region code.');

const endpoint = (service: string) =>
  z
    .url({ message: 'expected an http(s) URL' })
    .optional()
    .describe(`${service} endpoint URL, only for AWS-compatible endpoints and tests (default: the SDK's endpoint for the region).`);

/** Config keys of a `type: aws` connector instance. Credentials come from the AWS provider chain, never from here. */
export const awsSettingsSchema = z.strictObject({
  regions: z.array(region).min(1).describe('Regions of the regional services (CloudTrail events, AWS Backup); IAM is global.'),
  accounts: z
    .array(
      z.strictObject({
        id: z.string().regex(/^\d{12}$/, { message: 'expected a 12-digit AWS account id' }).describe('AWS account id.'),
        roleName: z
          .string()
          .regex(/^[\w+=,.@-]{1,64}$/, { message: 'expected an IAM role name' })
          .describe('Read-only role assumed in that account (arn:aws:iam::<id>:role/<roleName>).'),
      }),
    )
    .min(1)
    .optional()
    .describe('Accounts to collect by assuming a role in each; without it, the account of the ambient credentials.'),
  externalId: secretRef('External id required by the assumed roles\' trust policy.').optional(),
  endpoints: z
    .strictObject({ iam: endpoint('IAM'), sts: endpoint('STS'), cloudtrail: endpoint('CloudTrail'), backup: endpoint('AWS Backup') })
    .default({})
    .describe('Per-service endpoint overrides.'),
  maxAttempts: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(5)
    .describe('Attempts per AWS call when AWS throttles (adaptive retry mode); after the last one the collector fails with rate_limited.'),
  credentialReport: z
    .strictObject({
      maxWaitSeconds: z.number().min(0).max(900).default(120).describe('How long to wait for IAM to generate the credential report before a timeout outcome.'),
      pollSeconds: z.number().min(0).max(60).default(2).describe('Pause between GenerateCredentialReport polls.'),
    })
    .default({ maxWaitSeconds: 120, pollSeconds: 2 }),
  events: z
    .strictObject({
      lookbackDays: z.number().int().min(1).max(90).default(30).describe('CloudTrail events (IAM changes, console sign-ins) are collected for this many days back (LookupEvents keeps 90).'),
    })
    .default({ lookbackDays: 30 }),
  backup: z
    .strictObject({
      lookbackDays: z.number().int().min(1).max(365).default(35).describe('Backup jobs are collected for this many days back.'),
      restoreLookbackDays: z.number().int().min(1).max(730).default(180).describe('Restore jobs (restore tests are rarer) are collected for this many days back.'),
    })
    .default({ lookbackDays: 35, restoreLookbackDays: 180 }),
});

/** Validated settings with the external id resolved. */
export type AwsSettings = Omit<z.output<typeof awsSettingsSchema>, 'externalId'> & { externalId?: Secret | undefined };
