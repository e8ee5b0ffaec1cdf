import { GetAccountPasswordPolicyCommand, GetAccountSummaryCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { defineCollector, type RequestRef } from '../../src/core/connector.js';
import { parse, requestOf, type AwsApi } from './client.js';
import { eachAccount } from './scopes.js';
import type { AwsSettings } from './settings.js';

export const passwordPolicyPayload = z.object({
  minimumLength: z.number().nullable().describe('MinimumPasswordLength.'),
  requireSymbols: z.boolean().describe('RequireSymbols.'),
  requireNumbers: z.boolean().describe('RequireNumbers.'),
  requireUppercase: z.boolean().describe('RequireUppercaseCharacters.'),
  requireLowercase: z.boolean().describe('RequireLowercaseCharacters.'),
  maxAgeDays: z.number().nullable().describe('MaxPasswordAge in days; null when passwords do not expire.'),
  reusePrevention: z.number().nullable().describe('PasswordReusePrevention: how many previous passwords cannot be reused.'),
  allowUsersToChange: z.boolean().describe('AllowUsersToChangePassword.'),
  hardExpiry: z.boolean().describe('HardExpiry: an expired password needs an administrator reset.'),
});

export const iamAccountPayload = z.object({
  account: z.string().describe('AWS account id.'),
  rootMfaEnabled: z.boolean().describe('GetAccountSummary AccountMFAEnabled: the root user has MFA.'),
  rootAccessKeysPresent: z.boolean().describe('GetAccountSummary AccountAccessKeysPresent: the root user has access keys.'),
  users: z.number().describe('IAM users in the account.'),
  groups: z.number().describe('IAM groups.'),
  roles: z.number().describe('IAM roles.'),
  mfaDevices: z.number().describe('MFA devices in the account.'),
  passwordPolicy: passwordPolicyPayload.nullable().describe('The account password policy; null when the account has none (NoSuchEntity).'),
  passwordPolicyState: z.enum(['present', 'absent']).describe('`absent` when GetAccountPasswordPolicy answered NoSuchEntity: IAM defaults apply.'),
});

const summary = z.object({ SummaryMap: z.record(z.string(), z.number()) });
const policy = z.object({
  PasswordPolicy: z.object({
    MinimumPasswordLength: z.number().optional(),
    RequireSymbols: z.boolean().optional(),
    RequireNumbers: z.boolean().optional(),
    RequireUppercaseCharacters: z.boolean().optional(),
    RequireLowercaseCharacters: z.boolean().optional(),
    AllowUsersToChangePassword: z.boolean().optional(),
    ExpirePasswords: z.boolean().optional(),
    MaxPasswordAge: z.number().optional(),
    PasswordReusePrevention: z.number().optional(),
    HardExpiry: z.boolean().optional(),
  }),
});

export const iamAccountCollector = defineCollector<AwsApi, AwsSettings, typeof iamAccountPayload>({
  id: 'iam_account',
  kind: 'aws.iam_account.v1',
  title: 'Root user MFA and access keys, and the IAM password policy',
  description: 'Per account: whether root has MFA and access keys (GetAccountSummary) and the password policy, recorded as absent when there is none.',
  subject: 'account id',
  ttlHours: 36,
  payload: iamAccountPayload,
  collect: (ctx) =>
    eachAccount(ctx, async function* (session) {
      const fetched = await ctx.client.send<unknown>(session.iam, new GetAccountSummaryCommand({}), 'GetAccountSummary');
      const map = parse(summary, fetched.output, 'IAM GetAccountSummary').SummaryMap;
      const requests: RequestRef[] = [fetched.request];
      let passwordPolicy: z.output<typeof passwordPolicyPayload> | null = null;
      try {
        const got = await ctx.client.send<unknown>(session.iam, new GetAccountPasswordPolicyCommand({}), 'GetAccountPasswordPolicy');
        requests.push(got.request);
        const p = parse(policy, got.output, 'IAM GetAccountPasswordPolicy').PasswordPolicy;
        passwordPolicy = {
          minimumLength: p.MinimumPasswordLength ?? null,
          requireSymbols: p.RequireSymbols ?? false,
          requireNumbers: p.RequireNumbers ?? false,
          requireUppercase: p.RequireUppercaseCharacters ?? false,
          requireLowercase: p.RequireLowercaseCharacters ?? false,
          maxAgeDays: p.ExpirePasswords ? (p.MaxPasswordAge ?? null) : null,
          reusePrevention: p.PasswordReusePrevention ?? null,
          allowUsersToChange: p.AllowUsersToChangePassword ?? false,
          hardExpiry: p.HardExpiry ?? false,
        };
      } catch (error) {
        // No policy is an answer, not a failure: matched by the SDK error's name, never its message.
        if ((error as { name?: unknown }).name !== 'NoSuchEntityException') throw error;
        const answered = requestOf(error);
        if (answered) requests.push(answered);
      }
      yield {
        subject: session.account,
        requests,
        payload: {
          account: session.account,
          rootMfaEnabled: map.AccountMFAEnabled === 1,
          rootAccessKeysPresent: (map.AccountAccessKeysPresent ?? 0) > 0,
          users: map.Users ?? 0,
          groups: map.Groups ?? 0,
          roles: map.Roles ?? 0,
          mfaDevices: map.MFADevices ?? 0,
          passwordPolicy,
          passwordPolicyState: passwordPolicy ? 'present' : 'absent',
        },
      };
    }),
});
