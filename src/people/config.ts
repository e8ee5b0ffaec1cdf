import { z } from 'zod';

/**
 * `people:` in annexa.yaml: what the identity index cannot learn from the systems themselves.
 * Keys of `aliases` name an account as `<system>:<account>` (`github:octocat`, `aws:jane.doe`),
 * or `<instance id>:<account>` for one connector instance only; values are the person's email.
 */
export const peopleConfigSchema = z
  .strictObject({
    aliases: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9-]*:.+$/, { message: 'expected <system or instance id>:<account>, like github:octocat' }),
        z.email({ message: 'expected the person\'s email address' }),
      )
      .default({})
      .describe('Account → person email, for accounts whose system shows no email (GitHub logins, AWS IAM user names).'),
  })
  .default({ aliases: {} });

export type PeopleConfig = z.output<typeof peopleConfigSchema>;
