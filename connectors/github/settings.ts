import { z } from 'zod';
import { secretRef } from '../../src/config/secret-ref.js';
import type { Secret } from '../../src/core/secret.js';

/** Config keys of a `type: github` connector instance. */
export const githubSettingsSchema = z.strictObject({
  org: z.string().min(1).describe('Organization login (github.com/<org>).'),
  token: secretRef('Read-only token: fine-grained PAT or GitHub App installation token.'),
  baseUrl: z
    .url({ message: 'expected an http(s) URL such as https://github.example.com/api/v3' })
    .optional()
    .describe('REST base URL for GitHub Enterprise Server (https://host/api/v3) or a test server.'),
  pullRequests: z
    .strictObject({
      lookbackDays: z.number().int().min(1).max(730).default(90).describe('Merged pull requests are collected for this many days back.'),
    })
    .default({ lookbackDays: 90 }),
  rulesets: z
    .strictObject({
      crossCheckSample: z
        .number()
        .int()
        .min(0)
        .max(100)
        .default(5)
        .describe('Repositories per run whose locally evaluated rulesets are cross-checked with GitHub\'s own evaluation (GET /repos/{o}/{r}/rules/branches/{b}); 0 turns the check off.'),
    })
    .default({ crossCheckSample: 5 }),
});

/** Validated settings with the token resolved. */
export type GitHubSettings = Omit<z.output<typeof githubSettingsSchema>, 'token'> & { token: Secret };
